"""Snapshots: a load reads the state row's snapshot and the events after it; the result is
the replay of the whole history, on every store, and a damaged or forged snapshot is refused."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._history import History
from complaintflow.store import MemoryStore, SQLiteStore
from complaintflow.store._snapshot import _digest
from complaintflow.testing.strategies import Command, commands
from pg_helpers import postgres_url

from ._helpers import finding, receive, workflow

_prefixes = count(1)


def _backends(tmp: Path, schema: str | None = None
              ) -> dict[str, Callable[[], tuple[Any, Callable[[], Any]]]]:
    """Each store, as ``make() -> (store, reopen)``: ``reopen()`` opens the same data
    afresh (nothing remembered from the writes). Every store made is closed at the end of
    the test (:data:`_opened`)."""

    def memory() -> tuple[Any, Callable[[], Any]]:
        store = MemoryStore()
        return store, lambda: store

    def sqlite() -> tuple[Any, Callable[[], Any]]:
        path = tmp / f"s{next(_prefixes)}.db"
        return _open(SQLiteStore, path), lambda: _open(SQLiteStore, path)

    out = {"memory": memory, "sqlite": sqlite}
    url = postgres_url()
    if url is not None and schema is not None:
        from complaintflow.store import SQLStore

        def postgres() -> tuple[Any, Callable[[], Any]]:
            prefix = f"snap{next(_prefixes)}_"
            return (_open(SQLStore, url, prefix=prefix, schema=schema),
                    lambda: _open(SQLStore, url, prefix=prefix, schema=schema))

        out["postgres"] = postgres
    return out


_opened: list[Any] = []


def _open(kind: Any, *args: Any, **kw: Any) -> Any:
    store = kind(*args, **kw)
    _opened.append(store)
    return store


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Callable[[], tuple[Any, Callable[[], Any]]]:
    schema = request.getfixturevalue("pg_schema") if request.param == "postgres" else None
    found = _backends(tmp_path_factory.mktemp("snap"), schema).get(request.param)
    if found is None:
        pytest.skip("PostgreSQL tests are off; enable them with "
                    "COMPLAINTFLOW_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    return found


_STEPS = st.lists(st.tuples(commands(actors=st.just(cf.Actor("exec-1", cf.Tier.EXECUTIVE))),
                            st.integers(0, 30)), min_size=1, max_size=14)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=_STEPS)
def test_a_load_through_the_snapshot_is_the_replay_of_the_history(
    backend: Callable[[], tuple[Any, Callable[[], Any]]], steps: list[tuple[Command, int]]
) -> None:
    try:
        _run_and_reload(backend, steps)
    finally:  # each example's stores, not only the test's: servers limit connections
        while _opened:
            _opened.pop().close()


def _run_and_reload(backend: Callable[[], tuple[Any, Callable[[], Any]]],
                    steps: list[tuple[Command, int]]) -> None:
    store, reopen = backend()
    wf, clock = workflow(store)
    c = receive(wf, 1, order_id="O-1")
    for command, hours in steps:
        clock.advance(timedelta(hours=hours))
        try:
            c = command.run(wf, c)
        except cf.ComplaintflowError:
            continue
    fresh = reopen()
    loaded = fresh.get(c.id)
    assert loaded.version == len(loaded.history) == c.version
    assert loaded.history[-1] == c.history[-1]
    # the oracle: the fold of every stored event, read without the snapshot
    assert loaded == cf.Complaint.replay(tuple(loaded.history)) == c
    assert getattr(fresh, "verify", list)() == []
    # the loaded complaint takes further commands like the original
    again = wf.message(loaded, text="any news?") if not loaded.is_final else loaded
    assert reopen().get(c.id) == again


def _long(store: Any, n: int) -> tuple[cf.Workflow, cf.Complaint]:
    wf, _ = workflow(store)
    c = wf.acknowledge(receive(wf, 1), actor="agent-7")
    for i in range(n):
        c = wf.message(c, text=f"note {i}")
    return wf, c


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_loaded_complaint_runs_commands_without_reading_its_history(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    schema = request.getfixturevalue("pg_schema") if kind == "postgres" else None
    make = _backends(tmp_path, schema).get(kind)
    if make is None:
        pytest.skip("PostgreSQL tests are off")
    store, reopen = make()
    _, c = _long(store, 40)
    fresh = reopen()
    wf, _ = workflow(fresh)
    loaded = fresh.get(c.id)
    assert isinstance(loaded.history, History)
    assert not loaded.history.loaded and len(loaded.history.tail) == 1
    work = wf.investigate(loaded, actor="agent-7", finding=finding())
    work = wf.propose(work, actor="agent-7")
    work = wf.resolve(work, actor="agent-7")
    work = wf.revisit(work, actor="agent-7", satisfaction=4)
    assert isinstance(work.history, History)
    assert not work.history.loaded  # deciding, folding and saving read no earlier event
    assert fresh.get(c.id) == work
    assert not _loaded(fresh.get(c.id))
    assert list(work.history)[:c.version] == list(c.history)  # asked for: read then
    assert _loaded(work)
    # two loads of one complaint compare without reading either history, and a save of
    # a complaint loaded before another load of it (the store remembers the later) too
    first, second = fresh.get(c.id), fresh.get(c.id)
    assert first == second and not _loaded(first) and not _loaded(second)
    wf.message(first, text="still here")
    assert not _loaded(first)


def _loaded(c: cf.Complaint) -> bool:
    return not isinstance(c.history, History) or c.history.loaded


# -- damaged and forged snapshots ---------------------------------------------------------


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, cf.Complaint]:
    path = tmp_path / "cf.db"
    with SQLiteStore(path) as store:
        wf, _ = workflow(store)
        c = wf.investigate(wf.acknowledge(receive(wf, 1), actor="agent-7"), actor="agent-7",
                           finding=finding())
        receive(wf, 2)
    return path, c


def _snapshot(path: Path, cid: str) -> tuple[str, int]:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT snapshot, snapshot_version FROM cf_complaints WHERE id = ?",
                           (cid,)).fetchone()
    finally:
        conn.close()
    return row[0], row[1]


def _put(path: Path, cid: str, text: str | None, version: int | None = None) -> None:
    conn = sqlite3.connect(path)
    try:
        if version is None:
            conn.execute("UPDATE cf_complaints SET snapshot = ? WHERE id = ?", (text, cid))
        else:
            conn.execute("UPDATE cf_complaints SET snapshot = ?, snapshot_version = ? "
                         "WHERE id = ?", (text, version, cid))
        conn.commit()
    finally:
        conn.close()


def _resigned(text: str, change: Callable[[dict[str, Any]], None]) -> str:
    """The snapshot with ``change`` made to its fields and its checksum made anew (what a
    forger who knows the format writes)."""
    head, _, payload = text.split(":", 2)
    body = json.loads(payload)
    change(body)
    new = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return f"{head}:{_digest(new)}:{new}"


def test_a_damaged_snapshot_is_an_integrity_error(saved: tuple[Path, cf.Complaint]) -> None:
    path, c = saved
    text, _ = _snapshot(path, c.id)
    _put(path, c.id, text.replace('"severity":3', '"severity":2'))
    with SQLiteStore(path) as store, pytest.raises(cf.IntegrityError, match="checksum"):
        store.get(c.id)
    with SQLiteStore(path) as store:
        assert any("checksum" in p for p in store.verify())


@pytest.mark.parametrize(("change", "says"), [
    (lambda b: b.update(severity=1), "state row differs"),  # a column of the row
    (lambda b: b.update(severity="high"), "severity"),  # a wrong type
    (lambda b: b.update(scope="everywhere"), "scope"),
    (lambda b: b.update(id="CF-00002"), "snapshot is of"),  # another complaint's
    (lambda b: b.update(version=2), "version"),
    (lambda b: b.update(offers=[{"remedy": "refund"}]), "offer"),
    (lambda b: b.pop("severity") and b.update(severe=1), None),  # another layout: replayed
])
def test_a_forged_snapshot_is_refused_on_load(
    saved: tuple[Path, cf.Complaint], change: Callable[[dict[str, Any]], None], says: str | None
) -> None:
    path, c = saved
    text, _ = _snapshot(path, c.id)
    _put(path, c.id, _resigned(text, change))
    with SQLiteStore(path) as store:
        if says is None:
            assert store.get(c.id) == c
        else:
            with pytest.raises(cf.IntegrityError, match=says):
                store.get(c.id)
        assert store.get("CF-00002").id == "CF-00002"  # the others load as before


def test_a_forged_snapshot_that_fits_its_row_shows_when_the_history_is_read(
    saved: tuple[Path, cf.Complaint],
) -> None:
    """Flags are not a column of the state row: the load takes the snapshot, and the
    forgery is caught by ``verify`` and as soon as the history is read."""
    path, c = saved
    text, _ = _snapshot(path, c.id)
    _put(path, c.id, _resigned(text, lambda b: b.update(flags=["forged"])))
    with SQLiteStore(path) as store:
        loaded = store.get(c.id)
        assert "forged" in loaded.flags
        with pytest.raises(cf.IntegrityError, match="differs from the replay"):
            tuple(loaded.history)
        assert any("snapshot differs from the replay" in p for p in store.verify())


def test_a_snapshot_behind_its_row_folds_the_later_events(
    saved: tuple[Path, cf.Complaint],
) -> None:
    """A writer that did not refresh the snapshot leaves it behind the row: the load folds
    the events after it, and the next save brings it up to date."""
    path, c = saved
    with SQLiteStore(path) as store:
        first = _snapshot(path, c.id)
        wf, _ = workflow(store)
        later = wf.message(c, text="hello?")
        _put(path, c.id, first[0], first[1])
    with SQLiteStore(path) as store:
        assert store.get(c.id) == later
        assert store.verify() == []
    _put(path, c.id, None)  # no snapshot at all: the whole history is replayed
    with SQLiteStore(path) as store:
        assert store.get(c.id) == later
        assert store.get(c.id).history.__class__ is tuple
    conn = sqlite3.connect(path)
    conn.execute("UPDATE cf_complaints SET snapshot_version = NULL")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store:
        assert store.get(c.id) == later
