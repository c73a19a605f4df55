"""Webhooks: signed per Standard Webhooks, retried on 5xx/408/429/network errors, dead-lettered
on any other 4xx; the shipped verifier accepts ours and refuses anything else."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from far_side import SECRET, Receiver
from hypothesis import given
from hypothesis import strategies as st
from proxy import Proxy
from standardwebhooks.webhooks import Webhook
from workload import T0, check_far_side, fill

import complaintflow as cf
from complaintflow.relay import (
    Backoff,
    IdempotentConsumer,
    InvalidSignature,
    Relay,
    WebhookPublisher,
    envelope_bytes,
    sign,
    verify_webhook,
)
from complaintflow.store import MemoryStore, OutboxItem

FAST = Backoff(base=0.001, cap=0.002)


def _publisher(url: str, **kwargs: object) -> WebhookPublisher:
    return WebhookPublisher(url, secret=SECRET, backoff=FAST, timeout=2.0, **kwargs)  # type: ignore[arg-type]


def test_every_event_arrives_signed_and_in_order(receiver: Receiver) -> None:
    store = MemoryStore()
    fill(store, 6)
    publisher = _publisher(receiver.url)
    try:
        Relay(store, publisher, batch=10).run(until_empty=True)
    finally:
        publisher.close()
    got = receiver.delivered()
    check_far_side([m.body for m in got], store)
    for m in got:
        assert m.meta["content-type"] == "application/cloudevents+json"
        item = verify_webhook(m.body, m.meta, SECRET)
        assert m.meta["webhook-id"] == item.id
        # the reference implementation agrees with us
        assert Webhook(SECRET).verify(m.body, m.meta)["id"] == item.id


def test_a_500_then_200_is_delivered_once_retried(receiver: Receiver) -> None:
    store = MemoryStore()
    fill(store, 1)
    receiver.answers = [500, 503, 408, 429]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    publisher = _publisher(receiver.url, attempts=5, sleep=sleep)
    try:
        report = Relay(store, publisher, batch=10).run_once()
    finally:
        publisher.close()
    assert len(report.published) == 4 and store.outbox_backlog() == 0
    statuses = [m.meta["status"] for m in receiver.messages]
    assert statuses == [500, 503, 408, 429, 200, 200, 200, 200]
    ids = [m.meta["webhook-id"] for m in receiver.messages]
    assert len(set(ids[:5])) == 1  # the same id on every retry
    assert len(sleeps) == 4


def test_a_400_is_a_dead_letter_with_its_reason(receiver: Receiver) -> None:
    store = MemoryStore()
    fill(store, 1)
    first = store.pending(1)[0].id
    receiver.answer_for = lambda m: 400 if m.meta["webhook-id"] == first else 200
    publisher = _publisher(receiver.url)
    try:
        report = Relay(store, publisher, batch=10).run_once()
    finally:
        publisher.close()
    assert report.dead == ((first, "HTTP 400: no"),)
    assert [(d.item.id, d.reason) for d in store.dead_letters()] == [(first, "HTTP 400: no")]
    assert store.outbox_backlog() == 0
    assert sum(1 for m in receiver.messages if m.meta["webhook-id"] == first) == 1  # not retried


def test_retries_give_up_and_the_complaint_waits(receiver: Receiver) -> None:
    store = MemoryStore()
    fill(store, 2)
    items = store.pending(100)
    stuck = items[0]
    receiver.answer_for = lambda m: 502 if m.meta["webhook-id"] == stuck.id else 200
    publisher = _publisher(receiver.url, attempts=3)
    try:
        report = Relay(store, publisher, batch=10).run_once()
    finally:
        publisher.close()
    waiting = {i.id for i in items if i.complaint_id == stuck.complaint_id}
    assert set(report.retry) == waiting
    assert "HTTP 502" in (report.error or "")
    sent = [m.meta["webhook-id"] for m in receiver.messages]
    assert sent.count(stuck.id) == 3
    assert not waiting - {stuck.id} & set(sent)  # later events of the complaint never sent
    assert store.outbox_backlog() == len(waiting)


def test_network_errors_are_retried_then_delivery_resumes(receiver: Receiver) -> None:
    store = MemoryStore()
    fill(store, 2)
    proxy = Proxy.before(receiver.url)
    publisher = _publisher(proxy.url(receiver.url), attempts=2)
    relay = Relay(store, publisher, batch=10)
    try:
        report = relay.run_once()
        assert report.published == () and "ConnectError" in (report.error or "")
        assert store.outbox_backlog() == 8
        proxy.up()
        relay.run(until_empty=True)
    finally:
        publisher.close()
        proxy.down()
    assert store.outbox_backlog() == 0
    check_far_side([m.body for m in receiver.delivered()], store)


# -- signatures --------------------------------------------------------------------------------

def _delivery(at: datetime = T0) -> tuple[bytes, dict[str, str], OutboxItem]:
    store = MemoryStore()
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0))
    wf.receive("the kettle leaks", customer_id="C-1", channel="hotline", complaint_id="CF-1")
    item = store.pending(1)[0]
    body = envelope_bytes(item)
    return body, sign(SECRET, item.id, at, body), item


def test_our_verifier_accepts_our_signature() -> None:
    body, headers, item = _delivery()
    assert verify_webhook(body, headers, SECRET, now=T0 + timedelta(minutes=4)) == item
    upper = {k.upper(): v for k, v in headers.items()}  # header names are case-insensitive
    assert verify_webhook(body.decode(), upper, SECRET, now=T0) == item


@given(st.binary(min_size=1, max_size=4), st.integers(0, 10_000))
def test_a_tampered_body_is_refused(junk: bytes, where: int) -> None:
    body, headers, _ = _delivery()
    at = where % len(body)
    tampered = body[:at] + junk + body[at:]
    with pytest.raises(InvalidSignature):
        verify_webhook(tampered, headers, SECRET, now=T0)


def test_a_wrong_secret_is_refused() -> None:
    body, headers, _ = _delivery()
    with pytest.raises(InvalidSignature) as info:
        verify_webhook(body, headers, "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", now=T0)
    assert info.value.field == "webhook-signature"


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6), timedelta(days=3)])
def test_a_stale_or_future_timestamp_is_refused(skew: timedelta) -> None:
    body, headers, _ = _delivery()
    with pytest.raises(InvalidSignature) as info:
        verify_webhook(body, headers, SECRET, now=T0 + skew)
    assert info.value.field == "webhook-timestamp"


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_or_altered_header_is_refused(header: str) -> None:
    body, headers, _ = _delivery()
    without = {k: v for k, v in headers.items() if k != header}
    with pytest.raises(InvalidSignature, match=header):
        verify_webhook(body, without, SECRET, now=T0)
    altered = dict(headers)
    altered[header] = {"webhook-id": "CF-2:1", "webhook-timestamp": "1781773201",
                       "webhook-signature": "v1,AAAA"}[header]
    with pytest.raises(InvalidSignature):
        verify_webhook(body, altered, SECRET, now=T0)


def test_a_verified_webhook_feeds_an_idempotent_consumer() -> None:
    body, headers, item = _delivery()
    handled: list[str] = []
    consume = IdempotentConsumer(lambda i: handled.append(i.id))
    for _ in range(3):  # delivered three times
        consume(verify_webhook(body, headers, SECRET, now=T0))
    assert handled == [item.id]
    assert json.loads(body)["id"] == item.id


def test_signing_uses_whole_seconds_and_the_v1_scheme() -> None:
    _body, headers, _ = _delivery(T0 + timedelta(microseconds=999_999))
    assert headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC) == T0
