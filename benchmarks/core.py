"""The core rows of ``benchmarks/run.py``: a complaint's lifecycle, its memory, replay and the
commit cycle through SQLite and PostgreSQL, each beside baselines doing the same work.

The lifecycle is the one ``benchmarks/bench_lifecycle.py`` used to measure: receive,
acknowledge, investigate, propose, resolve, revisit, archive, with the default policies and
a :class:`~complaintflow.FrozenClock` moved forward between the steps (20 minutes, 2 hours,
1 hour, 24 hours: no deadline is missed). complaintflow runs it through a
:class:`~complaintflow.Workflow` over a :class:`~complaintflow.store.MemoryStore`.

The three baselines run the *same* policy calls on the same inputs (classification, scope,
risk, owner tier, deadlines and warnings, authorization of every step, the compensation
ladder's next offer, its fitting and its judgement, the follow-up deadline), the same SLA
check before each step, and build the same records: each event a ``(seq, name, at, actor,
data)`` tuple whose data dict holds what complaintflow's event holds (ISO times, the offer's
and the finding's dicts, the approval). They differ only in how the state changes:

- **hand-rolled**: a dict ``(state, command) -> state`` and one mutable record per
  complaint, kept in a dict by id with dict indexes for intake's look-ups;
- **transitions**: one ``transitions.Machine`` per complaint, the record as its model and
  the step as the transition's ``before`` callback (the library's documented way);
- **python-statemachine**: one ``StateMachine`` per complaint, the record as its model and
  the step as the ``before_<event>`` callback.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import complaintflow as cf
from complaintflow.store import MemoryStore, SQLiteStore

TEXT = "連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換"
FINDING = cf.Finding(cause="product_defect", party="supply_chain",
                     evidence=("order trail", "lab report"))
T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
AGENT = cf.Actor("agent-7")
PRICE = cf.Money(Decimal("399.00"))
#: The happy path's steps after receipt, each with the time that passes before it.
STEPS = (("acknowledge", timedelta(minutes=20)), ("investigate", timedelta(hours=2)),
         ("propose", timedelta(0)), ("resolve", timedelta(hours=1)),
         ("revisit", timedelta(hours=24)), ("archive", timedelta(0)))
EVENTS_PER_LIFE = 7


# -- complaintflow ---------------------------------------------------------------------------

def workflow_life(store: Any = "memory") -> Callable[[int], cf.Complaint]:
    """One complaint's lifecycle through a fresh workflow (``store``: a MemoryStore by
    default, ``None`` for none, or the store given)."""
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=MemoryStore() if store == "memory" else store)
    advance = clock.advance

    def life(n: int) -> cf.Complaint:
        c = wf.receive(TEXT, customer_id=f"C-{n}", channel="hotline", order_id=f"O-{n}",
                       sku=f"DRESS-{n}", batch=f"B-{n}", store="SH-01", region="east",
                       amount=PRICE, complaint_id=f"CF-{n}")
        advance(minutes=20)
        c = wf.acknowledge(c, actor=AGENT)
        advance(hours=2)
        c = wf.investigate(c, actor=AGENT, finding=FINDING)
        c = wf.propose(c, actor=AGENT)
        advance(hours=1)
        c = wf.resolve(c, actor=AGENT)
        advance(hours=24)
        c = wf.revisit(c, actor=AGENT, satisfaction=5)
        return wf.archive(c, actor=AGENT, summary="dye defect")

    return life


# -- the baselines: the same policies and records, three ways of changing the state ---------

_S = cf.State
TABLE: dict[tuple[str, str], str] = {
    ("received", "acknowledge"): "acknowledged", ("acknowledged", "investigate"): "investigated",
    ("investigated", "propose"): "proposed", ("proposed", "resolve"): "resolved",
    ("resolved", "revisit"): "revisited", ("revisited", "archive"): "archived",
}
STATES = ["received", "acknowledged", "investigated", "proposed", "resolved", "revisited",
          "archived"]
_STAGE = {s.value: s for s in cf.State}
_TIMED = (_S.ACKNOWLEDGED, _S.INVESTIGATED, _S.PROPOSED, _S.RESOLVED, _S.REVISITED)


class Case:
    """The hand-rolled record of one complaint: the fields the policies read, changed in
    place, and its events as ``(seq, name, at, actor, data)`` tuples."""

    def __init__(self, cid: str, customer_id: str, channel: str, text: str,  # noqa: PLR0917
                 at: datetime, refs: dict[str, str], amount: cf.Money) -> None:
        self.id = cid
        self.state = "received"
        self.customer_id = customer_id
        self.channel = channel
        self.text = text
        self.received_at = at
        self.order_id = refs["order_id"]
        self.sku = refs["sku"]
        self.batch = refs["batch"]
        self.store = refs["store"]
        self.region = refs["region"]
        self.brand: str | None = None
        self.amount = amount
        self.customer: dict[str, str] = {}
        self.category = "other"
        self.dimension = "other"
        self.severity = 3
        self.scope = "point"
        self.tier = cf.Tier.FRONT_LINE
        self.evidence: tuple[str, ...] = ()
        self.flags: frozenset[str] = frozenset()
        self.deadlines: dict[cf.State, datetime] = {}
        self.warnings: dict[cf.State, datetime] = {}
        self.completed: set[cf.State] = set()
        self.breached: set[cf.State] = set()
        self.warned: set[cf.State] = set()
        self.paused_at: datetime | None = None
        self.held = timedelta(0)
        self.finding: cf.Finding | None = None
        self.offers: list[cf.Offer] = []
        self.approvers: list[str | None] = []
        #: the accepted offers' money (what the compensation rules read): goodwill,
        #: statutory, remedy value, currency
        self.accepted: tuple[Decimal, Decimal, Decimal, str | None] = (
            Decimal(0), Decimal(0), Decimal(0), None)
        self.declines = 0
        self.reopens = 0
        self.satisfaction: int | None = None
        self.summary: str | None = None
        self.owner: str | None = None
        self.owner_tier = cf.Tier.FRONT_LINE
        self.follow_up_of: str | None = None
        #: the market the policies choose by (its floors, limits, regulators, calendar)
        self.market = "CN"
        self.history: list[tuple[int, str, datetime, str | None, dict[str, Any]]] = []

    @property
    def currency(self) -> str:
        """The market's currency, as ``Complaint.currency``."""
        return "CNY"

    @property
    def version(self) -> int:
        return len(self.history)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_final(self) -> bool:
        return self.state == "archived"

    @property
    def offer(self) -> cf.Offer | None:
        return self.offers[-1] if self.offers else None

    def record(self, name: str, at: datetime, actor: str | None, data: dict[str, Any]) -> None:
        self.history.append((len(self.history) + 1, name, at, actor, data))


def _times(times: dict[cf.State, datetime]) -> dict[str, str]:
    return {s.value: times[s].isoformat() for s in _TIMED if s in times}


class Hand:
    """The domain steps of the baselines: the workflow's policies, called as it calls them,
    and the records built by hand."""

    def __init__(self) -> None:
        wf = cf.Workflow()  # only for its default policies, shared with complaintflow's run
        self.classifier, self.escalation = wf.classifier, wf.escalation
        self.compensation, self.risk, self.scope = wf.compensation, wf.risk, wf.scope
        self.authorization = wf.authorization
        self.db: dict[str, Case] = {}
        self.by: dict[str, dict[str, list[Case]]] = {k: {} for k in (
            "customer_id", "sku", "batch", "brand")}
        self.stamp = {"classifier": type(self.classifier).__name__,
                      "classifier_v": self.classifier.version,
                      "escalation": type(self.escalation).__name__,
                      "escalation_v": self.escalation.version}

    def receive(self, n: int, now: datetime) -> Case:
        refs = {"order_id": f"O-{n}", "sku": f"DRESS-{n}", "batch": f"B-{n}", "store": "SH-01",
                "region": "east"}
        c = Case(f"CF-{n}", f"C-{n}", "hotline", TEXT, now, refs, PRICE)
        same_item: list[Case] = []
        for key in ("sku", "batch", "brand"):
            value = getattr(c, key)
            if value:
                same_item += [o for o in self.by[key].get(value, ()) if o not in same_item]
        mine = self.by["customer_id"].get(c.customer_id, [])
        verdict = self.classifier.classify(c)  # type: ignore[arg-type]
        c.category, c.dimension, c.severity = verdict.category, verdict.dimension, verdict.severity
        c.evidence = tuple(verdict.evidence)
        c.scope = self.scope.scope(c, same_item)  # type: ignore[arg-type]
        c.flags = frozenset(self.risk.assess(c, mine))  # type: ignore[arg-type]
        tier = self.escalation.owner(c)  # type: ignore[arg-type]
        if verdict.min_tier is not None:
            tier = max(tier, verdict.min_tier)
        c.tier = tier
        c.deadlines = dict(self.escalation.deadlines(c))  # type: ignore[arg-type]
        c.warnings = {s: min(max(w, now), c.deadlines[s]) for s, w in self.escalation.warnings(
            c, now, c.deadlines).items() if s in c.deadlines}  # type: ignore[arg-type]
        c.record("received", now, None, {
            "id": c.id, "customer_id": c.customer_id, "channel": c.channel, **refs,
            "brand": None, "amount": PRICE.to_dict(), "personal": {"text": TEXT},
            "category": c.category, "dimension": c.dimension, "severity": c.severity,
            "evidence": c.evidence, "scope": c.scope, "flags": tuple(sorted(c.flags)),
            "tier": tier.label, "deadlines": _times(c.deadlines),
            "warnings": _times(c.warnings), "policy": self.stamp})
        self.db[c.id] = c
        for key in self.by:
            value = getattr(c, key)
            if value:
                self.by[key].setdefault(value, []).append(c)
        return c

    def catch_up(self, c: Case, now: datetime, reaching: cf.State | None) -> None:
        """The SLA check before each step: a missed warning, a breach and its escalation."""
        for stage, deadline in c.deadlines.items():
            if stage in c.completed or stage in c.breached:
                continue
            late = now > deadline or (now == deadline and stage is not reaching)
            warn = c.warnings.get(stage)
            if warn is not None and now >= warn and stage not in c.warned and (
                    late or stage is not reaching):
                c.warned.add(stage)
                c.record("sla_warning", now, None, {"stage": stage.value,
                                                    "deadline": deadline.isoformat()})
            if late:
                c.breached.add(stage)
                c.record("sla_breached", now, None, {"stage": stage.value,
                                                     "deadline": deadline.isoformat()})
                target = self.escalation.on_breach(c, stage)  # type: ignore[arg-type]
                if target is not None and target > c.tier:
                    c.record("escalated", now, None, {"from": c.tier.label, "to": target.label})
                    c.tier = target

    def step(self, c: Case, command: str, target: str, now: datetime, actor: cf.Actor,
             **args: Any) -> None:
        """What one command decides and records (the state change is the caller's)."""
        stage = _STAGE[target]
        self.catch_up(c, now, stage)
        refused = self.authorization.refusal(c, command, actor)  # type: ignore[arg-type]
        if refused is not None:
            raise refused
        data: dict[str, Any]
        if command == "acknowledge":
            promise = c.deadlines.get(_S.PROPOSED, now)
            data = {"promise": promise.isoformat(), "actor_tier": actor.tier.label}
            c.owner, c.owner_tier = actor.id, actor.tier
        elif command == "investigate":
            c.finding = args["finding"]
            data = {"finding": c.finding.to_dict()}
        elif command == "propose":
            policy = self.compensation
            offer = policy.fit_authority(c, policy.next_offer(c), actor.tier)  # type: ignore[arg-type]
            approval = policy.judge(c, offer, actor=actor)  # type: ignore[arg-type]
            data = {"offer": offer.to_dict(), "automatic": True, "rung": c.declines,
                    **approval.to_data()}
            limit = policy.limit(actor.tier)
            data["authority"] = {**data["authority"], "approver_limit": None,
                                 "actor_limit": None if limit is None else limit.to_dict()}
            c.offers.append(offer)
            c.approvers.append(None)
        elif command == "resolve":
            due = self.escalation.follow_up(c, now)  # type: ignore[arg-type]
            times = {_S.REVISITED: due}
            warns = {s: min(max(w, now), times[s]) for s, w in self.escalation.warnings(
                c, now, times).items() if s in times}  # type: ignore[arg-type]
            c.deadlines[_S.REVISITED] = due
            c.warnings.update(warns)
            offer = c.offers[-1]
            goodwill, statutory, value, currency = c.accepted
            c.accepted = (goodwill + offer.goodwill.amount, statutory + offer.statutory.amount,
                          value + offer.remedy_value.amount,
                          offer.currency if offer.total.amount else currency)
            data = {"deadlines": _times(times), "warnings": _times(warns)}
        elif command == "revisit":
            c.satisfaction = args["satisfaction"]
            data = {"satisfaction": c.satisfaction}
        else:
            c.summary = args["summary"]
            data = {"summary": c.summary}
        c.completed.add(stage)
        c.record(target, now, actor.id, data)


_ARGS: dict[str, dict[str, Any]] = {"investigate": {"finding": FINDING},
                                    "revisit": {"satisfaction": 5},
                                    "archive": {"summary": "dye defect"}}


def hand_life() -> Callable[[int], Case]:
    """Baseline (a): a dict state table."""
    hand = Hand()

    def life(n: int) -> Case:
        now = T0 + timedelta(hours=27.33 * (n % 50_000))
        c = hand.receive(n, now)
        for command, wait in STEPS:
            now += wait
            target = TABLE.get((c.state, command))
            if target is None:
                raise cf.InvalidTransition(command, c.state)
            hand.step(c, command, target, now, AGENT, **_ARGS.get(command, {}))
            c.state = target
        return c

    return life


def transitions_life() -> Callable[[int], Case]:
    """Baseline (b): one ``transitions.Machine`` per complaint."""
    from transitions import Machine

    hand = Hand()
    specs = [{"trigger": cmd, "source": src, "dest": dst, "before": "decide"}
             for (src, cmd), dst in TABLE.items()]

    class Model(Case):
        def decide(self, command: str, now: datetime, **args: Any) -> None:
            hand.step(self, command, TABLE[self.state, command], now, AGENT, **args)

    def life(n: int) -> Case:
        now = T0 + timedelta(hours=27.33 * (n % 50_000))
        c = hand.receive(n, now)
        c.__class__ = Model
        Machine(model=c, states=STATES, transitions=specs, initial="received",
                auto_transitions=False)
        for command, wait in STEPS:
            now += wait
            c.trigger(command, command, now, **_ARGS.get(command, {}))  # type: ignore[attr-defined]
        return c

    return life


def statemachine_life() -> Callable[[int], Case]:
    """Baseline (c): one python-statemachine ``StateMachine`` per complaint."""
    from statemachine import State, StateMachine

    hand = Hand()

    class Life(StateMachine):
        received = State(initial=True)
        acknowledged = State()
        investigated = State()
        proposed = State()
        resolved = State()
        revisited = State()
        archived = State(final=True)
        acknowledge = received.to(acknowledged)
        investigate = acknowledged.to(investigated)
        propose = investigated.to(proposed)
        resolve = proposed.to(resolved)
        revisit = resolved.to(revisited)
        archive = revisited.to(archived)

        def before_transition(self, event: str, target: Any, now: datetime,
                              args: dict[str, Any]) -> None:
            hand.step(self.model, event, target.id, now, AGENT, **args)

    def life(n: int) -> Case:
        now = T0 + timedelta(hours=27.33 * (n % 50_000))
        c = hand.receive(n, now)
        machine = Life(model=c)
        for command, wait in STEPS:
            now += wait
            machine.send(command, now=now, args=_ARGS.get(command, {}))
        return c

    return life


# -- measuring -------------------------------------------------------------------------------

def rates(contenders: dict[str, Callable[[int], object]], count: int,
          repeats: int) -> dict[str, float]:
    """Best calls per second of each contender, runs of ``count`` calls interleaved
    (a, b, c, a, b, c ...) so that a busy machine slows all of them alike."""
    best = dict.fromkeys(contenders, 0.0)
    n = 0
    for _ in range(repeats):
        for name, fn in contenders.items():
            gc.collect()
            start = time.perf_counter()
            for i in range(n, n + count):
                fn(i)
            best[name] = max(best[name], count / (time.perf_counter() - start))
            n += count
    return best


def bytes_per(make: Callable[[int], object], count: int) -> float:
    """Memory each result keeps alive, by ``tracemalloc`` over ``count`` results."""
    make(10**8)  # warm caches outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [make(10**8 + 1 + i) for i in range(count)]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(kept) == count
    return (after - before) / count


# -- the commit cycle: load, command, save ----------------------------------------------------

def _seed(store: Any, complaints: int, prefix: str = "CF") -> tuple[list[str], cf.Workflow]:
    """``complaints`` acknowledged complaints (ids unique to this process and moment)."""
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=store)
    ids = []
    nonce = f"{os.getpid()}-{time.time_ns() % 10**12}"
    batch = getattr(store, "batch", None)
    with batch() if batch is not None else _nothing():
        for i in range(complaints):
            c = wf.receive("the kettle leaks", customer_id=f"C-{i}", channel="hotline",
                           complaint_id=f"{prefix}-{nonce}-{i:06d}")
            wf.acknowledge(c, actor=AGENT)
            ids.append(c.id)
    clock.advance(minutes=5)
    return ids, wf


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def cycle_ours(store: Any, ids: list[str], wf: cf.Workflow, cycles: int, offset: int) -> float:
    """Cycles per second of ``store.get`` → ``wf.message`` (which saves) over ``ids``."""
    start = time.perf_counter()
    for k in range(offset, offset + cycles):
        c = store.get(ids[k % len(ids)])
        wf.message(c, text=f"any news? ({k})", actor=AGENT)
    return cycles / (time.perf_counter() - start)


def _raw_snapshot(text: str) -> dict[str, Any]:
    """The snapshot's JSON, as a raw reader would take it (format, checksum, body)."""
    from complaintflow.store._snapshot import _digest

    _fmt, _, rest = text.partition(":")
    digest, _, payload = rest.partition(":")
    assert digest == _digest(payload)
    body: dict[str, Any] = json.loads(payload)
    return body


def _raw_encode(body: dict[str, Any], version: int) -> str:
    """The snapshot written back at ``version``: the same JSON and checksum work."""
    from complaintflow.store._snapshot import FORMAT, _digest

    body["version"] = version
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return f"{FORMAT}:{_digest(payload)}:{payload}"


class _RawBaseline:
    """What both raw baselines share: the state rows they keep, and the command they run."""

    rows: dict[str, list[Any]]
    version: int  # the version column's place in a state row

    def message(self, cid: str, k: int, snapshot: str, last: Sequence[Any]
                ) -> tuple[int, Any, dict[str, Any], str, dict[str, Any], list[Any]]:
        """After the last event ``last`` and the stored ``snapshot``: a message's number,
        time, data, event id, outbox envelope, and the parameters of the conditional
        update of the state row."""
        body = _raw_snapshot(snapshot)
        seq = last[0] + 1
        at = last[3]
        data = {"channel": None, "personal": {"text": f"any news? ({k})"}}
        row = self.rows[cid]
        row[self.version] = seq
        eid = f"{cid}:{seq}"
        envelope = {"id": eid, "complaint_id": cid, "seq": seq, "name": "message",
                    "at": at if isinstance(at, str) else at.isoformat(), "actor": AGENT.id,
                    "data": data}
        return seq, at, data, eid, envelope, [*row[1:], _raw_encode(body, seq), seq, cid,
                                              seq - 1]


class RawSQLite(_RawBaseline):
    """The same statements through ``sqlite3``: the load (the state row's snapshot and the
    events after it, one read transaction; the snapshot's JSON parsed) and the save (the
    conditional update of the state row with a re-encoded snapshot, the event, its outbox
    row: one write transaction)."""

    def __init__(self, path: Path) -> None:
        from complaintflow.store._sqlite import _INSERT_EVENT, _INSERT_OUTBOX, _LOAD, _UPDATE_ROW

        self.update, self.event, self.outbox = _UPDATE_ROW, _INSERT_EVENT, _INSERT_OUTBOX
        self.load = f"{_LOAD} WHERE c.id = ? ORDER BY e.seq"
        self.con = sqlite3.connect(path, isolation_level=None)
        self.con.execute("PRAGMA journal_mode = WAL")
        self.con.execute("PRAGMA synchronous = NORMAL")
        from complaintflow.store._base import STATE_COLUMNS

        self.version = STATE_COLUMNS.index("version")
        self.rows = {r[0]: list(r) for r in self.con.execute(
            f"SELECT {', '.join(STATE_COLUMNS)} FROM cf_complaints")}

    def cycle(self, ids: list[str], cycles: int, offset: int) -> float:
        con = self.con
        start = time.perf_counter()
        for k in range(offset, offset + cycles):
            cid = ids[k % len(ids)]
            con.execute("BEGIN")
            loaded = con.execute(self.load, (cid,)).fetchall()
            con.execute("COMMIT")
            history = [(s, n, v, at, a, json.loads(d)) for s, n, v, at, a, d in
                       (r[-6:] for r in loaded)]
            seq, at, data, eid, envelope, update = self.message(cid, k, loaded[0][0],
                                                                history[-1])
            con.execute("BEGIN IMMEDIATE")
            cur = con.execute(self.update, update)
            assert cur.rowcount == 1
            con.execute(self.event, (cid, seq, "message", 1, at, AGENT.id, json.dumps(data)))
            con.execute(self.outbox, (eid, cid, seq, json.dumps(envelope), at))
            con.execute("COMMIT")
        return cycles / (time.perf_counter() - start)


def sqlite_commit(complaints: int, cycles: int, repeats: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="cfbench-") as tmp:
        ours_db, raw_db = Path(tmp) / "ours.sqlite", Path(tmp) / "raw.sqlite"
        with SQLiteStore(ours_db, synchronous="NORMAL") as store:
            ids, wf = _seed(store, complaints)
        import shutil

        shutil.copy(ours_db, raw_db)
        best_ours = best_raw = 0.0
        with SQLiteStore(ours_db, synchronous="NORMAL") as store:
            wf.store = store
            raw = RawSQLite(raw_db)
            try:
                for r in range(repeats):
                    best_raw = max(best_raw, raw.cycle(ids, cycles, r * cycles))
                    best_ours = max(best_ours, cycle_ours(store, ids, wf, cycles, r * cycles))
            finally:
                raw.con.close()
    return best_ours, best_raw


# -- PostgreSQL: SQLStore against psycopg, one and four workers -------------------------------

def _pg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
        "postgresql://") else url


class RawPG(_RawBaseline):
    """The same statements as :class:`~complaintflow.store.SQLStore` through ``psycopg``:
    the load (the complaint's events, one transaction) and the save (the conditional update
    of the state row, the event, its outbox row: one transaction)."""

    def __init__(self, url: str, ids: list[str]) -> None:
        import psycopg

        from complaintflow.store._base import STATE_COLUMNS

        self.con = psycopg.connect(url.replace("+psycopg", ""))
        self.cols = STATE_COLUMNS
        self.update = ("UPDATE cf_complaints SET "
                       + ", ".join(f"{c} = %s" for c in (*STATE_COLUMNS[1:], "snapshot",
                                                          "snapshot_version"))
                       + ", claimed_by = NULL, claimed_until = NULL WHERE cf_complaints.id = %s"
                       " AND cf_complaints.version = %s")
        with self.con.cursor() as cur:
            cur.execute(f"SELECT {', '.join(STATE_COLUMNS)} FROM cf_complaints "
                        "WHERE id = ANY(%s)", (ids,))
            self.rows = {r[0]: list(r) for r in cur.fetchall()}
        self.con.commit()
        self.version = STATE_COLUMNS.index("version")

    def cycle(self, ids: list[str], cycles: int, offset: int) -> float:
        from psycopg.types.json import Jsonb

        con = self.con
        start = time.perf_counter()
        for k in range(offset, offset + cycles):
            cid = ids[k % len(ids)]
            with con.cursor() as cur:
                cur.execute("SELECT c.snapshot, e.seq, e.name, e.v, e.at, e.actor, e.data "
                            "FROM cf_complaints c JOIN cf_events e ON e.complaint_id = c.id "
                            "AND e.seq >= COALESCE(c.snapshot_version, 1) WHERE c.id = %s "
                            "ORDER BY e.seq", (cid,))
                loaded = cur.fetchall()
            con.commit()
            history = [r[1:] for r in loaded]
            seq, at, data, eid, envelope, update = self.message(cid, k, loaded[0][0],
                                                                history[-1])
            with con.cursor() as cur:
                cur.execute(self.update, update)
                assert cur.rowcount == 1
                cur.execute("INSERT INTO cf_events (complaint_id, seq, name, v, at, actor, data)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                            (cid, seq, "message", 1, at, AGENT.id, Jsonb(data)))
                cur.execute("INSERT INTO cf_outbox (event_id, complaint_id, seq, payload, "
                            "created_at) VALUES (%s, %s, %s, %s, %s)",
                            (eid, cid, seq, Jsonb(envelope), at))
            con.commit()
        return cycles / (time.perf_counter() - start)


def _pg_worker(url: str, complaints: int, cycles: int, gate: Any, out: Any) -> None:
    from complaintflow.store import SQLStore

    store = SQLStore(_pg_url(url))
    try:
        ids, wf = _seed(store, complaints)
        gate.wait()
        start = time.perf_counter()
        cycle_ours(store, ids, wf, cycles, 0)
        out.put(time.perf_counter() - start)
    finally:
        store.close()


def pg_commit(url: str, complaints: int, cycles: int, repeats: int) -> tuple[float, float, float]:
    """Cycles/s of one SQLStore process, of raw psycopg (interleaved with it), and of four
    SQLStore worker processes together (each on its own complaints)."""
    import multiprocessing

    from complaintflow.store import SQLStore

    store = SQLStore(_pg_url(url))
    try:
        ids, wf = _seed(store, complaints)
        raw_wf_ids, _ = _seed(store, complaints, "RAW")
        raw = RawPG(url, raw_wf_ids)
        best_ours = best_raw = 0.0
        try:
            for r in range(repeats):
                best_raw = max(best_raw, raw.cycle(raw_wf_ids, cycles, r * cycles))
                best_ours = max(best_ours, cycle_ours(store, ids, wf, cycles, r * cycles))
        finally:
            raw.con.close()
    finally:
        store.close()
    ctx = multiprocessing.get_context("spawn")
    best_four = 0.0
    for _ in range(min(repeats, 2)):  # four processes seeding their own complaints: slow
        gate, out = ctx.Barrier(4), ctx.Queue()
        workers = [ctx.Process(target=_pg_worker, args=(url, complaints, cycles, gate, out))
                   for _ in range(4)]
        for w in workers:
            w.start()
        times = [out.get(timeout=600) for _ in workers]
        for w in workers:
            w.join()
        best_four = max(best_four, 4 * cycles / max(times))
    return best_ours, best_raw, best_four

