"""The far side of the relay tests: reading back what reached each server, and cleaning up."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@attrs.define
class Message:
    """One message as the far side got it: the envelope text and its transport metadata."""

    body: bytes
    meta: dict[str, Any]

    @property
    def envelope(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded

    @property
    def id(self) -> str:
        return str(self.envelope["id"])


# -- NATS JetStream --------------------------------------------------------------------------

def nats_read(url: str, stream: str) -> list[Message]:
    """Every message of ``stream``, in stream order."""
    import nats
    from nats.js.errors import NotFoundError

    async def go() -> list[Message]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            try:
                info = await js.stream_info(stream)
            except NotFoundError:
                return []
            out = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                if info.state.messages == 0:
                    break
                msg = await js.get_msg(stream, seq)
                out.append(Message(msg.data or b"", {"subject": msg.subject,
                                                      "headers": dict(msg.headers or {})}))
            return out
        finally:
            await nc.close()

    return asyncio.run(go())


def nats_delete(url: str, stream: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    async def go() -> None:
        nc = await nats.connect(url)
        try:
            with suppress(NotFoundError):
                await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    asyncio.run(go())


@contextmanager
def nats_stream(url: str, uid: str) -> Iterator[tuple[str, str]]:
    """A unique ``(stream, prefix)``, the stream deleted afterwards."""
    stream, prefix = f"CFTEST_{uid}", f"cftest_{uid}"
    try:
        yield stream, prefix
    finally:
        nats_delete(url, stream)


# -- RabbitMQ --------------------------------------------------------------------------------

@contextmanager
def amqp_queue(url: str, uid: str) -> Iterator[tuple[str, Callable[[], list[Message]]]]:
    """A unique topic exchange with a queue bound to every routing key; yields the exchange
    name and a function that drains the queue."""
    import aio_pika

    exchange, queue = f"cftest.{uid}", f"cftest.{uid}.all"

    async def setup() -> None:
        conn = await aio_pika.connect(url)
        async with conn:
            ch = await conn.channel()
            ex = await ch.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
            q = await ch.declare_queue(queue, durable=True)
            await q.bind(ex, "#")

    async def drain() -> list[Message]:
        conn = await aio_pika.connect(url)
        out: list[Message] = []
        async with conn:
            ch = await conn.channel()
            q = await ch.declare_queue(queue, durable=True)
            while True:
                msg = await q.get(no_ack=True, fail=False)
                if msg is None:
                    return out
                out.append(Message(msg.body, {
                    "routing_key": msg.routing_key, "message_id": msg.message_id,
                    "delivery_mode": int(msg.delivery_mode), "content_type": msg.content_type,
                }))

    async def teardown() -> None:
        conn = await aio_pika.connect(url)
        async with conn:
            ch = await conn.channel()
            await ch.queue_delete(queue)
            await ch.exchange_delete(exchange)

    asyncio.run(setup())
    try:
        yield exchange, lambda: asyncio.run(drain())
    finally:
        asyncio.run(teardown())


# -- Redis -----------------------------------------------------------------------------------

def redis_read(url: str, stream: str) -> list[Message]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        entries = client.xrange(stream, "-", "+")
    finally:
        client.close()
    return [Message(fields[b"envelope"], {k.decode(): v.decode() for k, v in fields.items()
                                          if k != b"envelope"} | {"entry": entry.decode()})
            for entry, fields in entries]


@contextmanager
def redis_stream(url: str, uid: str) -> Iterator[str]:
    import redis

    name = f"cftest:{uid}"
    try:
        yield name
    finally:
        client = redis.Redis.from_url(url)
        client.delete(name)
        client.close()


# -- a webhook receiver ----------------------------------------------------------------------

class Receiver:
    """A threaded local HTTP server recording each POST; ``answers`` is a list of statuses
    handed out in turn (then 200), or a function of the delivery."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.answers: list[int] = []
        self.answer_for: Callable[[Message], int] | None = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    self.close_connection = True
                    return
                msg = Message(body, {k.lower(): v for k, v in self.headers.items()})
                with receiver.lock:
                    if receiver.answer_for is not None:
                        status = receiver.answer_for(msg)
                    else:
                        status = receiver.answers.pop(0) if receiver.answers else 200
                    msg.meta["status"] = status
                    receiver.messages.append(msg)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"no" if status >= 300 else b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many relays connecting at once on a loaded machine

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/complaints"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if 200 <= m.meta["status"] < 300]
