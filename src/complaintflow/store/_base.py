"""The ``Store`` protocol every backend implements, and what the backends share."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, Self, runtime_checkable

import attrs

from complaintflow._clock import SystemClock, ensure_aware
from complaintflow._complaint import Complaint, apply, replace
from complaintflow._events import Event, public_data, scrub
from complaintflow._history import History, Prefix
from complaintflow._limits import COMPLAINT_ID_ALPHABET, MAX_ID, MAX_TEXT, check_complaint_id
from complaintflow._values import State
from complaintflow.exceptions import (
    ConcurrencyError,
    IntegrityError,
    InvalidTransition,
    NotFound,
    StoreError,
    ValidationError,
)
from complaintflow.policies._recent import RecentRow
from complaintflow.store._snapshot import build as build_snapshot
from complaintflow.store._snapshot import decode as decode_snapshot

__all__ = [
    "COUNT_FIELDS",
    "DEFAULT_LEASE",
    "ID_ALPHABET",
    "MAX_ID_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_TEXT_LENGTH",
    "DeadLetter",
    "NotFound",
    "OutboxItem",
    "Store",
    "check_erasure",
    "check_record",
]

#: How long a complaint claimed by :meth:`Store.claim_due`, or an outbox item claimed by
#: :meth:`Store.claim_outbox`, stays reserved for its worker.
DEFAULT_LEASE: Final = timedelta(minutes=5)

#: The longest complaint id any store keeps (``cf.MAX_ID``, what the commands accept).
MAX_ID_LENGTH: Final = MAX_ID

#: The characters of a complaint id: ASCII letters, digits, ``-``, ``_`` and ``.`` (safe
#: in file names, URLs, message subjects and outbox ids ``"<id>:<seq>"``); the workflow
#: gives new complaints ids of these characters and refuses others.
ID_ALPHABET: Final = COMPLAINT_ID_ALPHABET

#: The longest value of the other keys a store indexes (customer, order, SKU, batch, shop,
#: region, brand, channel, category, dimension) and of an actor's id (``cf.MAX_ID``).
MAX_KEY_LENGTH: Final = MAX_ID

#: The longest text (a complaint, a message, a reason, a summary) any store keeps
#: (``cf.MAX_TEXT``, what the commands accept).
MAX_TEXT_LENGTH: Final = MAX_TEXT

#: The longest dead-letter reason a store keeps (longer ones are cut, with a mark).
MAX_REASON_LENGTH: Final = 2000

#: The state-row columns :meth:`Store.counts` can group by.
COUNT_FIELDS: Final = frozenset({
    "state", "category", "dimension", "scope", "tier", "region", "store", "channel", "brand",
    "sku", "batch",
})



@attrs.frozen(slots=True)
class OutboxItem:
    """A committed event waiting to be published.

    ``id`` is stable (``"<complaint id>:<seq>"``): a relay may publish an item more than
    once (at least once delivery) and consumers deduplicate on it.
    """

    id: str
    complaint_id: str
    event: Event

    def to_dict(self) -> dict[str, Any]:
        """The JSON-compatible message a relay publishes."""
        return {"id": self.id, "complaint_id": self.complaint_id, "event": self.event.to_dict()}


@attrs.frozen(slots=True)
class DeadLetter:
    """An outbox item a relay gave up on: it is no longer pending and blocks nothing."""

    item: OutboxItem
    reason: str
    at: datetime


@runtime_checkable
class Store(Protocol):
    """Where complaints live. Every write is all-or-nothing."""

    def add(self, complaint: Complaint) -> Complaint:
        """Store a new complaint (all its events); returns it marked as committed."""

    def get(self, complaint_id: str) -> Complaint:
        """The stored complaint; raises :class:`NotFound` (a ``StoreError``) if unknown."""

    def save(self, complaint: Complaint) -> Complaint:
        """Append the events added since ``complaint`` was loaded; raises ``ConcurrencyError``
        when the stored version is not the one it was loaded at."""

    def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        """Complaints whose next deadline (or warning) is at or before ``now``."""

    def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                  lease: timedelta = DEFAULT_LEASE) -> Sequence[Complaint]:
        """Like :meth:`due`, but reserves what it returns for ``worker`` until it is saved
        or ``now + lease`` passes, so several workers share one sweep."""

    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        """Committed events not yet published, oldest first."""

    def mark_published(self, ids: Iterable[str], *, worker: str | None = None) -> None:
        """Take published events out of the pending outbox (whoever holds their claim:
        a publication is a fact). Unknown ids are ignored; ``worker``, when given, is
        checked to be a worker name."""

    def claim_outbox(self, worker: str, limit: int = 100, *, lease: timedelta = DEFAULT_LEASE,
                     now: datetime | None = None) -> Sequence[OutboxItem]:
        """Reserve up to ``limit`` pending items for ``worker`` until ``now + lease``.

        Items held by another worker's live lease are skipped, and so is every later item
        of the same complaint: an item is returned only when each earlier ``seq`` of its
        complaint is published, dead-lettered, or earlier in the same batch. Items come in
        outbox order. Safe across processes."""

    def release_outbox(self, ids: Iterable[str], *, worker: str) -> None:
        """Give back ``worker``'s claims on ``ids`` unpublished (others' claims stay)."""

    def dead_letter(self, item_id: str, reason: str, *, worker: str | None = None,
                    now: datetime | None = None) -> None:
        """Stop trying to publish ``item_id``: it leaves the pending outbox with ``reason``
        and no longer holds back the later events of its complaint."""

    def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        """The dead-lettered items, in outbox order."""

    def outbox_backlog(self) -> int:
        """How many items are pending (not published, not dead-lettered)."""

    def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        """Complaints received at or after ``since`` matching every given filter, newest first."""

    def counts(self, by: str, *, since: datetime | None = None,
               until: datetime | None = None) -> dict[str | None, int]:
        """How many complaints (received in ``[since, until)``) share each value of ``by``."""

    def erase(self, complaints: Sequence[Complaint], *, published: bool = True
              ) -> Sequence[Complaint]:
        """Commit erasures (``Workflow.erase`` makes them), all in one transaction.

        Each complaint is a stored one with its personal data erased: its first
        ``committed`` events are the stored ones scrubbed, then come the events since (the
        last an ``erased`` event); :func:`check_erasure` checks exactly that. The stored
        events are overwritten by the scrubbed ones, the new events appended, the state
        row updated, and every outbox payload of those complaints not yet published
        rewritten from the scrubbed events (``published=True``: the published ones too).
        Returns the complaints as committed; raises ``ConcurrencyError`` (and writes
        nothing) when one changed since it was loaded."""


# -- helpers shared by the backends ------------------------------------------------------------

def check_complaint(complaint: object) -> Complaint:
    if not isinstance(complaint, Complaint):
        raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
    return complaint


def check_limit(limit: object, field: str = "limit") -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValidationError(field, f"expected an integer >= 0, got {limit!r}")
    return limit


def check_by(by: object) -> str:
    if not isinstance(by, str) or by not in COUNT_FIELDS:
        raise ValidationError("by", f"cannot count by {by!r}; expected one of "
                                    f"{', '.join(sorted(COUNT_FIELDS))}")
    return by


def check_lease(lease: object) -> timedelta:
    if not isinstance(lease, timedelta) or lease <= timedelta(0):
        raise ValidationError("lease", f"expected a positive timedelta, got {lease!r}")
    return lease


def check_worker(worker: object) -> str:
    if not isinstance(worker, str) or not worker.strip():
        raise ValidationError("worker", "expected a non-empty worker name")
    return worker


def check_outbox_claim(worker: object, limit: object, lease: object, now: object
                       ) -> datetime:
    """The arguments of ``claim_outbox`` checked; returns ``now`` (the system clock when
    ``None``) as aware UTC."""
    check_worker(worker)
    check_limit(limit)
    check_lease(lease)
    return clock_now(now)


def clock_now(now: object) -> datetime:
    """``now`` as aware UTC, or the system clock's time when it is ``None``."""
    return SystemClock().now() if now is None else ensure_aware(now, "now")


def check_ids(ids: object, field: str = "ids") -> list[str]:
    """Outbox item ids given as an iterable of strings (one string is refused: a common slip)."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        raise ValidationError(field, f"expected an iterable of item ids, got {ids!r}")
    out = list(ids)
    for i in out:
        if not isinstance(i, str):
            raise ValidationError(field, f"expected item ids as strings, got {i!r}")
    return out


def check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason", "expected a non-empty reason")
    if len(reason) > MAX_REASON_LENGTH:
        reason = reason[: MAX_REASON_LENGTH - 1] + "…"
    return reason


def dead_letter_refused(item_id: str, published: bool | None) -> ValidationError:
    """Why ``dead_letter`` cannot act on ``item_id`` (``None``: no such item)."""
    if published is None:
        return ValidationError("item_id", f"no outbox item {item_id!r}")
    return ValidationError("item_id", f"outbox item {item_id!r} is already published")


@attrs.frozen(slots=True)
class Waiting:
    """A pending outbox row as the claim sees it."""

    position: int
    complaint_id: str
    free: bool  # not held by another worker's live lease


def in_complaint_order(rows: Iterable[Waiting], limit: int) -> list[int]:
    """The positions to claim from pending ``rows`` (in outbox order): free rows whose
    complaint has no earlier pending row left out, at most ``limit`` of them."""
    blocked: set[str] = set()
    out: list[int] = []
    for row in rows:
        if len(out) >= limit:
            break
        if row.complaint_id in blocked:
            continue
        if not row.free:
            blocked.add(row.complaint_id)
            continue
        out.append(row.position)
    return out


def check_claim(now: object, limit: object, worker: object, lease: object) -> datetime:
    """The arguments of ``claim_due`` checked in order; returns ``now`` as aware UTC."""
    aware = ensure_aware(now, "now")
    check_limit(limit)
    check_worker(worker)
    check_lease(lease)
    return aware


def recent_filters(*, customer_id: str | None, sku: str | None, batch: str | None,
                   order_id: str | None, brand: str | None) -> list[tuple[str, str]]:
    """The ``(column, value)`` equality filters ``recent`` was given, in a fixed order."""
    given = (("customer_id", customer_id), ("sku", sku), ("batch", batch),
             ("order_id", order_id), ("brand", brand))
    return [(col, value) for col, value in given if value is not None]


def received_window(since: datetime | None, until: datetime | None
                    ) -> tuple[datetime | None, datetime | None]:
    """The ``[since, until)`` bounds of ``counts`` as aware UTC (``None`` where open)."""
    lo = None if since is None else ensure_aware(since, "since")
    hi = None if until is None else ensure_aware(until, "until")
    return lo, hi


def new_events(complaint: Complaint, *, start: int | None = None) -> tuple[Event, ...]:
    """The events of ``complaint`` a save appends (after ``committed``), checked to be gap-free."""
    first = complaint.committed if start is None else start
    if first < 0 or first > complaint.version:
        raise ValidationError("complaint.committed",
                              f"{first} is outside the history (version {complaint.version})")
    events = tuple(complaint.history[first:])
    for offset, event in enumerate(events, start=first + 1):
        if event.seq != offset:
            raise ValidationError("complaint.history", f"event seq {event.seq} at position {offset}")
    return events


def event_id(complaint_id: str, seq: int) -> str:
    return f"{complaint_id}:{seq}"


def outbox_event(event: Event, *, include_personal: bool, key: bytes | None = None) -> Event:
    """The event as the outbox carries it: unless allowed, without personal data (see
    :func:`complaintflow._events.public_data`; the customer id a pseudonym under ``key``)."""
    if include_personal:
        return event
    data = public_data(event.name, event.data, key)
    return event if data is event.data else attrs.evolve(event, data=data)


def outbox_items(complaint_id: str, events: Iterable[Event], *, include_personal: bool,
                 prepare: Callable[..., Event], key: bytes | None = None) -> list[OutboxItem]:
    """The outbox items for ``events``; ``prepare`` is :func:`outbox_event` as each backend
    module names it (the one place a write can be made to fail half-way through)."""
    if key is None:
        return [
            OutboxItem(event_id(complaint_id, e.seq), complaint_id,
                       prepare(e, include_personal=include_personal))
            for e in events
        ]
    return [
        OutboxItem(event_id(complaint_id, e.seq), complaint_id,
                   prepare(e, include_personal=include_personal, key=key))
        for e in events
    ]


def check_erasure(stored: Complaint, erased: Complaint) -> tuple[Event, ...]:
    """Check that ``erased`` is ``stored`` with its personal data erased, and return the
    events an erasure appends (after ``erased.committed``).

    ``stored`` is the complaint as the store holds it. ``erased.committed`` must be its
    version (else :class:`ConcurrencyError`); the first ``committed`` events of
    ``erased`` must be the stored ones scrubbed by its last event, an ``erased`` event
    (:func:`complaintflow._events.scrub`), and ``erased`` must be the fold of its whole
    history (:func:`check_record`), else :class:`IntegrityError`: an erasure changes
    nothing but personal data. A store of your own calls it in its ``erase``."""
    check_complaint(erased)
    if erased.id != stored.id:
        raise ValidationError("complaints", f"{erased.id!r} is not {stored.id!r}")
    if stored.version != erased.committed:
        raise stale(erased, stored.version)
    n = stored.version
    if erased.version <= n or erased.history[-1].name != "erased":
        raise ValidationError("complaints", f"complaint {erased.id!r}: an erasure ends with "
                                            "an 'erased' event")
    by = erased.version
    if erased.history[:n] != tuple(scrub(e, by) for e in stored.history):
        raise IntegrityError(f"complaint {erased.id!r}: the erasure changes more than the "
                             "personal data of its stored events")
    return check_record(erased, None)


def check_erasures_given(complaints: object) -> list[Complaint]:
    """The ``complaints`` argument of ``erase``: a sequence of complaints, each id once."""
    if isinstance(complaints, Complaint) or not isinstance(complaints, Sequence | Set):
        raise ValidationError("complaints", "expected a sequence of complaints")
    out = [check_complaint(c) for c in complaints]
    if len({c.id for c in out}) != len(out):
        raise ValidationError("complaints", "a complaint appears twice")
    return out


def erased_outbox(complaint: Complaint, item: OutboxItem, *, include_personal: bool,
                  key: bytes | None = None) -> OutboxItem | None:
    """``item`` (an outbox item of ``complaint``, which an erasure just committed) as it
    must be stored now, or None when it carries nothing to erase."""
    seq = item.event.seq
    if not 1 <= seq <= complaint.version:
        return None
    event = outbox_event(complaint.history[seq - 1], include_personal=include_personal, key=key)
    return None if event == item.event else attrs.evolve(item, event=event)


def outbox_item(payload: Mapping[str, Any]) -> OutboxItem:
    """Read a stored outbox payload (:meth:`OutboxItem.to_dict`) back."""
    return OutboxItem(payload["id"], payload["complaint_id"], Event.from_dict(payload["event"]))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def event_from_row(seq: int, name: str, v: int, at: datetime | str, actor: str | None,  # noqa: PLR0917
                   data: Any) -> Event:
    """Read a stored event back (through the upcasters of :meth:`Event.from_dict`)."""
    if isinstance(data, str | bytes):
        data = json.loads(data)
    return Event.from_dict({
        "seq": seq, "name": name, "v": v,
        "at": at if isinstance(at, str) else at.isoformat(),
        "actor": actor, "data": data,
    })


def collect_events(into: dict[str, list[Event]], rows: Iterable[Sequence[Any]]) -> None:
    """Append ``(complaint_id, seq, name, v, at, actor, data)`` rows to ``into`` by complaint."""
    for r in rows:
        into.setdefault(r[0], []).append(event_from_row(*r[1:]))


def utc_text(value: datetime) -> str:
    """A fixed-width UTC ISO text whose string order is time order (for SQLite)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


#: The current-state row's columns, in table order: the keys of :func:`state_row`.
STATE_COLUMNS: Final = (
    "id", "state", "version", "customer_id", "channel", "received_at", "order_id", "sku",
    "batch", "store", "region", "brand", "category", "dimension", "severity", "scope", "tier",
    "is_open", "next_due", "updated_at", "satisfaction",
)


def state_row(complaint: Complaint) -> dict[str, Any]:
    """The current-state columns of a complaint (what due/recent/counts query)."""
    return {
        "id": complaint.id,
        "state": complaint.state.value,
        "version": complaint.version,
        "customer_id": complaint.customer_id,
        "channel": complaint.channel,
        "received_at": complaint.received_at,
        "order_id": complaint.order_id,
        "sku": complaint.sku,
        "batch": complaint.batch,
        "store": complaint.store,
        "region": complaint.region,
        "brand": complaint.brand,
        "category": complaint.category,
        "dimension": complaint.dimension,
        "severity": complaint.severity,
        "scope": complaint.scope,
        "tier": complaint.tier.label,
        "is_open": complaint.is_open,
        "next_due": complaint.next_due,
        "updated_at": complaint.last_event_at,
        "satisfaction": complaint.satisfaction,
    }


def replay_rows(complaint_id: str, events: Sequence[Event], expected_version: int | None = None
                ) -> Complaint:
    """Rebuild a stored complaint; a broken history is an :class:`IntegrityError`."""
    try:
        complaint = Complaint.replay(events)
    except (ValidationError, InvalidTransition) as exc:
        raise IntegrityError(f"complaint {complaint_id!r}: stored history does not replay: {exc}"
                             ) from exc
    if complaint.id != complaint_id:
        raise IntegrityError(f"complaint {complaint_id!r}: stored history is of {complaint.id!r}")
    if expected_version is not None and complaint.version != expected_version:
        raise IntegrityError(f"complaint {complaint_id!r}: state row says version {expected_version} "
                         f"but the history holds {complaint.version} events")
    return attrs.evolve(complaint, committed=complaint.version)


def replay_found(complaint_id: str, events: Sequence[Event]) -> Complaint:
    """What ``get`` returns from the events read for ``complaint_id``: none is
    :class:`NotFound`."""
    if not events:
        raise NotFound(complaint_id)
    return replay_rows(complaint_id, events)


def _fields_differ(a: Complaint, b: Mapping[str, Any]) -> str | None:
    for field in attrs.fields(Complaint):
        if field.eq and field.name != "history" and a.__dict__[field.name] != b[field.name]:
            return field.name
    return None


def load_stored(
    complaint_id: str, *, version: int, snapshot: object, snapshot_version: object,
    events: Sequence[Event], prefix: Callable[[int], Sequence[Event]],
    row_matches: Callable[[Complaint], bool] | None = None,
) -> Complaint:
    """Rebuild a stored complaint from its state row's snapshot and the events after it.

    ``version`` is the state row's version, ``snapshot`` / ``snapshot_version`` its
    snapshot columns (``None``: no snapshot, then ``events`` is the whole history),
    ``events`` the stored events from ``snapshot_version`` on (the event the snapshot
    reflects first), ``prefix(n)`` reads events ``1 … n`` (called only when the whole
    history is asked for, or for a snapshot of another layout), ``row_matches(complaint)``
    compares the complaint with the state row that was read.

    The history before the snapshot is read lazily (:class:`~complaintflow._history.History`);
    when it is read, its replay is checked to give the snapshot, so a snapshot that
    differs from its events is an :class:`IntegrityError` then (and in ``verify``). A
    damaged snapshot, one of another complaint or version, or one its state row
    contradicts is an :class:`IntegrityError` at once.
    """
    if snapshot is None or snapshot_version is None:
        if events and events[0].seq > 1:  # a version without its snapshot: read the rest
            events = (*prefix(events[0].seq - 1), *events)
        complaint = replay_rows(complaint_id, events)
    else:
        if isinstance(snapshot_version, bool) or not isinstance(snapshot_version, int) \
                or not 1 <= snapshot_version <= version:
            raise IntegrityError(f"complaint {complaint_id!r}: snapshot version "
                                 f"{snapshot_version!r} outside 1 … {version}")
        fields = decode_snapshot(snapshot, complaint_id)
        if fields is None:  # another layout: replay, the next save writes a current one
            complaint = replay_rows(complaint_id, (*prefix(snapshot_version - 1), *events))
        else:
            complaint = _from_snapshot(complaint_id, fields, snapshot_version, events, prefix)
    if complaint.version < version:
        raise IntegrityError(f"complaint {complaint_id!r}: state row says version {version} "
                             f"but the history holds {complaint.version} events")
    if complaint.version == version and row_matches is not None and not row_matches(complaint):
        raise IntegrityError(f"complaint {complaint_id!r}: the state row differs from its "
                             "snapshot and events")
    return complaint


def _from_snapshot(complaint_id: str, fields: Mapping[str, Any], at: int,
                   events: Sequence[Event], prefix: Callable[[int], Sequence[Event]]
                   ) -> Complaint:
    where = f"complaint {complaint_id!r}"
    if fields["version"] != at:
        raise IntegrityError(f"{where}: the snapshot is of version {fields['version']}, its "
                             f"row says {at}")
    if not events or events[0].seq != at:
        raise IntegrityError(f"{where}: event {at}, which the snapshot reflects, is missing")
    for offset, event in enumerate(events, start=at):
        if event.seq != offset:
            raise IntegrityError(f"{where}: stored event seq {event.seq} at position {offset}")
    reflected = events[0]

    def check(earlier: Sequence[Event]) -> tuple[Event, ...]:
        """The events before the snapshot, checked to replay to it."""
        found = tuple(earlier)
        if [e.seq for e in found] != list(range(1, at)):
            raise IntegrityError(f"{where}: the stored history before version {at} has gaps")
        replayed = replay_rows(complaint_id, (*found, reflected))
        differs = _fields_differ(replayed, fields)
        if differs is not None:
            raise IntegrityError(f"{where}: the snapshot differs from the replay of its "
                                 f"history ({differs})")
        return found

    history: Sequence[Event]
    if at == 1:  # the receipt alone: check it now, it costs one fold
        history = (*check(()), reflected)
    else:
        history = History(Prefix(at - 1, lambda: check(prefix(at - 1))), (reflected,))
    complaint = build_snapshot(fields, history, at)
    try:
        for event in events[1:]:
            complaint = apply(complaint, event)
    except (ValidationError, InvalidTransition) as exc:
        raise IntegrityError(f"{where}: stored history does not replay: {exc}") from exc
    return replace(complaint, {"committed": complaint.version})


#: The state-row columns of a :class:`~complaintflow.policies.RecentRow`, in its order.
RECENT_COLUMNS: Final = ("id", "customer_id", "received_at", "state", "scope", "order_id",
                         "sku", "batch", "brand", "satisfaction")

_STATES: Final = {s.value: s for s in State}


def recent_row(values: Sequence[Any]) -> RecentRow:
    """A :class:`~complaintflow.policies.RecentRow` from the :data:`RECENT_COLUMNS` of a
    state row, checked like any stored data (a wrong value is an :class:`IntegrityError`)."""
    cid, at, state = values[0], values[2], values[3]
    try:
        when = ensure_aware(datetime.fromisoformat(at) if isinstance(at, str) else at,
                            "received_at")
    except (ValidationError, ValueError) as exc:
        raise IntegrityError(f"complaint {cid!r}: state row received_at {at!r}: {exc}") from exc
    found = _STATES.get(state) if isinstance(state, str) else None
    if found is None:
        raise IntegrityError(f"complaint {cid!r}: state row has an unknown state {state!r}")
    return RecentRow(cid, values[1], when, found, *values[4:])


def intake_rows(keys: Iterable[str], rows: Mapping[str, Iterable[Sequence[Any]]]
                ) -> tuple[RecentRow, ...]:
    """The newest rows of every asked key, each complaint once, newest first."""
    out: dict[str, RecentRow] = {}
    for key in keys:
        for values in rows.get(key, ()):
            if values[0] not in out:
                out[values[0]] = recent_row(values)
    return tuple(sorted(out.values(), key=lambda r: (r.received_at, r.id), reverse=True))


# -- true records: what a store accepts ---------------------------------------------------------

#: The state-row keys bounded by :data:`MAX_KEY_LENGTH`.
_KEY_FIELDS: Final = ("customer_id", "channel", "order_id", "sku", "batch", "store", "region",
                      "brand", "category", "dimension")


def check_id(value: object, field: str = "complaint.id") -> str:
    """A complaint id within :data:`MAX_ID_LENGTH` and :data:`ID_ALPHABET` (the commands'
    own check, so a store refuses exactly what ``receive`` refuses)."""
    return check_complaint_id(field, value)


def _check_key(field: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {type(value).__name__}")
    if len(value) > MAX_KEY_LENGTH:
        raise ValidationError(field, f"{len(value)} characters; at most {MAX_KEY_LENGTH}")
    if not value.isprintable():
        raise ValidationError(field, f"{value!r} holds control characters")


def _check_texts(field: str, value: object) -> None:
    """Every string in an event's data within :data:`MAX_TEXT_LENGTH`."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT_LENGTH:
            raise ValidationError(field, f"{len(value)} characters; at most {MAX_TEXT_LENGTH}")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_texts(f"{field}.{k}", v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_texts(field, v)


def _differs(a: Complaint, b: Complaint) -> str:
    for field in attrs.fields(Complaint):
        if field.eq and getattr(a, field.name) != getattr(b, field.name):
            return field.name
    return "?"  # pragma: no cover - only called when a != b


def check_record(complaint: Complaint, base: Complaint | None = None) -> tuple[Event, ...]:
    """Check that ``complaint`` is what its history folds to, within the limits every
    store shares, and return the events a write appends (after ``committed``). Every
    store calls it before it writes; a store of your own should too.

    ``base`` is the complaint at version ``complaint.committed`` as the store knows it
    (its history a prefix of ``complaint.history``): only the new events are folded onto
    it. Without one the whole history is replayed. Bad ids and texts are
    :class:`ValidationError`; a state that is not the fold of the history (a forged
    complaint) is :class:`IntegrityError`.
    """
    check_complaint(complaint)
    check_id(complaint.id)
    for name in _KEY_FIELDS:
        _check_key(f"complaint.{name}", getattr(complaint, name))
    start = 0 if base is None else base.version
    events = new_events(complaint, start=start)
    for e in events:
        _check_key("event.actor", e.actor)
        _check_texts(f"event {e.seq} ({e.name})", e.data)
    if complaint.version != len(complaint.history):
        raise IntegrityError(f"complaint {complaint.id!r}: version {complaint.version} but "
                             f"{len(complaint.history)} events")
    try:
        folded = Complaint.replay(events) if base is None else base
        if base is not None:
            for e in events:
                folded = apply(folded, e)
    except (ValidationError, InvalidTransition) as exc:
        raise IntegrityError(f"complaint {complaint.id!r}: its history does not fold: {exc}"
                             ) from exc
    if folded != complaint:
        raise IntegrityError(
            f"complaint {complaint.id!r} is not the fold of its history "
            f"({_differs(folded, complaint)} differs); it was not made by a workflow")
    return tuple(complaint.history[complaint.committed:])


class Seen:
    """The last committed state of recently read or written complaints (bounded), so a
    save folds only its new events onto the state it was loaded at."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[str, Complaint] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, complaint: Complaint) -> Complaint:
        with self._lock:
            self._items[complaint.id] = complaint
            self._items.move_to_end(complaint.id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return complaint

    def base(self, complaint: Complaint) -> Complaint | None:
        """The remembered complaint at ``complaint.committed``, if its history is the prefix."""
        known = self._items.get(complaint.id)
        n = complaint.committed
        if known is None or known.version != n or known.history != complaint.history[:n]:
            return None
        return known

    def check_save(self, complaint: Complaint) -> tuple[Event, ...]:
        """:func:`check_record` for a save, folding onto the remembered state when it can."""
        check_complaint(complaint)
        base = self.base(complaint)
        if base is None:
            check_record(complaint, None)
            return new_events(complaint)
        return check_record(complaint, base)


def stale(complaint: Complaint, actual: int | None) -> ConcurrencyError:
    return ConcurrencyError(complaint.id, complaint.committed, actual)


def committed(complaint: Complaint) -> Complaint:
    """``complaint`` as a write returns it: every event committed."""
    return replace(complaint, {"committed": complaint.version})


def unchanged(complaint: Complaint, actual: int | None) -> Complaint:
    """A save that wrote no state row: ``complaint`` as it is when the stored version
    (``actual``, ``None`` when there is no such complaint) is the one it was loaded at."""
    if actual is None:
        raise NotFound(complaint.id)
    if actual != complaint.committed:
        raise stale(complaint, actual)
    return complaint


@contextmanager
def conflicts(integrity_error: type[BaseException], complaint: Complaint, expected: int
              ) -> Iterator[None]:
    """A write refused by a unique key (a :class:`StoreError` caused by ``integrity_error``)
    lost a race: it becomes a :class:`ConcurrencyError` expecting version ``expected``."""
    try:
        yield
    except StoreError as exc:
        if isinstance(exc.__cause__, integrity_error):
            raise ConcurrencyError(complaint.id, expected, None) from exc
        raise


def consistency_problems(
    rows: Mapping[str, Any], events: Mapping[str, Sequence[Event]], outbox: Set[str],
    row_of: Callable[[Complaint], Any],
    snapshots: Mapping[str, tuple[object, object]] | None = None,
) -> list[str]:
    """What ``verify`` reports, from everything a database holds: ``rows`` (the state rows
    by complaint id, each as ``row_of`` renders a complaint), ``events`` (the histories by
    complaint id), ``outbox`` (the outbox's event ids) and ``snapshots`` (each state row's
    snapshot and its version, checked against the replay of the events it reflects)."""
    problems: list[str] = []
    for cid, (text, at) in sorted((snapshots or {}).items()):
        if text is not None and cid in events:
            problem = snapshot_problem(cid, text, at, events[cid])
            if problem is not None:
                problems.append(problem)
    for cid in sorted(rows.keys() - events.keys()):
        problems.append(f"{cid}: a state row without events")
    for cid in sorted(events.keys() - rows.keys()):
        problems.append(f"{cid}: events without a state row")
    for cid in sorted(rows.keys() & events.keys()):
        try:
            replayed = replay_rows(cid, events[cid])
        except StoreError as exc:
            problems.append(str(exc))
            continue
        if row_of(replayed) != rows[cid]:
            problems.append(f"{cid}: the state row differs from the replay of its history")
    expected = {event_id(cid, e.seq) for cid, evs in events.items() for e in evs}
    problems.extend(f"{oid}: committed but missing from the outbox"
                    for oid in sorted(expected - outbox))
    problems.extend(f"{oid}: in the outbox but not committed"
                    for oid in sorted(outbox - expected))
    return problems


def snapshot_problem(complaint_id: str, text: object, at: object, events: Sequence[Event]
                     ) -> str | None:
    """What is wrong with a stored snapshot, checked against the replay of ``events`` up
    to the version it reflects (``None``: nothing, or a snapshot of another layout)."""
    try:
        fields = decode_snapshot(text, complaint_id)
        if fields is None:
            return None
        if isinstance(at, bool) or not isinstance(at, int) or not 1 <= at <= len(events):
            return f"{complaint_id}: snapshot version {at!r} outside the history"
        replayed = replay_rows(complaint_id, events[:at])
    except StoreError as exc:
        return str(exc)
    differs = _fields_differ(replayed, fields)
    if fields["version"] != at or differs is not None:
        return (f"{complaint_id}: the snapshot differs from the replay of its history "
                f"({differs or 'version'})")
    return None


class Closing:
    """``with store: ...`` closes the store when the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


