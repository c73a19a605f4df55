"""``complaintflow relay``: publish the store's committed events to a broker or a webhook."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from complaintflow.cli._common import UsageError, close_store, open_store
from complaintflow.cli._output import Output
from complaintflow.exceptions import ComplaintflowError, ConfigError
from complaintflow.store import Store

__all__ = ["SECRET_ENV", "add_parser", "run"]

#: The environment variable the webhook signing secret is read from (by default).
SECRET_ENV = "COMPLAINTFLOW_WEBHOOK_SECRET"

#: Exit code when the far side cannot be reached with --once.
EXIT_UNREACHABLE = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "relay", help="publish committed events to NATS, RabbitMQ, Redis or a webhook",
        description="Publish every committed event of the store's outbox, at least once and "
                    "in order per complaint, as CloudEvents. Runs until SIGTERM or Ctrl-C "
                    "(finishing the batch in flight), or with --once until the outbox is empty.")
    p.add_argument("--db", required=True,
                   help="the complaintflow database: an SQLite path or an SQLAlchemy URL")
    p.add_argument("--to", required=True, metavar="URL",
                   help="nats://host:4222[?stream=S&prefix=P] | amqp://user:pw@host/[?exchange=E]"
                        " | redis://host:6379/0[?stream=S&maxlen=N] | https://… (webhook)")
    p.add_argument("--once", action="store_true",
                   help="publish what is pending and exit (default: keep running)")
    p.add_argument("--batch", type=int, default=100, help="events per batch (default 100)")
    p.add_argument("--idle", type=float, default=1.0,
                   help="seconds to wait when there is nothing to publish (default 1)")
    p.add_argument("--lease", type=float, default=300.0,
                   help="seconds a claimed batch stays reserved for this relay (default 300)")
    p.add_argument("--worker", default=None,
                   help="name this relay claims events under (default: host, pid, random)")
    p.add_argument("--source", default=None,
                   help="the CloudEvents source attribute (default: urn:complaintflow)")
    p.add_argument("--secret-env", default=SECRET_ENV, metavar="NAME",
                   help=f"environment variable holding the webhook secret (default {SECRET_ENV})")
    p.set_defaults(run=run)


def _open(db: str) -> Store:
    if "://" in db:
        try:
            from complaintflow.store import SQLStore
        except ImportError:
            raise UsageError("--db: an SQL URL needs the 'sql' extra: "
                             "pip install 'complaintflow[sql]'") from None
        try:
            store: Store = SQLStore(db)
        except ComplaintflowError as exc:
            raise UsageError(f"--db: {exc}") from None
        except Exception as exc:  # SQLAlchemy's own errors for a bad URL or driver
            raise UsageError(f"--db: cannot open {db!r} ({type(exc).__name__}: {exc})") from None
        return store
    return open_store(Path(db))


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and Ctrl-C set ``stop``: the batch in flight finishes, then the relay exits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run(args: argparse.Namespace, output: Output) -> int:
    from complaintflow.relay import (
        DEFAULT_SOURCE,
        Relay,
        RelayReport,
        publisher_for,
    )

    if args.batch < 1:
        raise UsageError(f"--batch: expected a positive number, got {args.batch}")
    if args.lease <= 0:
        raise UsageError(f"--lease: expected seconds > 0, got {args.lease}")
    if args.idle < 0:
        raise UsageError(f"--idle: expected seconds >= 0, got {args.idle}")
    try:
        publisher = publisher_for(args.to, secret=os.environ.get(args.secret_env) or None,
                                  source=args.source or DEFAULT_SOURCE)
    except ConfigError as exc:
        raise UsageError(f"--to: {exc}") from None
    store = _open(args.db)
    relay = Relay(store, publisher, batch=args.batch, worker=args.worker, idle=args.idle,
                  lease=timedelta(seconds=args.lease))
    totals = {"published": 0, "dead": 0}

    def on_batch(report: RelayReport) -> None:
        totals["published"] += len(report.published)
        totals["dead"] += len(report.dead)
        line = f"published {len(report.published)}"
        if report.published:
            first, last = report.published[0], report.published[-1]
            line += f" ({first})" if first == last else f" ({first} … {last})"
        if report.dead:
            line += f", dead-lettered {len(report.dead)}: " + "; ".join(
                f"{i} ({why})" for i, why in report.dead)
        if report.retry:
            line += f", {len(report.retry)} to retry ({report.error or 'not confirmed'})"
        output.line(f"{line}; backlog {relay.backlog()}")

    def on_error(exc: ComplaintflowError, wait: float) -> None:
        sys.stderr.write(f"complaintflow relay: {exc}; retrying in {wait:.1f} s\n")
        sys.stderr.flush()

    stop = threading.Event()
    code = 0
    try:
        output.line(f"relaying {store!r} to {publisher!r}; backlog {relay.backlog()}")
        with _stop_on_signals(stop):
            if args.once:
                code = _drain(relay, on_batch, stop)
            else:
                relay.run(stop=stop, on_batch=on_batch, on_error=on_error)
    finally:
        publisher.close()
        backlog = _backlog(relay)
        close_store(store)
    output.line(f"{'stopped' if code == 0 else 'gave up'}: published {totals['published']}, "
                f"dead-lettered {totals['dead']}, backlog {backlog}")
    return code


def _drain(relay: Any, on_batch: Any, stop: threading.Event) -> int:
    """Publish until nothing is left to claim (or a stop signal, after the batch in flight);
    the far side unreachable is one line, exit 1."""
    from complaintflow.relay import PublishError

    while not stop.is_set():
        try:
            report = relay.run_once()
        except PublishError as exc:
            sys.stderr.write(f"complaintflow relay: error: {exc}\n")
            return EXIT_UNREACHABLE
        if report.claimed:
            on_batch(report)
        if report.retry and not report.published and not report.dead:
            sys.stderr.write(f"complaintflow relay: error: nothing was confirmed "
                             f"({report.error or 'no reason given'})\n")
            return EXIT_UNREACHABLE
        if not report.claimed:
            return 0
    return 0


def _backlog(relay: Any) -> int | str:
    try:
        return int(relay.backlog())
    except ComplaintflowError:
        return "unknown"
