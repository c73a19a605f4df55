"""The message every publisher sends: a CloudEvents 1.0 event in the structured JSON format."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any, Final

from complaintflow._events import SCHEMA_VERSION, Event
from complaintflow.exceptions import ValidationError
from complaintflow.store import OutboxItem

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_SOURCE",
    "ENVELOPE_VERSION",
    "envelope",
    "envelope_bytes",
    "event_type",
    "read_envelope",
]

#: The media type of a structured-mode CloudEvent in JSON.
CONTENT_TYPE: Final = "application/cloudevents+json"
#: The ``source`` attribute unless the relay is given another one (a URI reference).
DEFAULT_SOURCE: Final = "urn:complaintflow"
#: The layout version of the envelope, carried in the ``cfenvelope`` extension attribute.
ENVELOPE_VERSION: Final = 1


def event_type(name: str) -> str:
    """The CloudEvents ``type`` of an event name: ``complaintflow.<name>``."""
    return f"complaintflow.{name}"


def _document(item: OutboxItem, source: str, data: Any) -> dict[str, Any]:
    event = item.event
    return {
        "specversion": "1.0",
        "id": item.id,
        "source": source,
        "type": event_type(event.name),
        "subject": item.complaint_id,
        "time": event.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "cfseq": event.seq,
        "cfenvelope": ENVELOPE_VERSION,
        "data": data,
    }


def envelope(item: OutboxItem, *, source: str = DEFAULT_SOURCE) -> dict[str, Any]:
    """The CloudEvent of an outbox item, as a JSON-compatible dict.

    ``id`` is the item's stable id (``"<complaint id>:<seq>"``), ``subject`` the complaint
    id, ``time`` the event's time, ``data`` the event as :meth:`Event.to_dict` writes it
    (its personal data only if the store's outbox carries it); the extension attributes
    ``cfseq`` (the event's position in its complaint) and ``cfenvelope`` (this layout's
    version) are integers.
    """
    return _document(item, source, item.event.to_dict())


def envelope_bytes(item: OutboxItem, *, source: str = DEFAULT_SOURCE) -> bytes:
    """:func:`envelope` as compact UTF-8 JSON: the body every publisher sends."""
    event = item.event
    # Event.to_dict() without copying the data: an event's data is already plain JSON
    # (read-only dicts and tuples), which json.dumps writes as it is.
    data = {"schema": SCHEMA_VERSION, "seq": event.seq, "name": event.name, "v": event.v,
            "at": event.at.isoformat(), "actor": event.actor, "data": event.data}
    return _ENCODER.encode(_document(item, source, data)).encode()


_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def read_envelope(message: bytes | str | Mapping[str, Any]) -> OutboxItem:
    """The outbox item a received envelope carries (the inverse of :func:`envelope`).

    Raises :class:`~complaintflow.ValidationError` naming what is wrong when ``message`` is
    not a complaintflow CloudEvent.
    """
    if isinstance(message, bytes | str):
        try:
            message = json.loads(message)
        except ValueError as exc:
            raise ValidationError("message", f"not JSON: {exc}") from None
    if not isinstance(message, Mapping):
        raise ValidationError("message", "expected a JSON object")
    if message.get("specversion") != "1.0":
        raise ValidationError("specversion", f"expected '1.0', got {message.get('specversion')!r}")
    for key in ("id", "subject", "type"):
        if not isinstance(message.get(key), str):
            raise ValidationError(key, "missing or not a string")
    version = message.get("cfenvelope", 1)
    if not isinstance(version, int) or version > ENVELOPE_VERSION:
        raise ValidationError("cfenvelope", f"envelope version {version!r} is newer than this "
                                            f"complaintflow reads ({ENVELOPE_VERSION})")
    event = Event.from_dict(message.get("data", {}))
    return OutboxItem(message["id"], message["subject"], event)
