"""``complaintflow demo``: a dozen complaints' whole lives, in simulated time, in a store.

Every run is the same: fixed ids, a :class:`~complaintflow.FrozenClock` that starts at
09:00 Beijing time on 18 June 2026 (a 6·18 promotion day) and only moves when the story
says so.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from complaintflow._clock import FrozenClock
from complaintflow._complaint import Complaint
from complaintflow._values import Actor, Finding, Money, Offer, Tier
from complaintflow._workflow import Workflow
from complaintflow.cli._common import (
    UsageError,
    all_complaints,
    check_database,
    close_store,
    db_argument,
    fmt_time,
    is_url,
    open_store,
    sqlite_store_class,
)
from complaintflow.cli._life import describe, show_life
from complaintflow.cli._output import INSTALL_HINT, Output, rich_available
from complaintflow.cli._peak import Peak
from complaintflow.cli.report import figures, show_figures, summary_rows
from complaintflow.cli.sweep import sweep
from complaintflow.exceptions import StoreError
from complaintflow.reports import build_report
from complaintflow.store import MemoryStore, Store

__all__ = ["DEFAULT_DB", "START", "Demo", "add_parser", "run"]

#: Where ``complaintflow demo`` keeps its complaints unless ``--db`` says otherwise.
DEFAULT_DB = Path("complaintflow-demo.sqlite")
#: The demo's first moment: 09:00 in Shanghai on 18 June 2026.
START = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)

AGENT = Actor("agent-7")
SUPERVISOR = Actor("sup-li", Tier.STORE_SUPERVISOR)
HEAD = Actor("head-east", Tier.REGIONAL_HEAD)


def _cny(amount: str) -> Money:
    return Money(Decimal(amount))


class Demo:
    """The demo's stories, each one complaint's life, told through one workflow and store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = FrozenClock(START)
        counter = itertools.count(1)
        self.wf = Workflow(clock=self.clock, store=store, ids=lambda: f"CF-{next(counter):04d}")
        self.stories: list[tuple[str, Callable[[], Complaint]]] = [
            ("the faded dress", self.faded_dress),
            ("a TV broken at New Year", self.new_year_tv),
            ("rude staff", self.rude_staff),
            ("late delivery, reopened", self.late_delivery),
            ("food safety", self.food_safety),
            ("one case by hotline and WeChat", self.duplicate),
            ("withdrawn", self.withdrawn),
            ("rejected as abusive", self.abusive),
            ("a declined offer", self.declined_offer),
            ("waiting for photos, then reclassified", self.waiting_for_photos),
            ("a promotion dispute left open", self.promotion_open),
            ("a burn left at investigation", self.kettle_burn),
        ]

    def _later(self, **kwargs: float) -> None:
        self.clock.advance(**kwargs)

    def _close(self, c: Complaint, actor: Actor, satisfaction: int, summary: str) -> Complaint:
        self._later(hours=3)
        c = self.wf.resolve(c, actor=actor)
        self._later(hours=24)
        c = self.wf.revisit(c, actor=actor, satisfaction=satisfaction)
        self._later(minutes=10)
        return self.wf.archive(c, actor=actor, summary=summary)

    # -- the stories ----------------------------------------------------------------------
    def faded_dress(self) -> Complaint:
        wf = self.wf
        c = wf.receive("連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換", customer_id="C-1001",
                       channel="hotline", order_id="O-9", sku="DRESS-0420", batch="B7",
                       store="SH-01", region="east", amount=_cny("399.00"))
        self._later(minutes=20)
        c = wf.acknowledge(c, actor=AGENT)
        self._later(hours=2)
        c = wf.investigate(c, actor=AGENT, finding=Finding(
            cause="product_defect", party="supply_chain",
            evidence=("order trail", "lab report on batch B7")))
        self._later(hours=1)
        c = wf.propose(c, actor=AGENT)
        return self._close(c, AGENT, 5, "dye defect in batch B7; wash-care label to be added")

    def new_year_tv(self) -> Complaint:
        wf = self.wf
        c = wf.receive("大年初一新買的電視突然壞了，400熱線兩天都沒人接", customer_id="C-1002",
                       channel="in_store", order_id="O-2718", sku="TV-55Q", store="BJ-03",
                       region="north", amount=_cny("4299.00"))
        self._later(hours=2)
        c = wf.tick(c)  # nobody answered: the acknowledgement is breached and escalates
        self._later(minutes=10)
        c = wf.acknowledge(c, actor=SUPERVISOR)
        self._later(hours=2)
        c = wf.investigate(c, actor=SUPERVISOR, finding=Finding(
            cause="product_defect", party="supply_chain",
            evidence=("service-centre test: power board fault", "hotline call log")))
        self._later(minutes=30)
        c = wf.propose(c, actor=SUPERVISOR, offer=Offer(
            "exchange", goodwill=_cny("200"), extras=("apology", "home installation")))
        return self._close(c, SUPERVISOR, 4, "holiday hotline rota added for Spring Festival")

    def rude_staff(self) -> Complaint:
        wf = self.wf
        c = wf.receive("The staff at the Nanjing Road store were rude and ignored me for "
                       "twenty minutes.", customer_id="C-1003", channel="in_store",
                       order_id="O-3141", store="SH-02", region="east")
        self._later(minutes=15)
        c = wf.acknowledge(c, actor=SUPERVISOR)
        self._later(hours=2)
        c = wf.investigate(c, actor=SUPERVISOR, finding=Finding(
            cause="service_error", party="store", evidence=("CCTV", "shift roster")))
        self._later(minutes=30)
        c = wf.propose(c, actor=SUPERVISOR, offer=Offer(
            "none", goodwill=_cny("50"), extras=("apology from the store manager",)))
        return self._close(c, SUPERVISOR, 4, "floor staff retrained on greeting customers")

    def late_delivery(self) -> Complaint:
        wf = self.wf
        c = wf.receive("My order has not arrived, the delivery is delayed by five days.",
                       customer_id="C-1004", channel="hotline", order_id="O-1618",
                       sku="LAMP-7", region="south", amount=_cny("129.00"))
        self._later(minutes=30)
        c = wf.acknowledge(c, actor=AGENT)
        self._later(hours=3)
        c = wf.investigate(c, actor=AGENT, finding=Finding(
            cause="third_party", party="third_party",
            evidence=("carrier tracking", "warehouse dispatch log")))
        self._later(hours=1)
        c = wf.propose(c, actor=AGENT, offer=Offer(
            "partial_refund", remedy_value=_cny("20"), extras=("apology",)))
        self._later(hours=2)
        c = wf.resolve(c, actor=AGENT)
        self._later(hours=24)
        c = wf.revisit(c, actor=AGENT, satisfaction=2)
        self._later(minutes=5)
        c = wf.reopen(c, actor=AGENT, reason="the lamp finally arrived with a cracked shade")
        self._later(hours=2)  # reopening puts the case back at investigation
        c = wf.propose(c, actor=AGENT, offer=Offer(
            "exchange", goodwill=_cny("30"), extras=("apology",)))
        return self._close(c, AGENT, 4, "carrier route south-2 under review")

    def food_safety(self) -> Complaint:
        wf = self.wf
        c = wf.receive("在店裡買的牛奶已經變質，孩子喝了以後肚子痛", customer_id="C-1005",
                       channel="wechat", order_id="O-5901", sku="MILK-1L", batch="M-0612",
                       store="GZ-01", region="south", amount=_cny("59.00"))
        self._later(minutes=30)
        c = wf.acknowledge(c, actor=HEAD)
        self._later(hours=2)
        c = wf.investigate(c, actor=HEAD, finding=Finding(
            cause="safety_violation", party="supply_chain",
            evidence=("cold-chain temperature log", "lab test of batch M-0612")))
        self._later(hours=1)
        c = wf.propose(c, actor=HEAD)  # the ladder puts what the food-safety law owes in
        return self._close(c, HEAD, 5, "batch M-0612 withdrawn; supplier audit")

    def duplicate(self) -> Complaint:
        wf = self.wf
        c = wf.receive("羽絨服拉鏈第一次穿就壞了", customer_id="C-1006", channel="hotline",
                       order_id="O-6006", sku="DOWN-88", store="SH-01", region="east")
        self._later(minutes=40)
        c = wf.receive("羽絨服拉鏈壞了，打了熱線還沒人回覆", customer_id="C-1006",
                       channel="wechat", order_id="O-6006", sku="DOWN-88")
        self._later(minutes=10)
        c = wf.acknowledge(c, actor=AGENT)
        self._later(hours=1)
        c = wf.investigate(c, actor=AGENT, finding=Finding(
            cause="product_defect", party="supply_chain", evidence=("zip batch Z-3 report",)))
        self._later(minutes=20)
        c = wf.propose(c, actor=AGENT, offer=Offer(
            "repair", extras=("apology", "free express both ways")))
        return self._close(c, AGENT, 5, "zip supplier Z-3 warned")

    def withdrawn(self) -> Complaint:
        wf = self.wf
        c = wf.receive("The sole of my new running shoes came off after one week.",
                       customer_id="C-1007", channel="social_media", order_id="O-7070",
                       region="west")
        self._later(minutes=25)
        c = wf.acknowledge(c, actor=AGENT)
        self._later(hours=1)
        c = wf.message(c, text="Sorry, I bought them in the shop across the street.",
                       channel="social_media")
        self._later(minutes=5)
        c = wf.withdraw(c, actor=AGENT, reason="bought in the shop opposite, not ours")
        self._later(minutes=5)
        return wf.archive(c, actor=AGENT, summary="not our product")

    def abusive(self) -> Complaint:
        wf = self.wf
        c = wf.receive("Your jacket is fake. Refund me ten times the price or I post it "
                       "everywhere.", customer_id="C-1008", channel="email", order_id="O-0000",
                       region="west")
        self._later(minutes=30)
        c = wf.acknowledge(c, actor=AGENT)
        self._later(hours=3)
        c = wf.investigate(c, actor=AGENT, finding=Finding(
            cause="fraud", party="customer",
            evidence=("no purchase under order O-0000", "photos show another brand's label")))
        self._later(minutes=10)
        c = wf.reject(c, actor=SUPERVISOR, reason="no purchase record; the jacket is not ours",
                      evidence=("purchase records",))
        self._later(minutes=5)
        return wf.archive(c, actor=SUPERVISOR, summary="abusive claim rejected after checks")

    def declined_offer(self) -> Complaint:
        wf = self.wf
        c = wf.receive("The blender stopped working after two days.", customer_id="C-1009",
                       channel="in_store", order_id="O-9009", sku="BLEND-3", store="SZ-01",
                       region="south", amount=_cny("299.00"))
        self._later(minutes=20)
        c = wf.acknowledge(c, actor=AGENT)
        self._later(hours=2)
        c = wf.investigate(c, actor=AGENT, finding=Finding(
            cause="product_defect", party="supply_chain", evidence=("motor test",)))
        self._later(minutes=30)
        c = wf.propose(c, actor=AGENT)
        self._later(hours=1)
        c = wf.decline(c, actor=AGENT, reason="wants a blender that works, not money")
        self._later(minutes=15)
        c = wf.propose(c, actor=AGENT)
        return self._close(c, AGENT, 5, "motor batch flagged to the supplier")

    def waiting_for_photos(self) -> Complaint:
        wf = self.wf
        c = wf.receive("沙發送到家時表面有明顯劃痕", customer_id="C-1010", channel="hotline",
                       order_id="O-1010", sku="SOFA-3", region="north",
                       amount=_cny("3999.00"))
        self._later(minutes=30)
        c = wf.acknowledge(c, actor=AGENT)
        self._later(minutes=10)
        c = wf.await_customer(c, actor=AGENT, reason="asked for photos of the scratches")
        self._later(hours=6)
        c = wf.message(c, text="照片已經發給你們了", channel="wechat")
        self._later(minutes=30)
        if c.category != "delivery_damage":  # the first classification was a guess
            c = wf.reclassify(c, actor=AGENT, category="delivery_damage",
                              dimension="experience",
                              reason="the photos show damage in transit")
        self._later(minutes=30)
        c = wf.investigate(c, actor=AGENT, finding=Finding(
            cause="third_party", party="third_party",
            evidence=("customer photos", "carrier handover record")))
        self._later(minutes=30)
        c = wf.propose(c, actor=SUPERVISOR, offer=Offer(
            "partial_refund", remedy_value=_cny("300"), goodwill=_cny("100"),
            extras=("apology",)))
        return self._close(c, SUPERVISOR, 4, "carrier to pad furniture corners")

    def promotion_open(self) -> Complaint:
        c = self.wf.receive("6·18 滿300減50的優惠結帳時沒有生效", customer_id="C-1011",
                            channel="app", order_id="O-6180", store="SH-01", region="east")
        self._later(minutes=30)
        return self.wf.acknowledge(c, actor=AGENT)

    def kettle_burn(self) -> Complaint:
        wf = self.wf
        c = wf.receive("The kettle lid flew open and I was burned by the boiling water.",
                       customer_id="C-1012", channel="hotline", order_id="O-1212",
                       sku="KETTLE-2", batch="K-88", store="SH-02", region="east",
                       amount=_cny("189.00"))
        self._later(minutes=20)
        c = wf.acknowledge(c, actor=HEAD)
        self._later(hours=2)
        return wf.investigate(c, actor=HEAD, finding=Finding(
            cause="safety_violation", party="supply_chain", evidence=("lid hinge test",)))


#: The largest ``--complaints`` and ``--days`` the demo accepts.
MAX_COMPLAINTS = 10_000_000
MAX_DAYS = 366


def _remove_database(db: str) -> None:
    if is_url(db):
        _drop_tables(db)
        return
    path = Path(db)
    if path.exists():
        check_database(path)  # never delete a file that is not ours
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{extra}").unlink(missing_ok=True)


def _drop_tables(url: str) -> None:
    """``--fresh`` on a server: drop the complaintflow tables (only when they are ours)."""
    store = open_store(url, create=True)  # refuses a database that is not ours
    try:
        tables = store.tables  # type: ignore[attr-defined]
        with store.engine.begin() as conn:  # type: ignore[attr-defined]
            for table in reversed(tables.all):
                table.drop(conn, checkfirst=True)
    finally:
        close_store(store)


def _store(db: str) -> tuple[Store, str | None]:
    if not is_url(db) and sqlite_store_class() is None:
        return MemoryStore(), (
            "note: this installation has no SQLiteStore; the demo keeps its complaints "
            "in memory and nothing is written")
    return open_store(db, create=True), None


def _count(text: str, top: int, *, zero: bool = False) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < (0 if zero else 1) or value > top:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from {0 if zero else 1} to {top}, got {value}")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo", help="run the dozen narrated complaints, or a promotion peak at scale",
        description="Without --complaints: create a dozen realistic complaints and carry them "
                    "through simulated time (acknowledgement, investigation, offers, declines, "
                    "pauses, breaches, escalation, reopening, archiving), keep them in a "
                    "database and print each complaint's life and a summary. With "
                    "--complaints N: simulate a 6·18 promotion peak of N complaints (channels, "
                    "regions, stores, SKUs, a defective kettle batch, late agents, declined "
                    "offers, reopenings, withdrawals, rejections); the same --seed writes the "
                    "same complaints.",
        epilog="examples:\n"
               "  complaintflow demo\n"
               "  complaintflow demo --complaints 100000 --seed 7 --days 10 --fresh --db peak.sqlite\n"
               "  complaintflow demo --complaints 5000 --db postgresql://app@db/complaints --fresh\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=db_argument, default=str(DEFAULT_DB),
                   help=f"an SQLite path or a database URL (default {DEFAULT_DB})")
    p.add_argument("--fresh", action="store_true",
                   help="delete the demo's complaints first (the file, or the tables on a server)")
    p.add_argument("--complaints", metavar="N", default=None,
                   type=lambda t: _count(t, MAX_COMPLAINTS),
                   help="simulate a promotion peak of N complaints instead of the dozen stories")
    p.add_argument("--seed", metavar="S", default=618,
                   type=lambda t: _count(t, 2**63 - 1, zero=True),
                   help="the peak's random seed (default 618): same seed, same complaints")
    p.add_argument("--days", metavar="D", default=7,
                   type=lambda t: _count(t, MAX_DAYS),
                   help="how many days the peak's complaints arrive over (default 7)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    db: str = args.db
    if args.fresh:
        _remove_database(db)
    store, note = _store(db)
    if note:
        output.err.write(note + "\n")
    try:
        if args.complaints is not None:
            return _run_peak(output, store, db, args.complaints, seed=args.seed, days=args.days)
        return _run(output, store, db, note)
    finally:
        close_store(store)


def _run_peak(output: Output, store: Store, db: str, n: int, *, seed: int, days: int) -> int:
    try:
        store.get("CF-000001")
    except StoreError:
        pass
    else:
        raise UsageError(f"{db}: already holds a peak; use --fresh to run it again")
    if all_complaints_exist(store):
        raise UsageError(f"{db}: holds other complaints; choose another --db or use --fresh")
    peak = Peak(store, n=n, seed=seed, days=days, start=START)
    output.line(f"complaintflow demo: a 6·18 peak of {n} complaints over {days} days "
                f"(seed {seed}), simulated from {fmt_time(START)} UTC, kept in {db}")
    for chunk in output.counting(list(peak.batches()), n, "living through the peak"):
        chunk()
    end = START + timedelta(days=days + 2)
    swept = sweep(peak.wf, store, end, limit=500)
    output.table("Outcomes", ("outcome", "complaints"),
                 peak.outcomes.most_common())
    events = sum(len(ev) for _, ev in swept)
    output.line(f"sweep at {fmt_time(end)} UTC: {events} events on {len(swept)} complaints")
    if not isinstance(store, MemoryStore):
        report = build_report(db)
        output.table("Summary", ("figure", "value"), summary_rows(report))
    output.line()
    output.line(f"kept in {db}; try: complaintflow report --db {db} --html report.html")
    return 0


def all_complaints_exist(store: Store) -> bool:
    """Whether ``store`` holds any complaint (without loading them all)."""
    counts = getattr(store, "counts", None)
    if counts is not None:
        return bool(counts("state"))
    return bool(all_complaints(store))


def _run(output: Output, store: Store, path: str, note: str | None) -> int:
    try:
        store.get("CF-0001")
    except StoreError:
        pass
    else:
        output.line(f"{path} already holds the demo; showing it (use --fresh to run it again)")
        for c in all_complaints(store):
            show_life(output, c)
        show_figures(output, figures(all_complaints(store)), title="Summary")
        return 0
    if all_complaints_exist(store):
        raise UsageError(f"{path}: holds other complaints; choose another --db or use --fresh")

    demo = Demo(store)
    output.line(f"complaintflow demo: {len(demo.stories)} complaints, simulated time from "
                f"{fmt_time(START)} UTC, kept in {path if note is None else 'memory'}")
    for story in output.progress(demo.stories, "living through the complaints"):
        story()
        demo.clock.advance(hours=1)
    demo.clock.advance(days=2)
    swept = sweep(demo.wf, store, demo.clock.now())
    for c in all_complaints(store):
        show_life(output, c)
    output.heading(f"Sweep at {fmt_time(demo.clock.now())} UTC (what cron would record)")
    output.table(None, ("complaint", "recorded", "details"),
                 [(c.id, e.name, describe(e)) for c, events in swept for e in events])
    show_figures(output, figures(all_complaints(store)), title="Summary")
    if note is None:
        output.line()
        output.line(f"kept in {path}; try: complaintflow report --db {path}")
    if not output.rich and not rich_available():
        output.err.write(INSTALL_HINT + "\n")
    return 0
