"""Every edge of the lifecycle and every refusal, with its message."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from core_helpers import T0, finding, new, to_state

import complaintflow as cf
from complaintflow._engine import EDGES

S = cf.State

# (command, kwargs) that are valid input for each command
ARGS: dict[str, dict[str, object]] = {
    "acknowledge": {},
    "investigate": {"finding": finding()},
    "propose": {},
    "decline": {"reason": "too little"},
    "resolve": {},
    "revisit": {"satisfaction": 4},
    "reopen": {"reason": "still fading"},
    "archive": {"summary": "lesson"},
    "withdraw": {"reason": "bought elsewhere"},
    "reject": {"reason": "abusive", "evidence": ["call recording"]},
    "escalate": {"reason": "media"},
}
STATE_CHANGING = {k: v for k, v in EDGES.items() if v[1] is not None}


def test_contract_happy_path() -> None:
    wf, c, _ = new()
    assert c.state is S.RECEIVED
    c = wf.acknowledge(c, actor="agent-7")
    c = wf.investigate(c, actor="agent-7", finding=finding())
    c = wf.propose(c, actor="agent-7")
    c = wf.resolve(c, actor="agent-7")
    c = wf.revisit(c, actor="agent-7", satisfaction=5)
    c = wf.archive(c, actor="agent-7", summary="dye defect in batch B7")
    assert c.state is S.ARCHIVED
    assert [e.name for e in c.history] == [
        "received", "acknowledged", "investigated", "proposed", "resolved", "revisited",
        "archived",
    ]
    assert [e.seq for e in c.history] == list(range(1, 8))
    assert c.version == len(c.history) == 7
    assert c.summary == "dye defect in batch B7"
    assert c.satisfaction == 5


@pytest.mark.parametrize(("command", "source"), [
    (cmd, src) for cmd, (sources, _dest) in STATE_CHANGING.items() for src in sources
    if cmd in ARGS
])
def test_every_edge(command: str, source: cf.State) -> None:
    wf, c, _ = new()
    c = to_state(wf, c, source)
    if source is S.REVISITED and command == "reopen":
        pass
    after = wf.fire(c, command, actor="agent-7", **ARGS[command])
    assert after.state is EDGES[command][1]
    assert after.version > c.version
    assert after.history[: c.version] == c.history


@pytest.mark.parametrize(("command", "state"), [
    (cmd, st) for cmd, (sources, _dest) in EDGES.items() if cmd in ARGS
    for st in S if st not in sources
])
def test_every_refusal_names_state_and_command(command: str, state: cf.State) -> None:
    wf, c, _ = new()
    c = to_state(wf, c, state)
    with pytest.raises(cf.InvalidTransition) as info:
        wf.fire(c, command, actor="agent-7", **ARGS[command])
    assert command in str(info.value)
    assert state.value in str(info.value)


def test_archived_is_terminal() -> None:
    wf, c, clock = new()
    c = to_state(wf, c, S.ARCHIVED)
    for command, args in ARGS.items():
        with pytest.raises(cf.InvalidTransition):
            wf.fire(c, command, actor="agent-7", **args)
    clock.advance(days=30)
    assert wf.tick(c) == c
    assert wf.available(c) == ()


def test_decline_steps_up_the_ladder() -> None:
    wf, c, _ = new()
    c = to_state(wf, c, S.PROPOSED)
    first = c.offer
    c = wf.decline(c, actor="agent-7", reason="not enough")
    assert c.state is S.INVESTIGATED and c.declines == 1
    c = wf.propose(c, actor="agent-7")
    assert c.offer != first
    assert len(c.offers) == 2


def test_reopen_replans_and_second_reopen_raises_tier() -> None:
    wf, c, clock = new()
    c = to_state(wf, c, S.REVISITED)
    clock.advance(hours=30)
    c = wf.reopen(c, actor="agent-7", reason="colour still runs")
    assert c.state is S.INVESTIGATED and c.reopens == 1
    assert S.PROPOSED not in c.completed
    assert c.deadlines[S.PROPOSED] > clock.now()
    tier = c.tier
    c = wf.propose(c, actor="agent-7")
    c = wf.resolve(c, actor="agent-7")
    c = wf.revisit(c, actor="agent-7", satisfaction=1)
    c = wf.reopen(c, actor="agent-7", reason="again")
    assert c.tier > tier
    assert c.history[-1].name == "escalated"


@pytest.mark.parametrize(("command", "kwargs", "field"), [
    ("investigate", {"finding": "it broke"}, "finding"),
    ("revisit", {"satisfaction": 6}, "satisfaction"),
    ("revisit", {"satisfaction": 0}, "satisfaction"),
    ("revisit", {"satisfaction": True}, "satisfaction"),
    ("decline", {"reason": ""}, "reason"),
    ("withdraw", {"reason": "   "}, "reason"),
    ("reject", {"reason": None}, "reason"),
    ("reopen", {"reason": ""}, "reason"),
    ("escalate", {"reason": ""}, "reason"),
    ("propose", {"offer": "refund"}, "offer"),
])
def test_bad_input_names_the_field_and_changes_nothing(command: str, kwargs: dict[str, object],
                                                      field: str) -> None:
    wf, c, _ = new()
    state = {
        "investigate": S.ACKNOWLEDGED, "revisit": S.RESOLVED, "decline": S.PROPOSED,
        "withdraw": S.RECEIVED, "reject": S.RECEIVED, "reopen": S.REVISITED,
        "escalate": S.RECEIVED, "propose": S.INVESTIGATED,
    }[command]
    c = to_state(wf, c, state)
    seen: list[str] = []
    wf.subscribe(lambda e, _c: seen.append(e.name))
    with pytest.raises(cf.ValidationError) as info:
        wf.fire(c, command, actor="agent-7", **kwargs)
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)
    assert seen == []


@pytest.mark.parametrize(("field", "kwargs"), [
    ("text", {"text": ""}),
    ("text", {"text": "   "}),
    ("customer_id", {"customer_id": ""}),
    ("channel", {"channel": "carrier-pigeon"}),
    ("amount", {"amount": -1}),
    ("amount", {"amount": 3.5}),
    ("at", {"at": T0.replace(tzinfo=None)}),
    ("sku", {"sku": ""}),
])
def test_receive_refuses_bad_input(field: str, kwargs: dict[str, object]) -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    args: dict[str, object] = {"text": "broken", "customer_id": "C-1", "channel": "hotline"}
    args.update(kwargs)
    text = args.pop("text")
    with pytest.raises(cf.ValidationError) as info:
        wf.receive(text, **args)  # type: ignore[arg-type]
    assert field in str(info.value)


def test_unknown_command_and_bad_actor() -> None:
    wf, c, _ = new()
    with pytest.raises(cf.UnknownCommand, match="teleport") as refused:
        wf.fire(c, "teleport", actor="a")
    assert isinstance(refused.value, cf.ValidationError)
    assert not isinstance(refused.value, cf.InvalidTransition)
    with pytest.raises(cf.ValidationError, match="actor"):
        wf.acknowledge(c, actor="")
    with pytest.raises(cf.ValidationError, match="actor"):
        wf.acknowledge(c, actor=42)  # type: ignore[arg-type]


def test_acknowledge_records_a_promise() -> None:
    wf, c, _clock = new()
    c = wf.acknowledge(c, actor="agent-7")
    assert c.history[-1].data["promise"] == c.deadlines[S.PROPOSED].isoformat()
    wf2, c2, _ = new()
    with pytest.raises(cf.ValidationError, match="promise"):
        wf2.acknowledge(c2, actor="a", promise=T0 - timedelta(hours=1))


def test_deadlines_default_table_by_severity() -> None:
    _, minor, _ = new("the zip is a bit stiff")
    assert minor.severity == 3
    assert minor.deadlines[S.ACKNOWLEDGED] == T0 + timedelta(hours=1)
    assert minor.deadlines[S.RESOLVED] == T0 + timedelta(hours=72)
    _, food, _ = new("吃了以後食物中毒，上吐下瀉")
    assert food.severity == 1
    assert food.tier >= cf.Tier.REGIONAL_HEAD
    assert food.deadlines[S.RESOLVED] == T0 + timedelta(hours=24)


def test_tick_warns_then_breaches_once_and_escalates() -> None:
    wf, c, clock = new()
    clock.advance(minutes=47)
    c = wf.tick(c)
    assert [e.name for e in c.history[1:]] == []
    clock.advance(minutes=1)  # 48 min = 80 % of the hour
    c = wf.tick(c)
    assert [e.name for e in c.history[1:]] == ["sla_warning"]
    assert c.history[-1].data["stage"] == "acknowledged"
    tier = c.tier
    clock.advance(minutes=12)
    c = wf.tick(c)
    assert [e.name for e in c.history[2:]] == ["sla_breached", "escalated"]
    assert c.tier == tier.up()
    assert S.ACKNOWLEDGED in c.breached
    v = c.version
    assert wf.tick(c).version == v
    assert wf.tick(c, now=T0) is c  # a tick in the past records nothing


def test_tier_never_goes_down_and_stops_at_executive() -> None:
    wf, c, clock = new()
    clock.advance(days=30)
    c = wf.tick(c)
    assert c.tier is cf.Tier.EXECUTIVE
    with pytest.raises(cf.ValidationError, match="tier"):
        wf.escalate(c, actor="boss", reason="more")
    with pytest.raises(cf.ValidationError, match="tier"):
        wf.escalate(c, actor="boss", reason="down", to="front_line")


def test_pause_moves_open_deadlines_by_the_paused_time() -> None:
    wf, c, clock = new()
    c = wf.acknowledge(c, actor="a")
    before = dict(c.open_deadlines)
    c = wf.await_customer(c, actor="a", reason="asked for photos")
    assert c.paused
    with pytest.raises(cf.InvalidTransition, match="already waiting"):
        wf.await_customer(c, actor="a", reason="again")
    clock.advance(hours=30)
    c = wf.tick(c)
    assert not any(e.name.startswith("sla_") for e in c.history)
    c = wf.customer_replied(c, actor="a")
    assert not c.paused
    assert c.held == timedelta(hours=30)
    for stage, deadline in before.items():
        assert c.deadlines[stage] == deadline + timedelta(hours=30)
    with pytest.raises(cf.InvalidTransition, match="not waiting"):
        wf.customer_replied(c, actor="a")


def test_any_command_while_paused_resumes_first() -> None:
    wf, c, clock = new()
    c = to_state(wf, c, S.PROPOSED)
    c = wf.await_customer(c, actor="agent-7", reason="waiting for decision")
    clock.advance(hours=5)
    c = wf.resolve(c, actor="agent-7")
    assert [e.name for e in c.history[-2:]] == ["resumed", "resolved"]
    assert c.held == timedelta(hours=5)
    assert not c.paused


def test_pause_has_its_own_limit() -> None:
    wf, c, clock = new()
    c = wf.acknowledge(c, actor="a")
    c = wf.await_customer(c, actor="a", reason="photos")
    assert c.pause_until is not None
    limit = c.pause_until
    clock.set(limit + timedelta(hours=1))
    c = wf.tick(c)
    assert not c.paused
    assert any(e.name == "resumed" for e in c.history)
    assert c.held == limit - c.history[2].at


def test_escalate_to_a_named_tier() -> None:
    wf, c, _ = new()
    c = wf.escalate(c, actor="a", reason="journalist called", to=cf.Tier.EXECUTIVE)
    assert c.tier is cf.Tier.EXECUTIVE and c.state is S.RECEIVED
    assert c.history[-1].data["reason"] == "journalist called"


def test_listeners_get_every_event_in_order_and_can_unsubscribe() -> None:
    wf, c, clock = new()
    seen: list[tuple[int, str, int]] = []
    off = wf.subscribe(lambda e, cc: seen.append((e.seq, e.name, cc.version)))
    c = wf.acknowledge(c, actor="a")
    clock.advance(hours=5)
    c = wf.tick(c)
    assert c.tier < cf.Tier.EXECUTIVE
    assert [s[0] for s in seen] == list(range(2, c.version + 1))
    assert all(seq == version for seq, _n, version in seen)
    off()
    wf.escalate(c, actor="a", reason="x")
    assert len(seen) == c.version - 1


def test_a_failing_listener_does_not_undo_the_command(caplog: pytest.LogCaptureFixture) -> None:
    wf, c, _ = new()

    def boom(event: cf.Event, complaint: cf.Complaint) -> None:
        raise RuntimeError("mail server down")

    wf.subscribe(boom)
    c = wf.acknowledge(c, actor="a")
    assert c.state is S.ACKNOWLEDGED
    assert "mail server down" in caplog.text


def test_authority_limits_and_approvals() -> None:
    wf, c, _ = new()
    c = to_state(wf, c, S.INVESTIGATED)
    big = cf.Offer("exchange", goodwill=cf.Money(Decimal("300")))
    with pytest.raises(cf.AuthorityExceeded, match="store_supervisor"):
        wf.propose(c, actor="agent-7", offer=big)
    with pytest.raises(cf.AuthorityExceeded, match="store_supervisor"):
        wf.propose(c, actor="agent-7", offer=big, approved_by="agent-8")
    ok = wf.propose(c, actor="agent-7", offer=big,
                    approved_by=cf.Actor("sup-1", cf.Tier.STORE_SUPERVISOR))
    assert ok.history[-1].data["approved_by"] == "sup-1"
    assert ok.approvers == ("sup-1",)
    statutory = cf.Offer("refund", statutory=cf.Money(Decimal("1500")))
    with pytest.raises(cf.AuthorityExceeded, match="regional_head"):  # no legal floor here
        wf.propose(c, actor="agent-7", offer=statutory)


def test_clock_behind_the_last_event_never_reorders_history() -> None:
    wf, c, clock = new()
    clock.advance(hours=2)
    c = wf.acknowledge(c, actor="a")
    clock.set(T0)
    c = wf.escalate(c, actor="a", reason="x")
    assert c.history[-1].at == c.history[-2].at


def test_reclassify_replans_open_stages_keeps_breaches_and_tier() -> None:
    wf, c, clock = new("the zip is a bit stiff")
    assert c.severity == 3
    clock.advance(hours=2)
    c = wf.tick(c)  # acknowledgement breached, tier up
    assert S.ACKNOWLEDGED in c.breached
    tier = c.tier
    ack_deadline = c.deadlines[S.ACKNOWLEDGED]
    c = wf.reclassify(c, actor="agent-7", reason="it is a burn injury", category="injury",
                      severity=1)
    assert c.category == "injury" and c.severity == 1
    assert c.deadlines[S.ACKNOWLEDGED] == ack_deadline  # breached stays as it was
    assert S.ACKNOWLEDGED in c.breached
    assert c.deadlines[S.RESOLVED] == T0 + timedelta(hours=24)
    assert c.tier >= max(tier, cf.Tier.REGIONAL_HEAD)
    assert cf.Complaint.replay(c.history) == c
    with pytest.raises(cf.ValidationError, match="severity"):
        wf.reclassify(c, actor="a", reason="x", severity=7)
    with pytest.raises(cf.ValidationError, match="reason"):
        wf.reclassify(c, actor="a", reason="", severity=2)
    with pytest.raises(cf.ValidationError, match="severity"):
        wf.reclassify(c, actor="a", reason="minor after all", severity=3)  # safety stays 1
    lower = wf.reclassify(c, actor="a", reason="a late parcel after all",
                          category="delivery_delay", severity=3)
    assert lower.severity == 3 and lower.dimension == "experience"
    assert lower.tier == c.tier  # the owning tier never goes down


def test_late_acknowledgement_promises_a_fresh_time() -> None:
    wf, c, clock = new("the zip is a bit stiff")
    clock.advance(days=5)
    c = wf.acknowledge(c, actor="agent-7")
    promised = datetime.fromisoformat(c.history[-1].data["promise"])
    assert promised > clock.now()


def test_offers_pay_in_the_complaints_currency() -> None:
    wf, c, _ = new()  # paid 399 CNY
    c = to_state(wf, c, S.INVESTIGATED)
    for eur in (cf.Offer("refund", remedy_value=cf.Money(10, "EUR")),
                cf.Offer("refund", goodwill=cf.Money(10, "EUR")),
                cf.Offer("refund", statutory=cf.Money(10, "EUR"))):
        with pytest.raises(cf.CurrencyMismatch, match="EUR"):
            wf.propose(c, actor=cf.Actor("ceo", cf.Tier.EXECUTIVE), offer=eur)
    # an apology pays nothing, so it has no currency to mix
    assert wf.propose(c, actor="agent-7", offer=cf.Offer("none", extras=("apology",))).offer


def test_an_offer_without_goodwill_needs_no_authority_in_any_currency() -> None:
    wf, c, _ = new(amount=cf.Money(Decimal(10), "EUR"), market="EU")  # the price paid backs it
    c = to_state(wf, c, S.INVESTIGATED)
    eur = cf.Offer("refund", remedy_value=cf.Money(10, "EUR"))
    c = wf.propose(c, actor="agent-7", offer=eur)
    assert c.offer == eur
    c = wf.decline(c, actor="agent-7", reason="want more")
    with pytest.raises(cf.CurrencyMismatch, match="EUR"):
        wf.propose(c, actor="agent-7", offer=cf.Offer("refund", remedy_value=cf.Money(10, "USD")))


def test_reclassify_by_category_takes_the_dimension_from_the_classifier() -> None:
    wf, c, _ = new("the zip is a bit stiff")
    c = wf.reclassify(c, actor="agent-7", reason="the parcel came late", category="delivery_delay")
    assert (c.category, c.dimension) == ("delivery_delay", "experience")


def test_an_agent_can_reclassify_a_case_as_other() -> None:
    # "other" is what the classifier files a text under when nothing matches: an agent who
    # reads that a case is not the desk's matter can file it there too
    wf, c, _ = new("the zip is a bit stiff")
    c = wf.reclassify(c, actor="agent-7", reason="a faulty zip", category="quality_defect")
    assert (c.category, c.dimension) == ("quality_defect", "product")
    c = wf.reclassify(c, actor="agent-7", reason="a question, not a complaint", category="other")
    assert (c.category, c.dimension) == ("other", "other")
    assert cf.Complaint.replay(c.history) == c
    with pytest.raises(cf.ValidationError, match="category"):
        wf.reclassify(c, actor="agent-7", reason="typo", category="otehr")


def test_fire_names_unknown_and_missing_arguments() -> None:
    wf, c, _ = new()
    with pytest.raises(cf.ValidationError, match="colour"):
        wf.fire(c, "acknowledge", actor="a", colour="red")
    c = wf.acknowledge(c, actor="a")
    with pytest.raises(cf.ValidationError, match="finding"):
        wf.fire(c, "investigate", actor="a")
    assert wf.fire(c, "escalate", actor="a", reason="vip").tier > c.tier


def test_a_policy_bug_is_not_reported_as_bad_input() -> None:
    from complaintflow.policies import CompensationLadder

    class Broken(CompensationLadder):
        def next_offer(self, complaint: cf.Complaint) -> cf.Offer:
            raise TypeError("bug in the policy")

    wf, c, _ = new()
    wf.compensation = Broken()
    c = to_state(wf, c, S.INVESTIGATED)
    with pytest.raises(TypeError, match="bug in the policy"):
        wf.propose(c, actor="agent-7")
