"""Compensation: which offer comes next, who may grant how much goodwill, what the law owes.

:class:`CompensationLadder` implements the complaint-handling brief: an apology first, then the
three rungs (a small payment no larger than the return shipping, an exchange, a refund),
then the goodwill layer; each declined offer steps up one rung. When the finding says we
were at fault (a service error or a process gap at the store) the first offer already
carries the goodwill layer. Legal floors (:class:`LegalFloor`) put what the law makes us
owe into the offer's ``statutory`` amount, and the ladder never offers less than a floor.

:meth:`CompensationPolicy.judge` holds the money rules every policy shares: statutory
money up to what the floors make owed needs no approval (above it, it is goodwill); a
remedy's value is never above the price paid (and none on remedies that pay nothing);
goodwill is counted over the complaint's whole life; an approver is someone else who
holds the authority.

>>> from decimal import Decimal
>>> import complaintflow as cf
>>> ladder = CompensationLadder()
>>> [str(ladder.limit(t)) for t in cf.Tier]
['50.00 CNY', '500.00 CNY', '5000.00 CNY', 'None']
>>> ladder.approver_for(cf.Money(Decimal("120"))).label
'store_supervisor'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Final

import attrs

from complaintflow._complaint import Complaint, apply
from complaintflow._events import FrozenDict
from complaintflow._markets import check_market
from complaintflow._values import CAUSES, PARTIES, REMEDIES, Actor, Finding, Money, Offer, Tier
from complaintflow.exceptions import AuthorityExceeded, CurrencyMismatch, ValidationError
from complaintflow.policies._checks import positive_decimal, whole_number, words
from complaintflow.policies._config import ConfigContext, default_text, register_section

__all__ = [
    "NO_MONEY_REMEDIES",
    "ONLINE_CHANNELS",
    "REMEDY_RANK",
    "Approval",
    "CompensationLadder",
    "CompensationPolicy",
    "CounterfeitFloor",
    "Floor",
    "FoodSafetyFloor",
    "Given",
    "GoodwillLayer",
    "LegalFloor",
    "LocalMoney",
    "NoReasonReturnFloor",
    "given",
    "judge_offer",
    "judge_recorded_offers",
    "recorded_parties",
    "recorded_policy",
]

#: How much each remedy gives the customer, lowest first: a floor's remedy is a minimum.
REMEDY_RANK: Final[Mapping[str, int]] = {
    "none": 0, "partial_refund": 1, "repair": 2, "exchange": 3, "refund": 4,
}
#: Channels that imply a purchase at a distance (the 7-day no-reason return applies).
ONLINE_CHANNELS: Final = frozenset({"online_chat", "app", "wechat", "email", "social_media"})


def _below(amount: Money, floor: Money) -> bool:
    """``amount < floor``; a zero amount carries no currency of its own."""
    if not amount.amount:
        return bool(floor.amount)
    return amount < floor


def _max(a: Money, b: Money) -> Money:
    if not a.amount:
        return b
    if not b.amount:
        return a
    return b if a < b else a


class CompensationPolicy(ABC):
    """Decides the next offer on the ladder and the goodwill limit of each tier, and judges
    every offer against the money rules (:meth:`judge`).

    Override :meth:`next_offer` and :meth:`limit` (and :meth:`floor` where the law owes
    something); the rules of :meth:`judge` stay the same for every policy.
    """

    version: ClassVar[str] = "1"

    @abstractmethod
    def next_offer(self, complaint: Complaint) -> Offer:
        """The offer to propose now (``complaint.declines`` offers were declined before)."""

    @abstractmethod
    def limit(self, tier: Tier) -> Money | None:
        """The most goodwill ``tier`` may grant without approval; ``None`` is unlimited."""

    def floor(self, complaint: Complaint) -> Floor | None:
        """What the law owes on ``complaint`` (default: nothing, so statutory money is 0)."""
        return None

    def limit_in(self, tier: Tier, currency: str) -> Money | None:
        """The most goodwill ``tier`` may grant without approval in ``currency`` (a
        complaint's market currency); ``None`` is unlimited. The default is :meth:`limit`
        when it is in ``currency``; a tier with no limit in ``currency`` is refused with
        :class:`~complaintflow.exceptions.AuthorityExceeded` naming the currency, never
        compared across currencies."""
        lim = self.limit(tier)
        if lim is not None and lim.currency != currency:
            raise _no_limit(tier, currency, f"its limit is {lim}")
        return lim

    def approver_for(self, goodwill: Money) -> Tier:
        """The lowest tier whose limit in ``goodwill``'s currency covers it (a tier with no
        limit in that currency cannot approve it)."""
        for tier in Tier:
            try:
                lim = self.limit_in(tier, goodwill.currency)
            except AuthorityExceeded:
                continue
            if lim is None or goodwill <= lim:
                return tier
        return Tier.EXECUTIVE

    def given(self, complaint: Complaint) -> Given:
        """What the customer accepted on ``complaint`` so far (see :func:`given`)."""
        return given(complaint)

    def _facts(self, complaint: Complaint) -> tuple[Floor | None, Given]:
        """:meth:`floor` and :meth:`given` of ``complaint``. One propose asks them up to
        four times (next offer, fitting, check, judge) of one immutable complaint, so the
        last answer is kept for that complaint object: this saves about a tenth of a
        propose (``benchmarks/bench_lifecycle.py``). One entry per policy, replaced whole,
        so a workflow shared by threads stays consistent."""
        memo: tuple[Complaint, Floor | None, Given] | None = getattr(self, "_memo", None)
        if memo is not None and memo[0] is complaint:
            return memo[1], memo[2]
        floor, before = self.floor(complaint), self.given(complaint)
        self._memo = (complaint, floor, before)
        return floor, before

    def fit_authority(self, complaint: Complaint, offer: Offer, tier: Tier) -> Offer:
        """Bring an automatic offer within ``tier``'s authority under the rules of
        :meth:`judge`: the remedy value is capped at what is left of the price paid, the
        statutory money at what is left of the floor owed, and the goodwill so that the
        goodwill counted over the complaint's life stays within ``tier``'s limit (then a
        remedy value the price cannot back). The remedy and the gestures are never changed."""
        floor, before = self._facts(complaint)
        price = complaint.amount
        value = offer.remedy_value.amount
        if value:
            if offer.remedy in NO_MONEY_REMEDIES:
                value = _ZERO
            elif price is not None and before.remedy_value + value > price.amount:
                value = max(price.amount - before.remedy_value, _ZERO)
        owed = _owed(floor)
        statutory = offer.statutory.amount
        if statutory and before.statutory + statutory > owed:
            statutory = max(owed - before.statutory, _ZERO)
        goodwill = offer.goodwill.amount
        lim = (self.limit_in(tier, _currency_of(complaint, offer))
               if goodwill or (value and price is None) else None)
        if lim is not None:
            room = lim.amount - _counted(before, owed, price)
            unbacked = value if price is None else _ZERO
            goodwill = min(goodwill, max(room - unbacked, _ZERO))
            if price is None:
                value = min(value, max(room, _ZERO))
        if (value == offer.remedy_value.amount and statutory == offer.statutory.amount
                and goodwill == offer.goodwill.amount):
            return offer
        cur = _currency_of(complaint, offer)
        return attrs.evolve(offer, goodwill=Money(goodwill, cur),
                            statutory=Money(statutory, cur), remedy_value=Money(value, cur))

    def check(self, complaint: Complaint, offer: Offer) -> None:
        """Refuse an offer below a legal floor: a lesser remedy than the floor's, or less
        statutory money than is still owed (what accepted offers paid counts)."""
        floor, before = self._facts(complaint)
        if floor is None:
            return
        if REMEDY_RANK[offer.remedy] < REMEDY_RANK[floor.remedy]:
            raise ValidationError(
                "offer.remedy", f"{offer.remedy!r} is below the {floor.remedy!r} the law owes "
                f"here ({floor.source})")
        still = floor.statutory.amount - before.statutory
        if offer.statutory.amount < still:
            _same_currency(offer.statutory, floor.statutory)
            raise ValidationError(
                "offer.statutory", f"{offer.statutory} is below the {floor.statutory} the law "
                f"owes here ({floor.source}); statutory money needs no approval")

    def judge(self, complaint: Complaint, offer: Offer, *, actor: Actor | str,
              approved_by: Actor | str | None = None) -> Approval:
        """Judge ``offer`` on ``complaint`` by ``actor`` (approved by ``approved_by``).

        The rules, the same for every policy (subclasses change the numbers):

        - :meth:`check` (legal floors) passes;
        - a remedy that pays nothing (``none``, ``exchange``, ``repair``) carries no
          ``remedy_value``; the remedy values of the offers the customer accepted over the
          complaint's life, this one included, are never above the price paid
          (``complaint.amount``). When the price is unknown the remedy value counts as
          goodwill (nothing shows it is owed);
        - ``statutory`` money is owed up to the floor (:meth:`floor`) over the complaint's
          life; statutory money above it counts as goodwill;
        - the goodwill counted over the complaint's life (goodwill, statutory above the
          floor and unbacked remedy values of the accepted offers, plus this offer's) must
          be within the actor's limit, or ``approved_by`` another actor whose tier holds
          it. A named approver must hold it even where the actor alone would have; an
          offer that adds nothing counted needs no authority.

        Raises :class:`~complaintflow.exceptions.ValidationError` or
        :class:`~complaintflow.exceptions.AuthorityExceeded`; returns the
        :class:`Approval` the ``proposed`` event records.
        """
        if not isinstance(offer, Offer):
            raise ValidationError("offer", f"expected a cf.Offer, got {type(offer).__name__}")
        acting = Actor.of(actor, "actor")
        approver = None if approved_by is None else Actor.of(approved_by, "approved_by")
        self.check(complaint, offer)
        floor, before = self._facts(complaint)
        price = complaint.amount
        cur = _currency_of(complaint, offer)
        value = offer.remedy_value
        if offer.remedy in NO_MONEY_REMEDIES and value.amount:
            raise ValidationError(
                "offer.remedy_value", f"{offer.remedy!r} pays no money, so it carries no remedy "
                f"value (got {value}); give money as goodwill")
        if price is not None and value.amount:
            _same_currency(value, price)
            paid = before.remedy_value
            if paid + value.amount > price.amount:
                already = f" ({Money(paid, cur)} of it already accepted)" if paid else ""
                raise ValidationError(
                    "offer.remedy_value", f"{value} is above what is left of the price paid, "
                    f"{price}{already}")

        owed = _owed(floor)
        if floor is not None and floor.statutory.amount and offer.statutory.amount:
            _same_currency(offer.statutory, floor.statutory)
        statutory_life = before.statutory + offer.statutory.amount
        counted_before = _counted(before, owed, price)
        counted_total = _count(before.goodwill + offer.goodwill.amount, statutory_life,
                               before.remedy_value + value.amount, owed, price)
        adds = counted_total > counted_before
        total = _money_of(counted_total, cur)
        # an offer that adds nothing counted needs no authority (whatever its currency)
        needed = self.approver_for(total) if adds else Tier.FRONT_LINE
        if approver is not None and approver.id == acting.id:
            raise AuthorityExceeded(
                f"approved_by: {approver.id!r} proposes the offer and cannot also approve it; "
                "an approval is given by another actor", needed_tier=needed.label)
        if adds:
            signer = acting if approver is None else approver
            limit = self.limit_in(signer.tier, cur)
            if limit is not None and counted_total > limit.amount:
                what = _describe(
                    total, cur, before=counted_before, goodwill=offer.goodwill.amount,
                    excess=(max(statutory_life - owed, _ZERO)
                            - max(before.statutory - owed, _ZERO)),
                    owed=owed, unbacked=value.amount if price is None else _ZERO)
                if approver is None:
                    raise AuthorityExceeded(
                        f"goodwill {what} is above the {acting.tier.label} limit of {limit}; "
                        f"it needs approved_by a {needed.label} or higher",
                        needed_tier=needed.label)
                raise AuthorityExceeded(
                    f"approver {approver.id!r} is {approver.tier.label} (limit "
                    f"{limit}); goodwill {what} needs a {needed.label} or higher",
                    needed_tier=needed.label)
        return Approval(
            offer=offer, actor=acting, approver=approver, needed_tier=needed,
            goodwill_before=_money_of(counted_before, cur), goodwill_life=total,
            floor_owed=_money_of(owed, cur), floor_rules=None if floor is None else floor.rule,
            policy=type(self).__name__, policy_version=self.version)


def _no_limit(tier: Tier, currency: str, why: str) -> AuthorityExceeded:
    return AuthorityExceeded(
        f"{tier.label} has no authority limit in {currency} ({why}); give the tier limits in "
        f"{currency} ([compensation.limits.{currency}])", needed_tier=Tier.EXECUTIVE.label)


#: Remedies that move no money: they carry no ``remedy_value``.
NO_MONEY_REMEDIES: Final = frozenset({"none", "exchange", "repair"})


@attrs.frozen(slots=True)
class Given:
    """The money of the offers a customer accepted on one complaint (those followed by a
    ``resolved`` event), over its whole life, reopenings included."""

    goodwill: Decimal
    statutory: Decimal
    remedy_value: Decimal
    currency: str = "CNY"

    def money(self) -> dict[str, Money]:
        """The three sums as :class:`~complaintflow.Money`."""
        return {"goodwill": Money(self.goodwill, self.currency),
                "statutory": Money(self.statutory, self.currency),
                "remedy_value": Money(self.remedy_value, self.currency)}


def given(complaint: Complaint) -> Given:
    """The money the customer accepted on ``complaint`` so far: the sum over the offers
    that were followed by ``resolved`` (declined offers paid nothing)."""
    currency = complaint.currency
    if not complaint.offers:  # nothing was ever offered (every first proposal)
        return Given(_ZERO, _ZERO, _ZERO, currency)
    goodwill = statutory = value = _ZERO
    for index in complaint.accepted:  # kept by the fold: no walk over the history
        offer = complaint.offers[index]
        goodwill += offer.goodwill.amount
        statutory += offer.statutory.amount
        value += offer.remedy_value.amount
        if offer.total.amount:
            currency = offer.currency
    return Given(goodwill, statutory, value, currency)


def _owed(floor: Floor | None) -> Decimal:
    return floor.statutory.amount if floor is not None else Decimal(0)


_ZERO: Final = Decimal(0)


def _count(goodwill: Decimal, statutory: Decimal, remedy_value: Decimal, owed: Decimal,
           price: Money | None) -> Decimal:
    """Goodwill counted against authority: goodwill, statutory above the floor owed, and
    a remedy value no known price backs."""
    counted = goodwill + statutory - owed if statutory > owed else goodwill
    return counted + remedy_value if price is None else counted


def _counted(g: Given, owed: Decimal, price: Money | None) -> Decimal:
    return _count(g.goodwill, g.statutory, g.remedy_value, owed, price)


def _currency_of(complaint: Complaint, offer: Offer) -> str:
    if offer.goodwill.amount or offer.statutory.amount or offer.remedy_value.amount:
        return offer.currency
    if complaint.amount is not None:
        return complaint.amount.currency
    return offer.currency


def _same_currency(a: Money, b: Money) -> None:
    if a.amount and b.amount and a.currency != b.currency:
        raise CurrencyMismatch("offer", f"cannot compare {a.currency} and {b.currency}; "
                               "convert first")


def _describe(total: Money, currency: str, *, before: Decimal, goodwill: Decimal,
              excess: Decimal, owed: Decimal, unbacked: Decimal) -> str:
    """``total`` and, when it is more than this offer's goodwill, what it is made of."""
    if total.amount == goodwill:
        return str(total)
    pieces = []
    if before:
        pieces.append(f"{Money(before, currency)} accepted before")
    if goodwill:
        pieces.append(f"{Money(goodwill, currency)} goodwill in this offer")
    if excess:
        pieces.append(f"{Money(excess, currency)} statutory above the {Money(owed, currency)} "
                      "the law owes here")
    if unbacked:
        pieces.append(f"{Money(unbacked, currency)} remedy value with no known price paid")
    return f"{total} ({' + '.join(pieces)})"


@attrs.frozen(slots=True)
class Approval:
    """What :meth:`CompensationPolicy.judge` decided about one offer; the ``proposed``
    event records it (:meth:`to_data`) so an auditor can retrace the decision."""

    offer: Offer
    actor: Actor
    approver: Actor | None
    #: The lowest tier that may sign the offer: whose limit covers :attr:`goodwill_life`
    #: (the front line when the offer adds no counted goodwill).
    needed_tier: Tier
    #: Goodwill counted on the offers accepted before this one.
    goodwill_before: Money
    #: Goodwill counted over the complaint's life with this offer (judged against the limit).
    goodwill_life: Money
    #: Statutory money the legal floors make owed on the complaint (zero when none apply).
    floor_owed: Money
    #: The floors' rule names, or ``None`` when no legal minimum applies.
    floor_rules: str | None
    policy: str
    policy_version: str

    def to_data(self) -> dict[str, Any]:
        """The fields of the ``proposed`` event (besides ``offer``, ``automatic``, ``rung``):
        ``authority`` holds the amounts as strings in ``authority.currency``."""
        return {
            "approved_by": None if self.approver is None else self.approver.id,
            "approver_tier": None if self.approver is None else self.approver.tier.label,
            "actor_tier": self.actor.tier.label,
            # built frozen (scalars only), so recording the event does not copy them again
            "authority": FrozenDict({
                "currency": self.goodwill_life.currency,
                "goodwill_before": str(self.goodwill_before.amount),
                "goodwill_life": str(self.goodwill_life.amount),
                "needed_tier": self.needed_tier.label,
                "floor_owed": str(self.floor_owed.amount),
                "floor_rules": self.floor_rules,
            }),
            "policy": FrozenDict({"compensation": self.policy,
                                  "compensation_v": self.policy_version}),
        }


def _money_of(amount: Decimal, currency: str) -> Money:
    return Money(amount, currency) if amount else Money.zero(currency)


def judge_offer(complaint: Complaint, offer: Offer, *, actor: Actor | str,
                approved_by: Actor | str | None = None,
                policy: CompensationPolicy | None = None) -> Approval:
    """Judge ``offer`` as :meth:`CompensationPolicy.judge` does (default policy: the
    default :class:`CompensationLadder`)."""
    chosen = policy if policy is not None else CompensationLadder()
    return chosen.judge(complaint, offer, actor=actor, approved_by=approved_by)


def judge_recorded_offers(complaint: Complaint, policy: CompensationPolicy) -> None:
    """Judge every offer recorded in ``complaint``'s history against ``policy``, each on
    the complaint as it stood when it was proposed, with the recorded actor, actor tier,
    approver and approver tier. Raises the judge's error with the field prefixed by
    ``history[i].`` (``i`` the event's index) for the first offer the rules refuse."""
    state: Complaint | None = None
    for i, event in enumerate(complaint.history):
        if event.name == "proposed" and state is not None:
            d = event.data
            try:
                offer = Offer.from_dict(d["offer"])
                actor, approver = recorded_parties(d, event.actor)
                policy.judge(state, offer, actor=actor, approved_by=approver)
            except AuthorityExceeded as exc:
                raise AuthorityExceeded(f"history[{i}]: {exc}",
                                        needed_tier=exc.needed_tier) from None
            except ValidationError as exc:
                kind = CurrencyMismatch if isinstance(exc, CurrencyMismatch) else ValidationError
                raise kind(f"history[{i}].{exc.field}", str(exc).split(": ", 1)[-1]) from None
            except (KeyError, TypeError) as exc:
                raise ValidationError(f"history[{i}]", f"malformed 'proposed' event: {exc!r}"
                                      ) from None
        state = apply(state, event)


def recorded_parties(data: Mapping[str, Any], actor_id: str | None) -> tuple[Actor, Actor | None]:
    """The proposer and the approver a ``proposed`` event's ``data`` recorded (with their
    tiers), as :meth:`CompensationPolicy.judge` takes them."""
    actor = Actor(actor_id or "unknown", Tier.parse(data.get("actor_tier", 1), "actor_tier"))
    approver = None
    if data.get("approved_by") is not None:
        approver = Actor(data["approved_by"], Tier.parse(data.get("approver_tier", 1),
                                                         "approver_tier"))
    return actor, approver


class _RecordedPolicy(CompensationPolicy):
    """The limits and legal floor one ``proposed`` event recorded, as a policy whose
    :meth:`judge` retraces that decision; what the event did not record comes from
    ``fallback``."""

    version: ClassVar[str] = "recorded"

    def __init__(self, data: Mapping[str, Any], fallback: CompensationPolicy) -> None:
        self._fallback = fallback
        self._limits: dict[Tier, Money | None] = {}
        self._floor: tuple[Floor | None] | None = None
        authority = data.get("authority")
        if authority is None:
            return
        if not isinstance(authority, Mapping):
            raise ValidationError("authority", f"expected a mapping, got {authority!r}")
        for tier_key, limit_key in (("actor_tier", "actor_limit"),
                                    ("approver_tier", "approver_limit")):
            if data.get(tier_key) is not None and limit_key in authority:
                raw = authority[limit_key]
                self._limits[Tier.parse(data[tier_key], tier_key)] = (
                    None if raw is None else Money.from_dict(raw, f"authority.{limit_key}"))
        if "floor_owed" in authority:
            owed = Money(authority["floor_owed"], authority.get("currency", "CNY"))
            rule = authority.get("floor_rules")
            self._floor = (None if rule is None and not owed.amount else
                           Floor("none", owed, str(rule or "recorded"), "recorded"),)

    def next_offer(self, complaint: Complaint) -> Offer:
        return self._fallback.next_offer(complaint)

    def limit(self, tier: Tier) -> Money | None:
        return self._limits[tier] if tier in self._limits else self._fallback.limit(tier)

    def limit_in(self, tier: Tier, currency: str) -> Money | None:
        if tier in self._limits:
            recorded = self._limits[tier]
            if recorded is None or recorded.currency == currency:
                return recorded
        return self._fallback.limit_in(tier, currency)

    def floor(self, complaint: Complaint) -> Floor | None:
        return self._floor[0] if self._floor is not None else self._fallback.floor(complaint)


def recorded_policy(data: Mapping[str, Any], fallback: CompensationPolicy) -> CompensationPolicy:
    """The policy a loaded ``proposed`` event (its ``data``) is judged by: the limits and
    the legal floor it recorded, ``fallback`` for what it did not record. Its
    :meth:`~CompensationPolicy.judge` refuses a history whose offers broke the money rules
    under the very numbers the deciding policy used."""
    return _RecordedPolicy(data, fallback)


# -- legal floors -----------------------------------------------------------------------------

@attrs.frozen(slots=True)
class Floor:
    """What the law owes on one complaint: at least ``remedy`` plus ``statutory`` money."""

    remedy: str
    statutory: Money
    rule: str
    source: str


class LegalFloor(ABC):
    """One legal minimum. Subclass and return a :class:`Floor` from :meth:`minimum`
    (``None`` when the rule does not cover the complaint) to plug in another jurisdiction."""

    #: Short name used in TOML (``[compensation.floors.<name>]``) and in messages.
    name: ClassVar[str] = "floor"
    #: The legal source, cited in messages and the docs.
    source: ClassVar[str] = ""
    #: The markets whose law the rule is (``Complaint.market`` codes); empty: every market.
    #: A ladder applies the rule only to complaints of these markets.
    markets: frozenset[str] = frozenset()

    @abstractmethod
    def minimum(self, complaint: Complaint) -> Floor | None:
        """The floor this rule puts under ``complaint``'s offers, or ``None``."""

    def applies_in(self, market: str) -> bool:
        """Whether the rule is law in ``market``."""
        return not self.markets or market in self.markets


def _markets_of(value: Iterable[str] | None, default: frozenset[str]) -> frozenset[str]:
    if value is None:
        return default
    return frozenset(words("markets", value))


#: The markets whose law the bundled floors are: the People's Republic of China.
_PRC: Final = frozenset({"CN"})


def _money_param(value: Money | int | str | Decimal, field: str) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValidationError(field, f"expected cf.Money, a whole number or a numeric string, "
                              f"got {value!r}")
    try:
        return Money(value)
    except ValidationError as exc:
        raise ValidationError(field, str(exc).split(": ", 1)[-1]) from None


def _multiple(value: object, field: str) -> Decimal:
    return positive_decimal(field, value)


class CounterfeitFloor(LegalFloor):
    """Fraud by the seller (e.g. a counterfeit confirmed): refund plus ``multiple`` × the
    price, at least ``minimum`` (PRC Consumer Rights Protection Law art. 55: 3 × the price,
    at least 500 CNY). Fraud by the customer (``finding.party == "customer"``) owes nothing."""

    name = "cn_consumer_fraud"
    source = "PRC Consumer Rights Protection Law (消费者权益保护法), art. 55(1)"

    def __init__(self, multiple: int | Decimal = 3, minimum: Money | int | str = 500, *,
                 markets: Iterable[str] | None = None) -> None:
        self.multiple = _multiple(multiple, "multiple")
        self.minimum_amount = _money_param(minimum, "minimum")
        self.markets = _markets_of(markets, _PRC)

    def minimum(self, complaint: Complaint) -> Floor | None:
        f = complaint.finding
        if f is None or f.cause != "fraud" or f.party == "customer":
            return None
        owed = self.minimum_amount
        if complaint.amount is not None:
            owed = _max(complaint.amount * self.multiple, owed)
        return Floor("refund", owed, self.name, self.source)


class FoodSafetyFloor(LegalFloor):
    """Food not meeting safety standards: refund plus ``price_multiple`` × the price or
    ``loss_multiple`` × the loss, whichever is more, at least ``minimum`` (PRC Food Safety
    Law art. 148(2): 10 × the price or 3 × the loss, at least 1,000 CNY). Applies to a
    ``safety_violation`` finding on a complaint in ``categories``. The loss is unknown
    to complaintflow: override :meth:`loss` where your system knows it."""

    name = "cn_food_safety"
    source = "PRC Food Safety Law (食品安全法), art. 148(2)"

    def __init__(self, price_multiple: int | Decimal = 10, loss_multiple: int | Decimal = 3,
                 minimum: Money | int | str = 1000,
                 categories: Iterable[str] = ("food_safety",), *,
                 markets: Iterable[str] | None = None) -> None:
        self.markets = _markets_of(markets, _PRC)
        self.price_multiple = _multiple(price_multiple, "price_multiple")
        self.loss_multiple = _multiple(loss_multiple, "loss_multiple")
        self.minimum_amount = _money_param(minimum, "minimum")
        self.categories = frozenset(words("categories", categories))

    def loss(self, complaint: Complaint) -> Money | None:
        """The customer's loss beyond the price, when known (default: unknown)."""
        return None

    def minimum(self, complaint: Complaint) -> Floor | None:
        f = complaint.finding
        if f is None or f.cause != "safety_violation" or complaint.category not in self.categories:
            return None
        owed = self.minimum_amount
        if complaint.amount is not None:
            owed = _max(complaint.amount * self.price_multiple, owed)
        loss = self.loss(complaint)
        if loss is not None:
            owed = _max(loss * self.loss_multiple, owed)
        return Floor("refund", owed, self.name, self.source)


class NoReasonReturnFloor(LegalFloor):
    """Goods bought at a distance may be returned within ``days`` days without a reason
    (PRC Consumer Rights Protection Law art. 25).

    complaintflow does not record where the goods were bought, so the rule reads a
    distance purchase off the complaint: it arrived on an online channel (``channels``)
    and names no store. Such a complaint is offered at least a refund, unless the finding
    puts the fault on the customer (goods no longer in good condition). The delivery date
    is unknown too, so the complaint is presumed within the window; override
    :meth:`in_window` (and :meth:`distance_purchase`) where your order system knows better."""

    name = "cn_online_return"
    source = "PRC Consumer Rights Protection Law (消费者权益保护法), art. 25"

    def __init__(self, days: int = 7, channels: Iterable[str] = ONLINE_CHANNELS, *,
                 markets: Iterable[str] | None = None) -> None:
        self.markets = _markets_of(markets, _PRC)
        self.days = whole_number("days", days, minimum=1, maximum=3650)
        self.channels = frozenset(words("channels", channels))

    def in_window(self, complaint: Complaint) -> bool:
        """Whether the return window is still open (default: presumed)."""
        return True

    def distance_purchase(self, complaint: Complaint) -> bool:
        """Whether the goods were bought at a distance (default: an online channel and no
        store named on the complaint)."""
        return complaint.channel in self.channels and complaint.store is None

    def minimum(self, complaint: Complaint) -> Floor | None:
        if not self.distance_purchase(complaint) or not self.in_window(complaint):
            return None
        f = complaint.finding
        if f is not None and (f.cause == "customer_error" or f.party == "customer"):
            return None
        return Floor("refund", Money.zero(complaint.currency), self.name, self.source)


#: The floors every default ladder applies: the law of the People's Republic of China, to
#: complaints of market ``CN`` (see :data:`complaintflow.policies.MARKETS`).
DEFAULT_FLOORS: Final[tuple[LegalFloor, ...]] = (
    CounterfeitFloor(), FoodSafetyFloor(), NoReasonReturnFloor(),
)
FLOOR_KINDS: Final[Mapping[str, type[LegalFloor]]] = {
    CounterfeitFloor.name: CounterfeitFloor,
    FoodSafetyFloor.name: FoodSafetyFloor,
    NoReasonReturnFloor.name: NoReasonReturnFloor,
}


# -- the ladder -------------------------------------------------------------------------------

@attrs.frozen(slots=True)
class GoodwillLayer:
    """What we add when we were at fault: goodwill money and gestures (the complaint-handling brief's
    model case: a 500 CNY voucher, a handwritten apology letter, an invitation to a
    customer programme). It is part of the first offer when the finding's cause is in
    ``causes`` and its party in ``parties``, and the top rung of every ladder."""

    goodwill: Money = attrs.field(factory=lambda: Money(Decimal(500)))
    extras: tuple[str, ...] = ("apology_letter", "service_upgrade", "vip_programme")
    causes: frozenset[str] = frozenset({"service_error", "process_gap"})
    parties: frozenset[str] = frozenset({"store"})

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.goodwill, Money):
            raise ValidationError("goodwill", f"expected cf.Money, got {self.goodwill!r}")
        object.__setattr__(self, "extras", words("extras", self.extras))
        for name, allowed in (("causes", CAUSES), ("parties", PARTIES)):
            chosen = words(name, getattr(self, name))
            for value in chosen:
                if value not in allowed:
                    raise ValidationError(
                        name, f"unknown value {value!r}; expected one of {', '.join(allowed)}")
            object.__setattr__(self, name, frozenset(chosen))

    def at_fault(self, finding: Finding | None) -> bool:
        """Whether ``finding`` says we were at fault in the layer's sense."""
        return finding is not None and finding.cause in self.causes and finding.party in self.parties


@attrs.frozen(slots=True)
class LocalMoney:
    """The ladder's amounts in one currency besides the authority limits: the goodwill
    layer's money and the return shipping a partial refund pays at most. The defaults of
    other currencies are the CNY defaults converted to round local figures (see
    :attr:`CompensationLadder.DEFAULT_LOCAL`)."""

    goodwill: Money
    return_shipping: Money

    def __attrs_post_init__(self) -> None:
        for name in ("goodwill", "return_shipping"):
            if not isinstance(getattr(self, name), Money):
                raise ValidationError(name, f"expected cf.Money, got {getattr(self, name)!r}")
        if self.goodwill.currency != self.return_shipping.currency:
            raise CurrencyMismatch("return_shipping", f"in {self.return_shipping.currency}, the "
                                   f"goodwill in {self.goodwill.currency}: give both in one currency")


def _money(amount: int | str, currency: str) -> Money:
    return Money(Decimal(amount), currency)


def _tiers(currency: str, *amounts: int) -> Mapping[Tier, Money | None]:
    return {**{t: _money(a, currency) for t, a in zip(Tier, amounts, strict=False)},
            Tier.EXECUTIVE: None}


def _limits(limits: Mapping[Tier, Money | None], field: str = "limits") -> dict[Tier, Money | None]:
    if not isinstance(limits, Mapping):
        raise ValidationError(field, f"expected a mapping of tier to cf.Money or None, got {limits!r}")
    out = {Tier.parse(t, field): v for t, v in limits.items()}
    previous: Money | None = Money.zero()
    unlimited = False
    for tier in Tier:
        if tier not in out:
            raise ValidationError(f"{field}.{tier.label}", "every tier needs a limit (None: unlimited)")
        lim = out[tier]
        if lim is None:
            unlimited = True
            continue
        if not isinstance(lim, Money):
            raise ValidationError(f"{field}.{tier.label}", f"expected cf.Money or None, got {lim!r}")
        if previous is not None and previous.amount and lim.currency != previous.currency:
            raise CurrencyMismatch(f"{field}.{tier.label}", f"in {lim.currency}, a lower tier's "
                                   f"limit in {previous.currency}: give every tier in one currency")
        if unlimited or (previous is not None and previous.amount and lim < previous):
            raise ValidationError(f"{field}.{tier.label}", "a higher tier never has a lower limit")
        previous = lim
    return out


def _currency_of_limits(limits: Mapping[Tier, Money | None]) -> str | None:
    return next((m.currency for m in limits.values() if m is not None), None)


class CompensationLadder(CompensationPolicy):
    """Apology first, then partial refund → exchange → refund, then the goodwill layer.

    ``rungs`` are offer templates (their ``remedy_value`` is filled from the price paid:
    a refund moves the price, a partial refund the return shipping, at most the price).
    ``layer`` is the goodwill layer, ``limits`` the goodwill each tier may grant, and
    ``floors`` the legal minimums no offer goes below (each applied to the complaints of
    the markets whose law it is, :attr:`LegalFloor.markets`).

    Every offer is in the complaint's currency (its market's). ``limits``, ``layer`` and
    ``return_shipping`` are in the ladder's own currency (CNY by default);
    ``currency_limits`` gives the tier limits in other currencies and ``local`` the layer's
    goodwill and the return shipping in them (:class:`LocalMoney`). Both default to
    :attr:`DEFAULT_CURRENCY_LIMITS` and :attr:`DEFAULT_LOCAL`, so every bundled market's
    currency has limits; a currency with none is refused with
    :class:`~complaintflow.exceptions.AuthorityExceeded` naming it.
    """

    version: ClassVar[str] = "3"

    DEFAULT_RUNGS: ClassVar[tuple[Offer, ...]] = (
        Offer("none", extras=("apology",)),
        Offer("partial_refund", extras=("apology",)),
        Offer("exchange", extras=("apology",)),
        Offer("refund", extras=("apology",)),
    )
    DEFAULT_LIMITS: ClassVar[Mapping[Tier, Money | None]] = {
        Tier.FRONT_LINE: Money(Decimal(50)),
        Tier.STORE_SUPERVISOR: Money(Decimal(500)),
        Tier.REGIONAL_HEAD: Money(Decimal(5000)),
        Tier.EXECUTIVE: None,
    }
    #: *(default)* the return shipping a partial refund pays at most.
    DEFAULT_RETURN_SHIPPING: ClassVar[Money] = Money(Decimal(15))
    #: *(default)* the tier limits in the bundled markets' other currencies: the CNY
    #: limits (50 / 500 / 5,000) converted at about 1 HKD = 0.92 CNY, 1 GBP = 9.5 CNY,
    #: 1 EUR = 8.2 CNY and 1 USD = 7.2 CNY (2025) and rounded to round local figures.
    #: Policy numbers, not exchange rates: set your own.
    DEFAULT_CURRENCY_LIMITS: ClassVar[Mapping[str, Mapping[Tier, Money | None]]] = {
        "HKD": _tiers("HKD", 50, 500, 5000),
        "GBP": _tiers("GBP", 5, 50, 500),
        "EUR": _tiers("EUR", 6, 60, 600),
        "USD": _tiers("USD", 7, 70, 700),
    }
    #: *(default)* the layer's goodwill (500 CNY) and the return shipping (15 CNY) in the
    #: same currencies, converted and rounded the same way.
    DEFAULT_LOCAL: ClassVar[Mapping[str, LocalMoney]] = {
        "HKD": LocalMoney(_money(500, "HKD"), _money(20, "HKD")),
        "GBP": LocalMoney(_money(50, "GBP"), _money(2, "GBP")),
        "EUR": LocalMoney(_money(60, "EUR"), _money(2, "EUR")),
        "USD": LocalMoney(_money(70, "USD"), _money(2, "USD")),
    }

    def __init__(self, rungs: Sequence[Offer] | None = None,
                 limits: Mapping[Tier, Money | None] | None = None, *,
                 layer: GoodwillLayer | None = None,
                 floors: Iterable[LegalFloor] = DEFAULT_FLOORS,
                 return_shipping: Money | None = None,
                 currency_limits: Mapping[str, Mapping[Tier, Money | None]] | None = None,
                 local: Mapping[str, LocalMoney] | None = None) -> None:
        self.rungs = tuple(rungs if rungs is not None else self.DEFAULT_RUNGS)
        if not self.rungs or not all(isinstance(r, Offer) for r in self.rungs):
            raise ValidationError("rungs", "expected at least one cf.Offer")
        self.limits = _limits(limits if limits is not None else self.DEFAULT_LIMITS)
        self.layer = layer if layer is not None else GoodwillLayer()
        self.floors = tuple(floors)
        for floor in self.floors:
            if not isinstance(floor, LegalFloor):
                raise ValidationError("floors", f"expected LegalFloor instances, got {floor!r}")
        self.return_shipping = (return_shipping if return_shipping is not None
                                else self.DEFAULT_RETURN_SHIPPING)
        if not isinstance(self.return_shipping, Money):
            raise ValidationError("return_shipping", f"expected cf.Money, got {self.return_shipping!r}")
        #: The ladder's own currency: that of ``limits`` (else of the return shipping).
        self.currency = _currency_of_limits(self.limits) or self.return_shipping.currency
        by_currency = {c: _limits(t, f"currency_limits.{c}")
                       for c, t in self.DEFAULT_CURRENCY_LIMITS.items()}
        by_currency[self.currency] = self.limits
        for cur, table in (currency_limits or {}).items():
            by_currency[cur] = _limits(table, f"currency_limits.{cur}")
        for cur, table in by_currency.items():
            found = _currency_of_limits(table)
            if found is not None and found != cur:
                raise CurrencyMismatch(f"currency_limits.{cur}", f"the limits are in {found}")
        #: Tier limits per currency (the ladder's own currency included).
        self.currency_limits: Mapping[str, Mapping[Tier, Money | None]] = by_currency
        locals_ = dict(self.DEFAULT_LOCAL)
        for cur, amounts in (local or {}).items():
            if not isinstance(amounts, LocalMoney):
                raise ValidationError(f"local.{cur}", f"expected a LocalMoney, got {amounts!r}")
            if amounts.goodwill.currency != cur:
                raise CurrencyMismatch(f"local.{cur}", f"the amounts are in {amounts.goodwill.currency}")
            locals_[cur] = amounts
        #: The layer's goodwill and the return shipping per currency (``layer`` and
        #: ``return_shipping`` themselves win in their own currency).
        self.local: Mapping[str, LocalMoney] = locals_
        self._local_cache: dict[str, LocalMoney] = {}

    def limit(self, tier: Tier) -> Money | None:
        """The limit of ``tier`` in the ladder's own currency (see :meth:`limit_in`)."""
        return self.limits.get(tier)

    def limit_in(self, tier: Tier, currency: str) -> Money | None:
        """The limit of ``tier`` in ``currency``: :meth:`limit` in the ladder's own currency
        (so a subclass overriding :meth:`limit` keeps its say), else ``currency_limits``; a
        tier unlimited in the ladder's currency is unlimited in every currency."""
        if currency == self.currency:
            return self.limit(tier)
        table = self.currency_limits.get(currency)
        if table is None:
            if self.limit(tier) is None:
                return None  # unlimited is unlimited in every currency
            raise _no_limit(tier, currency, "the ladder has limits in "
                            f"{', '.join(sorted(self.currency_limits))}")
        return table.get(tier)

    def local_money(self, currency: str) -> LocalMoney:
        """The layer's goodwill and the return shipping in ``currency``; a currency the
        ladder has no amounts in is refused with
        :class:`~complaintflow.exceptions.CurrencyMismatch` naming both currencies."""
        cached = self._local_cache.get(currency)
        if cached is not None:
            return cached
        found = self.local.get(currency)
        goodwill = self.layer.goodwill if self.layer.goodwill.currency == currency else (
            None if found is None else found.goodwill)
        shipping = self.return_shipping if self.return_shipping.currency == currency else (
            None if found is None else found.return_shipping)
        if goodwill is None or shipping is None:
            raise CurrencyMismatch("compensation", f"the ladder's goodwill and return shipping are "
                                   f"in {self.layer.goodwill.currency}, the complaint in {currency}; "
                                   f"give them in {currency} ([compensation.local.{currency}])")
        made = self._local_cache[currency] = LocalMoney(goodwill, shipping)
        return made

    @classmethod
    def from_config(cls, table: Mapping[str, Any], ctx: ConfigContext) -> CompensationLadder:
        """Build from a ``[compensation]`` table (see :func:`compensation_from_config`)."""
        ladder = compensation_from_config(table, ctx)
        if cls is CompensationLadder:
            return ladder
        return ctx.build(cls, rungs=ladder.rungs, limits=ladder.limits, layer=ladder.layer,
                         floors=ladder.floors, return_shipping=ladder.return_shipping,
                         currency_limits=ladder.currency_limits, local=ladder.local)

    # -- the floors ---------------------------------------------------------------------------
    def floor(self, complaint: Complaint) -> Floor | None:
        """The combined legal floor of ``complaint``: the highest remedy and the highest
        statutory amount any rule owes (``None`` when no rule applies)."""
        found = [f for f in (rule.minimum(complaint) for rule in self.floors
                             if rule.applies_in(complaint.market)) if f is not None]
        if not found:
            return None
        remedy = max(found, key=lambda f: REMEDY_RANK[f.remedy])
        statutory = remedy.statutory
        rules = [remedy.rule]
        for f in found:
            if f is not remedy:
                if _below(statutory, f.statutory):
                    statutory = f.statutory
                rules.append(f.rule)
        source = "; ".join(dict.fromkeys(f.source for f in found))
        return Floor(remedy.remedy, statutory, ", ".join(dict.fromkeys(rules)), source)

    def _remedy_value(self, complaint: Complaint, remedy: str) -> Money:
        price = complaint.amount
        currency = complaint.currency
        if remedy == "refund":
            return price if price is not None else Money.zero(currency)
        if remedy == "partial_refund":
            shipping = self.local_money(currency).return_shipping
            if price is not None and price < shipping:
                return price
            return shipping
        return Money.zero(currency)

    # -- the ladder ---------------------------------------------------------------------------
    def rung_for(self, complaint: Complaint) -> tuple[Offer, bool]:
        """The rung template for the next offer and whether the goodwill layer is added."""
        step = complaint.declines
        if step < len(self.rungs):
            return self.rungs[step], self.layer.at_fault(complaint.finding)
        return self.rungs[-1], True

    def next_offer(self, complaint: Complaint) -> Offer:
        rung, layered = self.rung_for(complaint)
        remedy: Any = rung.remedy
        currency = complaint.currency
        goodwill = rung.goodwill if rung.goodwill.amount else Money.zero(currency)
        if goodwill.currency != currency:
            step = min(complaint.declines, len(self.rungs) - 1) + 1
            raise CurrencyMismatch("compensation.rungs", f"rung {step} gives goodwill in "
                                   f"{goodwill.currency} on a complaint in {currency}")
        extras = list(rung.extras)
        if layered:
            layer = self.local_money(currency).goodwill
            goodwill = goodwill + layer if goodwill.amount else layer
            extras += [e for e in self.layer.extras if e not in extras]
        statutory: Money | None = None
        floor = self._facts(complaint)[0]
        if floor is not None:
            if REMEDY_RANK[remedy] < REMEDY_RANK[floor.remedy]:
                remedy = floor.remedy
            statutory = floor.statutory
        value = self._remedy_value(complaint, remedy)
        return Offer(remedy, goodwill=goodwill,
                     statutory=statutory if statutory is not None else Money.zero(value.currency),
                     extras=tuple(extras), remedy_value=value)


# -- TOML: [compensation] ---------------------------------------------------------------------

_KEYS: Final = frozenset({"currency", "return_shipping", "rungs", "layer", "authority", "floors",
                          "limits", "local"})
_FLOOR_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "cn_consumer_fraud": frozenset({"multiple", "minimum", "markets"}),
    "cn_food_safety": frozenset({"price_multiple", "loss_multiple", "minimum", "categories",
                                 "markets"}),
    "cn_online_return": frozenset({"days", "channels", "markets"}),
}


def _cfg_money(ctx: ConfigContext, table: Mapping[str, Any], key: str, currency: str) -> Money:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | str):
        ctx.error(key, f"write money as a string or whole number (never a float), got {value!r}")
    return ctx.build(Money, renames={"amount": key, "currency": key}, amount=value,
                     currency=currency)


def _cfg_words(ctx: ConfigContext, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = ctx.get(table, key, list, [])
    if not all(isinstance(v, str) and v for v in value):
        ctx.error(key, "expected a list of names")
    return tuple(value)


def _rungs_from(raw: object, ctx: ConfigContext, currency: str) -> tuple[Offer, ...]:
    if not isinstance(raw, list) or not raw:
        ctx.error("rungs", "expected [[compensation.rungs]] tables")
    out = []
    for i, row in enumerate(raw):
        rc = ctx.sub(f"rungs[{i}]")
        if not isinstance(row, Mapping):
            ctx.error("rungs", "expected a table per rung")
        rc.unknown(row, {"remedy", "goodwill", "extras"})
        remedy = row.get("remedy")
        if remedy not in REMEDIES:
            ctx.error("rungs", f"rung {i + 1}: remedy {remedy!r} is not one of {', '.join(REMEDIES)}")
        goodwill = (_cfg_money(ctx, row, "goodwill", currency) if "goodwill" in row
                    else Money.zero(currency))
        out.append(Offer(remedy, goodwill=goodwill, extras=_cfg_words(ctx, row, "extras")))
    return tuple(out)


def _floors_from(raw: object, ctx: ConfigContext, currency: str) -> tuple[LegalFloor, ...]:
    if not isinstance(raw, Mapping):
        ctx.error("floors", "expected [compensation.floors.<name>] tables")
    out: list[LegalFloor] = []
    for name, table in raw.items():
        fc = ctx.sub(f"floors.{name}")
        if name not in FLOOR_KINDS:
            ctx.error(f"floors.{name}", f"unknown floor; expected one of {', '.join(FLOOR_KINDS)}")
        if not isinstance(table, Mapping):
            ctx.error(f"floors.{name}", "expected a table")
        fc.unknown(table, _FLOOR_KEYS[name])
        kwargs: dict[str, Any] = dict(table)
        if "minimum" in table:
            kwargs["minimum"] = _cfg_money(fc, table, "minimum", currency)
        for code in fc.get(table, "markets", list, []):
            try:
                check_market(code)
            except ValidationError as exc:
                fc.error("markets", str(exc).split(": ", 1)[-1])
        out.append(fc.build(FLOOR_KINDS[name], **kwargs))
    return tuple(out)


def _layer_from(raw: object, ctx: ConfigContext, currency: str) -> GoodwillLayer:
    lc = ctx.sub("layer")
    if not isinstance(raw, Mapping):
        ctx.error("layer", "expected a table")
    lc.unknown(raw, {"goodwill", "extras", "causes", "parties"})
    kwargs: dict[str, Any] = dict(raw)
    kwargs["goodwill"] = (_cfg_money(lc, raw, "goodwill", currency) if "goodwill" in raw
                          else Money(GoodwillLayer().goodwill.amount, currency))
    return lc.build(GoodwillLayer, **kwargs)


def _limits_from(raw: object, ctx: ConfigContext, currency: str, key: str = "authority",
                 defaults: Mapping[Tier, Money | None] | None = None) -> dict[Tier, Money | None]:
    ac = ctx.sub(key)
    if not isinstance(raw, Mapping):
        ctx.error(key, "expected a table of tier = amount")
    ac.unknown(raw, {t.label for t in Tier})
    base = defaults if defaults is not None else CompensationLadder.DEFAULT_LIMITS
    limits: dict[Tier, Money | None] = {
        t: (None if m is None else Money(m.amount, currency)) for t, m in base.items()
    }
    for label, value in raw.items():
        limits[Tier.parse(label)] = (None if value == "unlimited"
                                     else _cfg_money(ac, raw, label, currency))
    return limits


def _currency_key(ctx: ConfigContext, key: str, cur: str) -> None:
    try:
        Money.zero(cur)
    except ValidationError as exc:
        ctx.sub(key).error(cur, str(exc).split(": ", 1)[-1])


def _currency_limits_from(raw: object, ctx: ConfigContext) -> dict[str, dict[Tier, Money | None]]:
    """``[compensation.limits.<CUR>]``: the tier limits in another currency; tiers left out
    keep the bundled default in that currency (there is none for a currency no bundled
    market trades in: then every tier needs one)."""
    if not isinstance(raw, Mapping):
        ctx.error("limits", "expected [compensation.limits.<CUR>] tables of tier = amount")
    out: dict[str, dict[Tier, Money | None]] = {}
    sub = ctx.sub("limits")
    for cur, table in raw.items():
        _currency_key(ctx, "limits", cur)
        default = CompensationLadder.DEFAULT_CURRENCY_LIMITS.get(cur)
        if default is None:
            missing = [t.label for t in Tier if t.label not in table]
            if isinstance(table, Mapping) and missing:
                sub.sub(cur).error(missing[0], f"{cur} has no default limits: give every tier "
                                   "(\"unlimited\" for none)")
        out[cur] = _limits_from(table, sub, cur, key=cur, defaults=default)
    return out


def _local_from(raw: object, ctx: ConfigContext) -> dict[str, LocalMoney]:
    """``[compensation.local.<CUR>]``: ``goodwill`` (the layer's) and ``return_shipping``."""
    if not isinstance(raw, Mapping):
        ctx.error("local", "expected [compensation.local.<CUR>] tables")
    out: dict[str, LocalMoney] = {}
    sub = ctx.sub("local")
    for cur, table in raw.items():
        _currency_key(ctx, "local", cur)
        lc = sub.sub(cur)
        if not isinstance(table, Mapping):
            sub.error(cur, "expected a table with goodwill and return_shipping")
        lc.unknown(table, {"goodwill", "return_shipping"})
        default = CompensationLadder.DEFAULT_LOCAL.get(cur)
        amounts: dict[str, Any] = {}
        for key in ("goodwill", "return_shipping"):
            if key in table:
                amounts[key] = _cfg_money(lc, table, key, cur)
            elif default is not None:
                amounts[key] = getattr(default, key)
            else:
                lc.error(key, f"{cur} has no default amounts: give goodwill and return_shipping")
        out[cur] = lc.build(LocalMoney, **amounts)
    return out


def compensation_from_config(table: Mapping[str, Any], ctx: ConfigContext) -> CompensationLadder:
    """Build :class:`CompensationLadder` from the ``[compensation]`` table: each key is mapped
    to a constructor argument (amounts in the table's ``currency``; ``[compensation.limits.<CUR>]``
    and ``[compensation.local.<CUR>]`` in ``<CUR>``); the constructors of the ladder, the
    layer, the offers, the floors and :class:`~complaintflow.Money` validate."""
    ctx.unknown(table, _KEYS)
    currency = ctx.get(table, "currency", str, "CNY")
    ctx.build(Money.zero, currency=currency)
    kwargs: dict[str, Any] = {}
    if "return_shipping" in table:
        kwargs["return_shipping"] = _cfg_money(ctx, table, "return_shipping", currency)
    if "rungs" in table:
        kwargs["rungs"] = _rungs_from(table["rungs"], ctx, currency)
    if "layer" in table:
        kwargs["layer"] = _layer_from(table["layer"], ctx, currency)
    elif currency != "CNY":
        kwargs["layer"] = GoodwillLayer(goodwill=Money(GoodwillLayer().goodwill.amount, currency))
    if "authority" in table:
        kwargs["limits"] = _limits_from(table["authority"], ctx, currency)
    elif currency != "CNY":
        ctx.error("authority", f"give the tier limits in {currency} ([compensation.authority])")
    if "floors" in table:
        kwargs["floors"] = _floors_from(table["floors"], ctx, currency)
    if "limits" in table:
        kwargs["currency_limits"] = _currency_limits_from(table["limits"], ctx)
    if "local" in table:
        kwargs["local"] = _local_from(table["local"], ctx)
    return ctx.build(CompensationLadder, renames={"limits": "authority",
                                                  "currency_limits": "limits"}, **kwargs)


register_section("compensation", "compensation")(compensation_from_config)


def default_compensation_text() -> str:
    """The bundled ``compensation.toml``: the defaults, written in the schema users write."""
    return default_text("compensation.toml")
