"""Erasure on the durable stores, checked on the bytes: after ``Workflow.erase`` no byte
of the SQLite database file or its WAL, and no column of any PostgreSQL table cast to
text, holds the erased complaint text, phone number or address; report figures, replays
and the other customer's data are as before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.policies import OpenAuthorization
from complaintflow.reports import build_report
from complaintflow.store import SQLiteStore, Store

from ._helpers import T0

PHONE = "13912345678"
ADDRESS = "上海市長寧路88號"
TEXT = f"連衣裙第一次冷水手洗就嚴重褪色，請打 {PHONE}，送到 {ADDRESS}"
MESSAGE = f"any news? please call {PHONE}"
OTHER_PHONE = "13700000002"
#: What must be gone after the erasure (the classifier's evidence is quoted from TEXT).
SECRETS = (PHONE, ADDRESS, "嚴重褪色")


def lifecycle(store: Store) -> tuple[cf.Workflow, cf.FrozenClock, list[str], str]:
    """Customer C-1's three complaints in different states (one closed, one breached,
    one merged from a second channel) and customer C-2's one."""
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=store, authorization=OpenAuthorization())
    args: dict[str, Any] = {"channel": "hotline", "sku": "DRESS-0420", "batch": "B7",
                            "store": "SH-01", "region": "east", "amount": Decimal("399.00"),
                            "contact": {"phone": PHONE, "address": ADDRESS},
                            "customer": {"segment": "vip", "address": ADDRESS}}
    a = wf.receive(TEXT, customer_id="C-1", order_id="O-1", **args)
    a = wf.acknowledge(a, actor="agent-7")
    a = wf.investigate(a, actor="agent-7", finding=cf.Finding(
        cause="product_defect", party="supply_chain", evidence=("order trail", "lab report")))
    a = wf.propose(a, actor="agent-7")
    a = wf.resolve(a, actor="agent-7")
    a = wf.revisit(a, actor="agent-7", satisfaction=4)
    b = wf.receive(TEXT, customer_id="C-1", order_id="O-2", **args)
    b = wf.message(b, text=MESSAGE)
    wf.receive(TEXT, customer_id="C-1", order_id="O-2", **{**args, "channel": "wechat"})
    c = wf.receive(f"店員態度冷漠 {PHONE}", customer_id="C-1", channel="app")
    other = wf.receive(f"the kettle leaks, call {OTHER_PHONE}", customer_id="C-2",
                       channel="hotline", contact={"phone": OTHER_PHONE}, region="west")
    store.mark_published([f"{a.id}:1", f"{b.id}:1"])  # already published
    clock.advance(timedelta(hours=30))
    for cid in (a.id, b.id, c.id, other.id):
        wf.tick(store.get(cid))
    return wf, clock, [a.id, b.id, c.id], other.id


def snapshot(store: Store, ids: list[str]) -> dict[str, Any]:
    out = {}
    for cid in ids:
        c = store.get(cid)
        out[cid] = (c.state, c.category, c.severity, c.scope, c.tier, dict(c.deadlines),
                    c.completed, c.breached, c.warned, c.offers, c.satisfaction, c.outcomes(),
                    c.customer_id, c.order_id, c.amount, c.channels, c.merged_ids)
    return out


def report_figures(db: str) -> Any:
    return build_report(db, since=T0 - timedelta(days=1), until=T0 + timedelta(days=30))


# -- SQLite: the file's bytes --------------------------------------------------------------------

def database_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
                    if p.exists())


def test_sqlite_erasure_leaves_no_byte_of_the_personal_data(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    with SQLiteStore(path) as store:
        wf, _, mine, other = lifecycle(store)
        raw = database_bytes(path)
        for secret in (*SECRETS, OTHER_PHONE):  # the search finds what is there
            assert secret.encode() in raw, secret
        figures = report_figures(str(path))
        before = snapshot(store, [*mine, other])
        done = wf.erase("C-1", actor="dpo-1", reason="customer request (PIPL art. 47)")
        assert sorted(done.complaint_ids) == sorted(mine)
        raw = database_bytes(path)  # the store is still open: its WAL is there too
        for secret in SECRETS:
            assert secret.encode() not in raw, secret
        assert OTHER_PHONE.encode() in raw
        after = snapshot(store, [*mine, other])
        assert after == before
        assert report_figures(str(path)) == figures
        assert store.verify() == []
        assert store.get(other).text == f"the kettle leaks, call {OTHER_PHONE}"
    with SQLiteStore(path) as again:  # and reopened, it replays
        assert snapshot(again, [*mine, other]) == before
        assert all(again.get(cid).erased for cid in mine)


def test_sqlite_keeps_published_payloads_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    with SQLiteStore(path) as store:
        wf, _, mine, _ = lifecycle(store)
        wf.erase("C-1", actor="dpo-1", reason="request", published=False)
        # the events and the pending outbox are clean; the published payloads are as sent
        assert all(store.get(cid).text is None for cid in mine)
        pending = repr([i.to_dict() for i in store.pending(1000)])
        assert PHONE not in pending
        rows = store._conn.execute(
            "SELECT event_id FROM cf_outbox WHERE payload LIKE ?", (f"%{PHONE}%",)).fetchall()
        assert sorted(r[0] for r in rows) == sorted([f"{mine[0]}:1", f"{mine[1]}:1"])
        assert not store._conn.execute(
            "SELECT 1 FROM cf_events WHERE data LIKE ?", (f"%{PHONE}%",)).fetchall()
        # the erasure is recorded as keeping them
        assert all(store.get(cid).history[-1].data["published"] is False for cid in mine)


# -- PostgreSQL: every column of every table, cast to text -------------------------------------

@pytest.fixture
def pg_store(pg_url: str, pg_schema: str) -> Iterator[Any]:
    from complaintflow.store import SQLStore

    with SQLStore(pg_url, schema=pg_schema, prefix=f"e{uuid.uuid4().hex[:6]}_") as store:
        yield store


def pg_matches(store: Any, text: str) -> dict[str, int]:
    """How many rows of each of the store's tables hold ``text`` anywhere (a row cast to
    text shows every column)."""
    import sqlalchemy as sa

    out = {}
    with store.engine.connect() as conn:
        for table in store.tables.all:
            name = f'"{table.schema}"."{table.name}"'
            out[table.name] = conn.execute(
                sa.text(f"SELECT count(*) FROM {name} AS t WHERE t::text LIKE :p"),
                {"p": f"%{text}%"}).scalar_one()
    return out


@pytest.mark.services
def test_postgres_erasure_leaves_no_column_holding_the_personal_data(pg_store: Any) -> None:
    wf, _, mine, other = lifecycle(pg_store)
    for secret in SECRETS:
        assert sum(pg_matches(pg_store, secret).values()) > 0, secret
    before = snapshot(pg_store, [*mine, other])
    done = wf.erase("C-1", actor="dpo-1", reason="customer request (GDPR art. 17)")
    assert sorted(done.complaint_ids) == sorted(mine)
    for secret in SECRETS:
        assert sum(pg_matches(pg_store, secret).values()) == 0, (secret, pg_matches(pg_store, secret))
    assert sum(pg_matches(pg_store, OTHER_PHONE).values()) > 0
    assert snapshot(pg_store, [*mine, other]) == before
    assert pg_store.verify() == []
