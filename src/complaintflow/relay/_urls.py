"""``publisher_for(url)``: the publisher a URL names (what ``complaintflow relay --to`` uses)."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from complaintflow.exceptions import ConfigError
from complaintflow.relay._amqp import AMQPPublisher
from complaintflow.relay._base import Publisher, strip_query
from complaintflow.relay._envelope import DEFAULT_SOURCE
from complaintflow.relay._nats import NATSPublisher
from complaintflow.relay._redis import RedisPublisher
from complaintflow.relay._webhook import WebhookPublisher

__all__ = ["SCHEMES", "publisher_for"]

#: The URL schemes :func:`publisher_for` understands.
SCHEMES: Final = ("nats", "tls", "amqp", "amqps", "redis", "rediss", "http", "https")


def publisher_for(url: str, *, secret: str | None = None, source: str = DEFAULT_SOURCE,
                  timeout: float = 10.0) -> Publisher:
    """The publisher for ``url``; options ride in the query string and are taken out of it.

    - ``nats://host:4222?stream=COMPLAINTS&prefix=complaints`` → :class:`NATSPublisher`
    - ``amqp://user:pass@host:5672/vhost?exchange=complaints`` → :class:`AMQPPublisher`
    - ``redis://host:6379/0?stream=complaints&maxlen=1000000`` → :class:`RedisPublisher`
      (``maxlen=none`` keeps everything)
    - ``https://crm.example.com/hooks/complaints`` → :class:`WebhookPublisher`, which needs
      ``secret`` (the query string stays part of the URL)

    Raises :class:`~complaintflow.exceptions.ConfigError` naming what is wrong, and
    :class:`MissingExtra` naming the extra to install.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError("url", f"{url!r} is not a URL; expected nats://, amqp://, redis:// "
                                 "or https://")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError("url", f"{url!r}: unknown scheme {parts.scheme!r}; expected nats://, "
                                 "amqp://, redis:// or https://")
    if not parts.hostname:
        raise ConfigError("url", f"{url!r} names no host")
    try:
        parts.port  # noqa: B018  # a bad port raises here
    except ValueError:
        raise ConfigError("url", f"{url!r} has an invalid port") from None
    if scheme in ("nats", "tls"):
        rest, opts = strip_query(url, ("stream", "prefix"))
        return NATSPublisher(rest, stream=opts.get("stream", "COMPLAINTS"),
                             prefix=opts.get("prefix", "complaints"), source=source,
                             timeout=timeout)
    if scheme in ("amqp", "amqps"):
        rest, opts = strip_query(url, ("exchange",))
        return AMQPPublisher(rest, exchange=opts.get("exchange", "complaints"), source=source,
                             timeout=timeout)
    if scheme in ("redis", "rediss"):
        rest, opts = strip_query(url, ("stream", "maxlen"))
        return RedisPublisher(rest, stream=opts.get("stream", "complaints"),
                              maxlen=_maxlen(opts.get("maxlen")), source=source, timeout=timeout)
    if not secret:
        raise ConfigError("secret", "a webhook needs a signing secret (whsec_…); the command "
                                    "line reads it from COMPLAINTFLOW_WEBHOOK_SECRET")
    return WebhookPublisher(url, secret=secret, source=source, timeout=timeout)


def _maxlen(text: str | None) -> int | None:
    if text is None:
        return 1_000_000
    if text.lower() == "none":
        return None
    if not text.isdigit() or int(text) < 1:
        raise ConfigError("maxlen", f"expected a positive integer or 'none', got {text!r}")
    return int(text)
