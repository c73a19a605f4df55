"""``Relay`` against a publisher whose far side we control: what is marked, what is retried."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workload import check_far_side, fill

from complaintflow.exceptions import ComplaintflowError, ConfigError, ValidationError
from complaintflow.relay import (
    AMQPPublisher,
    Backoff,
    Delivery,
    MissingExtra,
    NATSPublisher,
    Publisher,
    PublishError,
    RedisPublisher,
    Relay,
    WebhookPublisher,
    envelope_bytes,
    publisher_for,
)
from complaintflow.store import MemoryStore, OutboxItem


class FlakyFarSide:
    """A pipelined broker: each batch, a prefix arrives (the connection may drop part way),
    a random part of what arrived is confirmed (confirms may be lost), or the whole batch
    fails to connect."""

    def __init__(self, rng: random.Random, *, reliable: bool = False) -> None:
        self.rng = rng
        self.reliable = reliable
        self.arrived: list[bytes] = []
        self.batches: list[list[str]] = []

    def publish(self, items: Sequence[OutboxItem]) -> Delivery:
        self.batches.append([i.id for i in items])
        if self.reliable:
            self.arrived.extend(envelope_bytes(i) for i in items)
            return Delivery.of(i.id for i in items)
        roll = self.rng.random()
        if roll < 0.15:
            raise PublishError("connection refused")
        k = self.rng.randint(0, len(items))
        self.arrived.extend(envelope_bytes(i) for i in items[:k])
        confirmed = [i.id for i in items[:k] if self.rng.random() < 0.8]
        return Delivery.of(confirmed, error=None if len(confirmed) == len(items) else "lost")

    def close(self) -> None:
        return None


def test_fake_far_side_is_a_publisher() -> None:
    assert isinstance(FlakyFarSide(random.Random(0)), Publisher)


@settings(max_examples=40)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(0, 2**32))
def test_flaky_far_side_gets_everything_in_order_once_deduplicated(
        complaints: int, batch: int, seed: int) -> None:
    store = MemoryStore()
    fill(store, complaints, seed=seed)
    far = FlakyFarSide(random.Random(seed))
    relay = Relay(store, far, batch=batch)
    for _ in range(2000):
        try:
            relay.run_once()
        except PublishError:
            continue
        if relay.backlog() == 0:
            break
    assert relay.backlog() == 0
    check_far_side(far.arrived, store)


def test_later_events_of_a_complaint_wait_for_an_unconfirmed_one() -> None:
    store = MemoryStore()
    fill(store, 2)
    items = store.pending(100)
    first_of = items[0].complaint_id
    refused = items[0].id

    class RefusesOne:
        def publish(self, batch: Sequence[OutboxItem]) -> Delivery:
            return Delivery.of((i.id for i in batch if i.id != refused), error="nack")

        def close(self) -> None:
            return None

    report = Relay(store, RefusesOne(), batch=100).run_once()
    assert refused in report.retry
    held = [i.id for i in items if i.complaint_id == first_of]
    assert set(held) <= set(report.retry)
    assert set(report.published) == {i.id for i in items} - set(held)
    assert [i.id for i in store.pending(100)] == held
    assert report.error == "nack"


def test_dead_letters_are_recorded_and_do_not_block_the_complaint() -> None:
    store = MemoryStore()
    fill(store, 1)
    items = store.pending(100)

    class RefusesFirstForGood:
        def publish(self, batch: Sequence[OutboxItem]) -> Delivery:
            return Delivery.of((i.id for i in batch[1:]), {batch[0].id: "HTTP 400: bad"})

        def close(self) -> None:
            return None

    relay = Relay(store, RefusesFirstForGood(), batch=100)
    report = relay.run_once()
    assert report.dead == ((items[0].id, "HTTP 400: bad"),)
    assert report.published == tuple(i.id for i in items[1:])
    assert relay.backlog() == 0
    assert [(d.item.id, d.reason) for d in store.dead_letters()] == [(items[0].id, "HTTP 400: bad")]


def test_far_side_down_marks_nothing_and_the_loop_backs_off() -> None:
    store = MemoryStore()
    fill(store, 2)
    before = [i.id for i in store.pending(100)]
    waits: list[float] = []
    stop = threading.Event()

    class Down:
        calls = 0

        def publish(self, batch: Sequence[OutboxItem]) -> Delivery:
            self.calls += 1
            if self.calls >= 5:
                stop.set()
            raise PublishError("connection refused")

        def close(self) -> None:
            return None

    relay = Relay(store, Down(), backoff=Backoff(base=0.001, factor=2.0, cap=0.004, jitter=0.0))
    relay.run(stop=stop, on_error=lambda _e, w: waits.append(w))
    assert waits == [0.001, 0.002, 0.004, 0.004, 0.004]
    assert [i.id for i in store.pending(100)] == before


def test_run_until_empty_publishes_everything() -> None:
    store = MemoryStore()
    fill(store, 5)
    far = FlakyFarSide(random.Random(0), reliable=True)
    reports = []
    Relay(store, far, batch=4).run(until_empty=True, on_batch=reports.append)
    assert store.pending(100) == []
    assert sum(len(r.published) for r in reports) == 20
    assert all(len(b) <= 4 for b in far.batches)


@given(st.tuples(st.integers(0, 80), st.floats(0.01, 5), st.floats(1.1, 4), st.floats(0.01, 100),
                 st.floats(0, 1), st.integers(0, 2**32)))
def test_backoff_stays_within_its_bounds(args: tuple[int, float, float, float, float, int]) -> None:
    attempt, base, factor, cap, jitter, seed = args
    b = Backoff(base=base, factor=factor, cap=cap, jitter=jitter)
    ceiling = min(cap, base * factor ** attempt)
    assert ceiling * (1 - jitter) - 1e-9 <= b.delay(int(attempt), random.Random(seed)) <= ceiling + 1e-9


@pytest.mark.parametrize("kwargs", [{"base": 0}, {"cap": -1}, {"jitter": 2}, {"factor": True}])
def test_backoff_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="backoff"):
        Backoff(**kwargs)


@pytest.mark.parametrize("kwargs", [{"batch": 0}, {"batch": 1.5}, {"idle": -1}, {"worker": " "}])
def test_relay_refuses_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Relay(MemoryStore(), FlakyFarSide(random.Random(0)), **kwargs)  # type: ignore[arg-type]


def test_urls_name_their_publishers() -> None:
    nats = publisher_for("nats://127.0.0.1:4222?stream=S&prefix=p")
    assert isinstance(nats, NATSPublisher)
    assert (nats.url, nats.stream, nats.prefix) == ("nats://127.0.0.1:4222", "S", "p")
    amqp = publisher_for("amqp://guest:guest@127.0.0.1:5672/?exchange=ex")
    assert isinstance(amqp, AMQPPublisher) and amqp.exchange == "ex"
    assert "guest:guest" not in repr(amqp)
    for url in ("nats://u:pw@h:4222", "redis://:pw@h:6379/0", "https://u:pw@h/x"):
        assert ":pw@" not in repr(publisher_for(url, secret="whsec_dGVzdA=="))
    red = publisher_for("redis://127.0.0.1:6379/0?stream=s&maxlen=none")
    assert isinstance(red, RedisPublisher) and red.maxlen is None and red.stream == "s"
    hook = publisher_for("https://crm.example.com/hook?tenant=7", secret="whsec_dGVzdA==")
    assert isinstance(hook, WebhookPublisher) and hook.url.endswith("?tenant=7")


@pytest.mark.parametrize(("url", "key"), [
    ("kafka://x:9092", "url"), ("127.0.0.1:4222", "url"), ("nats://", "url"),
    ("redis://h:6379/0?maxlen=-3", "maxlen"), ("https://h/hook", "secret"),
    ("nats://h:99999", "url"),
])
def test_bad_urls_are_one_clear_config_error(url: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        publisher_for(url)
    assert info.value.key == key


@pytest.mark.parametrize(("module", "extra", "url"), [
    ("nats", "nats", "nats://h:4222"), ("aio_pika", "amqp", "amqp://h/"),
    ("redis", "redis", "redis://h:6379"), ("httpx", "webhooks", "https://h/x"),
    ("standardwebhooks.webhooks", "webhooks", "https://h/x"),
])
def test_a_missing_client_names_its_extra(monkeypatch: pytest.MonkeyPatch, module: str,
                                          extra: str, url: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtra) as info:
        publisher_for(url, secret="whsec_dGVzdA==")
    assert isinstance(info.value, ComplaintflowError)
    assert info.value.extra == extra
    assert f"complaintflow[{extra}]" in str(info.value)


def test_a_busy_database_is_waited_out_too() -> None:
    from complaintflow.exceptions import OperationalError

    store = MemoryStore()
    fill(store, 1)
    far = FlakyFarSide(random.Random(0), reliable=True)
    relay = Relay(store, far, backoff=Backoff(base=0.001, cap=0.001))
    claim = store.claim_outbox
    calls = {"n": 0}

    def flaky_claim(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("database is locked")
        return claim(*args, **kwargs)  # type: ignore[arg-type]

    store.claim_outbox = flaky_claim  # type: ignore[method-assign]
    errors: list[str] = []
    relay.run(until_empty=True, on_error=lambda e, _w: errors.append(str(e)))
    assert errors == ["database is locked"] * 2
    assert store.outbox_backlog() == 0
