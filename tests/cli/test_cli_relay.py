"""``complaintflow relay``: publishes and reports its backlog, stops cleanly on SIGTERM, and
says in one line what is wrong with a URL, a missing extra or an unreachable server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from complaintflow.store import SQLiteStore

if TYPE_CHECKING:
    from cli_helpers import Run

REDIS_ENV, REDIS_DEFAULT = "COMPLAINTFLOW_TEST_REDIS", "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_stream_url() -> object:
    url = os.environ.get(REDIS_ENV) or (
        REDIS_DEFAULT if os.environ.get("CI", "").lower() == "true" else None)
    if url is None:
        pytest.skip(f"redis tests are off; enable them with {REDIS_ENV}={REDIS_DEFAULT}")
    import redis

    stream = f"cftest:cli:{uuid.uuid4().hex[:12]}"
    yield f"{url}?stream={stream}"
    client = redis.Redis.from_url(url)
    client.delete(stream)
    client.close()


def _backlog(db: Path) -> int:
    with SQLiteStore(db) as store:
        return store.outbox_backlog()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.services
def test_once_publishes_everything_and_reports_the_backlog(run: Run, demo_db: Path,
                                                         redis_stream_url: str) -> None:
    import redis

    before = _backlog(demo_db)
    assert before > 0
    result = run("--plain", "relay", "--db", str(demo_db), "--to", redis_stream_url, "--once",
                 "--batch", "25")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].endswith(f"backlog {before}")
    assert lines[-1] == f"stopped: published {before}, dead-lettered 0, backlog 0"
    assert sum(int(line.split()[1]) for line in lines[1:-1]) == before
    assert lines[-2].endswith("backlog 0")
    assert _backlog(demo_db) == 0
    url, stream = redis_stream_url.split("?stream=")
    client = redis.Redis.from_url(url)
    try:
        assert client.xlen(stream) == before
    finally:
        client.close()


@pytest.mark.services
def test_sigterm_stops_after_the_batch_in_flight(demo_db: Path, redis_stream_url: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "complaintflow", "--plain", "relay", "--db", str(demo_db),
         "--to", redis_stream_url, "--batch", "10", "--idle", "0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("relaying ")
    end = time.monotonic() + 30
    while _backlog(demo_db) and time.monotonic() < end:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines()[-1].startswith("stopped: published ")
    assert out.splitlines()[-1].endswith("backlog 0")


@pytest.mark.parametrize(("to", "says"), [
    ("kafka://127.0.0.1:9092", "unknown scheme"),
    ("127.0.0.1:4222", "not a URL"),
    ("redis://127.0.0.1:6379/0?maxlen=lots", "maxlen"),
    ("https://crm.example.com/hooks", "COMPLAINTFLOW_WEBHOOK_SECRET"),
])
def test_a_wrong_url_is_one_line(run: Run, demo_db: Path, to: str, says: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPLAINTFLOW_WEBHOOK_SECRET", raising=False)
    result = run("relay", "--db", str(demo_db), "--to", to, "--once")
    assert result.code == 2
    line = _one_line(result.err)
    assert line.startswith("complaintflow relay: error: --to:") and says in line


def test_an_unreachable_server_is_one_line_and_nothing_is_marked(run: Run, demo_db: Path) -> None:
    before = _backlog(demo_db)
    result = run("--plain", "relay", "--db", str(demo_db), "--to", "redis://127.0.0.1:1/0",
                 "--once")
    assert result.code == 1
    line = _one_line(result.err)
    assert line.startswith("complaintflow relay: error: ") and "127.0.0.1:1" in line
    assert _backlog(demo_db) == before


def test_a_missing_extra_is_named(run: Run, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nats", None)
    result = run("relay", "--db", str(demo_db), "--to", "nats://127.0.0.1:4222", "--once")
    assert result.code == 2
    assert "pip install 'complaintflow[nats]'" in _one_line(result.err)


@pytest.mark.parametrize("args", [("--batch", "0"), ("--lease", "0"), ("--idle", "-1")])
def test_nonsense_numbers_are_refused(run: Run, demo_db: Path, args: tuple[str, str]) -> None:
    result = run("relay", "--db", str(demo_db), "--to", "redis://127.0.0.1:6379/0", *args)
    assert result.code == 2
    assert args[0] in _one_line(result.err)


def test_a_missing_database_is_one_line(run: Run, tmp_path: Path) -> None:
    result = run("relay", "--db", str(tmp_path / "nope.sqlite"), "--to", "redis://h:6379/0")
    assert result.code == 2
    assert "no such database" in _one_line(result.err)


@pytest.mark.services
def test_db_may_be_an_sqlalchemy_url(run: Run, tmp_path: Path, redis_stream_url: str) -> None:
    pytest.importorskip("sqlalchemy")
    from datetime import UTC, datetime

    import complaintflow as cf
    from complaintflow.store import SQLStore

    url = f"sqlite:///{tmp_path / 'sql.db'}"
    with SQLStore(url) as store:
        wf = cf.Workflow(store=store, clock=cf.FrozenClock(datetime(2026, 6, 18, tzinfo=UTC)))
        wf.acknowledge(wf.receive("the kettle leaks", customer_id="C-1", channel="hotline"),
                       actor="agent-7")
    result = run("--plain", "relay", "--db", url, "--to", redis_stream_url, "--once")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "stopped: published 2, dead-lettered 0, backlog 0"
    with SQLStore(url) as store:
        assert store.outbox_backlog() == 0


def test_a_bad_database_url_is_one_line(run: Run) -> None:
    result = run("relay", "--db", "nosuchdriver://x/y", "--to", "redis://h:6379/0")
    assert result.code == 2
    assert _one_line(result.err).startswith("complaintflow relay: error: --db:")
