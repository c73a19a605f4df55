"""Erasing a customer's personal data (PIPL art. 47, GDPR art. 17): ``Workflow.erase``,
the checks a loaded erased history passes (and forged ones fail), and exports without
personal data."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from core_helpers import T0, finding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import OpenAuthorization
from complaintflow.relay import envelope_bytes
from complaintflow.store import MemoryStore, check_erasure, erase_complaint, pseudonym

PHONE = "13912345678"
ADDRESS = "上海市長寧路88號"
TEXT = f"連衣裙第一次冷水手洗就嚴重褪色，請打 {PHONE}，送到 {ADDRESS}"

#: The complaint fields an erasure may change: the personal ones, and the history it
#: scrubs and extends by its ``erased`` event.
PERSONAL = frozenset({"text", "customer", "evidence", "erased", "history", "version"})


def desk(store: cf.store.Store | None = None, **kw: Any) -> tuple[cf.Workflow, cf.FrozenClock]:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=MemoryStore() if store is None else store,
                     authorization=OpenAuthorization(), **kw)
    return wf, clock


def receive(wf: cf.Workflow, customer_id: str = "C-1", text: str = TEXT, **kw: Any
            ) -> cf.Complaint:
    args: dict[str, Any] = {
        "channel": "hotline", "order_id": "O-9", "sku": "DRESS-0420", "batch": "B7",
        "store": "SH-01", "region": "east", "amount": Decimal("399.00"),
        "contact": {"phone": PHONE, "address": ADDRESS},
        "customer": {"segment": "vip", "address": ADDRESS},
    }
    args.update(kw)
    return wf.receive(text, customer_id=customer_id, **args)


def non_personal(c: cf.Complaint) -> dict[str, Any]:
    return {f.name: getattr(c, f.name) for f in attrs.fields(cf.Complaint)
            if f.eq and f.name not in PERSONAL}


def facts(e: cf.Event) -> dict[str, Any]:
    """An event without what an erasure scrubs."""
    return {"seq": e.seq, "name": e.name, "at": e.at, "actor": e.actor,
            "data": {k: v for k, v in e.data.items() if k not in ("personal", "evidence")}}


# -- the command --------------------------------------------------------------------------------

def test_erase_removes_the_personal_data_and_keeps_every_decision() -> None:
    wf, clock = desk()
    c = receive(wf)
    assert c.evidence  # the classifier quoted words of the text
    c = wf.acknowledge(c, actor="agent-7")
    c = wf.investigate(c, actor="agent-7", finding=finding())
    c = wf.message(c, text=f"any news? {PHONE}")
    clock.advance(timedelta(days=3))
    before = wf.tick(c)
    done = wf.erase("C-1", actor="dpo-1", reason="customer request under PIPL art. 47")
    assert done.complaint_ids == (c.id,)
    assert (done.actor, done.at, done.published) == ("dpo-1", clock.now(), True)
    after = wf.store.get(c.id)  # type: ignore[union-attr]
    assert non_personal(after) == non_personal(before)
    assert after.outcomes(clock.now()) == before.outcomes(clock.now())
    assert (after.text, dict(after.customer), after.evidence, after.erased) == (None, {}, (), True)
    assert [facts(e) for e in after.history[:-1]] == [facts(e) for e in before.history]
    erased = after.history[-1]
    assert (erased.name, erased.actor, erased.at) == ("erased", "dpo-1", clock.now())
    assert dict(erased.data) == {"reason": "customer request under PIPL art. 47",
                                 "published": True}
    dump = json.dumps(after.to_dict(), ensure_ascii=False)
    for secret in (PHONE, ADDRESS, "褪色", "vip"):
        assert secret not in dump
    assert cf.Complaint.from_dict(after.to_dict()) == after
    assert cf.Complaint.replay(after.history) == after


def test_erase_brings_the_clocks_up_to_now_first() -> None:
    wf, clock = desk()
    c = receive(wf)
    clock.advance(timedelta(hours=5))  # the acknowledgement deadline passed unrecorded
    wf.erase("C-1", actor="dpo-1", reason="request")
    after = wf.store.get(c.id)  # type: ignore[union-attr]
    assert [e.name for e in after.history] == ["received", "sla_warning", "sla_breached",
                                               "escalated", "erased"]
    assert cf.State.ACKNOWLEDGED in after.breached
    # and the sweep afterwards records nothing twice
    assert wf.tick(after) == after


def test_erase_tells_listeners_what_it_recorded() -> None:
    wf, _ = desk()
    c = receive(wf)
    seen: list[tuple[str, bool]] = []
    wf.subscribe(lambda e, c: seen.append((e.name, c.erased)))
    wf.erase("C-1", actor="dpo-1", reason="request")
    assert seen == [("erased", True)]
    assert c.id in repr(wf.store.get(c.id))  # type: ignore[union-attr]


def test_erase_touches_only_that_customer() -> None:
    wf, _ = desk()
    mine = [receive(wf), receive(wf, order_id="O-10", text="the kettle leaks, 13800000001")]
    other = receive(wf, "C-2", text="my kettle leaks too, call 13700000002",
                    contact={"phone": "13700000002"})
    outbox_before = [i for i in wf.store.pending(100) if i.complaint_id == other.id]  # type: ignore[union-attr]
    assert set(wf.erase("C-1", actor="dpo-1", reason="request").complaint_ids) == {
        c.id for c in mine}
    assert wf.store.get(other.id) == other  # type: ignore[union-attr]
    assert [i for i in wf.store.pending(100) if i.complaint_id == other.id] == outbox_before  # type: ignore[union-attr]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"customer_id": ""}, "customer_id"),
    ({"customer_id": "C 1"}, "customer_id"),
    ({"customer_id": 7}, "customer_id"),
    ({"actor": ""}, "actor"),
    ({"actor": None}, "actor"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"published": "yes"}, "published"),
])
def test_erase_refuses_bad_input_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    wf, _ = desk()
    c = receive(wf)
    args: dict[str, Any] = {"customer_id": "C-1", "actor": "dpo-1", "reason": "request"}
    args.update(kwargs)
    with pytest.raises(cf.ValidationError) as info:
        wf.erase(args.pop("customer_id"), **args)
    assert info.value.field == field
    assert wf.store.get(c.id) == c  # type: ignore[union-attr]


def test_erase_needs_a_store() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0))
    with pytest.raises(cf.ValidationError) as info:
        wf.erase("C-1", actor="dpo-1", reason="request")
    assert info.value.field == "store"


def test_the_authorization_policy_decides_who_may_erase() -> None:
    class OnlyTheOfficer(OpenAuthorization):
        def erasure_refusal(self, customer_id: str, actor: cf.Actor) -> cf.NotAuthorized | None:
            if actor.id != "dpo-1":
                return cf.NotAuthorized(f"{actor.id} may not erase {customer_id}'s data")
            return None

    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=MemoryStore(),
                     authorization=OnlyTheOfficer())
    c = receive(wf)
    with pytest.raises(cf.NotAuthorized, match="agent-7 may not erase"):
        wf.erase("C-1", actor="agent-7", reason="request")
    assert wf.store.get(c.id) == c  # type: ignore[union-attr]
    assert wf.erase("C-1", actor="dpo-1", reason="request").complaint_ids == (c.id,)
    # by default any named actor may (the desk's own tiered rules)
    assert cf.Workflow(store=MemoryStore()).authorization.erasure_refusal(
        "C-1", cf.Actor("agent-7")) is None


# -- loaded histories: erased ones replay, forged ones do not -----------------------------------

def erased_history() -> tuple[cf.Complaint, cf.Complaint]:
    wf, _ = desk()
    c = receive(wf)
    c = wf.acknowledge(c, actor="agent-7")
    c = wf.message(c, text=f"call {PHONE}")
    wf.erase("C-1", actor="dpo-1", reason="request")
    return c, wf.store.get(c.id)  # type: ignore[union-attr]


def rewrite(events: tuple[cf.Event, ...], seq: int, **data: Any) -> list[cf.Event]:
    out = list(events)
    e = out[seq - 1]
    new = {k: v for k, v in e.data.items() if k not in data or data[k] is not None}
    new.update({k: v for k, v in data.items() if v is not None})
    out[seq - 1] = cf.Event(e.seq, e.name, e.at, e.actor, new)
    return out


def test_a_scrubbed_event_must_name_the_erasure_that_scrubbed_it() -> None:
    before, after = erased_history()
    # personal data dropped without an erased event: the erasure must be recorded
    with pytest.raises(cf.ValidationError, match="not an erasure"):
        cf.Complaint.replay(after.history[:-1])
    # a mark naming an event that is no erasure
    with pytest.raises(cf.ValidationError, match="not an erasure"):
        cf.Complaint.replay(rewrite(after.history, 1, personal={"erased": 2}))
    # a mark naming the event itself or an earlier one
    with pytest.raises(cf.ValidationError, match="malformed erasure mark"):
        cf.Complaint.replay(rewrite(after.history, 3, personal={"erased": 2}))
    # a mark that keeps personal data beside it
    with pytest.raises(cf.ValidationError, match="malformed erasure mark"):
        cf.Complaint.replay(rewrite(after.history, 1, personal={"erased": after.version,
                                                               "text": TEXT}))
    # a scrubbed receipt that keeps the evidence quoted from the text
    with pytest.raises(cf.ValidationError, match="keeps its evidence"):
        cf.Complaint.replay(rewrite(after.history, 1, evidence=list(before.evidence)))
    # the round trip of an honest erased history works
    assert cf.Complaint.from_dict(json.loads(json.dumps(after.to_dict()))) == after


def test_an_erased_event_must_really_have_erased() -> None:
    before, after = erased_history()
    n = after.version
    # an erased event after events still holding personal data
    honest_prefix = [*before.history, cf.Event(n, "erased", after.history[-1].at, "dpo-1",
                                               {"reason": "request"})]
    with pytest.raises(cf.ValidationError, match="still holds"):
        cf.Complaint.replay(honest_prefix)
    # an erased event without who did it, without why, or carrying personal data
    for actor, data in ((None, {"reason": "request"}), ("dpo-1", {}),
                        ("dpo-1", {"reason": "request", "personal": {"text": TEXT}})):
        forged = [*after.history[:-1], cf.Event(n, "erased", after.history[-1].at, actor, data)]
        with pytest.raises(cf.ValidationError):
            cf.Complaint.replay(forged)


def test_a_store_refuses_an_erasure_that_changes_more_than_personal_data() -> None:
    wf, clock = desk()
    c = receive(wf)
    erased = erase_complaint(c, at=clock.now(), actor="dpo-1", reason="request", published=True)
    # tampering with a decision while erasing: the severity of the receipt
    tampered = rewrite(erased.history, 1, severity=1 if c.severity != 1 else 2)
    forged = attrs.evolve(cf.Complaint.replay(tampered), committed=c.version)
    with pytest.raises(cf.IntegrityError, match="more than the personal data"):
        check_erasure(c, forged)
    with pytest.raises(cf.IntegrityError):
        wf.store.erase([forged])  # type: ignore[union-attr]
    assert wf.store.get(c.id) == c  # type: ignore[union-attr]
    assert check_erasure(c, erased) == erased.history[c.version:]


# -- the property: an erasure changes nothing but personal data ---------------------------------

_STEPS: dict[str, Any] = {
    "acknowledge": lambda wf, c: wf.acknowledge(c, actor="agent-7"),
    "investigate": lambda wf, c: wf.investigate(c, actor="agent-7", finding=finding()),
    "propose": lambda wf, c: wf.propose(c, actor="agent-7"),
    "decline": lambda wf, c: wf.decline(c, actor="agent-7", reason="too little"),
    "resolve": lambda wf, c: wf.resolve(c, actor="agent-7"),
    "revisit": lambda wf, c: wf.revisit(c, actor="agent-7", satisfaction=2),
    "reopen": lambda wf, c: wf.reopen(c, actor="agent-7", reason="still fading"),
    "archive": lambda wf, c: wf.archive(c, actor="agent-7", summary="dye defect"),
    "escalate": lambda wf, c: wf.escalate(c, actor="agent-7", reason="loud"),
    "await_customer": lambda wf, c: wf.await_customer(c, actor="agent-7", reason="photos"),
    "customer_replied": lambda wf, c: wf.customer_replied(c, actor="agent-7"),
    "message": lambda wf, c: wf.message(c, text=f"any news? {PHONE}"),
    "withdraw": lambda wf, c: wf.withdraw(c, actor="agent-7", reason="sorted out"),
}

steps = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(sorted(_STEPS)),
                           st.integers(0, 40 * 60)), max_size=14)
texts = st.sampled_from([TEXT, "the kettle leaks", "快遞延遲三天還沒到", "店員態度冷漠"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers=st.lists(st.sampled_from(["C-1", "C-2"]), min_size=1, max_size=3),
       texts_=st.lists(texts, min_size=3, max_size=3), plan=steps,
       wait=st.integers(0, 5 * 24 * 60), erase=st.sampled_from(["C-1", "C-2"]))
def test_erase_leaves_every_non_personal_field_equal(
    customers: list[str], texts_: list[str], plan: list[tuple[int, str, int]], wait: int,
    erase: str,
) -> None:
    wf, clock = desk()
    made = [receive(wf, who, text=text) for who, text in zip(customers, texts_, strict=False)]
    for index, step, minutes in plan:
        clock.advance(timedelta(minutes=minutes))
        c = wf.store.get(made[index % len(made)].id)  # type: ignore[union-attr]
        if step in wf.available(c):
            # a refusal (authority, a ladder at its top) changes nothing
            with contextlib.suppress(cf.ComplaintflowError):
                _STEPS[step](wf, c)
    clock.advance(timedelta(minutes=wait))
    now = clock.now()
    before = {c.id: wf.tick(wf.store.get(c.id)) for c in made}  # type: ignore[union-attr]
    done = wf.erase(erase, actor="dpo-1", reason="request")
    assert set(done.complaint_ids) == {c.id for c in before.values() if c.customer_id == erase}
    for cid, b in before.items():
        a = wf.store.get(cid)  # type: ignore[union-attr]
        if b.customer_id != erase:
            assert a == b
            continue
        assert non_personal(a) == non_personal(b)
        assert a.outcomes(now) == b.outcomes(now)
        assert a.next_due == b.next_due
        assert a.version == b.version + 1
        assert [facts(e) for e in a.history[:-1]] == [facts(e) for e in b.history]
        assert PHONE not in json.dumps(a.to_dict(), ensure_ascii=False)
        assert cf.Complaint.from_dict(a.to_dict()) == a


# -- exports and the outbox without personal data -----------------------------------------------

def test_exports_without_personal_data_carry_no_ids_or_quoted_evidence() -> None:
    wf, _ = desk()
    c = receive(wf)
    c = wf.acknowledge(c, actor="agent-7")
    c = wf.investigate(c, actor="agent-7", finding=cf.Finding(
        cause="product_defect", party="supply_chain", evidence=(f"call log {PHONE}",)))
    c = wf.message(c, text=f"any news? {PHONE}")
    export = c.to_dict(personal=False)
    dump = json.dumps(export, ensure_ascii=False)
    for secret in (PHONE, ADDRESS, "C-1", "O-9", *c.evidence):
        assert secret not in dump, secret
    assert export["customer_id"] == pseudonym("C-1")
    assert export["history"][0]["data"]["customer_id"] == pseudonym("C-1")
    keyed = c.to_dict(personal=False, key=b"desk secret")
    assert keyed["customer_id"] == pseudonym("C-1", b"desk secret") != pseudonym("C-1")
    back = cf.Complaint.from_dict(json.loads(dump))
    assert (back.text, back.order_id, back.evidence) == (None, None, ())
    assert back.customer_id == pseudonym("C-1")
    assert (back.state, back.category, back.severity, back.deadlines, back.offers) == (
        c.state, c.category, c.severity, c.deadlines, c.offers)
    assert back.finding is not None
    assert back.finding.evidence == ("withheld",)
    assert cf.Complaint.from_dict(c.to_dict()) == c  # the full export is untouched


def test_pseudonyms_are_stable_keyed_and_distinct() -> None:
    assert pseudonym("C-1") == pseudonym("C-1")
    assert pseudonym("C-1") != pseudonym("C-2")
    assert pseudonym("C-1", b"k1") != pseudonym("C-1", b"k2")
    assert pseudonym("C-1").startswith("p-")
    assert len(pseudonym("C-1")) == 26


def test_the_outbox_without_personal_data_carries_no_ids_or_evidence() -> None:
    store = MemoryStore(include_personal=False, pseudonym_key=b"relay secret")
    wf, _ = desk(store)
    c = receive(wf)
    wf.message(c, text=f"any news? {PHONE}")
    bodies = b"".join(envelope_bytes(i) for i in store.pending(100)).decode()
    for secret in (PHONE, ADDRESS, "C-1", "O-9", *c.evidence):
        assert secret not in bodies, secret
    assert pseudonym("C-1", b"relay secret") in bodies
    # the events themselves keep everything until erased
    assert store.get(c.id).order_id == "O-9"


def test_erase_rewrites_the_outbox_and_keeps_published_payloads_when_asked() -> None:
    for published in (True, False):
        store = MemoryStore()
        wf, _ = desk(store)
        c = receive(wf)
        c = wf.message(c, text=f"any news? {PHONE}")
        store.mark_published([f"{c.id}:1"])
        wf.erase("C-1", actor="dpo-1", reason="request", published=published)
        pending = repr([i.to_dict() for i in store.pending(100)])
        assert PHONE not in pending
        assert [i.id for i in store.pending(100)] == [f"{c.id}:2", f"{c.id}:3"]
        first = store._outbox[f"{c.id}:1"]  # the published payload itself
        assert (PHONE in repr(first.to_dict())) is (not published)
