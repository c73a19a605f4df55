"""A store saves what the workflow decided without checking it twice, and checks the rest.

The workflow notes the events its own deciders made from checked input (``vouch``) and the
complaints it folded from true ones (``attest``); a store folds the first without checking
their data again and saves the second without a refold. These tests hold that shortcut to
the checked path: with the notes ignored, every save of the same commands passes the full
checks and stores the same records; a complaint changed by hand and an integrator's own
decider are still checked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import complaintflow as cf
import complaintflow._events as events_module
from complaintflow import _complaint
from complaintflow.exceptions import IntegrityError
from complaintflow.store import MemoryStore, SQLiteStore
from complaintflow.store import _base as store_base

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
FINDING = cf.Finding(cause="product_defect", party="supply_chain", evidence=("order trail",))
AGENT = cf.Actor("agent-7")
HEAD = cf.Actor("head-1", tier=cf.Tier.REGIONAL_HEAD)


def _long_life(store: object) -> list[cf.Complaint]:
    """Most commands, a pause, a breach with its escalation, two offers and a reopening."""
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=store)  # type: ignore[arg-type]
    out = []
    for n in range(3):
        c = wf.receive("連衣裙褪色，門店拒絕退換", customer_id=f"C-{n}", channel="hotline",
                       order_id=f"O-{n}", sku=f"DRESS-{n}",
                       amount=cf.Money(Decimal("399.00")), complaint_id=f"CF-{n}")
        clock.advance(minutes=20)
        c = wf.acknowledge(c, actor=AGENT)
        c = wf.await_customer(c, actor=AGENT, reason="photos")
        clock.advance(hours=3)
        c = wf.message(c, text="here they are")
        c = wf.investigate(c, actor=AGENT, finding=FINDING)
        c = wf.propose(c, actor=AGENT)
        c = wf.decline(c, actor=AGENT, reason="too little")
        clock.advance(days=9)  # the proposal deadline passes: breach, escalation
        c = wf.tick(c)
        c = wf.take_over(c, actor=HEAD, reason="escalated")
        c = wf.propose(c, actor=HEAD, offer=cf.Offer(
            "refund", goodwill=cf.Money(Decimal("20.50")),
            remedy_value=cf.Money(Decimal("399.00"))))
        c = wf.resolve(c, actor=HEAD)
        c = wf.revisit(c, actor=HEAD, satisfaction=2)
        c = wf.reopen(c, actor=HEAD, reason="the dye ran again")
        c = wf.escalate(c, actor=HEAD, reason="a second look")
        out.append(c)
    return out


def _records(store: MemoryStore) -> tuple[list[dict[str, object]], list[object]]:
    complaints = [dict(vars(c)) for c in store.all()]
    return complaints, [i.to_dict() for i in store.pending(10_000)]


def test_trusted_saves_store_what_checked_saves_store(monkeypatch: pytest.MonkeyPatch) -> None:
    trusted = MemoryStore()
    made = _long_life(trusted)
    assert all(c.state is cf.State.INVESTIGATED for c in made)
    with monkeypatch.context() as m:
        m.setattr(store_base, "vouched", lambda event: False)
        m.setattr(store_base, "attested", lambda complaint: False)
        checked = MemoryStore()
        _long_life(checked)  # every save refolds and checks: none is refused
    assert _records(trusted) == _records(checked)


def test_forgetful_notes_fall_back_to_the_checks(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(events_module, "_VOUCHED_MAX", 1)
    monkeypatch.setattr(_complaint, "_ATTESTED_MAX", 1)
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        made = _long_life(store)
        assert [store.get(c.id) for c in made] == made
        assert store.verify() == []


def _stored_and_forged() -> tuple[cf.Workflow, MemoryStore, cf.Complaint]:
    store = MemoryStore()
    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=store)
    c = wf.receive("the kettle leaks", customer_id="C-1", channel="hotline",
                   complaint_id="CF-1")
    return wf, store, c


def test_a_complaint_changed_by_hand_is_still_refolded() -> None:
    wf, store, c = _stored_and_forged()
    forged = attrs.evolve(c, tier=cf.Tier.EXECUTIVE)
    with pytest.raises(IntegrityError, match="tier"):
        wf.acknowledge(forged, actor=AGENT)
    assert store.get("CF-1") == c


def test_an_integrators_decider_is_still_checked() -> None:
    def blank_summary(wf: object, c: cf.Complaint, actor: object, now: datetime,
                      args: object) -> list[tuple[str, dict[str, str]]]:
        return [("archived", {"summary": "   "})]

    own = cf.Command("archive", [cf.State.REVISITED], cf.State.ARCHIVED, "archived",
                     blank_summary)
    store = MemoryStore()
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=store, commands=[own])
    c = wf.receive("the kettle leaks", customer_id="C-1", channel="hotline",
                   complaint_id="CF-1")
    for step in ("acknowledge", "investigate", "propose", "resolve", "revisit"):
        clock.advance(minutes=5)
        kwargs: dict[str, object] = {"finding": FINDING} if step == "investigate" else {}
        if step == "revisit":
            kwargs = {"satisfaction": 5}
        c = wf.fire(c, step, actor=AGENT, **kwargs)
    with pytest.raises(IntegrityError, match="summary"):
        wf.fire(c, "archive", actor=AGENT)
    assert store.get("CF-1").state is cf.State.REVISITED
