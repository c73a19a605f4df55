"""Code that runs in the worker processes of the concurrency and crash tests.

Kept free of pytest so a spawned process imports it quickly.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta
from typing import Any

import complaintflow as cf
from complaintflow.store import SQLiteStore, Store, retry

from ._helpers import T0, receive

Spec = dict[str, Any]


def open_store(spec: Spec) -> Store:
    """A store described by plain data (what crosses a process boundary)."""
    if spec["kind"] == "sqlite":
        return SQLiteStore(spec["path"], synchronous=spec.get("synchronous", "FULL"))
    from complaintflow.store import SQLStore

    return SQLStore(spec["url"], schema=spec["schema"], prefix=spec["prefix"])


def close(store: Store) -> None:
    closer = getattr(store, "close", None)
    if closer is not None:
        closer()


def _wait_until(start: Any) -> None:
    """Wait at the barrier shared by the workers, so they all start at once."""
    start.wait(timeout=60)


def run_in_child(target: str, args: tuple[Any, ...], index: int, results: Any) -> None:
    """Process entry point: run ``target`` (a name in this module), report its result."""
    try:
        results.put((index, globals()[target](*args), None))
    except BaseException as exc:
        results.put((index, None, repr(exc)))
        raise


def hammer(spec: Spec, worker: str, ids: list[str], rounds: int, seed: int,  # noqa: PLR0917
           start: Any) -> dict[str, Any]:
    """Load → message → save on a few shared complaints, without retrying.

    Returns what this worker was told was committed and how often it was refused.
    """
    store = open_store(spec)
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0 + timedelta(minutes=30)))
    rng = random.Random(seed)
    committed: list[tuple[str, int, str]] = []
    refused = 0
    _wait_until(start)
    for i in range(rounds):
        cid = rng.choice(ids)
        loaded = store.get(cid)
        time.sleep(rng.random() * 0.002)  # widen the window between load and save
        text = f"{worker}/{i}"
        try:
            after = wf.message(loaded, text=text)
        except cf.ConcurrencyError:
            refused += 1
            continue
        committed.append((cid, after.version, text))
    close(store)
    return {"committed": committed, "refused": refused, "attempts": rounds}


def hammer_with_retry(spec: Spec, worker: str, ids: list[str], rounds: int, seed: int,  # noqa: PLR0917
                      start: Any) -> list[tuple[str, int, str]]:
    """The same load → command → save loop through ``retry``: nothing is ever given up."""
    store = open_store(spec)
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0 + timedelta(minutes=30)))
    rng = random.Random(seed)
    done: list[tuple[str, int, str]] = []
    _wait_until(start)
    for i in range(rounds):
        cid = rng.choice(ids)
        text = f"{worker}/{i}"

        def command(c: cf.Complaint, text: str = text) -> cf.Complaint:
            return wf.message(c, text=text)

        after = retry(store, cid, command, attempts=1000, backoff=0.0005)
        done.append((cid, after.version, text))
    close(store)
    return done


def sweeper(spec: Spec, worker: str, now_iso: str, batch: int, start: Any
            ) -> list[str]:
    """Claim due complaints in batches and tick them until nothing is left to claim."""
    from datetime import datetime

    now = datetime.fromisoformat(now_iso)
    store = open_store(spec)
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(now))
    claimed: list[str] = []
    _wait_until(start)
    while True:
        got = store.claim_due(now, batch, worker, lease=timedelta(hours=1))
        if not got:
            break
        for c in got:
            claimed.append(c.id)
            wf.tick(c, now)
    close(store)
    return claimed


def claim_once(spec: Spec, worker: str, now_iso: str, batch: int, start: Any
               ) -> list[str]:
    """Claim (without ticking) until nothing is left: each due complaint must come once."""
    from datetime import datetime

    now = datetime.fromisoformat(now_iso)
    store = open_store(spec)
    claimed: list[str] = []
    _wait_until(start)
    while got := store.claim_due(now, batch, worker, lease=timedelta(hours=1)):
        claimed.extend(c.id for c in got)
    close(store)
    return claimed


def writer(spec: Spec, acks_path: str, round_no: int, seed: int) -> None:
    """Write for ever (until killed), appending one line per acknowledged command.

    A line ``<id> <version>`` is written only after the store returned, that is after the
    commit: every line is a promise the database must keep.
    """
    store = open_store(spec)
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0 + timedelta(hours=round_no)))
    rng = random.Random(seed)
    fd = os.open(acks_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    known = [c.id for c in store.recent(since=T0 - timedelta(days=1), limit=20)]
    n = 0
    while True:
        n += 1
        roll = rng.random()
        if roll < 0.3 or not known:
            c = receive(wf, round_no * 100_000 + n, complaint_id=f"K{round_no}-{n}")
            known.append(c.id)
        elif roll < 0.9:
            c = store.get(rng.choice(known))
            if c.state is cf.State.RECEIVED and rng.random() < 0.5:
                c = wf.acknowledge(c, actor="agent-7")
            else:
                c = wf.message(c, text=f"note {round_no}/{n}")
        else:
            items = store.pending(rng.randint(1, 5))
            store.mark_published(i.id for i in items)
            continue
        os.write(fd, f"{c.id} {c.version}\n".encode())


def relay(spec: Spec, worker: str, batch: int, seed: int, start: Any
          ) -> list[tuple[str, int, int]]:
    """Claim outbox items, "publish" them (sometimes give a batch back instead, as a relay
    whose broker is down does) until the backlog is empty.

    Returns ``(complaint id, seq, monotonic ns)`` per published item, the time taken just
    before ``mark_published``: a later seq of the same complaint can only be claimed after
    that commit, so per complaint the times must rise with seq.
    """
    store = open_store(spec)
    rng = random.Random(seed)
    sent: list[tuple[str, int, int]] = []
    _wait_until(start)
    while True:
        got = store.claim_outbox(worker, batch, lease=timedelta(hours=1))
        if not got:
            if store.outbox_backlog() == 0:
                break
            time.sleep(0.001)
            continue
        if rng.random() < 0.25:
            store.release_outbox([i.id for i in got], worker=worker)
            continue
        time.sleep(rng.random() * 0.003)  # the broker takes its time
        for item in got:
            sent.append((item.complaint_id, item.event.seq, time.monotonic_ns()))
        store.mark_published([i.id for i in got], worker=worker)
    close(store)
    return sent
