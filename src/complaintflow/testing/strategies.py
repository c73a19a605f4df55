"""Hypothesis strategies for complaintflow's domain objects and commands.

Every strategy takes keyword-only arguments with defaults; arguments that vary are
strategies themselves. Complaints are never assembled field by field: :func:`complaints`
receives one through a real :class:`complaintflow.Workflow` and drives real commands
until it reaches the state drawn.

>>> from complaintflow.testing import complaints
>>> import complaintflow as cf
>>> c = complaints(states=[cf.State.PROPOSED]).example()
>>> c.state is cf.State.PROPOSED and c.version == len(c.history)
True
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar, cast

import attrs

from complaintflow.testing._guard import require_hypothesis

require_hypothesis()

from hypothesis import assume  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from complaintflow._clock import FrozenClock  # noqa: E402
from complaintflow._commands import COMMANDS  # noqa: E402
from complaintflow._complaint import Complaint  # noqa: E402
from complaintflow._values import (  # noqa: E402
    CAUSES,
    PARTIES,
    REMEDIES,
    Actor,
    Finding,
    Money,
    Offer,
    State,
    Tier,
)
from complaintflow._workflow import CHANNELS, Workflow  # noqa: E402
from complaintflow.exceptions import ComplaintflowError  # noqa: E402

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from complaintflow._values import Remedy

__all__ = [
    "COMMAND_NAMES",
    "Command",
    "actors",
    "amounts",
    "calendars",
    "commands",
    "complaints",
    "customers",
    "findings",
    "markets",
    "offers",
    "texts",
]

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _checked_at_test_time(
    fn: Callable[_P, SearchStrategy[_T]],
) -> Callable[_P, SearchStrategy[_T]]:
    """Build the strategy when it is first used, so bad arguments raise in the test that
    uses them, not when the test module is imported."""

    @functools.wraps(fn)
    def lazy(*args: _P.args, **kwargs: _P.kwargs) -> SearchStrategy[_T]:
        return st.deferred(lambda: fn(*args, **kwargs))

    return lazy


#: Every built-in command a :class:`~complaintflow.Workflow` runs through ``fire``
#: (the names of :data:`complaintflow.COMMANDS`).
COMMAND_NAMES: Final = tuple(COMMANDS)

#: Where generated complaints are received unless told otherwise: 2026, Shanghai office hours.
_T0: Final = datetime(2026, 1, 1, tzinfo=UTC)

# -- texts --------------------------------------------------------------------------------------
_ZH_ITEMS: Final = (
    "連衣裙", "连衣裙", "电饭煲", "運動鞋", "电视机", "牛奶", "外賣", "洗衣机", "手機殼", "羽絨服",
    "面包", "空調",
)
_ZH_PROBLEMS: Final = (
    "第一次冷水手洗就嚴重褪色", "用了三天就坏了", "质量有问题", "開機後不久就故障",
    "店員態度冷漠，不理人", "客服态度很差", "配送延迟了五天还没到", "包裹還沒到",
    "吃了以後食物中毒", "已经变质了", "包装破损", "与网上描述不符", "被燙傷了",
    "促销价格和结账价格不一样", "会员积分没有到账",
)
_ZH_ENDINGS: Final = (
    "", "。", "！", "，門店拒絕退換", "，要求退款", "，希望尽快处理", "，请给个说法。",
    "，已经打了三次電話", "？？",
)
_EN_ITEMS: Final = (
    "dress", "rice cooker", "running shoes", "TV set", "milk", "takeaway order",
    "washing machine", "phone case", "down jacket", "bread",
)
_EN_PROBLEMS: Final = (
    "faded badly after the first cold hand wash", "stopped working after three days",
    "is broken", "has a defect", "arrived damaged", "has not arrived yet",
    "was delivered late, delayed by five days", "gave us food poisoning", "smelled off",
    "is not as described", "burned my hand",
)
_EN_ENDINGS: Final = (
    "", ".", "!", " and the store refused to exchange it.", " I want a refund.",
    " Staff were rude about it.", " Please call me back.", " This is the third time.",
)


#: How far ahead an acknowledgement promises the first answer.
_PROMISES: Final = (timedelta(hours=1), timedelta(hours=4), timedelta(hours=24))


@st.composite
def _zh_text(draw: st.DrawFn) -> str:
    item = draw(st.sampled_from(_ZH_ITEMS))
    return item + draw(st.sampled_from(_ZH_PROBLEMS)) + draw(st.sampled_from(_ZH_ENDINGS))


@st.composite
def _en_text(draw: st.DrawFn) -> str:
    item = draw(st.sampled_from(_EN_ITEMS))
    lead = draw(st.sampled_from(("The", "My", "Our")))
    return f"{lead} {item} {draw(st.sampled_from(_EN_PROBLEMS))}{draw(st.sampled_from(_EN_ENDINGS))}"


@_checked_at_test_time
def texts(*, languages: Collection[str] = ("zh", "en"),
          noise: SearchStrategy[str] | None = None) -> SearchStrategy[str]:
    """Complaint texts as customers write them, in Chinese (simplified and traditional)
    and English, optionally followed by ``noise`` (default: nothing)."""
    unknown = set(languages) - {"zh", "en"}
    if unknown or not languages:
        raise ValueError(f"languages must be a non-empty subset of ('zh', 'en'), got {languages!r}")
    parts = [s for lang, s in (("zh", _zh_text()), ("en", _en_text())) if lang in languages]
    base = st.one_of(parts)
    if noise is None:
        return base
    return st.tuples(base, noise).map(lambda pair: pair[0] + pair[1])


_texts = texts


# -- small records ------------------------------------------------------------------------------
def actors(*, tiers: SearchStrategy[Tier] | None = None,
           ids: SearchStrategy[str] | None = None) -> SearchStrategy[Actor]:
    """Actors: an id and a :class:`~complaintflow.Tier` (any tier by default)."""
    tier_s = tiers if tiers is not None else st.sampled_from(Tier)
    id_s = ids if ids is not None else st.builds(
        "{}-{}".format, st.sampled_from(("agent", "sup", "head", "exec")), st.integers(1, 99))
    return st.builds(Actor, id=id_s, tier=tier_s)


_actors = actors


def customers() -> SearchStrategy[dict[str, str] | None]:
    """Customer attributes for ``receive(customer=...)``: none, or a segment, a language
    and a market."""
    return st.one_of(st.none(), st.fixed_dictionaries(
        {"segment": st.sampled_from(("standard", "vip", "member"))},
        optional={"language": st.sampled_from(("zh", "en", "yue")),
                  "market": st.sampled_from(("CN", "HK", "EU"))}))


_customers = customers


def findings(*, causes: SearchStrategy[str] | None = None,
             parties: SearchStrategy[str] | None = None) -> SearchStrategy[Finding]:
    """Findings: a cause, a responsible party and at least one piece of evidence."""
    evidence = st.lists(
        st.sampled_from(("order trail", "lab report", "call recording", "store CCTV",
                         "carrier log", "photos from the customer", "質檢報告", "聊天記錄")),
        min_size=1, max_size=3, unique=True,
    ).map(tuple)
    return st.builds(
        Finding,
        cause=causes if causes is not None else st.sampled_from(CAUSES),
        party=parties if parties is not None else st.sampled_from(PARTIES),
        evidence=evidence,
        note=st.sampled_from(("", "cross-checked", "已核實")),
    )


@_checked_at_test_time
def markets(*, codes: Collection[str] | None = None) -> SearchStrategy[str]:
    """Market codes for ``receive(market=...)``: every market defined
    (:data:`complaintflow.policies.MARKETS`), or those of ``codes``."""
    from complaintflow._markets import MARKET_CURRENCIES

    chosen = tuple(codes) if codes is not None else tuple(sorted(MARKET_CURRENCIES))
    unknown = sorted(set(chosen) - set(MARKET_CURRENCIES))
    if unknown or not chosen:
        raise ValueError(f"unknown market codes {unknown!r}" if unknown else "codes must not be empty")
    return st.sampled_from(chosen)


_markets = markets


@_checked_at_test_time
def amounts(*, currencies: SearchStrategy[str] | None = None,
            min_value: Decimal = Decimal(0),
            max_value: Decimal = Decimal(10_000)) -> SearchStrategy[Money]:
    """Money: a ``Decimal`` amount with two places in a currency (CNY by default)."""
    if min_value < 0 or max_value < min_value:
        raise ValueError(f"need 0 <= min_value <= max_value, got {min_value}, {max_value}")
    cur = currencies if currencies is not None else st.just("CNY")
    dec = st.decimals(min_value=min_value, max_value=max_value, places=2,
                      allow_nan=False, allow_infinity=False)
    return st.builds(Money, dec, cur)


def offers(*, remedies: SearchStrategy[str] | None = None,
           currencies: SearchStrategy[str] | None = None,
           max_goodwill: Decimal = Decimal(10_000)) -> SearchStrategy[Offer]:
    """Offers: a remedy with goodwill, statutory and remedy amounts in one currency."""

    @st.composite
    def offers(draw: st.DrawFn) -> Offer:
        currency = draw(currencies if currencies is not None else st.just("CNY"))
        one = st.just(currency)
        return Offer(
            remedy=cast("Remedy", draw(
                remedies if remedies is not None else st.sampled_from(REMEDIES))),
            goodwill=draw(st.one_of(st.just(Money.zero(currency)),
                                    amounts(currencies=one, max_value=max_goodwill))),
            statutory=draw(st.one_of(st.just(Money.zero(currency)),
                                     amounts(currencies=one, max_value=Decimal(2_000)))),
            extras=tuple(draw(st.lists(st.sampled_from(
                ("apology", "voucher", "laundry-service card", "handwritten letter")),
                max_size=2, unique=True))),
            remedy_value=draw(st.one_of(st.just(Money.zero(currency)),
                                        amounts(currencies=one, max_value=Decimal(5_000)))),
        )

    return offers()


def calendars(*, timezones: SearchStrategy[str] | None = None,
              hours: SearchStrategy[tuple[str, str]] | None = None,
              holidays: SearchStrategy[str | None] | None = None) -> SearchStrategy[Any]:
    """Business calendars (:class:`complaintflow.BusinessCalendar`): working hours in a
    time zone, with a country's public holidays or weekends only."""
    from complaintflow.policies.calendar import BusinessCalendar

    return st.builds(
        BusinessCalendar,
        timezone=timezones if timezones is not None else st.sampled_from(
            ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Europe/Berlin", "UTC")),
        hours=hours if hours is not None else st.sampled_from(
            (("09:00", "18:00"), ("08:30", "17:30"), ("10:00", "22:00"), ("00:00", "24:00"))),
        holidays=holidays if holidays is not None else st.sampled_from(("CN", "HK", None)),
    )


# -- commands -----------------------------------------------------------------------------------
@attrs.frozen
class Command:
    """A command by name with its keyword arguments; :meth:`run` fires it."""

    name: str
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)

    def run(self, workflow: Workflow, complaint: Complaint) -> Complaint:
        """``workflow.fire(complaint, name, **kwargs)``."""
        return workflow.fire(complaint, self.name, **self.kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"Command({self.name!r}{', ' if args else ''}{args})"


_REASONS: Final = st.sampled_from((
    "customer asked for photos", "顧客要求換貨", "not satisfied with the exchange",
    "duplicate of another case", "customer bought it elsewhere", "需要更多證據",
))


#: Well-formed values by argument name; a command's arguments come from the registry
#: (an argument without an entry here keeps its default).
def _good_values() -> dict[str, SearchStrategy[Any]]:
    return {
        "finding": findings(),
        "reason": _REASONS,
        "satisfaction": st.integers(1, 5),
        "summary": st.one_of(st.none(), st.just("dye defect in batch B7")),
        "evidence": st.lists(st.just("purchase records"), min_size=1, max_size=2).map(tuple),
        "text": texts(),
        "severity": st.sampled_from((None, 1, 2, 3)),
        "scope": st.sampled_from(("point", "line", "plane")),
    }


_STEPPING_IN: Final = Actor("exec-0", Tier.EXECUTIVE)


def _valid_kwargs(name: str, who: SearchStrategy[Actor]) -> SearchStrategy[dict[str, Any]]:
    command = COMMANDS[name]
    good = _good_values()
    spec: dict[str, SearchStrategy[Any]] = {"actor": who} if command.actor_required else {}
    spec.update({a.name: good[a.name] for a in command.arguments if a.name in good})
    return st.fixed_dictionaries(spec)


_NAIVE: Final = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - a naive datetime, refused on purpose
_BAD: Final[Mapping[str, tuple[Any, ...]]] = {
    "actor": ("", "   ", 42, b"agent"),
    "reason": ("", "  ", None, 5),
    "finding": (None, "product_defect", {"cause": "product_defect"}),
    "offer": ("refund", 5, {"remedy": "refund"}),
    "approved_by": ("", 7),
    "satisfaction": (0, 6, -1, True, "5", 2.5, None),
    "summary": ("", " ", 5),
    "evidence": ("purchase records", ("",), (3,)),
    "to": ("ceo", 0, 9, None, "front_line"),
    "promise": (_NAIVE, "tomorrow", datetime(2000, 1, 1, tzinfo=UTC)),
    "text": ("", "  ", None, 3),
    "channel": ("pigeon",),
    "severity": (0, 4, True, "1"),
    "scope": ("galaxy", ""),
}
#: Arguments whose bad values the registry's checks must refuse, per command: the actor
#: (when required) and every argument with bad values above ("to" is judged against
#: the complaint's tier, and the approver only matters with goodwill, so both are left out).
_BAD_ARGS: Final[Mapping[str, tuple[str, ...]]] = {
    name: (*(("actor",) if c.actor_required else ()),
           *(a.name for a in c.arguments if a.name in _BAD and a.name not in ("to", "approved_by")))
    for name, c in COMMANDS.items()
}


@st.composite
def _invalid_kwargs(draw: st.DrawFn, name: str, who: SearchStrategy[Actor]) -> dict[str, Any]:
    kwargs = dict(draw(_valid_kwargs(name, who)))
    choice = draw(st.sampled_from((*_BAD_ARGS[name], "unknown keyword")))
    if choice == "unknown keyword":
        kwargs["urgency"] = "high"
    elif choice == "to":
        kwargs["to"] = draw(st.sampled_from(_BAD["to"]))
    else:
        bad = _BAD[choice]
        if choice != "actor" and not any(a.required for a in COMMANDS[name].arguments
                                         if a.name == choice):
            bad = tuple(v for v in bad if v is not None)  # None is the optional default
        kwargs[choice] = draw(st.sampled_from(bad))
    if name == "escalate" and choice == "actor":
        kwargs["to"] = "ceo"
    if name == "propose" and choice == "actor":
        kwargs["offer"] = "refund"
    return kwargs


@_checked_at_test_time
def commands(*, names: Collection[str] | None = None, actors: SearchStrategy[Actor] | None = None,
             invalid: bool = False) -> SearchStrategy[Command]:
    """Commands with well-formed arguments (which the complaint's state may still refuse),
    or with ``invalid=True`` commands whose arguments are always refused: an empty reason,
    satisfaction 6, a naive promise, an unknown keyword …"""
    chosen = tuple(names) if names is not None else COMMAND_NAMES
    unknown = set(chosen) - set(COMMAND_NAMES)
    if unknown or not chosen:
        raise ValueError(f"unknown command names {sorted(unknown)!r}" if unknown
                         else "names must not be empty")
    who = actors if actors is not None else _actors()
    make = _invalid_kwargs if invalid else _valid_kwargs
    return st.one_of([st.builds(Command, st.just(n), make(n, who)) for n in chosen])


# -- complaints ---------------------------------------------------------------------------------
def _currency(market: str) -> str:
    from complaintflow._markets import market_currency

    return market_currency(market)


def _default_factory(clock: FrozenClock) -> Workflow:
    return Workflow(clock=clock)


def _distances(workflow: Workflow, target: State) -> dict[State, int]:
    """Fewest commands from each state to ``target`` through the workflow's graph."""
    into: dict[State, set[State]] = {}
    for source, _command, dest in workflow.engine.edges():
        into.setdefault(dest, set()).add(source)
    dist = {target: 0}
    queue = deque([target])
    while queue:
        here = queue.popleft()
        for source in into.get(here, ()):
            if source not in dist:
                dist[source] = dist[here] + 1
                queue.append(source)
    return dist


@_checked_at_test_time
def complaints(
    *,
    factory: Callable[[FrozenClock], Workflow] | None = None,
    states: Collection[State] | None = None,
    texts: SearchStrategy[str] | None = None,
    channels: SearchStrategy[str] | None = None,
    received_at: SearchStrategy[datetime] | None = None,
    max_detours: int = 6,
    markets: SearchStrategy[str] | None = None,
    prices: bool = True,
) -> SearchStrategy[Complaint]:
    """Complaints in any state reachable from receipt (or one of ``states``).

    Each belongs to a market drawn from ``markets`` (default: every market defined) and,
    with ``prices``, often carries the price paid, in that market's currency.

    Each is received by a fresh workflow (``factory(clock)``, default policies by default)
    on a :class:`~complaintflow.FrozenClock` and driven there by real commands, with up to
    ``max_detours`` detours on the way: escalations, pauses, messages, declined offers,
    reopenings and time passing with ticks (warnings, breaches, escalations).
    """
    make = factory if factory is not None else _default_factory
    wanted = tuple(states) if states is not None else tuple(State)
    if not wanted:
        raise ValueError("states must not be empty")
    for s in wanted:
        if not isinstance(s, State):
            raise TypeError(f"states must hold cf.State members, got {s!r}")
    if max_detours < 0:
        raise ValueError(f"max_detours must be >= 0, got {max_detours}")
    text_s = texts if texts is not None else _texts()
    market_s = markets if markets is not None else _markets()
    channel_s = channels if channels is not None else st.sampled_from(CHANNELS)
    start_s = received_at if received_at is not None else st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC))
    steps = st.sampled_from((timedelta(minutes=20), timedelta(hours=1), timedelta(hours=5),
                             timedelta(hours=30), timedelta(days=4)))

    @st.composite
    def complaints(draw: st.DrawFn) -> Complaint:
        target = draw(st.sampled_from(wanted))
        clock = FrozenClock(draw(start_s))
        workflow = make(clock)
        dist = _distances(workflow, target)
        market = draw(market_s)
        price = draw(st.one_of(st.none(), amounts(
            currencies=st.just(_currency(market)), min_value=Decimal("0.01")))) if prices else None
        c = workflow.receive(draw(text_s), customer_id=f"C-{draw(st.integers(1, 9999))}",
                             channel=draw(channel_s), customer=draw(_customers()),
                             market=market, amount=price)
        assume(c.state in dist)
        detours = draw(st.integers(0, max_detours))
        # one person handles the case; the executive steps in where they may not act
        handler = draw(_actors())
        refused = 0
        while True:
            here = dist.get(c.state)
            assume(here is not None)
            assert here is not None
            options = [n for n in workflow.available(c)
                       if dist.get(workflow.engine.target(c.state, n)) is not None]
            ahead = [n for n in options
                     if dist[workflow.engine.target(c.state, n)] < here]
            if here == 0 and (detours == 0 or draw(st.booleans())):
                return c
            if detours > 0 and (not ahead or draw(st.booleans())):
                detours -= 1
                if draw(st.booleans()):
                    clock.advance(draw(steps))
                    c = workflow.tick(c)
                    continue
                pool = options
            else:
                pool = ahead
            assume(pool)
            name = draw(st.sampled_from(sorted(pool)))
            kwargs = draw(_valid_kwargs(name, st.just(handler)))
            if "actor" in kwargs and workflow.authorization.refusal(c, name, handler):
                kwargs["actor"] = _STEPPING_IN
            if name == "acknowledge":
                kwargs["promise"] = clock.now() + draw(st.sampled_from(_PROMISES))
            try:
                c = workflow.fire(c, name, **kwargs)
            except ComplaintflowError:
                refused += 1
                assume(refused < 10)

    return complaints()
