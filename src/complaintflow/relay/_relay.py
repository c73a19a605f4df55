"""``Relay``: claim a batch of the store's outbox, publish it, mark what the far side confirmed."""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

import attrs

from complaintflow.exceptions import ComplaintflowError, OperationalError, ValidationError
from complaintflow.relay._base import Backoff, Delivery, Publisher
from complaintflow.relay._errors import PublishError
from complaintflow.store import DEFAULT_LEASE, OutboxItem, Store

__all__ = ["Relay", "RelayReport"]


@attrs.frozen
class RelayReport:
    """What one batch did.

    ``published``: ids marked published (the far side confirmed them);
    ``dead``: ``(id, reason)`` pairs recorded as dead letters;
    ``retry``: ids handed back to the outbox, to be published again (not confirmed, or a
    complaint's later events after one that was not);
    ``error``: why some were not delivered.
    """

    published: tuple[str, ...] = ()
    dead: tuple[tuple[str, str], ...] = ()
    retry: tuple[str, ...] = ()
    error: str | None = None

    @property
    def claimed(self) -> int:
        """How many items the batch held."""
        return len(self.published) + len(self.dead) + len(self.retry)


def default_worker() -> str:
    """A worker name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class _Outbox:
    """The store's outbox as one worker sees it."""

    def __init__(self, store: Store, worker: str, lease: timedelta) -> None:
        self.store, self.worker, self.lease = store, worker, lease

    def claim(self, limit: int) -> Sequence[OutboxItem]:
        return self.store.claim_outbox(self.worker, limit, lease=self.lease)

    def mark(self, ids: Sequence[str]) -> None:
        self.store.mark_published(ids, worker=self.worker)

    def release(self, ids: Sequence[str]) -> None:
        self.store.release_outbox(ids, worker=self.worker)

    def dead(self, item_id: str, reason: str) -> None:
        self.store.dead_letter(item_id, reason, worker=self.worker)

    def backlog(self) -> int:
        return self.store.outbox_backlog()


class Relay:
    """Moves committed events from ``store``'s outbox to ``publisher``, at least once.

    Each batch: claim up to ``batch`` pending items for this ``worker`` (for ``lease``, so
    several relays on one store never publish one event at the same time), publish them,
    then mark published only what the far side confirmed, record dead letters, and hand
    the rest back. Events of one complaint go out in ``seq`` order: after an event that was
    not confirmed, the later events of its complaint are handed back too, even if
    confirmed, and published again after it. A relay that dies between publishing and
    marking publishes those events again once its lease has passed: consumers deduplicate
    on the event id.
    """

    def __init__(self, store: Store, publisher: Publisher, *, batch: int = 100,
                 worker: str | None = None, lease: timedelta = DEFAULT_LEASE,
                 backoff: Backoff | None = None, idle: float = 1.0,
                 rng: random.Random | None = None) -> None:
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValidationError("batch", f"expected an integer >= 1, got {batch!r}")
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            raise ValidationError("lease", f"expected a positive timedelta, got {lease!r}")
        if isinstance(idle, bool) or not isinstance(idle, int | float) or idle < 0:
            raise ValidationError("idle", f"expected seconds >= 0, got {idle!r}")
        if worker is not None and (not isinstance(worker, str) or not worker.strip()):
            raise ValidationError("worker", "expected a non-empty worker name")
        self.store = store
        self.publisher = publisher
        self.batch = batch
        self.worker = worker or default_worker()
        self.lease = lease
        self.backoff = backoff or Backoff()
        self.idle = idle
        self._rng = rng or random.Random()
        self._outbox = _Outbox(store, self.worker, lease)

    def __repr__(self) -> str:
        return f"Relay({self.store!r}, {self.publisher!r}, worker={self.worker!r})"

    def backlog(self) -> int:
        """Events committed and neither published nor dead-lettered."""
        return self._outbox.backlog()

    def run_once(self) -> RelayReport:
        """Publish one batch; raises :class:`PublishError` (with the batch handed back)
        when the far side cannot be reached."""
        items = self._outbox.claim(self.batch)
        if not items:
            return RelayReport()
        try:
            delivery = self.publisher.publish(items)
        except BaseException:
            self._outbox.release([i.id for i in items])
            raise
        return self._settle(items, delivery)

    def _settle(self, items: Sequence[OutboxItem], delivery: Delivery) -> RelayReport:
        published: list[str] = []
        dead: list[tuple[str, str]] = []
        retry: list[str] = []
        blocked: set[str] = set()
        for item in items:
            if item.complaint_id in blocked:
                retry.append(item.id)
            elif item.id in delivery.confirmed:
                published.append(item.id)
            elif item.id in delivery.dead:
                dead.append((item.id, delivery.dead[item.id]))
            else:
                blocked.add(item.complaint_id)
                retry.append(item.id)
        for item_id, reason in dead:
            self._outbox.dead(item_id, reason)
        if published:
            self._outbox.mark(published)
        if retry:
            self._outbox.release(retry)
        return RelayReport(tuple(published), tuple(dead), tuple(retry), delivery.error)

    def run(self, *, stop: threading.Event | None = None, until_empty: bool = False,
            on_batch: Callable[[RelayReport], None] | None = None,
            on_error: Callable[[ComplaintflowError, float], None] | None = None) -> None:
        """Publish batch after batch until ``stop`` is set (checked between batches), or,
        with ``until_empty``, until the outbox has nothing left to claim.

        While the far side is down (a :class:`PublishError`, or a batch of which nothing
        was delivered) or the database is busy or unreachable (an
        :class:`~complaintflow.exceptions.OperationalError`) it waits with exponential
        backoff and jitter, then tries again;
        ``on_error(error, seconds)`` hears about each wait. With nothing to do it waits
        ``idle`` seconds.
        """
        stop = stop or threading.Event()
        failures = 0
        while not stop.is_set():
            try:
                report = self.run_once()
            except (PublishError, OperationalError) as exc:
                wait = self.backoff.delay(failures, self._rng)
                failures += 1
                if on_error is not None:
                    on_error(exc, wait)
                stop.wait(wait)
                continue
            if on_batch is not None and report.claimed:
                on_batch(report)
            if report.retry and not report.published and not report.dead:
                wait = self.backoff.delay(failures, self._rng)
                failures += 1
                if on_error is not None:
                    on_error(PublishError(report.error or "nothing was confirmed"), wait)
                stop.wait(wait)
                continue
            failures = 0
            if report.claimed == 0:
                if until_empty:
                    return
                stop.wait(self.idle)
