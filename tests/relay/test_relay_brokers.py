"""Each publisher against its real server: everything arrives, in order, as valid CloudEvents;
the server down means nothing marked, and delivery resumes when it is back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from cloudevents.core.formats.json import JSONFormat
from far_side import Message, amqp_queue, nats_read, nats_stream, redis_read, redis_stream
from proxy import Proxy
from workload import check_far_side, fill

from complaintflow.relay import (
    AMQPPublisher,
    NATSPublisher,
    Publisher,
    PublishError,
    RedisPublisher,
    Relay,
    read_envelope,
)
from complaintflow.store import MemoryStore

pytestmark = pytest.mark.services

#: A broker under test: (publisher for a URL, read everything back).
Rig = tuple[Callable[[str], Publisher], Callable[[], list[Message]]]


@pytest.fixture(params=["nats", "amqp", "redis"])
def broker(request: pytest.FixtureRequest, uid: str) -> Iterator[tuple[str, str, Rig]]:
    kind = request.param
    url = request.getfixturevalue(f"{kind}_url")
    with _rig(kind, url, uid) as rig:
        yield kind, url, rig


@contextmanager
def _rig(kind: str, url: str, uid: str) -> Iterator[Rig]:
    if kind == "nats":
        with nats_stream(url, uid) as (stream, prefix):
            yield (lambda u: NATSPublisher(u, stream=stream, prefix=prefix, timeout=2.0),
                   lambda: nats_read(url, stream))
    elif kind == "amqp":
        with amqp_queue(url, uid) as (exchange, drain):
            got: list[Message] = []

            def read() -> list[Message]:
                got.extend(drain())
                return list(got)

            yield lambda u: AMQPPublisher(u, exchange=exchange, timeout=2.0), read
    else:
        with redis_stream(url, uid) as stream:
            yield (lambda u: RedisPublisher(u, stream=stream, maxlen=None, timeout=2.0),
                   lambda: redis_read(url, stream))


def test_everything_arrives_in_order_as_cloudevents(broker: tuple[str, str, Rig]) -> None:
    kind, url, (make, read) = broker
    store = MemoryStore()
    fill(store, 15)
    publisher = make(url)
    try:
        Relay(store, publisher, batch=16).run(until_empty=True)
    finally:
        publisher.close()
    assert store.outbox_backlog() == 0
    got = read()
    figures = check_far_side([m.body for m in got], store)
    assert figures == {"committed": 60, "received": 60, "duplicates": 0}
    for m in got:
        event = JSONFormat().read(None, m.body)
        item = read_envelope(m.body)
        if kind == "nats":
            assert m.meta["headers"]["Nats-Msg-Id"] == item.id
            assert m.meta["subject"].endswith(f".{item.event.name}")
        elif kind == "amqp":
            assert m.meta["message_id"] == item.id
            assert m.meta["delivery_mode"] == 2
            assert m.meta["routing_key"] == item.event.name
            assert m.meta["content_type"] == "application/cloudevents+json"
        else:
            assert m.meta["id"] == item.id
            assert m.meta["type"] == event.get_type()


def test_nats_drops_a_republished_event_by_its_id(nats_url: str, uid: str) -> None:
    store = MemoryStore()
    fill(store, 2)
    items = list(store.pending(100))
    with nats_stream(nats_url, uid) as (stream, prefix):
        publisher = NATSPublisher(nats_url, stream=stream, prefix=prefix)
        try:
            first = publisher.publish(items)
            again = publisher.publish(items)  # a relay that died before marking
        finally:
            publisher.close()
        assert first.confirmed == again.confirmed == {i.id for i in items}
        assert [read_envelope(m.body).id for m in nats_read(nats_url, stream)] == [
            i.id for i in items]


def test_far_side_down_then_back(broker: tuple[str, str, Rig]) -> None:
    _kind, url, (make, read) = broker
    store = MemoryStore()
    fill(store, 4)
    proxy = Proxy.before(url)
    publisher = make(proxy.url(url))
    relay = Relay(store, publisher, batch=5)
    try:
        for _ in range(2):  # a closed port: refused each time, nothing marked
            with pytest.raises(PublishError):
                relay.run_once()
        assert store.outbox_backlog() == 16
        proxy.up()
        relay.run_once()
        assert store.outbox_backlog() == 11
        proxy.down()  # the server goes away between batches
        try:
            report = relay.run_once()
        except PublishError:
            pass
        else:  # the lost connection was noticed while publishing: nothing confirmed
            assert report.published == () and report.error
        assert store.outbox_backlog() == 11
        proxy.up()
        relay.run(until_empty=True)
    finally:
        publisher.close()
        proxy.down()
    assert store.outbox_backlog() == 0
    check_far_side([m.body for m in read()], store)


def test_three_relays_in_threads_on_postgresql(redis_url: str, uid: str) -> None:
    """Several relays on one PostgreSQL store: everything once (Redis does not deduplicate,
    so a repeat here would be two relays publishing one event), each complaint in order."""
    import os
    import threading

    sa = pytest.importorskip("sqlalchemy")
    url = os.environ.get("COMPLAINTFLOW_TEST_POSTGRES") or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        if os.environ.get("CI", "").lower() == "true" else None)
    if url is None:
        pytest.skip("PostgreSQL tests are off; enable them with COMPLAINTFLOW_TEST_POSTGRES=...")
    from complaintflow.store import SQLStore

    schema = f"cf_relay_{uid}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        store = SQLStore(url, schema=schema)
        fill(store, 30)
        with redis_stream(redis_url, uid) as stream:
            def one() -> None:
                publisher = RedisPublisher(redis_url, stream=stream, maxlen=None)
                try:
                    Relay(store, publisher, batch=7).run(until_empty=True)
                finally:
                    publisher.close()

            threads = [threading.Thread(target=one) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            one()  # whatever is left
            assert store.outbox_backlog() == 0
            figures = check_far_side([m.body for m in redis_read(redis_url, stream)], store)
        assert figures == {"committed": 120, "received": 120, "duplicates": 0}
        store.close()
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
