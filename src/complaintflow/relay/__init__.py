"""Getting events out: an outbox relay to NATS JetStream, RabbitMQ, Redis Streams and webhooks.

:class:`Relay` moves every committed event from a store's outbox to a :class:`Publisher`,
at least once and in ``seq`` order per complaint; each message is a CloudEvents 1.0 event
(:func:`envelope`) whose ``id`` is the event's stable id, so consumers deduplicate on it
(:class:`IdempotentConsumer`). Each broker's client is an optional extra: ``nats``,
``amqp``, ``redis``, ``webhooks`` (``relay`` installs them all); a missing one is a
:class:`MissingExtra` naming it.
"""

from __future__ import annotations

import contextlib

from complaintflow.relay._amqp import AMQPPublisher
from complaintflow.relay._base import Backoff, Delivery, Publisher
from complaintflow.relay._consumer import (
    DEFAULT_TOLERANCE,
    IdempotentConsumer,
    MemorySeenSet,
    SeenSet,
    SQLSeenSet,
    verify_webhook,
)
from complaintflow.relay._envelope import (
    CONTENT_TYPE,
    DEFAULT_SOURCE,
    ENVELOPE_VERSION,
    envelope,
    envelope_bytes,
    event_type,
    read_envelope,
)
from complaintflow.relay._errors import InvalidSignature, MissingExtra, PublishError, RelayError
from complaintflow.relay._nats import NATSPublisher
from complaintflow.relay._redis import RedisPublisher
from complaintflow.relay._relay import Relay, RelayReport
from complaintflow.relay._urls import publisher_for
from complaintflow.relay._webhook import RETRYABLE_STATUSES, WebhookPublisher, sign

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_SOURCE",
    "DEFAULT_TOLERANCE",
    "ENVELOPE_VERSION",
    "RETRYABLE_STATUSES",
    "AMQPPublisher",
    "Backoff",
    "Delivery",
    "IdempotentConsumer",
    "InvalidSignature",
    "MemorySeenSet",
    "MissingExtra",
    "NATSPublisher",
    "PublishError",
    "Publisher",
    "RedisPublisher",
    "Relay",
    "RelayError",
    "RelayReport",
    "SQLSeenSet",
    "SeenSet",
    "WebhookPublisher",
    "envelope",
    "envelope_bytes",
    "event_type",
    "publisher_for",
    "read_envelope",
    "sign",
    "verify_webhook",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("complaintflow.relay._"):
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = __name__
del _name, _obj
