"""``complaintflow sweep``: bring the SLA clocks of due complaints up to now (run it from cron)."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from complaintflow._clock import FrozenClock, SystemClock
from complaintflow._complaint import Complaint
from complaintflow._events import Event
from complaintflow._workflow import Workflow
from complaintflow.cli._common import (
    UsageError,
    close_store,
    db_argument,
    fmt_time,
    open_store,
    parse_now,
)
from complaintflow.cli._life import describe
from complaintflow.cli._output import Output
from complaintflow.exceptions import ConcurrencyError
from complaintflow.policies._config import load_policies
from complaintflow.store import Store

__all__ = ["add_parser", "run", "sweep"]


def _batch(store: Store, now: datetime, limit: int, worker: str | None) -> Sequence[Complaint]:
    claim = getattr(store, "claim_due", None)
    if claim is not None and worker is not None:
        claimed: Sequence[Complaint] = claim(now, limit, worker)
        return claimed
    return store.due(now, limit)


def sweep(wf: Workflow, store: Store, now: datetime, *, limit: int = 100,
          worker: str | None = None) -> list[tuple[Complaint, tuple[Event, ...]]]:
    """Tick every complaint of ``store`` due at ``now``; returns each one with its new events.

    Uses the store's ``claim_due(now, limit, worker)`` when it has one (so several sweepers
    may run at once), else ``due(now, limit)``. A complaint changed meanwhile by someone
    else is loaded again and ticked again.
    """
    done: list[tuple[Complaint, tuple[Event, ...]]] = []
    seen: set[str] = set()
    while True:
        fresh = [c for c in _batch(store, now, limit, worker) if c.id not in seen]
        if not fresh:
            return done
        for found in fresh:
            seen.add(found.id)
            ticked = _tick(wf, store, found, now)
            if ticked is not None:
                done.append(ticked)


def _tick(wf: Workflow, store: Store, complaint: Complaint, now: datetime,
          attempts: int = 3) -> tuple[Complaint, tuple[Event, ...]] | None:
    """Tick one complaint, loading it again when someone else changed it meanwhile; a
    complaint that keeps changing is left to the next sweep."""
    for _ in range(attempts):
        try:
            after = wf.tick(complaint, now)
        except ConcurrencyError:
            complaint = store.get(complaint.id)
            continue
        new = tuple(after.history[complaint.version:])
        return (after, new) if new else None
    return None


#: The longest pause ``--every`` accepts (a day).
MAX_EVERY = 86_400.0


def _every(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < value <= MAX_EVERY:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected seconds above 0 and at most {MAX_EVERY:g}, "
                                         f"got {text}")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 100000, got {value}")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sweep", help="record warnings, breaches and escalations that are due",
        description="Run the workflow's tick over every complaint whose deadline or warning "
                    "has come: once (for cron), or with --every SECONDS as a long-running "
                    "service (systemd, a container) that claims due complaints through the "
                    "store's claim_due, so several sweepers may share one PostgreSQL. "
                    "SIGTERM or Ctrl-C stops it after the batch in flight.",
        epilog="examples:\n"
               "  complaintflow sweep --db complaints.sqlite\n"
               "  complaintflow sweep --db complaints.sqlite --now 2026-06-20T09:00:00+08:00\n"
               "  complaintflow sweep --db postgresql://app@db/complaints --every 60 "
               "--worker sweeper-1\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", required=True, type=db_argument,
                   help="an SQLite path or a database URL (postgresql://user@host/name)")
    p.add_argument("--now", help="the time to sweep at (ISO 8601 with time zone; default: now)")
    p.add_argument("--limit", type=_limit, default=100, help="complaints per batch (default 100)")
    p.add_argument("--every", type=_every, default=None, metavar="SECONDS",
                   help="keep running: sweep every SECONDS until SIGTERM or Ctrl-C")
    p.add_argument("--worker", default=None,
                   help="name for claiming due complaints (default: host name and process)")
    p.add_argument("--policies", type=Path, default=None,
                   help="a policies TOML file (default: the built-in policies)")
    p.set_defaults(run=run)


def _report(output: Output, now: datetime, results: list[tuple[Complaint, tuple[Event, ...]]],
            *, table: bool) -> None:
    rows = [(c.id, e.name, describe(e)) for c, events in results for e in events]
    if rows and table:
        output.table(f"sweep at {fmt_time(now)} UTC", ("complaint", "recorded", "details"), rows)
    events = sum(len(ev) for _, ev in results)
    output.line(f"swept at {now.isoformat()}: {events} event{'' if events == 1 else 's'} on "
                f"{len(results)} complaint{'' if len(results) == 1 else 's'}")


def run(args: argparse.Namespace, output: Output) -> int:
    if args.every is not None and args.now is not None:
        raise UsageError("--now and --every do not go together (a service sweeps at the "
                         "time of each round)")
    now = parse_now(args.now) if args.now is not None else SystemClock().now()
    kwargs: dict[str, Any] = {} if args.policies is None else load_policies(args.policies)
    store = open_store(args.db)
    worker = args.worker or f"{socket.gethostname()}:{os.getpid()}"
    try:
        if args.every is not None:
            return _serve(output, store, kwargs, every=args.every, limit=args.limit,
                          worker=worker)
        wf = Workflow(store=store, clock=FrozenClock(now), **kwargs)
        results = sweep(wf, store, now, limit=args.limit, worker=worker)
    finally:
        close_store(store)
    _report(output, now, results, table=True)
    return 0


def _serve(output: Output, store: Store, kwargs: dict[str, Any], *, every: float, limit: int,
           worker: str) -> int:
    """Sweep every ``every`` seconds until SIGTERM or SIGINT; the round in flight finishes."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        clock = SystemClock()
        wf = Workflow(store=store, clock=clock, **kwargs)
        output.err.write(f"sweeping every {every:g} s as {worker}; stop with SIGTERM or Ctrl-C\n")
        rounds = 0
        while not stop.is_set():
            now = clock.now()
            results = sweep(wf, store, now, limit=limit, worker=worker)
            rounds += 1
            _report(output, now, results, table=False)
            output.out.flush()
            stop.wait(every)
        output.err.write(f"stopped after {rounds} round{'' if rounds == 1 else 's'}\n")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
