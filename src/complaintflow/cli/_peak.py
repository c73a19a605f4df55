"""A promotion peak (6·18) simulated at scale: ``complaintflow demo --complaints N``.

Every complaint's whole life is decided by one ``random.Random(seed)`` drawn in a fixed
order, and played through the workflow in simulated time, so the same seed writes the same
database. Writes go through the store's ``batch()`` (one commit per chunk of complaints).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from complaintflow._clock import FrozenClock
from complaintflow._complaint import Complaint
from complaintflow._values import Actor, Finding, Money, Offer, Tier
from complaintflow._workflow import Workflow
from complaintflow.exceptions import ComplaintflowError, ValidationError
from complaintflow.store import Store

__all__ = ["CHUNK", "KETTLES", "Peak"]

#: Complaints written per commit.
CHUNK: Final = 250
#: Complaints about the defective kettle batch K-88 before it is withdrawn.
KETTLES: Final = 120

_REGIONS: Final = {"east": ("SH", "HZ", "NJ"), "north": ("BJ", "TJ"), "south": ("GZ", "SZ"),
                   "west": ("CD", "CQ"), "central": ("WH",)}
_CHANNELS: Final = (("hotline", 30), ("wechat", 25), ("app", 20), ("in_store", 12),
                    ("email", 6), ("social_media", 7))
#: (kind, texts, SKU prefix, price, cause, party)
_KINDS: Final = (
    ("defect", ("連衣裙第一次冷水手洗就嚴重褪色，要求退換", "The dress faded badly after the first wash.",
                "買了三天的藍牙耳機右耳沒有聲音", "The blender stopped working after two days."),
     "GOODS", "299.00", "product_defect", "supply_chain"),
    ("kettle", ("The kettle lid flew open and boiling water splashed on my hand.",
                "電熱水壺蓋子自己彈開，開水濺出來燙到手"),
     "KETTLE-2", "189.00", "product_defect", "supply_chain"),
    ("delivery", ("My order has not arrived, the delivery is delayed by five days.",
                  "快遞說已經簽收但我根本沒有收到包裹", "沙發送到家時表面有明顯劃痕"),
     "HOME", "899.00", "third_party", "third_party"),
    ("staff", ("The staff at the store were rude and ignored me for twenty minutes.",
               "門店店員態度很差，還對我大聲說話"),
     None, None, "service_error", "store"),
    ("promotion", ("6·18 滿300減50的優惠結帳時沒有生效", "The 618 coupon was not applied at checkout.",
                   "預售定金膨脹沒有按活動規則抵扣"),
     None, "300.00", "process_gap", "store"),
    ("food", ("在店裡買的牛奶已經變質，孩子喝了以後肚子痛",
              "The yoghurt I bought was mouldy before its date."),
     "MILK-1L", "59.00", "safety_violation", "supply_chain"),
)
_KIND_WEIGHTS: Final = (40, 6, 25, 10, 15, 4)
_AGENTS: Final = tuple(Actor(f"agent-{n:02d}") for n in range(1, 41))
_SUPERVISORS: Final = tuple(Actor(f"sup-{n:02d}", Tier.STORE_SUPERVISOR) for n in range(1, 9))
_HEADS: Final = (Actor("head-east", Tier.REGIONAL_HEAD), Actor("head-south", Tier.REGIONAL_HEAD))
_EXECUTIVE: Final = Actor("exec-01", Tier.EXECUTIVE)


class Peak:
    """``n`` complaints over ``days`` days from ``start``, decided by ``seed``."""

    def __init__(self, store: Store, *, n: int, seed: int, days: int, start: datetime) -> None:
        self.store = store
        self.n = n
        self.days = days
        self.start = start
        self.rng = random.Random(seed)
        self.clock = FrozenClock(start)
        counter = iter(range(1, n + 1))
        self.wf = Workflow(clock=self.clock, store=store,
                           ids=lambda: f"CF-{next(counter):06d}")
        self.outcomes: Counter[str] = Counter()
        rng = self.rng
        self.stores = {r: tuple(f"{city}-{k:02d}" for city in cities for k in range(1, 9))
                       for r, cities in _REGIONS.items()}
        per_kind = max(40, n // 25)  # a catalogue that grows with the peak: bounded per SKU
        self.skus = tuple(f"{p}-{k:03d}" for p in ("DRESS", "TV", "LAMP", "SHOE", "PHONE")
                          for k in range(1, per_kind + 1))
        self.kettles = 0
        self.arrivals = sorted(self._arrival(rng) for _ in range(n))

    def _arrival(self, rng: random.Random) -> float:
        """Hours after the start: most complaints come in the first days of the peak."""
        return min(rng.expovariate(1 / (self.days * 24 / 4)), self.days * 24 - 0.01)

    def batches(self) -> Iterator[tuple[int, Callable[[], None]]]:
        """``(complaints, run)`` per chunk: run writes that many complaints in one commit."""
        for first in range(0, self.n, CHUNK):
            hours = self.arrivals[first:first + CHUNK]
            yield len(hours), lambda hours=hours: self._chunk(hours)  # type: ignore[misc]

    def _chunk(self, hours: list[float]) -> None:
        batch = getattr(self.store, "batch", None)
        context: AbstractContextManager[Any] = batch() if batch is not None else nullcontext()
        with context:
            for h in hours:
                self._one(self.start + timedelta(hours=h))

    # -- one complaint's life ----------------------------------------------------------------
    def _at(self, when: datetime) -> datetime:
        self.clock.set(when)
        return when

    def _one(self, t: datetime) -> None:
        rng = self.rng
        kind, texts, sku_prefix, price, cause, party = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
        if kind == "kettle":
            self.kettles += 1
            if self.kettles > KETTLES:  # the batch was withdrawn: other defects from here on
                kind, texts, sku_prefix, price, cause, party = _KINDS[0]
        region = rng.choice(tuple(_REGIONS))
        store = rng.choice(self.stores[region]) if rng.random() < 0.8 else None
        batch = None
        sku = None
        if sku_prefix == "GOODS":
            sku = rng.choice(self.skus)
            batch = f"{sku[0]}{sku[-3:]}-B{rng.randrange(1, 9)}"  # a batch belongs to one SKU
        elif sku_prefix == "HOME":
            sku = f"SOFA-{rng.randrange(1, max(300, self.n // 20))}"
        elif sku_prefix is not None:
            sku = sku_prefix if kind == "kettle" else f"{sku_prefix}-{rng.randrange(1, 60)}"
            batch = "K-88" if kind == "kettle" else f"M-{rng.randrange(100, 999)}"
        amount = Money(Decimal(price)) if price is not None else None
        plan = rng.random()
        late = rng.random()
        behaviour = [rng.random() for _ in range(6)]
        agent = rng.choice(_AGENTS)
        supervisor = rng.choice(_SUPERVISORS)
        head = rng.choice(_HEADS)
        self._at(t)
        try:
            c = self.wf.receive(
                rng.choice(texts), customer_id=f"C-{rng.randrange(1, self.n * 3 + 10):07d}",
                channel=rng.choices([c for c, _ in _CHANNELS], [w for _, w in _CHANNELS])[0],
                order_id=f"O-{rng.randrange(10**7):07d}", sku=sku, batch=batch, store=store,
                region=region, amount=amount)
            self.outcomes[self._life(c, t, kind=kind, cause=cause, party=party, plan=plan,
                                     late=late, b=behaviour, agent=agent,
                                     supervisor=supervisor, head=head)] += 1
        except ComplaintflowError as exc:
            self.outcomes[f"stopped: {type(exc).__name__}"] += 1

    def _life(  # noqa: PLR0911 -- one story, many endings
            self, c: Complaint, t: datetime, *, kind: str, cause: Any, party: Any, plan: float,
            late: float, b: list[float], agent: Actor, supervisor: Actor, head: Actor) -> str:
        wf = self.wf
        senior = head if kind in ("kettle", "food") else supervisor
        actor = agent if c.tier.label == "front_line" else senior

        def by(who: Actor) -> Actor:  # the complaint as it stands when the command runs
            return self._owning(who, c, senior)

        if late < 0.12:  # nobody answered in time: the sweep records the breach first
            t = self._at(t + timedelta(hours=3 + 20 * b[0]))
            c = wf.tick(c)
            actor = senior
        else:
            t = self._at(t + timedelta(minutes=5 + 50 * b[0]))
        if plan < 0.04:
            return "open (received)"
        c = wf.acknowledge(c, actor=by(actor))
        if plan < 0.08:
            return "open (acknowledged)"
        if plan < 0.11:
            t = self._at(t + timedelta(hours=1 + 3 * b[1]))
            c = wf.withdraw(c, actor=by(actor), reason="the customer sorted it out")
            self._at(t + timedelta(minutes=10))
            wf.archive(c, actor=by(actor), summary="withdrawn by the customer")
            return "withdrawn"
        slow = late > 0.85  # the investigation overruns its deadline
        t = self._at(t + timedelta(hours=(30 if slow else 2) + 6 * b[2]))
        if slow:
            c = wf.tick(c)
            actor = senior
        evidence = ("order trail", f"inspection of {c.sku or 'the case'}")
        if plan < 0.14:
            c = wf.investigate(c, actor=by(actor), finding=Finding(
                cause="fraud", party="customer", evidence=("no purchase record",)))
            t = self._at(t + timedelta(minutes=20))
            c = wf.reject(c, actor=by(senior), reason="no purchase record",
                          evidence=("purchase records",))
            self._at(t + timedelta(minutes=5))
            wf.archive(c, actor=by(senior), summary="rejected after checks")
            return "rejected"
        c = wf.investigate(c, actor=by(actor), finding=Finding(cause=cause, party=party,
                                                           evidence=evidence))
        if plan < 0.18:
            return "open (investigated)"
        t = self._at(t + timedelta(hours=1 + 2 * b[3]))
        try:
            c = wf.propose(c, actor=by(actor), offer=self._offer(kind, b[3]))
        except ValidationError:  # below what the law owes: the ladder's offer instead
            c = wf.propose(c, actor=by(actor))
        if b[4] < 0.12:  # the customer declines; the next offer comes from the ladder
            t = self._at(t + timedelta(hours=1))
            c = wf.decline(c, actor=by(actor), reason="wants more than that")
            t = self._at(t + timedelta(minutes=30))
            c = wf.propose(c, actor=by(senior))
        if plan < 0.22:
            return "open (proposed)"
        t = self._at(t + timedelta(hours=2 + 20 * b[5]))
        c = wf.resolve(c, actor=by(actor))
        t = self._at(t + timedelta(hours=24))
        happy = 5 if b[5] > 0.5 else 4 if b[5] > 0.2 else 2
        c = wf.revisit(c, actor=by(actor), satisfaction=happy)
        if happy == 2 and b[1] < 0.5:
            t = self._at(t + timedelta(minutes=10))
            c = wf.reopen(c, actor=by(actor), reason="the replacement has the same fault")
            t = self._at(t + timedelta(hours=3))
            c = wf.propose(c, actor=by(senior))
            t = self._at(t + timedelta(hours=2))
            c = wf.resolve(c, actor=by(senior))
            t = self._at(t + timedelta(hours=24))
            c = wf.revisit(c, actor=by(senior), satisfaction=4)
            self._at(t + timedelta(minutes=10))
            wf.archive(c, actor=by(senior), summary="reopened once, settled")
            return "reopened, archived"
        self._at(t + timedelta(minutes=10))
        wf.archive(c, actor=by(actor), summary="settled")
        return "archived"

    def _owning(self, actor: Actor, c: Complaint, senior: Actor) -> Actor:
        """``actor``, or (once escalations raised the owning tier above theirs) the colleague
        of that tier the desk hands the case to: the authorization policy lets only the
        owning tier or above close a case. A deadline already passed escalates once more
        when the command runs, so the case goes to the tier above."""
        tier = c.tier
        now = self.wf.clock.now()
        if any(d <= now for s, d in c.open_deadlines.items() if s not in c.breached):
            tier = tier.up()
        if actor.tier >= tier:
            return actor
        if senior.tier >= tier:
            return senior
        return _HEADS[0] if tier <= Tier.REGIONAL_HEAD else _EXECUTIVE

    def _offer(self, kind: str, draw: float) -> Offer | None:
        if kind in ("defect", "kettle", "food"):
            return None  # the ladder decides (and what the law owes)
        if kind == "delivery":
            return Offer("partial_refund", remedy_value=Money(Decimal(10 + int(draw * 90))),
                         extras=("apology",))
        if kind == "promotion":
            return Offer("partial_refund", remedy_value=Money(Decimal("50")))
        return Offer("none", goodwill=Money(Decimal(20 + int(draw * 40))),
                     extras=("apology from the store manager",))
