"""The envelope: a CloudEvents 1.0 structured JSON event, checked with the CloudEvents SDK."""

from __future__ import annotations

import json
from datetime import UTC

import pytest
from cloudevents.core.formats.json import JSONFormat
from hypothesis import given
from workload import T0

import complaintflow as cf
from complaintflow.exceptions import ValidationError
from complaintflow.relay import (
    CONTENT_TYPE,
    ENVELOPE_VERSION,
    envelope,
    envelope_bytes,
    read_envelope,
)
from complaintflow.store import MemoryStore, OutboxItem
from complaintflow.testing.strategies import complaints


def _items(c: cf.Complaint) -> list[OutboxItem]:
    return [OutboxItem(f"{c.id}:{e.seq}", c.id, e) for e in c.history]


@given(complaints())
def test_every_event_is_a_valid_cloudevent_that_reads_back(c: cf.Complaint) -> None:
    for item in _items(c):
        body = envelope_bytes(item, source="https://crm.example.com/complaints")
        event = JSONFormat().read(None, body)  # raises on anything the spec refuses
        assert event.get_specversion() == "1.0"
        assert event.get_id() == item.id
        assert event.get_type() == f"complaintflow.{item.event.name}"
        assert event.get_subject() == c.id
        assert event.get_source() == "https://crm.example.com/complaints"
        assert event.get_time() == item.event.at.astimezone(UTC)
        assert event.get_extension("cfseq") == item.event.seq
        assert event.get_extension("cfenvelope") == ENVELOPE_VERSION
        assert event.get_data() == item.event.to_dict()
        assert read_envelope(body) == item
        assert read_envelope(json.loads(body)) == item


def test_structured_mode_media_type_and_time_format() -> None:
    store = MemoryStore()
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0))
    wf.receive("the kettle leaks", customer_id="C-1", channel="hotline", complaint_id="CF-1")
    doc = envelope(store.pending()[0])
    assert CONTENT_TYPE == "application/cloudevents+json"
    assert doc["time"] == "2026-06-18T09:00:00Z"
    assert doc["datacontenttype"] == "application/json"
    assert doc["id"] == "CF-1:1" and doc["subject"] == "CF-1"


def test_personal_data_goes_out_only_when_the_store_includes_it() -> None:
    for include in (True, False):
        store = MemoryStore(include_personal=include)
        wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0))
        wf.receive("call me on 138 0000 0000", customer_id="C-1", channel="hotline",
                   contact={"phone": "138 0000 0000"})
        body = envelope_bytes(store.pending()[0])
        assert (b"138 0000 0000" in body) is include


@pytest.mark.parametrize(("message", "field"), [
    (b"not json", "message"),
    (b"[]", "message"),
    (b'{"specversion": "0.3", "id": "x", "subject": "y", "type": "z"}', "specversion"),
    (b'{"specversion": "1.0", "subject": "y", "type": "z"}', "id"),
    (b'{"specversion": "1.0", "id": "x", "subject": "y", "type": "z", "cfenvelope": 99}',
     "cfenvelope"),
])
def test_reading_refuses_what_is_not_our_envelope(message: bytes, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        read_envelope(message)
    assert info.value.field == field
