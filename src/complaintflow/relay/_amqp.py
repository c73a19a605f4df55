"""Publishing to RabbitMQ (aio-pika): a topic exchange, persistent messages, publisher confirms."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from complaintflow.relay._base import AsyncPublisher, Delivery, safe_url
from complaintflow.relay._envelope import CONTENT_TYPE, DEFAULT_SOURCE, envelope_bytes, event_type
from complaintflow.relay._errors import require
from complaintflow.store import OutboxItem

__all__ = ["AMQPPublisher"]


class AMQPPublisher(AsyncPublisher):
    """Publishes each event to the durable topic exchange ``exchange`` with the event name as
    routing key, as a persistent message whose ``message_id`` is the event's stable id.

    The channel runs in publisher-confirm mode: a batch is written at once, in order, and
    only the messages the broker acknowledged count as delivered. A topic exchange drops
    what no queue is bound to, so bind your queues before the relay starts.
    """

    def __init__(self, url: str = "amqp://guest:guest@127.0.0.1:5672/", *,
                 exchange: str = "complaints", source: str = DEFAULT_SOURCE,
                 timeout: float = 10.0) -> None:
        require("aio_pika", "amqp", "AMQPPublisher")
        super().__init__()
        self.url = url
        self.exchange = exchange
        self.source = source
        self.timeout = timeout
        self._connection: Any = None
        self._channel: Any = None

    def __repr__(self) -> str:
        return f"AMQPPublisher({safe_url(self.url)!r}, exchange={self.exchange!r})"

    def _connected(self) -> bool:
        return self._channel is not None and not self._channel.is_closed

    async def _connect(self) -> None:
        import aio_pika

        self._connection = await aio_pika.connect(self.url, timeout=self.timeout)
        channel = await self._connection.channel(publisher_confirms=True)
        await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        self._channel = await channel.get_underlay_channel()

    async def _disconnect(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            await connection.close()

    async def _send(self, items: Sequence[OutboxItem]) -> Delivery:
        from aiormq import spec

        channel = self._channel
        # Each publish takes the channel's FIFO lock before writing, so the tasks, started
        # in order, write in order; the confirms come back together.
        tasks = [asyncio.ensure_future(channel.basic_publish(
            envelope_bytes(item, source=self.source), exchange=self.exchange,
            routing_key=item.event.name,
            properties=spec.Basic.Properties(
                delivery_mode=2, message_id=item.id, content_type=CONTENT_TYPE,
                message_type=event_type(item.event.name), app_id="complaintflow"),
        )) for item in items]
        done, pending = await asyncio.wait(tasks, timeout=self.timeout)
        for task in pending:
            task.cancel()
        confirmed: list[str] = []
        error: str | None = None
        for item, task in zip(items, tasks, strict=True):
            if task in done and task.exception() is None:
                if isinstance(task.result(), spec.Basic.Ack):
                    confirmed.append(item.id)
                else:
                    error = error or f"the broker refused {item.id} ({type(task.result()).__name__})"
            elif task in done:
                error = error or self._describe(task.exception())
            else:
                error = error or f"no confirm within {self.timeout} s"
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if error is not None and len(confirmed) < len(items):
            await self._drop()
        return Delivery.of(confirmed, error=error)

