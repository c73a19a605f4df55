"""Publishing to NATS JetStream (nats-py): ``Nats-Msg-Id`` lets the server drop duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from complaintflow.relay._base import AsyncPublisher, Delivery, safe_url
from complaintflow.relay._envelope import CONTENT_TYPE, DEFAULT_SOURCE, envelope_bytes
from complaintflow.relay._errors import require
from complaintflow.store import OutboxItem

__all__ = ["NATSPublisher"]


class NATSPublisher(AsyncPublisher):
    """Publishes each event to JetStream on the subject ``<prefix>.<event name>``.

    The event's stable id is the ``Nats-Msg-Id`` header, so the server drops a message it
    already holds within the stream's duplicate window (a relay that crashed between
    publishing and marking). The whole batch is written at once and the acks are awaited
    together. Unless ``create_stream=False``, a missing stream named ``stream`` is created
    for the subjects ``<prefix>.>`` with ``duplicate_window`` seconds.
    """

    def __init__(self, url: str = "nats://127.0.0.1:4222", *, stream: str = "COMPLAINTS",
                 prefix: str = "complaints", create_stream: bool = True,
                 duplicate_window: float = 120.0, source: str = DEFAULT_SOURCE,
                 timeout: float = 10.0) -> None:
        require("nats", "nats", "NATSPublisher")
        super().__init__()
        self.url = url
        self.stream = stream
        self.prefix = prefix
        self.create_stream = create_stream
        self.duplicate_window = duplicate_window
        self.source = source
        self.timeout = timeout
        self._nc: Any = None
        self._js: Any = None

    def __repr__(self) -> str:
        return f"NATSPublisher({safe_url(self.url)!r}, stream={self.stream!r}, prefix={self.prefix!r})"

    def subject(self, item: OutboxItem) -> str:
        """The subject ``item`` is published on."""
        return f"{self.prefix}.{item.event.name}"

    def _connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def _connect(self) -> None:
        import nats
        from nats.js.api import StreamConfig
        from nats.js.errors import NotFoundError

        async def quiet(_exc: Exception) -> None:
            return None

        # one retry, then NoServersError: the relay's own backoff decides when to come back
        self._nc = await nats.connect(servers=[self.url], allow_reconnect=False,
                                      connect_timeout=self.timeout, max_reconnect_attempts=1,
                                      reconnect_time_wait=0.1, error_cb=quiet)
        self._js = self._nc.jetstream(timeout=self.timeout)
        if self.create_stream:
            try:
                await self._js.stream_info(self.stream)
            except NotFoundError:
                await self._js.add_stream(StreamConfig(
                    name=self.stream, subjects=[f"{self.prefix}.>"],
                    duplicate_window=self.duplicate_window))

    async def _disconnect(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            await nc.close()

    async def _send(self, items: Sequence[OutboxItem]) -> Delivery:
        futures = []
        for item in items:  # written in order on one connection
            futures.append(await self._js.publish_async(
                self.subject(item), envelope_bytes(item, source=self.source),
                headers={"Nats-Msg-Id": item.id, "Content-Type": CONTENT_TYPE}))
        await self._nc.flush(timeout=self.timeout)
        done, _ = await asyncio.wait(futures, timeout=self.timeout)
        confirmed: list[str] = []
        error: str | None = None
        for item, future in zip(items, futures, strict=True):
            if future in done and future.exception() is None:
                confirmed.append(item.id)
            elif future not in done:
                future.cancel()
                error = error or f"no ack within {self.timeout} s"
            else:
                error = error or self._describe(future.exception())
        if error is not None:
            await self._drop()
        return Delivery.of(confirmed, error=error)
