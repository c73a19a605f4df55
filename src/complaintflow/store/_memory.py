"""An in-process store: for tests, demos and single-process tools."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Self

import attrs

from complaintflow._clock import ensure_aware
from complaintflow._complaint import Complaint
from complaintflow.policies._recent import (
    INTAKE_KEYS,
    INTAKE_LIMIT,
    IntakeSummary,
    RecentRow,
    asked,
    build_summary,
    check_window,
    rows_in,
)
from complaintflow.store._base import (
    DEFAULT_LEASE,
    DeadLetter,
    NotFound,
    OutboxItem,
    Waiting,
    check_by,
    check_complaint,
    check_erasure,
    check_erasures_given,
    check_ids,
    check_lease,
    check_limit,
    check_outbox_claim,
    check_reason,
    check_record,
    check_worker,
    clock_now,
    dead_letter_refused,
    erased_outbox,
    in_complaint_order,
    new_events,
    outbox_event,
    outbox_items,
    received_window,
    recent_filters,
    stale,
)

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps complaints in a dict, with the same optimistic checks as the durable stores.

    ``include_personal=False`` leaves the customer's personal data (``data["personal"]``:
    complaint text, contact fields; the order id and evidence quoted from the text) out of
    the outbox, and writes the customer id as its pseudonym under ``pseudonym_key``
    (:func:`complaintflow.store.pseudonym`).
    """

    def __init__(self, *, include_personal: bool = True,
                 pseudonym_key: bytes | None = None) -> None:
        self.include_personal = include_personal
        self.pseudonym_key = pseudonym_key
        self._items: dict[str, Complaint] = {}
        self._outbox: dict[str, OutboxItem] = {}  # insertion order is commit order
        self._published: set[str] = set()
        self._claims: dict[str, tuple[str, datetime]] = {}
        self._outbox_claims: dict[str, tuple[str, datetime]] = {}
        self._dead: dict[str, tuple[str, datetime]] = {}
        #: (key, value) → ids of the complaints received with it, for intake's summaries
        self._keyed: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()
        self._batched = False

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._items)} complaints)"

    def _outbox_items(self, complaint: Complaint, start: int) -> list[OutboxItem]:
        """Built before anything changes, so a failure leaves the store as it was."""
        return outbox_items(complaint.id, complaint.history[start:],
                            include_personal=self.include_personal, prepare=outbox_event,
                            key=self.pseudonym_key)

    def add(self, complaint: Complaint) -> Complaint:
        check_record(complaint, None)
        with self._lock:
            if complaint.id in self._items:
                raise stale(attrs.evolve(complaint, committed=0),
                            self._items[complaint.id].version)
            stored = attrs.evolve(complaint, committed=complaint.version)
            items = self._outbox_items(stored, 0)
            self._items[complaint.id] = stored
            self._outbox.update((i.id, i) for i in items)
            for key in INTAKE_KEYS:
                value = getattr(stored, key)
                if value is not None:
                    self._keyed.setdefault((key, value), []).append(stored.id)
            return stored

    @contextmanager
    def batch(self) -> Iterator[Self]:
        """Keep the writes made inside the block only if it ends without raising.

        The same contract as the durable stores' ``batch`` (there it saves commits): each
        write stays all-or-nothing, and when the block raises every write of the batch is
        undone. Meant for one thread at a time; a batch inside a batch joins the outer one.
        """
        if self._batched:
            yield self
            return
        with self._lock:
            saved = (dict(self._items), dict(self._outbox), set(self._published),
                     dict(self._claims), dict(self._outbox_claims), dict(self._dead),
                     {k: list(v) for k, v in self._keyed.items()})
        self._batched = True
        try:
            yield self
        except BaseException:
            with self._lock:
                (self._items, self._outbox, self._published, self._claims,
                 self._outbox_claims, self._dead, self._keyed) = saved
            raise
        finally:
            self._batched = False

    def get(self, complaint_id: str) -> Complaint:
        try:
            return self._items[complaint_id]
        except (KeyError, TypeError):
            raise NotFound(complaint_id) from None

    def save(self, complaint: Complaint) -> Complaint:
        check_complaint(complaint)
        new_events(complaint)
        with self._lock:
            current = self._items.get(complaint.id)
            if current is None:
                raise NotFound(complaint.id)
            if current.version != complaint.committed or (
                complaint.history[: current.version] != current.history
            ):
                raise stale(complaint, current.version)
            check_record(complaint, current)
            if complaint.version == current.version:
                return current
            stored = attrs.evolve(complaint, committed=complaint.version)
            items = self._outbox_items(stored, current.version)
            self._items[complaint.id] = stored
            self._claims.pop(complaint.id, None)
            self._outbox.update((i.id, i) for i in items)
            return stored

    def erase(self, complaints: Sequence[Complaint], *, published: bool = True
              ) -> Sequence[Complaint]:
        given = check_erasures_given(complaints)
        with self._lock:
            stored: list[Complaint] = []
            changed: dict[str, OutboxItem] = {}
            added: list[OutboxItem] = []
            for c in given:
                current = self._items.get(c.id)
                if current is None:
                    raise NotFound(c.id)
                check_erasure(current, c)
                done = attrs.evolve(c, committed=c.version)
                for seq in range(1, current.version + 1):
                    oid = f"{c.id}:{seq}"
                    item = self._outbox.get(oid)
                    if item is None or (oid in self._published and not published):
                        continue
                    fresh = erased_outbox(done, item, include_personal=self.include_personal,
                                          key=self.pseudonym_key)
                    if fresh is not None:
                        changed[oid] = fresh
                added.extend(self._outbox_items(done, current.version))
                stored.append(done)
            # everything is checked and built: now the store changes, all at once
            for done in stored:
                self._items[done.id] = done
                self._claims.pop(done.id, None)
            self._outbox.update(changed)
            self._outbox.update((i.id, i) for i in added)
            return stored

    def _due(self, now: datetime) -> list[Complaint]:
        now = ensure_aware(now, "now")
        found = [c for c in self._items.values() if c.next_due is not None and c.next_due <= now]
        found.sort(key=lambda c: (c.next_due, c.id))
        return found

    def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        return self._due(now)[: check_limit(limit)]

    def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                  lease: timedelta = DEFAULT_LEASE) -> Sequence[Complaint]:
        check_limit(limit)
        check_worker(worker)
        check_lease(lease)
        now = ensure_aware(now, "now")
        with self._lock:
            out: list[Complaint] = []
            for c in self._due(now):
                if len(out) >= limit:
                    break
                claim = self._claims.get(c.id)
                if claim is not None and claim[1] > now:
                    continue
                self._claims[c.id] = (worker, now + lease)
                out.append(c)
            return out

    def _waiting(self) -> list[OutboxItem]:
        return [item for oid, item in self._outbox.items()
                if oid not in self._published and oid not in self._dead]

    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        check_limit(limit)
        with self._lock:
            return self._waiting()[:limit]

    def mark_published(self, ids: Iterable[str], *, worker: str | None = None) -> None:
        keys = check_ids(ids)
        if worker is not None:
            check_worker(worker)
        with self._lock:
            for oid in keys:
                if oid in self._outbox and oid not in self._dead:
                    self._published.add(oid)
                    self._outbox_claims.pop(oid, None)

    def claim_outbox(self, worker: str, limit: int = 100, *, lease: timedelta = DEFAULT_LEASE,
                     now: datetime | None = None) -> Sequence[OutboxItem]:
        now = check_outbox_claim(worker, limit, lease, now)
        with self._lock:
            waiting = self._waiting()
            by_position = dict(enumerate(waiting))

            def free(oid: str) -> bool:
                claim = self._outbox_claims.get(oid)
                return claim is None or claim[1] <= now or claim[0] == worker

            chosen = in_complaint_order(
                (Waiting(n, item.complaint_id, free(item.id)) for n, item in by_position.items()),
                limit)
            out = [by_position[n] for n in chosen]
            for item in out:
                self._outbox_claims[item.id] = (worker, now + lease)
            return out

    def release_outbox(self, ids: Iterable[str], *, worker: str) -> None:
        keys = check_ids(ids)
        check_worker(worker)
        with self._lock:
            for oid in keys:
                claim = self._outbox_claims.get(oid)
                if claim is not None and claim[0] == worker:
                    del self._outbox_claims[oid]

    def dead_letter(self, item_id: str, reason: str, *, worker: str | None = None,
                    now: datetime | None = None) -> None:
        reason = check_reason(reason)
        if worker is not None:
            check_worker(worker)
        at = clock_now(now)
        with self._lock:
            if not isinstance(item_id, str) or item_id not in self._outbox:
                raise dead_letter_refused(str(item_id), None)
            if item_id in self._published:
                raise dead_letter_refused(item_id, True)
            if item_id not in self._dead:
                self._dead[item_id] = (reason, at)
                self._outbox_claims.pop(item_id, None)

    def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        check_limit(limit)
        with self._lock:
            out = [DeadLetter(item, *self._dead[oid]) for oid, item in self._outbox.items()
                   if oid in self._dead]
        return out[:limit]

    def outbox_backlog(self) -> int:
        with self._lock:
            return len(self._outbox) - len(self._published) - len(self._dead)

    def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        since = ensure_aware(since, "since")
        wanted = recent_filters(customer_id=customer_id, sku=sku, batch=batch, order_id=order_id,
                                brand=brand)
        out = [
            c for c in self._items.values()
            if c.received_at >= since and all(getattr(c, k) == v for k, v in wanted)
        ]
        out.sort(key=lambda c: (c.received_at, c.id), reverse=True)
        return out if limit is None else out[: check_limit(limit)]

    def intake_summary(
        self, *, since: datetime, until: datetime, customer_id: str | None = None,
        order_id: str | None = None, sku: str | None = None, batch: str | None = None,
        brand: str | None = None, limit: int = INTAKE_LIMIT,
    ) -> IntakeSummary:
        """Counts and the newest rows of the complaints received in ``[since, until]``
        sharing each given key (see :class:`~complaintflow.policies.IntakeSummary`); it
        reads only the complaints that have the key."""
        lo, hi = check_window(since, until, limit)
        keys = asked(customer_id=customer_id, order_id=order_id, sku=sku, batch=batch,
                     brand=brand)
        with self._lock:
            found = {k: rows_in((RecentRow.of(self._items[i])
                                 for i in self._keyed.get((k, v), ())), lo, hi)
                     for k, v in keys.items()}
        return build_summary(lo, hi, keys, found, limit=limit, source=self)

    def counts(self, by: str, *, since: datetime | None = None,
               until: datetime | None = None) -> dict[str | None, int]:
        check_by(by)
        lo, hi = received_window(since, until)
        out: dict[str | None, int] = {}
        for c in self._items.values():
            if (lo is not None and c.received_at < lo) or (hi is not None and c.received_at >= hi):
                continue
            value = getattr(c, by)
            key = None if value is None else str(value)
            out[key] = out.get(key, 0) + 1
        return out

    def verify(self) -> list[str]:
        """Problems found in the stored data (always none for memory); see ``SQLiteStore``."""
        problems: list[str] = []
        for c in self._items.values():
            if Complaint.replay(c.history) != c:
                problems.append(f"{c.id}: state differs from the replay of its history")
        return problems

    def all(self) -> list[Complaint]:
        return list(self._items.values())
