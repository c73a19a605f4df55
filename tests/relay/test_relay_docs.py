"""The consumers of "Getting events out" run as written against the real servers: each gets
every event once, in order per complaint, even when the relay publishes a batch twice."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from far_side import SECRET, amqp_queue, nats_stream, redis_stream
from workload import fill

from complaintflow.relay import (
    AMQPPublisher,
    NATSPublisher,
    Publisher,
    RedisPublisher,
    WebhookPublisher,
)
from complaintflow.store import MemoryStore, OutboxItem

pytestmark = pytest.mark.services

PAGE = Path(__file__).resolve().parents[2] / "docs" / "howto" / "relay.md"


def consumer(heading: str) -> str:
    """The ``python`` block after ``heading`` on the page."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(heading)
    found = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert found, heading
    return found.group(1)


def run_consumer(code: str, tmp_path: Path, publish: Callable[[list[OutboxItem]], None],
                 items: list[OutboxItem], *, ready: Callable[[], bool] = lambda: True) -> None:
    script = tmp_path / "consumer.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONUNBUFFERED="1", COMPLAINTFLOW_WEBHOOK_SECRET=SECRET)
    out, err = tmp_path / "consumer.out", tmp_path / "consumer.err"
    with out.open("wb") as fh, err.open("wb") as fe:
        proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, stdout=fh,
                                stderr=fe, env=env)
    try:
        end = time.monotonic() + 60
        while not ready() and time.monotonic() < end:
            time.sleep(0.05)
        publish(items)
        publish(items)  # a relay that died before marking publishes again
        want = [f"{i.complaint_id} {i.event.seq} {i.event.name}" for i in items]
        lines: list[str] = []
        while time.monotonic() < end and proc.poll() is None:
            lines = out.read_text(encoding="utf-8").splitlines()
            if len(lines) >= len(want):
                break
            time.sleep(0.05)
        time.sleep(0.3)  # a repeat would show up now
        lines = out.read_text(encoding="utf-8").splitlines()
    finally:
        proc.kill()
        proc.wait()
    assert sorted(lines) == sorted(want), err.read_text(encoding="utf-8")
    for cid in {i.complaint_id for i in items}:
        seqs = [int(line.split()[1]) for line in lines if line.split()[0] == cid]
        assert seqs == sorted(seqs)


def _items() -> list[OutboxItem]:
    store = MemoryStore()
    fill(store, 4)
    return list(store.pending(100))


def _sender(publisher: Publisher) -> Callable[[list[OutboxItem]], None]:
    def send(items: list[OutboxItem]) -> None:
        delivery = publisher.publish(items)
        assert delivery.confirmed == {i.id for i in items}

    return send


def test_nats_consumer(tmp_path: Path, nats_url: str, uid: str) -> None:
    with nats_stream(nats_url, uid) as (stream, prefix):
        code = (consumer("### NATS JetStream")
                .replace('"nats://127.0.0.1:4222"', repr(nats_url))
                .replace('"complaints.>"', repr(f"{prefix}.>"))
                .replace('stream="COMPLAINTS"', f"stream={stream!r}"))
        publisher = NATSPublisher(nats_url, stream=stream, prefix=prefix)
        try:
            run_consumer(code, tmp_path, _sender(publisher), _items())
        finally:
            publisher.close()


def test_amqp_consumer(tmp_path: Path, amqp_url: str, uid: str) -> None:
    with amqp_queue(amqp_url, uid) as (exchange, _drain):
        queue = f"{exchange}.all"
        code = (consumer("### RabbitMQ")
                .replace('"amqp://guest:guest@127.0.0.1:5672/"', repr(amqp_url))
                .replace('"complaints", aio_pika.ExchangeType.TOPIC',
                         f"{exchange!r}, aio_pika.ExchangeType.TOPIC")
                .replace('declare_queue("warehouse"', f"declare_queue({queue!r}"))
        publisher = AMQPPublisher(amqp_url, exchange=exchange)
        try:
            run_consumer(code, tmp_path, _sender(publisher), _items())
        finally:
            publisher.close()


def test_redis_consumer(tmp_path: Path, redis_url: str, uid: str) -> None:
    with redis_stream(redis_url, uid) as stream:
        code = (consumer("### Redis Streams")
                .replace('"redis://127.0.0.1:6379/0"', repr(redis_url))
                .replace('"complaints"', repr(stream)))
        publisher = RedisPublisher(redis_url, stream=stream)
        try:
            run_consumer(code, tmp_path, _sender(publisher), _items())
        finally:
            publisher.close()


def test_webhook_receiver(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    code = consumer("A receiver in any web framework").replace(
        '("0.0.0.0", 8080)', f'("127.0.0.1", {port})')

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
        except OSError:
            return False
        return True

    publisher = WebhookPublisher(f"http://127.0.0.1:{port}/hook", secret=SECRET)
    try:
        run_consumer(code, tmp_path, _sender(publisher), _items(), ready=listening)
    finally:
        publisher.close()
