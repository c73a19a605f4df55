"""Kill tests: relay processes SIGKILLed at random moments while a workflow keeps committing.

Afterwards every committed event reached the far side at least once, exactly once after
dropping repeats by id, in ``seq`` order per complaint, and nothing that was never
committed was published. Two relays run at once on the one store; at each round one of
them is killed (sometimes before it got going, mostly while publishing) and replaced.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from far_side import SECRET, Message, Receiver, amqp_queue, nats_read, nats_stream, redis_read, redis_stream
from workload import Writer, check_far_side

from complaintflow.relay import Relay, publisher_for
from complaintflow.store import SQLiteStore

pytestmark = pytest.mark.services

#: Kills per broker in the ordinary run (CI), and with --run-slow.
KILLS, SLOW_KILLS = 15, 80
LEASE = 2.0


@pytest.fixture
def kills(request: pytest.FixtureRequest) -> int:
    return SLOW_KILLS if request.config.getoption("--run-slow") else KILLS


def _spawn(db: Path, url: str, out: Path, worker: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", COMPLAINTFLOW_WEBHOOK_SECRET=SECRET)
    with out.open("wb") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "complaintflow", "--plain", "relay", "--db", str(db),
             "--to", url, "--batch", "5", "--idle", "0.02", "--lease", str(LEASE),
             "--worker", worker],
            stdout=fh, stderr=subprocess.STDOUT, env=env)


def _started(out: Path, proc: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    """Wait until the relay printed its first line (it is running its loop)."""
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 1:
            return
        time.sleep(0.01)
    raise AssertionError(f"the relay did not start: {out.read_text(errors='replace')}")


def soak(tmp_path: Path, url: str, read: Callable[[], list[Message]], kills: int,
         seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    db = tmp_path / "kill.sqlite"
    store = SQLiteStore(db, synchronous="NORMAL")
    writer = Writer(store, seed=seed)
    writer.start()
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for n in range(2):
            out = tmp_path / f"relay-{n}.out"
            procs.append((_spawn(db, url, out, f"relay-{n}"), out))
        for k in range(kills):
            victim = rng.randrange(len(procs))
            proc, out = procs[victim]
            if rng.random() < 0.8:  # mostly while it publishes, now and then while it starts
                _started(out, proc)
                time.sleep(rng.uniform(0.0, 0.4))
            else:
                time.sleep(rng.uniform(0.0, 0.3))
            assert proc.poll() is None, out.read_text(errors="replace")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            fresh = tmp_path / f"relay-k{k}.out"
            procs[victim] = (_spawn(db, url, fresh, f"relay-k{k}"), fresh)
    finally:
        for proc, _ in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        writer.halt.set()
        writer.join()
    assert writer.error is None, writer.error
    assert writer.refused > 0  # some writes were refused: their events must never show up
    before_drain = len(read())
    publisher = publisher_for(url, secret=SECRET)
    relay = Relay(store, publisher, batch=50)
    try:
        end = time.monotonic() + 120
        while store.outbox_backlog() and time.monotonic() < end:
            if relay.run_once().claimed == 0:
                time.sleep(0.2)  # the killed relays' leases run out
    finally:
        publisher.close()
    assert store.outbox_backlog() == 0
    figures = check_far_side([m.body for m in read()], store)
    store.close()
    assert before_drain > 0  # the killed relays did publish
    return figures


def test_kill_nats(tmp_path: Path, nats_url: str, uid: str, kills: int) -> None:
    with nats_stream(nats_url, uid) as (stream, prefix):
        url = f"{nats_url}?stream={stream}&prefix={prefix}"
        soak(tmp_path, url, lambda: nats_read(nats_url, stream), kills, seed=1)


def test_kill_amqp(tmp_path: Path, amqp_url: str, uid: str, kills: int) -> None:
    with amqp_queue(amqp_url, uid) as (exchange, drain):
        got: list[Message] = []

        def read() -> list[Message]:
            got.extend(drain())
            return list(got)

        soak(tmp_path, f"{amqp_url}?exchange={exchange}", read, kills, seed=2)


def test_kill_redis(tmp_path: Path, redis_url: str, uid: str, kills: int) -> None:
    with redis_stream(redis_url, uid) as stream:
        sep = "&" if "?" in redis_url else "?"
        soak(tmp_path, f"{redis_url}{sep}stream={stream}&maxlen=none",
             lambda: redis_read(redis_url, stream), kills, seed=3)


def test_kill_webhook(tmp_path: Path, receiver: Receiver, kills: int) -> None:
    soak(tmp_path, receiver.url, receiver.delivered, kills, seed=4)
