"""``complaintflow sweep``: bring the SLA clocks of due complaints up to now (run it from cron)."""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from complaintflow._clock import FrozenClock, SystemClock
from complaintflow._complaint import Complaint
from complaintflow._events import Event
from complaintflow._workflow import Workflow
from complaintflow.cli._common import UsageError, close_store, fmt_time, open_store, parse_now
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
        new = after.history[complaint.version:]
        return (after, new) if new else None
    return None


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sweep", help="record warnings, breaches and escalations that are due",
                       description="Run the workflow's tick over every complaint of the store "
                                   "whose deadline or warning has come; meant for cron.")
    p.add_argument("--db", required=True, type=Path, help="the complaintflow SQLite database")
    p.add_argument("--now", help="the time to sweep at (ISO 8601 with time zone; default: now)")
    p.add_argument("--limit", type=int, default=100, help="complaints per batch (default 100)")
    p.add_argument("--worker", default=None,
                   help="name for claiming due complaints (default: host name and process)")
    p.add_argument("--policies", type=Path, default=None,
                   help="a policies TOML file (default: the built-in policies)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit: expected a positive number, got {args.limit}")
    now = parse_now(args.now) if args.now is not None else SystemClock().now()
    kwargs: dict[str, Any] = {} if args.policies is None else load_policies(args.policies)
    store = open_store(args.db)
    worker = args.worker or f"{socket.gethostname()}:{os.getpid()}"
    try:
        wf = Workflow(store=store, clock=FrozenClock(now), **kwargs)
        results = sweep(wf, store, now, limit=args.limit, worker=worker)
    finally:
        close_store(store)
    rows = [(c.id, e.name, describe(e)) for c, events in results for e in events]
    if rows:
        output.table(f"sweep at {fmt_time(now)} UTC", ("complaint", "recorded", "details"), rows)
    events = sum(len(ev) for _, ev in results)
    output.line(f"swept at {now.isoformat()}: {events} event{'' if events == 1 else 's'} on "
                f"{len(results)} complaint{'' if len(results) == 1 else 's'}")
    return 0
