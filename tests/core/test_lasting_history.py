"""Lasting history: stored rows written by today's schema still load after an event type's
layout changes, through the upcasters; decision events record the policy that made them.

``histories_v1.json`` holds the rows of an SQLite store (both tables) written once by the
code of this test's ``_write`` and committed; ``COMPLAINTFLOW_REGENERATE_FIXTURES=1``
writes it again (only ever needed if today's layouts were wrong: a committed history is
the point of the test).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf
from complaintflow._complaint import _SPECS
from complaintflow._events import _CURRENT, _UPCASTERS, upcast
from complaintflow.store import SQLiteStore

FIXTURE = Path(__file__).with_name("histories_v1.json")
T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
F = cf.Finding("product_defect", "supply_chain", ("order trail", "lab report"))
A = "agent-7"
BOSS = cf.Actor("exec-1", cf.Tier.EXECUTIVE)
TABLES = ("cf_complaints", "cf_events")


def _write(path: Path) -> None:
    """Today's histories: the main road with a reopening, a merge, a case related to it by
    its order, a wait and a breach, a withdrawal archived and a follow-up linked to it, a
    rejection."""
    clock = cf.FrozenClock(T0)
    ids = iter(f"CF-FIXTURE-{n}" for n in range(1, 20))
    store = SQLiteStore(path)
    wf = cf.Workflow(clock=clock, store=store, ids=ids.__next__)
    dress = wf.receive("連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換", customer_id="C-1001",
                       channel="hotline", order_id="O-9", sku="DRESS-0420", batch="B7",
                       store="SH-01", region="east", amount=cf.Money("399.00"))
    wf.receive("裙子褪色，热线没人回", customer_id="C-1001", channel="wechat", order_id="O-9")
    dress = wf.acknowledge(store.get(dress.id), actor=A)
    dress = wf.investigate(dress, actor=A, finding=F)
    dress = wf.propose(dress, actor=A)
    dress = wf.decline(dress, actor=A, reason="wants a refund")
    dress = wf.propose(dress, actor=A)
    clock.advance(hours=3)
    dress = wf.resolve(dress, actor=A)
    clock.advance(hours=20)
    dress = wf.revisit(dress, actor=A, satisfaction=2)
    dress = wf.reopen(dress, actor=A, reason="the refund never arrived")
    dress = wf.propose(dress, actor=A)
    dress = wf.resolve(dress, actor=A)
    dress = wf.revisit(dress, actor=A, satisfaction=5)
    wf.archive(dress, actor=A, summary="dye defect in batch B7")
    wf.receive("the belt of the same dress broke", customer_id="C-1001", channel="app",
               order_id="O-9")  # related: the archived case on order O-9

    parcel = wf.receive("the parcel is late, no tracking", customer_id="C-2002", channel="app",
                        order_id="O-77", customer={"segment": "vip", "language": "en"})
    parcel = wf.acknowledge(parcel, actor="agent-3")
    parcel = wf.await_customer(parcel, actor="agent-3", reason="asked for the address")
    clock.advance(hours=5)
    parcel = wf.message(parcel, text="12 Bund Road", channel="email")
    clock.advance(hours=30)  # the investigation deadline passes: breach, escalation
    parcel = wf.tick(parcel)
    parcel = wf.withdraw(parcel, actor=BOSS, reason="the parcel arrived")
    parcel = wf.archive(parcel, actor=BOSS)
    clock.advance(days=3)
    wf.receive("late again, same order", customer_id="C-2002", channel="app", order_id="O-77",
               follow_up_of=parcel.id)

    scam = wf.receive("I want a refund for shoes I bought elsewhere", customer_id="C-3003",
                      channel="in_store")
    wf.reject(scam, actor=BOSS, reason="no purchase on record", evidence=["no order found"])
    store.close()


def _dump(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    out: dict[str, Any] = {"written_by": cf.__version__}
    for table in TABLES:
        out[table] = [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]
    conn.close()
    with SQLiteStore(path) as store:
        out["expect"] = {row["id"]: _fields(store.get(row["id"]))
                         for row in out["cf_complaints"]}
    return out


def _fields(c: cf.Complaint) -> dict[str, Any]:
    """What a reader sees of a complaint (its ``to_dict`` without the history), plus the
    folded fields that are not in it."""
    data = {k: v for k, v in c.to_dict().items() if k != "history"}
    data.update(owner=c.owner, reopens=c.reopens, satisfaction=c.satisfaction,
                follow_up_of=c.follow_up_of, follow_ups=list(c.follow_ups),
                merged_ids=list(c.merged_ids), related=list(c.related), text=c.text,
                held=c.held.total_seconds(), summary=c.summary)
    plain: dict[str, Any] = json.loads(json.dumps(data))
    return plain


def _rows() -> dict[str, Any]:
    if os.environ.get("COMPLAINTFLOW_REGENERATE_FIXTURES") == "1":  # pragma: no cover
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "today.sqlite"
            _write(path)
            FIXTURE.write_text(json.dumps(_dump(path), ensure_ascii=False, indent=1) + "\n",
                               encoding="utf-8")
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return loaded


def _restore(rows: dict[str, Any], path: Path) -> None:
    """An SQLite store of today's layout holding exactly the committed rows."""
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    with conn:
        for table in TABLES:
            for row in rows[table]:
                cols = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))
    conn.close()


def _as_dicts(rows: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each stored history as the dict ``Complaint.from_dict`` reads (no ``schema`` key:
    the oldest layout)."""
    out: dict[str, dict[str, Any]] = {}
    for e in rows["cf_events"]:
        out.setdefault(e["complaint_id"], {"history": []})["history"].append(
            {"seq": e["seq"], "name": e["name"], "v": e["v"], "at": e["at"],
             "actor": e["actor"], "data": json.loads(e["data"])})
    return out


@pytest.fixture(scope="module")
def rows() -> dict[str, Any]:
    return _rows()


def test_the_fixture_is_todays_layout(rows: dict[str, Any]) -> None:
    names = {e["name"] for e in rows["cf_events"]}
    assert {"received", "merged", "acknowledged", "declined", "reopened", "paused", "resumed",
            "message", "sla_breached", "escalated", "withdrawn", "archived", "followed_up",
            "rejected"} <= names
    assert {e["v"] for e in rows["cf_events"]} == {1}
    assert len(rows["expect"]) == 5
    assert rows["expect"]["CF-FIXTURE-3"]["related"] == ["CF-FIXTURE-1"]
    assert rows["expect"]["CF-FIXTURE-5"]["follow_up_of"] == "CF-FIXTURE-4"


def test_todays_rows_load_unchanged(rows: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _restore(rows, path)
    with SQLiteStore(path) as store:
        for cid, expected in rows["expect"].items():
            assert _fields(store.get(cid)) == expected, cid
    for cid, data in _as_dicts(rows).items():
        assert _fields(cf.Complaint.from_dict(data)) == rows["expect"][cid], cid


@pytest.fixture
def acknowledged_v2() -> Iterator[None]:
    """A later complaintflow renames ``acknowledged``'s ``promise`` to ``promised_by``:
    layout 2, an upcaster from layout 1, and a fold that reads layout 2 only."""
    spec = _SPECS["acknowledged"]
    old_fold = spec.fold

    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        data["promised_by"] = data.pop("promise")
        return data

    def fold_v2(c: cf.Complaint, e: cf.Event, check: bool) -> dict[str, Any]:
        if "promise" in e.data or "promised_by" not in e.data:
            raise cf.ValidationError("promised_by", "missing (a layout 1 event was not upcast)")
        return old_fold(c, cf.Event(e.seq, e.name, e.at, e.actor, {
            **{k: v for k, v in e.data.items() if k != "promised_by"},
            "promise": e.data["promised_by"]}, v=1), check)

    cf.register_upcaster("acknowledged", 1)(v1_to_v2)
    cf.register_fold("acknowledged", fold_v2)
    try:
        yield
    finally:
        cf.register_fold("acknowledged", old_fold)
        _UPCASTERS.pop(("acknowledged", 1), None)
        _CURRENT.pop("acknowledged", None)


@pytest.mark.usefixtures("acknowledged_v2")
def test_old_rows_are_read_through_the_upcaster(rows: dict[str, Any], tmp_path: Path) -> None:
    assert cf.Event.current_version("acknowledged") == 2
    promises = {e["complaint_id"]: json.loads(e["data"])["promise"]
                for e in rows["cf_events"] if e["name"] == "acknowledged"}
    path = tmp_path / "old.sqlite"
    _restore(rows, path)
    with SQLiteStore(path) as store:
        for cid, expected in rows["expect"].items():
            c = store.get(cid)
            assert _fields(c) == expected, cid
            for e in c.history:
                if e.name == "acknowledged":
                    assert e.v == 2 and e.data["promised_by"] == promises[cid]
                    assert "promise" not in e.data
                else:
                    assert e.v == 1
            # what is read today writes today's layout, and reads back without upcasting
            again = json.loads(json.dumps(c.to_dict()))
            assert cf.Complaint.from_dict(again) == c
    for cid, data in _as_dicts(rows).items():
        c = cf.Complaint.from_dict(data)
        assert _fields(c) == rows["expect"][cid], cid
    # a new event of the type is written in layout 2
    assert cf.Event(1, "acknowledged", T0, "a", {"promised_by": T0.isoformat()}).v == 2


@pytest.mark.usefixtures("acknowledged_v2")
def test_a_layout_newer_than_today_or_without_upcaster_is_refused(rows: dict[str, Any]) -> None:
    first = next(e for e in rows["cf_events"] if e["name"] == "acknowledged")
    event = {"seq": first["seq"], "name": "acknowledged", "at": first["at"],
             "actor": first["actor"], "data": json.loads(first["data"])}
    with pytest.raises(cf.ValidationError, match="newer than this complaintflow reads") as info:
        cf.Event.from_dict({**event, "v": 3})
    assert info.value.field == "event.v"
    with pytest.raises(cf.ValidationError, match="no upcaster reads") as info:
        cf.Event.from_dict({**event, "v": 0})
    assert info.value.field == "event.v"
    for bad in (-1, "1", True, None):
        with pytest.raises(cf.ValidationError, match="layout version"):
            cf.Event.from_dict({**event, "v": bad})


def test_without_the_upcaster_layout_two_is_unknown(rows: dict[str, Any]) -> None:
    assert cf.Event.current_version("acknowledged") == 1
    first = next(e for e in rows["cf_events"] if e["name"] == "acknowledged")
    with pytest.raises(cf.ValidationError, match="newer"):
        cf.Event.from_dict({"seq": 2, "name": "acknowledged", "v": 2, "at": first["at"],
                            "data": {}})


def test_an_upcaster_that_returns_no_mapping_is_refused() -> None:
    cf.register_upcaster("note_taken_test", 1)(lambda data: None)  # type: ignore[arg-type,return-value]
    try:
        with pytest.raises(cf.ValidationError, match="not a mapping"):
            upcast("note_taken_test", 1, {"a": 1})
    finally:
        _UPCASTERS.pop(("note_taken_test", 1), None)
        _CURRENT.pop("note_taken_test", None)
    with pytest.raises(cf.ValidationError, match="layout version"):
        cf.register_upcaster("acknowledged", -1)


# -- which policy made each decision ----------------------------------------------------------

def test_decision_events_record_the_policy_and_its_version(rows: dict[str, Any]) -> None:
    """The committed rows name the policies that decided; today's workflow writes the
    same names, with its policies' versions."""
    wf = cf.Workflow()
    expected = {
        "received": ("classifier", "escalation", "scope", "risk", "duplicates"),
        "merged": ("duplicates",), "proposed": ("compensation",), "resolved": ("escalation",),
        "reopened": ("escalation",), "paused": ("escalation",), "resumed": ("escalation",),
        "withdrawn": ("authorization",), "archived": ("authorization",),
        "rejected": ("authorization",),
    }
    seen: set[str] = set()
    for row in rows["cf_events"]:
        data = json.loads(row["data"])
        name = row["name"]
        if name == "escalated" and "stage" in data:  # a breach's escalation
            assert data["policy"] == {"escalation": "TieredEscalation", "escalation_v": "3"}
            seen.add("escalated")
        if name not in expected:
            continue
        seen.add(name)
        stamp = data["policy"]
        for role in expected[name]:
            policy = getattr(wf, role)
            assert stamp[role] == type(policy).__name__, (name, role)
            assert stamp[f"{role}_v"] == str(policy.version), (name, role)
    assert seen == {*expected, "escalated"}


def test_a_subclass_is_recorded_by_its_own_name_and_version() -> None:
    from complaintflow.policies import TieredEscalation

    class SlowerFollowUp(TieredEscalation):
        version = "7-slow"

    wf = cf.Workflow(clock=cf.FrozenClock(T0), escalation=SlowerFollowUp(follow_up_hours=48))
    c = wf.receive("the kettle leaks", customer_id="C-1", channel="app")
    assert c.history[0].data["policy"]["escalation"] == "SlowerFollowUp"
    assert c.history[0].data["policy"]["escalation_v"] == "7-slow"
    c = wf.acknowledge(c, actor=A)
    assert c.history[-1].data["policy"] == {"escalation": "SlowerFollowUp",
                                            "escalation_v": "7-slow"}
    # a promise the agent gives is their own word: no policy is recorded for it
    c2 = wf.receive("the kettle leaks too", customer_id="C-2", channel="app")
    c2 = wf.acknowledge(c2, actor=A, promise=datetime(2026, 6, 19, tzinfo=UTC))
    assert "policy" not in c2.history[-1].data
