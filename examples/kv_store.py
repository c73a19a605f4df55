"""A complaintflow store of your own: complaints in a key-value mapping, as JSON.

``KeyValueStore(mapping)`` keeps each complaint's history under ``"complaint:<id>"`` and
the outbox under ``"outbox"``, in any ``MutableMapping[str, str]`` (a ``dict``, or a thin
wrapper over Redis, etcd or a ``dbm`` file). It uses only complaintflow's public names and
passes :class:`complaintflow.testing.StoreConformance` (see ``tests/store/test_examples.py``
and ``docs/howto/custom-store.md``). One process; queries scan every complaint.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

import complaintflow as cf
from complaintflow.store import DEFAULT_LEASE, DeadLetter, OutboxItem, check_erasure, check_record

_COUNTABLE = frozenset({"state", "category", "dimension", "scope", "tier", "region", "store",
                        "channel", "brand", "sku", "batch"})


def _limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise cf.ValidationError("limit", f"expected an integer >= 0, got {limit!r}")
    return limit


def _aware(value: object, field: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise cf.ValidationError(field, f"expected an aware datetime, got {value!r}")
    return value


def _worker(worker: object) -> str:
    if not isinstance(worker, str) or not worker.strip():
        raise cf.ValidationError("worker", "expected a non-empty worker name")
    return worker


def _lease(lease: object) -> timedelta:
    if not isinstance(lease, timedelta) or lease <= timedelta(0):
        raise cf.ValidationError("lease", f"expected a positive timedelta, got {lease!r}")
    return lease


def _ids(ids: object) -> list[str]:
    if isinstance(ids, str) or not isinstance(ids, Iterable):
        raise cf.ValidationError("ids", f"expected an iterable of item ids, got {ids!r}")
    out = list(ids)
    if not all(isinstance(i, str) for i in out):
        raise cf.ValidationError("ids", "expected item ids as strings")
    return out


class KeyValueStore:
    """Complaints as JSON in a key-value mapping; every write holds one lock."""

    def __init__(self, mapping: MutableMapping[str, str] | None = None, *,
                 include_personal: bool = True, clock: cf.Clock | None = None) -> None:
        self.data: MutableMapping[str, str] = {} if mapping is None else mapping
        self.include_personal = include_personal
        self.clock = clock or cf.SystemClock()
        self._lock = threading.RLock()

    # -- complaints --------------------------------------------------------------------------
    def _load(self, complaint_id: object) -> cf.Complaint | None:
        raw = self.data.get(f"complaint:{complaint_id}") if isinstance(complaint_id, str) else None
        if raw is None:
            return None
        try:
            c = cf.Complaint.replay(cf.Event.from_dict(e) for e in json.loads(raw))
        except cf.ValidationError as exc:
            raise cf.IntegrityError(f"{complaint_id}: stored history does not replay") from exc
        return attrs.evolve(c, committed=c.version)

    def _all(self) -> Iterator[cf.Complaint]:
        for key in list(self.data):
            if key.startswith("complaint:"):
                c = self._load(key.removeprefix("complaint:"))
                if c is not None:
                    yield c

    def _write(self, complaint: cf.Complaint, events: Sequence[cf.Event]) -> cf.Complaint:
        rows = json.loads(self.data.get("outbox", "[]"))
        for e in events:
            event = e.to_dict(personal=self.include_personal)
            item = OutboxItem(f"{complaint.id}:{e.seq}", complaint.id, cf.Event.from_dict(event))
            rows.append({"id": item.id, "complaint_id": complaint.id, "seq": e.seq,
                         "payload": item.to_dict(), "published": False, "claimed_by": None,
                         "claimed_until": None, "dead_reason": None, "dead_at": None})
        history = json.dumps([e.to_dict() for e in complaint.history])
        self.data[f"complaint:{complaint.id}"] = history  # both keys, under one lock
        self.data["outbox"] = json.dumps(rows)
        claims = json.loads(self.data.get("claims", "{}"))
        claims.pop(complaint.id, None)
        self.data["claims"] = json.dumps(claims)
        return attrs.evolve(complaint, committed=complaint.version)

    def add(self, complaint: cf.Complaint) -> cf.Complaint:
        events = check_record(complaint)
        with self._lock:
            stored = self._load(complaint.id)
            if stored is not None:
                raise cf.ConcurrencyError(complaint.id, 0, stored.version)
            return self._write(complaint, events)

    def get(self, complaint_id: str) -> cf.Complaint:
        found = self._load(complaint_id)
        if found is None:
            raise cf.NotFound(complaint_id)
        return found

    def save(self, complaint: cf.Complaint) -> cf.Complaint:
        if not isinstance(complaint, cf.Complaint):
            raise cf.ValidationError("complaint", "expected a Complaint")
        with self._lock:
            stored = self._load(complaint.id)
            if stored is None:
                raise cf.NotFound(complaint.id)
            if (stored.version != complaint.committed
                    or stored.history != complaint.history[:stored.version]):
                raise cf.ConcurrencyError(complaint.id, complaint.committed, stored.version)
            events = check_record(complaint, stored)
            return self._write(complaint, events) if events else stored

    def erase(self, complaints: Sequence[cf.Complaint], *, published: bool = True
              ) -> Sequence[cf.Complaint]:
        """Overwrite the erased complaints' histories and outbox payloads, under one lock."""
        given = [] if isinstance(complaints, cf.Complaint) else list(complaints)
        if (not given and complaints) or not all(isinstance(c, cf.Complaint) for c in given):
            raise cf.ValidationError("complaints", "expected a sequence of complaints")
        with self._lock:
            news = []
            for c in given:  # check every erasure before anything is written
                stored = self._load(c.id)
                if stored is None:
                    raise cf.NotFound(c.id)
                news.append((c, check_erasure(stored, c)))
            rows = self._rows()
            for c, _ in news:
                for row in rows:
                    if row["complaint_id"] == c.id and (published or not row["published"]):
                        event = c.history[row["seq"] - 1].to_dict(personal=self.include_personal)
                        row["payload"]["event"] = event
            self.data["outbox"] = json.dumps(rows)
            return [self._write(c, events) for c, events in news]

    # -- the sweep ---------------------------------------------------------------------------
    def _due(self, now: datetime) -> list[cf.Complaint]:
        now = _aware(now, "now")
        found = [c for c in self._all() if c.next_due is not None and c.next_due <= now]
        return sorted(found, key=lambda c: (c.next_due, c.id))

    def due(self, now: datetime, limit: int = 100) -> Sequence[cf.Complaint]:
        return self._due(now)[:_limit(limit)]

    def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                  lease: timedelta = DEFAULT_LEASE) -> Sequence[cf.Complaint]:
        now, limit, worker, lease = _aware(now, "now"), _limit(limit), _worker(worker), \
            _lease(lease)
        with self._lock:
            claims = json.loads(self.data.get("claims", "{}"))
            out = [c for c in self._due(now)
                   if c.id not in claims or datetime.fromisoformat(claims[c.id]) <= now][:limit]
            claims.update({c.id: (now + lease).isoformat() for c in out})
            self.data["claims"] = json.dumps(claims)
            return out

    # -- the outbox --------------------------------------------------------------------------
    def _rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(self.data.get("outbox", "[]"))
        return rows

    @staticmethod
    def _item(row: dict[str, Any]) -> OutboxItem:
        p = row["payload"]
        return OutboxItem(p["id"], p["complaint_id"], cf.Event.from_dict(p["event"]))

    @staticmethod
    def _waiting(row: dict[str, Any]) -> bool:
        return not row["published"] and row["dead_at"] is None

    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        return [self._item(r) for r in self._rows() if self._waiting(r)][:_limit(limit)]

    def outbox_backlog(self) -> int:
        return sum(1 for r in self._rows() if self._waiting(r))

    def _update(self, ids: Iterable[str], change: Any) -> None:
        wanted = set(ids)
        with self._lock:
            rows = self._rows()
            for row in rows:
                if row["id"] in wanted:
                    change(row)
            self.data["outbox"] = json.dumps(rows)

    def mark_published(self, ids: Iterable[str], *, worker: str | None = None) -> None:
        def publish(row: dict[str, Any]) -> None:
            if row["dead_at"] is None:
                row["published"] = True

        self._update(_ids(ids), publish)

    def release_outbox(self, ids: Iterable[str], *, worker: str) -> None:
        keys, worker = _ids(ids), _worker(worker)

        def release(row: dict[str, Any]) -> None:
            if row["claimed_by"] == worker:
                row["claimed_by"] = row["claimed_until"] = None

        self._update(keys, release)

    def claim_outbox(self, worker: str, limit: int = 100, *, lease: timedelta = DEFAULT_LEASE,
                     now: datetime | None = None) -> Sequence[OutboxItem]:
        worker, limit, lease = _worker(worker), _limit(limit), _lease(lease)
        now = self.clock.now() if now is None else _aware(now, "now")
        with self._lock:
            rows, blocked, out = self._rows(), set(), []
            for row in filter(self._waiting, rows):
                if len(out) >= limit:
                    break
                if row["complaint_id"] in blocked:
                    continue
                held = row["claimed_until"] is not None and row["claimed_by"] != worker \
                    and datetime.fromisoformat(row["claimed_until"]) > now
                if held:  # a later event of this complaint must wait for this one
                    blocked.add(row["complaint_id"])
                    continue
                row["claimed_by"], row["claimed_until"] = worker, (now + lease).isoformat()
                out.append(self._item(row))
            self.data["outbox"] = json.dumps(rows)
            return out

    def dead_letter(self, item_id: str, reason: str, *, worker: str | None = None,
                    now: datetime | None = None) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise cf.ValidationError("reason", "expected a non-empty reason")
        at = self.clock.now() if now is None else _aware(now, "now")
        with self._lock:
            rows = self._rows()
            row = next((r for r in rows if r["id"] == item_id), None)
            if row is None:
                raise cf.ValidationError("item_id", f"no outbox item {item_id!r}")
            if row["published"]:
                raise cf.ValidationError("item_id", f"{item_id!r} is already published")
            if row["dead_at"] is None:
                row.update(dead_reason=reason, dead_at=at.isoformat(), claimed_by=None,
                           claimed_until=None)
                self.data["outbox"] = json.dumps(rows)

    def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        return [DeadLetter(self._item(r), r["dead_reason"], datetime.fromisoformat(r["dead_at"]))
                for r in self._rows() if r["dead_at"] is not None][:_limit(limit)]

    # -- queries -----------------------------------------------------------------------------
    def recent(self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
               batch: str | None = None, order_id: str | None = None, brand: str | None = None,
               limit: int | None = None) -> Sequence[cf.Complaint]:
        since = _aware(since, "since")
        wanted = {k: v for k, v in (("customer_id", customer_id), ("sku", sku), ("batch", batch),
                                    ("order_id", order_id), ("brand", brand)) if v is not None}
        out = sorted((c for c in self._all() if c.received_at >= since
                      and all(getattr(c, k) == v for k, v in wanted.items())),
                     key=lambda c: (c.received_at, c.id), reverse=True)
        return out if limit is None else out[:_limit(limit)]

    def counts(self, by: str, *, since: datetime | None = None,
               until: datetime | None = None) -> dict[str | None, int]:
        if by not in _COUNTABLE:
            raise cf.ValidationError("by", f"cannot count by {by!r}")
        return dict(Counter(
            None if getattr(c, by) is None else str(getattr(c, by)) for c in self._all()
            if (since is None or c.received_at >= since)
            and (until is None or c.received_at < until)))
