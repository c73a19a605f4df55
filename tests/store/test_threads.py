"""One Workflow and one store shared by many threads: every command either commits whole
or loses a race with a ConcurrencyError, and what is stored is what committed."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.store import MemoryStore, SQLiteStore
from pg_helpers import postgres_url

from ._helpers import T0, finding

THREADS = 8
ROUNDS = 12


def _store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "cf.db", synchronous="NORMAL")
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests are off; enable them with "
                    "COMPLAINTFLOW_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    from complaintflow.store import SQLStore

    return SQLStore(url, prefix="threads_", schema=request.getfixturevalue("pg_schema"))


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_threads_sharing_a_workflow_commit_or_lose_a_race(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _store(kind, tmp_path, request)
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0),
                     authorization=cf.policies.OpenAuthorization())
    shared = [wf.receive(f"shared {n}", customer_id=f"C-{n}", channel="hotline",
                         complaint_id=f"CF-S{n}") for n in range(3)]
    committed: Counter[str] = Counter()
    texts: dict[str, set[str]] = {c.id: set() for c in shared}
    lost = Counter[str]()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        try:
            start.wait()
            mine = wf.receive(f"thread {n}", customer_id=f"C-T{n}", channel="wechat",
                              complaint_id=f"CF-T{n}", sku="S-1", order_id=f"O-{n}")
            mine = wf.acknowledge(mine, actor=f"agent-{n}")
            mine = wf.investigate(mine, actor=f"agent-{n}", finding=finding())
            for i in range(ROUNDS):
                # its own complaint: nobody else writes it, so it always commits
                mine = wf.message(mine, text=f"own {i}")
                # a shared one, loaded afresh: it commits or loses the race, whole
                target = shared[(n + i) % len(shared)].id
                text = f"thread {n} round {i}"
                try:
                    wf.message(store.get(target), text=text)
                except cf.ConcurrencyError:
                    with lock:
                        lost[target] += 1
                else:
                    with lock:
                        committed[target] += 1
                        texts[target].add(text)
            wf.propose(mine, actor=cf.Actor(f"head-{n}", cf.Tier.REGIONAL_HEAD))
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(committed.values()) + sum(lost.values()) == THREADS * ROUNDS
    for n in range(THREADS):
        own = store.get(f"CF-T{n}")
        assert own.state is cf.State.PROPOSED
        assert [e.name for e in own.history].count("message") == ROUNDS
        assert own == cf.Complaint.replay(tuple(own.history))
    for c in shared:
        stored = store.get(c.id)
        said = [e.data["personal"]["text"] for e in stored.history if e.name == "message"]
        assert len(said) == committed[c.id] == stored.version - 1
        assert set(said) == texts[c.id]  # exactly the commands that returned, none lost
        assert stored == cf.Complaint.replay(tuple(stored.history))
    assert getattr(store, "verify", list)() == []
    assert store.outbox_backlog() == sum(store.get(i).version for i in
                                         [*(c.id for c in shared),
                                          *(f"CF-T{n}" for n in range(THREADS))])
    if hasattr(store, "close"):
        store.close()
