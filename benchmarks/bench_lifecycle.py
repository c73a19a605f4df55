"""How much a complaint's whole life costs, against a bare ``transitions`` machine.

Run it as ``python benchmarks/bench_lifecycle.py``. It measures one complaint's
classified, deadlined lifecycle (receive, acknowledge, investigate, propose, resolve,
revisit, archive) through the default :class:`complaintflow.Workflow` with a
:class:`complaintflow.FrozenClock`: the time per lifecycle and the memory each finished
complaint keeps (``tracemalloc``). Both are printed as ratios against a baseline measured
in the same run: one ``transitions.Machine`` built per complaint, with the same nine
states and the same state-changing edges (the lifecycle graph ``complaintflow diagram``
draws), driven along the same path; a machine with every command of the engine's table
(the ones that keep the state, like ``escalate`` and ``await_customer``) is printed too.
A last measurement runs the lifecycle through an :class:`complaintflow.store.SQLiteStore`
file, with ``synchronous`` FULL (the default) and NORMAL.

The baseline is the naive way to put a state machine behind every complaint; it knows
nothing of deadlines, classification, offers or history, so a ratio near 1 means the
whole domain costs about as much as building the bare machine.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from transitions import Machine

import complaintflow as cf
from complaintflow._engine import EDGES

PATH = ("acknowledge", "investigate", "propose", "resolve", "revisit", "archive")
TEXT = "連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換"
FINDING = cf.Finding(cause="product_defect", party="supply_chain",
                     evidence=("order trail", "lab report"))
T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)


# -- the baseline: one transitions.Machine per complaint -----------------------------------

_STATES = [s.value for s in cf.State]
#: Every edge of the engine's table, the commands that keep the state included.
_ALL_SPECS = [
    {"trigger": trigger, "source": source.value, "dest": None if dest is None else dest.value}
    for trigger, (sources, dest) in EDGES.items() for source in sources
]
#: The lifecycle graph: the nine states and the edges that change the state.
_SPECS = [spec for spec in _ALL_SPECS if spec["dest"] is not None]


class _Model:
    """The object a per-complaint machine drives."""

    state: str


def _drive(specs: list[dict[str, Any]]) -> object:
    model = _Model()
    Machine(model=model, states=_STATES, transitions=specs, initial="received",
            auto_transitions=False)
    for trigger in PATH:
        model.trigger(trigger)  # type: ignore[attr-defined]
    assert model.state == "archived"
    return model


def baseline_lifecycle(_n: int) -> object:
    """The baseline: a machine of the lifecycle graph built for one complaint and driven."""
    return _drive(_SPECS)


def full_table_lifecycle(_n: int) -> object:
    """The same with every command of the engine's table (pauses, escalation ...) too."""
    return _drive(_ALL_SPECS)


# -- complaintflow ----------------------------------------------------------------------------

def workflow_lifecycle(store: Any = None) -> tuple[Callable[[int], object], cf.Workflow]:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=store, ids=None)

    def life(n: int) -> object:
        c = wf.receive(TEXT, customer_id=f"C-{n}", channel="hotline", order_id=f"O-{n}",
                       sku=f"DRESS-{n}", batch=f"B-{n}", store="SH-01", region="east",
                       amount=cf.Money(Decimal("399.00")), complaint_id=f"CF-{n}")
        clock.advance(minutes=20)
        c = wf.acknowledge(c, actor="agent-7")
        clock.advance(hours=2)
        c = wf.investigate(c, actor="agent-7", finding=FINDING)
        c = wf.propose(c, actor="agent-7")
        clock.advance(hours=1)
        c = wf.resolve(c, actor="agent-7")
        clock.advance(hours=24)
        c = wf.revisit(c, actor="agent-7", satisfaction=5)
        c = wf.archive(c, actor="agent-7", summary="dye defect")
        assert c.state is cf.State.ARCHIVED
        return c

    return life, wf


# -- measuring ----------------------------------------------------------------------------

def time_per_call(fn: Callable[[int], object], iterations: int, repeat: int,
                  start: int = 0) -> float:
    """Best mean seconds per call over ``repeat`` runs of ``iterations`` calls."""
    best = float("inf")
    n = start
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn(n)
            n += 1
        best = min(best, (time.perf_counter() - t0) / iterations)
    return best


def best_times(fns: dict[str, Callable[[int], object]], iterations: int,
               repeat: int) -> dict[str, float]:
    """Best mean seconds per call of each function; the runs are interleaved (a, b, a, b …)
    so that a busy machine slows every contender alike."""
    best = dict.fromkeys(fns, float("inf"))
    counters = dict.fromkeys(fns, 0)
    for _ in range(repeat):
        for name, fn in fns.items():
            best[name] = min(best[name], time_per_call(fn, iterations, 1, counters[name]))
            counters[name] += iterations
    return best


def bytes_per_result(fn: Callable[[int], object], count: int, start: int = 10_000_000) -> float:
    """Memory kept alive per result, measured with ``tracemalloc`` over ``count`` results."""
    fn(start - 1)  # warm caches (engine, policies) outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [fn(start + i) for i in range(count)]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(kept) == count
    return (after - before) / count


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} µs"


def _kb(size: float) -> str:
    return f"{size / 1024:7.1f} KB"


def run(iterations: int, repeat: int, memory_count: int, sqlite: bool,
        out: Any = sys.stdout) -> dict[str, float]:
    """Measure and print; returns the figures (seconds, bytes and ratios)."""
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    say(f"complaintflow {cf.__version__}, Python {sys.version.split()[0]}: "
        f"{iterations} lifecycles x {repeat} repeats (best), memory over {memory_count}")
    life, _wf = workflow_lifecycle()
    times = best_times({"baseline": baseline_lifecycle, "workflow": life,
                        "full_table": full_table_lifecycle}, iterations, repeat)
    base_t, cf_t, full_t = times["baseline"], times["workflow"], times["full_table"]
    base_m = bytes_per_result(baseline_lifecycle, memory_count)
    say(f"baseline: transitions.Machine per complaint   {_us(base_t)} per lifecycle  "
        f"{_kb(base_m)} per complaint")

    life_m, _ = workflow_lifecycle()
    cf_m = bytes_per_result(life_m, memory_count)
    say(f"complaintflow Workflow, default policies      {_us(cf_t)} per lifecycle  "
        f"{_kb(cf_m)} per complaint")
    figures = {"baseline_s": base_t, "baseline_bytes": base_m, "workflow_s": cf_t,
               "workflow_bytes": cf_m, "time_ratio": cf_t / base_t,
               "memory_ratio": cf_m / base_m}
    say(f"ratio time per lifecycle: {figures['time_ratio']:.2f}x baseline")
    say(f"ratio memory per complaint: {figures['memory_ratio']:.2f}x baseline")
    figures["full_table_s"] = full_t
    say(f"(a machine with all {len(_ALL_SPECS)} edges of the table, internal commands "
        f"included: {_us(full_t).strip()} per lifecycle, {full_t / base_t:.2f}x baseline)")

    if sqlite:
        try:
            from complaintflow.store import SQLiteStore
        except ImportError:
            say("SQLiteStore: not available in this installation")
            return figures
        n = max(1, iterations // 10)
        for sync in ("FULL", "NORMAL"):
            with tempfile.TemporaryDirectory() as tmp, SQLiteStore(
                    Path(tmp) / "bench.sqlite", synchronous=sync) as store:
                life_s, _ = workflow_lifecycle(store)
                sq = best_times({"sqlite": life_s, "baseline": baseline_lifecycle}, n, repeat)
            sq_t, sq_base = sq["sqlite"], sq["baseline"]
            figures[f"sqlite_{sync.lower()}_s"] = sq_t
            say(f"complaintflow + SQLiteStore file, {sync:<6}     {_us(sq_t)} per lifecycle  "
                f"(7 commits; baseline beside it {_us(sq_base).strip()})")
            say(f"ratio time per lifecycle with SQLiteStore ({sync}): "
                f"{sq_t / sq_base:.2f}x baseline")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=2000,
                        help="lifecycles per timed run (default 2000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the best counts")
    parser.add_argument("--memory", type=int, default=1000,
                        help="complaints kept alive for the memory measurement")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLiteStore run")
    args = parser.parse_args(argv)
    if min(args.iterations, args.repeat, args.memory) < 1:
        parser.error("--iterations, --repeat and --memory must be at least 1")
    run(args.iterations, args.repeat, args.memory, sqlite=not args.no_sqlite)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
