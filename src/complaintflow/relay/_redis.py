"""Publishing to a Redis stream (redis-py): XADD with a MAXLEN policy, one round trip a batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from complaintflow.relay._base import Delivery, safe_url
from complaintflow.relay._envelope import DEFAULT_SOURCE, envelope_bytes, event_type
from complaintflow.relay._errors import PublishError, require
from complaintflow.store import OutboxItem

__all__ = ["RedisPublisher"]


class RedisPublisher:
    """Appends each event to the stream ``stream`` with ``XADD``.

    The entry's fields are ``id`` (the event's stable id: consumers deduplicate on it,
    Redis does not), ``type``, ``subject`` (the complaint id) and ``envelope`` (the
    CloudEvent JSON). ``maxlen`` trims the stream (approximately, which is cheap, unless
    ``approximate=False``); ``None`` keeps everything. A batch is one pipelined round trip.
    """

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, stream: str = "complaints",
                 maxlen: int | None = 1_000_000, approximate: bool = True,
                 source: str = DEFAULT_SOURCE, timeout: float = 10.0) -> None:
        require("redis", "redis", "RedisPublisher")
        self.url = url
        self.stream = stream
        self.maxlen = maxlen
        self.approximate = approximate
        self.source = source
        self.timeout = timeout
        self._client: Any = None

    def __repr__(self) -> str:
        return f"RedisPublisher({safe_url(self.url)!r}, stream={self.stream!r})"

    def _connection(self) -> Any:
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=self.timeout,
                                                socket_connect_timeout=self.timeout)
        return self._client

    def publish(self, items: Sequence[OutboxItem]) -> Delivery:
        if not items:
            return Delivery()
        import redis

        pipe = self._connection().pipeline(transaction=False)
        for item in items:
            pipe.xadd(self.stream, {
                "id": item.id, "type": event_type(item.event.name), "subject": item.complaint_id,
                "envelope": envelope_bytes(item, source=self.source),
            }, maxlen=self.maxlen, approximate=self.approximate)
        try:
            results = pipe.execute(raise_on_error=False)
        except redis.RedisError as exc:
            self.close()
            raise PublishError(f"{self}: {type(exc).__name__}: {exc}") from exc
        confirmed = [i.id for i, r in zip(items, results, strict=True)
                     if not isinstance(r, Exception)]
        errors = [r for r in results if isinstance(r, Exception)]
        return Delivery.of(confirmed, error=str(errors[0]) if errors else None)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
