"""The idempotent consumer: each event id handled once, whatever the seen-set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workload import fill

from complaintflow.relay import (
    IdempotentConsumer,
    MemorySeenSet,
    SeenSet,
    SQLSeenSet,
    envelope,
    envelope_bytes,
)
from complaintflow.store import MemoryStore, OutboxItem

_STORE = MemoryStore()
fill(_STORE, 3)
ITEMS = list(_STORE.pending(100))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def seen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SeenSet]:
    if request.param == "memory":
        yield MemorySeenSet()
        return
    if request.param == "sqlite":
        s = SQLSeenSet(f"sqlite:///{tmp_path / 'seen.db'}")
        yield s
        s.close()
        return
    url = os.environ.get("COMPLAINTFLOW_TEST_POSTGRES") or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        if os.environ.get("CI", "").lower() == "true" else None)
    if url is None:
        pytest.skip("PostgreSQL tests are off; enable them with COMPLAINTFLOW_TEST_POSTGRES=...")
    table = f"cf_seen_{uuid.uuid4().hex[:10]}"
    s = SQLSeenSet(url, table=table)
    try:
        yield s
    finally:
        s.table.drop(s.engine)
        s.close()


def test_each_id_is_handled_once_in_any_delivery_form(seen: SeenSet) -> None:
    handled: list[str] = []
    consume = IdempotentConsumer(lambda i: handled.append(i.id), seen)
    for item in ITEMS:
        for form in (envelope_bytes(item), envelope(item), envelope_bytes(item).decode(), item):
            consume(form)
    assert handled == [i.id for i in ITEMS]


def test_a_failed_handler_leaves_the_id_for_the_redelivery(seen: SeenSet) -> None:
    calls: list[str] = []

    def handler(item: OutboxItem) -> None:
        calls.append(item.id)
        if len(calls) == 1:
            raise RuntimeError("the warehouse is down")

    consume = IdempotentConsumer(handler, seen)
    with pytest.raises(RuntimeError):
        consume(envelope_bytes(ITEMS[0]))
    assert consume(envelope_bytes(ITEMS[0])) is True
    assert consume(envelope_bytes(ITEMS[0])) is False
    assert calls == [ITEMS[0].id, ITEMS[0].id]


def test_two_consumers_sharing_a_table_handle_an_id_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a, b = SQLSeenSet(url), SQLSeenSet(url)
    try:
        handled: list[str] = []
        first = IdempotentConsumer(lambda i: handled.append(i.id), a)
        second = IdempotentConsumer(lambda i: handled.append(i.id), b)
        for item in ITEMS:
            first(item)
            second(item)
        assert handled == [i.id for i in ITEMS]
        assert ITEMS[0].id in a and ITEMS[0].id in b
    finally:
        a.close()
        b.close()


@given(st.lists(st.sampled_from(ITEMS), max_size=40))
def test_any_redelivery_pattern_handles_the_distinct_ids_in_first_arrival_order(
        deliveries: list[OutboxItem]) -> None:
    handled: list[str] = []
    consume = IdempotentConsumer(lambda i: handled.append(i.id))
    results = [consume(i) for i in deliveries]
    assert handled == list(dict.fromkeys(i.id for i in deliveries))
    assert results.count(True) == len(handled)


def test_once_commits_the_id_with_the_handlers_writes(tmp_path: Path) -> None:
    import sqlalchemy as sa

    seen = SQLSeenSet(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with seen.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE tally (event_id TEXT UNIQUE)"))

        def write(event_id: str) -> Callable[[Any], None]:
            return lambda conn: conn.execute(
                sa.text("INSERT INTO tally VALUES (:e)"), {"e": event_id})

        def crash(conn: Any) -> None:
            write(ITEMS[1].id)(conn)
            raise RuntimeError("the process dies here")

        assert seen.once(ITEMS[0].id, write(ITEMS[0].id)) is True
        assert seen.once(ITEMS[0].id, write(ITEMS[0].id)) is False  # a repeat: not run
        with pytest.raises(RuntimeError):
            seen.once(ITEMS[1].id, crash)
        assert ITEMS[1].id not in seen  # neither the id nor the write survived
        assert seen.once(ITEMS[1].id, write(ITEMS[1].id)) is True
        with pytest.raises(sa.exc.IntegrityError):  # the handler's own conflict is its own
            seen.once(ITEMS[2].id, write(ITEMS[0].id))
        assert ITEMS[2].id not in seen
        with seen.engine.connect() as conn:
            rows = [r[0] for r in conn.execute(sa.text("SELECT event_id FROM tally"))]
        assert sorted(rows) == sorted([ITEMS[0].id, ITEMS[1].id])
    finally:
        seen.close()
