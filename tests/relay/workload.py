"""Committing a workload into a store, and checking what reached the far side against it."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import complaintflow as cf
from complaintflow.exceptions import ConcurrencyError
from complaintflow.relay import read_envelope
from complaintflow.store import Store

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TEXTS = ("the kettle leaks", "连衣裙第一次洗就褪色", "the staff were rude to me",
         "the parcel came two weeks late")


def fill(store: Store, complaints: int, *, seed: int = 0) -> list[str]:
    """Receive ``complaints`` complaints and give each one to three more events, interleaved
    across complaints, so the outbox mixes complaints; returns the ids."""
    rng = random.Random(seed)
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0))
    live = [wf.receive(rng.choice(TEXTS), customer_id=f"C-{i}", channel="hotline")
            for i in range(complaints)]
    for step in range(3):
        rng.shuffle(live)
        for n, c in enumerate(live):
            if step == 0:
                live[n] = wf.acknowledge(c, actor="agent-7")
            else:
                live[n] = wf.message(c, text=f"any news? ({step})")
    return [c.id for c in live]


class Writer(threading.Thread):
    """Keeps committing into ``store`` until stopped: new complaints and commands on open
    ones, interleaved, and now and then a stale save that must be refused (its events are
    never committed)."""

    def __init__(self, store: Store, *, seed: int = 1, pause: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.rng = random.Random(seed)
        self.pause = pause
        self.halt = threading.Event()
        self.refused = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _run(self) -> None:
        wf = cf.Workflow(store=self.store, clock=cf.FrozenClock(T0))
        open_ids: list[str] = []
        n = 0
        while not self.halt.is_set():
            roll = self.rng.random()
            if roll < 0.3 or not open_ids:
                n += 1
                c = wf.receive(self.rng.choice(TEXTS), customer_id=f"W-{n}", channel="hotline")
                open_ids.append(c.id)
            elif roll < 0.4:
                cid = self.rng.choice(open_ids)
                first, second = self.store.get(cid), self.store.get(cid)
                wf.message(first, text="first writer")
                try:
                    wf.message(second, text="NEVER COMMITTED")
                except ConcurrencyError:
                    self.refused += 1
            else:
                cid = self.rng.choice(open_ids)
                c = self.store.get(cid)
                if c.state is cf.State.RECEIVED:
                    wf.acknowledge(c, actor="agent-7")
                else:
                    wf.message(c, text="still waiting")
            self.halt.wait(self.pause)


def committed_ids(store: Store) -> dict[str, str]:
    """Every committed event's id with its name."""
    return {f"{c.id}:{e.seq}": e.name
            for c in store.recent(since=_EPOCH - timedelta(days=1)) for e in c.history}


def check_far_side(bodies: Sequence[bytes], store: Store) -> dict[str, int]:
    """The promises, checked on what the far side received (in arrival order): every
    committed event at least once, nothing else, the same event as committed, and after
    dropping repeats by id each complaint's events in ``seq`` order. Returns figures."""
    committed = committed_ids(store)
    items = [read_envelope(b) for b in bodies]
    received = {i.id for i in items}
    missing = sorted(set(committed) - received)
    extra = sorted(received - set(committed))
    assert not missing, f"{len(missing)} committed events never arrived, e.g. {missing[:5]}"
    assert not extra, f"published but never committed: {extra[:5]}"
    for body, item in zip(bodies, items, strict=True):
        assert committed[item.id] == item.event.name, item.id
        assert b"NEVER COMMITTED" not in body, item.id
    seen: set[str] = set()
    last: dict[str, int] = {}
    for item in items:
        if item.id in seen:
            continue
        seen.add(item.id)
        assert item.event.seq == last.get(item.complaint_id, 0) + 1, (
            f"{item.id} arrived after seq {last.get(item.complaint_id, 0)} of its complaint")
        last[item.complaint_id] = item.event.seq
    return {"committed": len(committed), "received": len(items),
            "duplicates": len(items) - len(seen)}
