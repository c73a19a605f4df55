"""A conformance suite for stores: the behaviour every :class:`~complaintflow.store.Store`
shares, as a plain pytest base class. complaintflow's own stores pass it; so can yours.

Subclass it in a test module and say how to make a fresh, empty store::

    from complaintflow.testing.stores import StoreConformance

    class TestMyStore(StoreConformance):
        def create_store(self, **options):
            return MyStore(**options)

pytest then runs every ``test_*`` method against your store: adding, loading and saving
(optimistic versions, all-or-nothing writes, only true records, the shared id and text
limits), ``due`` and ``claim_due``, the outbox (``pending``, ``mark_published``,
``claim_outbox``, ``release_outbox``, ``dead_letter``, ``dead_letters``,
``outbox_backlog``), ``recent`` and ``counts``, ``erase`` (personal data gone from
the history and the outbox in one transaction, everything else kept), and ``retry``;
some are Hypothesis
properties. Optional hooks:

- :attr:`StoreConformance.personal_setting`: set it to ``False`` when ``create_store``
  does not take ``include_personal``;
- :meth:`StoreConformance.break_outbox`: make a write fail half-way (the test that a
  failed write leaves nothing behind is skipped without it).

Needs pytest and Hypothesis (``pip install 'complaintflow[testing]'``); it imports no
database driver.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any, ClassVar

from complaintflow.testing._guard import require_hypothesis

require_hypothesis()

import attrs  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import complaintflow as cf  # noqa: E402
from complaintflow.policies import OpenAuthorization  # noqa: E402
from complaintflow.store import (  # noqa: E402
    MAX_ID_LENGTH,
    MAX_KEY_LENGTH,
    MAX_TEXT_LENGTH,
    DeadLetter,
    NotFound,
    OutboxItem,
    Store,
    erase_complaint,
    retry,
)

__all__ = ["StoreConformance"]

#: When the suite's complaints are received.
T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)


def workflow(store: Store, now: datetime = T0) -> tuple[cf.Workflow, cf.FrozenClock]:
    clock = cf.FrozenClock(now)
    # the conformance suite is about storage, not about who acts
    return cf.Workflow(store=store, clock=clock, authorization=OpenAuthorization()), clock


def receive(wf: cf.Workflow, n: int, **kw: Any) -> cf.Complaint:
    """The ``n``-th test complaint: distinct ids, a few shared SKUs, batches and regions."""
    args: dict[str, Any] = {
        "customer_id": f"C-{n % 7}", "channel": "hotline", "sku": f"SKU-{n % 3}",
        "batch": f"B-{n % 2}", "store": f"S-{n % 4}", "region": ("east", "west", "north")[n % 3],
        "amount": Decimal("99.00"), "complaint_id": f"CF-{n:05d}",
        "contact": {"phone": "+86 138 0000 0000"},
    }
    args.update(kw)
    return wf.receive(f"the kettle number {n} leaks", **args)


def finding() -> cf.Finding:
    return cf.Finding(cause="product_defect", party="supply_chain", evidence=("photo",))


_ids = count(1)


def _tick(wf: cf.Workflow, c: cf.Complaint, now: Any) -> cf.Complaint:
    return wf.tick(c, now)


_COMMANDS: dict[str, Callable[[cf.Workflow, cf.Complaint, Any], cf.Complaint]] = {
    "acknowledge": lambda wf, c, now: wf.acknowledge(c, actor="agent-7"),
    "investigate": lambda wf, c, now: wf.investigate(c, actor="agent-7", finding=finding()),
    "propose": lambda wf, c, now: wf.propose(c, actor="agent-7"),
    "resolve": lambda wf, c, now: wf.resolve(c, actor="agent-7"),
    "escalate": lambda wf, c, now: wf.escalate(c, actor="agent-7", reason="loud customer"),
    "message": lambda wf, c, now: wf.message(c, text="and another thing"),
    "await_customer": lambda wf, c, now: wf.await_customer(c, actor="agent-7", reason="photos"),
    "withdraw": lambda wf, c, now: wf.withdraw(c, actor="agent-7", reason="sorted out"),
    "tick": _tick,
}



class StoreConformance:
    """Behaviour shared by every store: subclass it and define :meth:`create_store`."""

    #: Whether :meth:`create_store` accepts ``include_personal`` (see ``MemoryStore``).
    personal_setting: ClassVar[bool] = True

    def create_store(self, **options: Any) -> Store:
        """A new, empty store; ``options`` is ``include_personal=False`` or nothing.

        Called several times per test (some tests need a second store), so each call must
        return a store of its own.
        """
        raise NotImplementedError(f"{type(self).__name__} must define create_store()")

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make the next write fail (raise ``RuntimeError("outbox broke")``) after it has
        begun and before it commits, e.g. by patching what builds the outbox rows."""
        pytest.skip("this store has no way to break a write half-way (break_outbox)")

    @pytest.fixture
    def store(self) -> Store:
        return self.create_store()

    # -- add / get ---------------------------------------------------------------------------
    def test_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)

    def test_add_then_get_returns_the_same_complaint(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        assert c.committed == c.version == 1
        loaded = store.get(c.id)
        assert loaded == c
        assert loaded.committed == 1
        assert loaded.history == c.history

    def test_unknown_id_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound) as info:
            store.get("CF-NOPE")
        assert isinstance(info.value, cf.StoreError)
        assert isinstance(info.value, KeyError)
        assert "CF-NOPE" in str(info.value)

    def test_adding_an_existing_id_is_refused_and_changes_nothing(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        c2 = wf.acknowledge(c, actor="agent-7")
        with pytest.raises(cf.ConcurrencyError):
            store.add(c)
        assert store.get(c.id) == c2

    def test_add_refuses_non_complaints(self, store: Store) -> None:
        with pytest.raises(cf.ValidationError, match="complaint"):
            store.add("CF-1")  # type: ignore[arg-type]
        with pytest.raises(cf.ValidationError, match="complaint"):
            store.save({"id": "CF-1"})  # type: ignore[arg-type]

    # -- only true records -------------------------------------------------------------------
    def test_a_forged_complaint_is_refused_and_changes_nothing(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = wf.acknowledge(receive(wf, 1), actor="agent-7")
        forged = attrs.evolve(c, state=cf.State.ARCHIVED)
        with pytest.raises(cf.IntegrityError, match="state"):
            store.save(forged)
        with pytest.raises(cf.IntegrityError, match="state"):
            self.create_store().add(attrs.evolve(forged, committed=0))
        # new events whose fold is not the state claimed
        real = wf.message(store.get(c.id), text="hello?")
        with pytest.raises(cf.IntegrityError):
            self.create_store().add(attrs.evolve(real, tier=cf.Tier.EXECUTIVE, committed=0))
        with pytest.raises(cf.IntegrityError, match="version"):
            self.create_store().add(attrs.evolve(real, version=7, committed=0))
        assert store.get(c.id) == real
        assert [i.id for i in store.pending()] == [f"{c.id}:{n}" for n in (1, 2, 3)]

    def test_a_history_that_does_not_fold_is_refused(self, store: Store) -> None:
        wf, _ = workflow(self.create_store())
        c = wf.acknowledge(receive(wf, 1), actor="agent-7")
        twice = attrs.evolve(c.history[0], seq=2)
        broken = attrs.evolve(c, history=(c.history[0], twice), committed=0)
        with pytest.raises(cf.IntegrityError, match="does not fold"):
            store.add(broken)
        gap = attrs.evolve(c, history=(c.history[0], attrs.evolve(c.history[1], seq=3)),
                           committed=0)
        with pytest.raises(cf.ValidationError):
            store.add(gap)
        with pytest.raises(NotFound):
            store.get(c.id)
        assert store.outbox_backlog() == 0

    @pytest.mark.parametrize(("field", "value"), [
        ("complaint_id", "CF-" + "9" * 62),
        ("complaint_id", "CF 1"),
        ("complaint_id", "CF-1:2"),
        ("complaint_id", "投诉-1"),
        ("sku", "S" * (MAX_KEY_LENGTH + 1)),
        ("customer_id", "C-1\n"),
        ("text", "x" * (MAX_TEXT_LENGTH + 1)),
    ])
    def test_ids_and_texts_have_the_same_limits_on_every_store(
        self, store: Store, field: str, value: str
    ) -> None:
        wf, _ = workflow(store)
        kw: dict[str, Any] = {"complaint_id": "CF-1"} if field == "text" else {field: value}
        text = value if field == "text" else "the kettle leaks"
        with pytest.raises(cf.ValidationError, match=r"complaint\.id|complaint_id|sku|customer_id|text"):
            wf.receive(text, **{"customer_id": "C-1", "channel": "hotline", **kw})
        assert store.recent(since=T0 - timedelta(days=1)) == []
        assert store.outbox_backlog() == 0
        ok = receive(wf, 2, complaint_id="CF-" + "9" * (MAX_ID_LENGTH - 3),
                     sku="S" * MAX_KEY_LENGTH)
        assert store.get(ok.id) == ok
        long_note = "x" * MAX_TEXT_LENGTH
        noted = wf.message(ok, text=long_note)
        assert store.get(ok.id) == noted
        with pytest.raises(cf.ValidationError, match="text"):
            wf.message(store.get(ok.id), text=long_note + "x")

    @settings(max_examples=15, suppress_health_check=[HealthCheck.differing_executors])
    @given(st.integers(0, 3), st.sampled_from([
        ("state", cf.State.RESOLVED), ("version", 9), ("severity", 1), ("category", "safety"),
        ("tier", cf.Tier.EXECUTIVE), ("customer_id", "C-other"), ("reopens", 2),
        ("flags", frozenset({"forged"})), ("text", "something else"),
    ]))
    def test_any_forged_field_is_refused(self, steps: int, change: tuple[str, Any]) -> None:
        store = self.create_store()
        wf, _ = workflow(store)
        c = receive(wf, next(_ids))
        steps_: list[Callable[[cf.Complaint], cf.Complaint]] = [
            lambda c: wf.acknowledge(c, actor="agent-7"),
            lambda c: wf.message(c, text="note"),
            lambda c: wf.investigate(c, actor="agent-7", finding=finding()),
        ]
        for step in steps_[:steps]:
            c = step(c)
        field, value = change
        forged = attrs.evolve(c, **{field: value})
        with pytest.raises(cf.ComplaintflowError) as info:
            store.save(forged)
        assert isinstance(info.value, cf.IntegrityError | cf.ValidationError)
        with pytest.raises(cf.ComplaintflowError) as info:
            self.create_store().add(attrs.evolve(forged, committed=0))
        assert isinstance(info.value, cf.IntegrityError | cf.ValidationError)
        assert store.get(c.id) == c

    # -- save --------------------------------------------------------------------------------
    def test_save_appends_and_marks_committed(self, store: Store) -> None:
        wf, clock = workflow(store)
        c = receive(wf, 1)
        clock.advance(minutes=10)
        c = wf.acknowledge(c, actor="agent-7")
        c = wf.investigate(c, actor="agent-7", finding=finding())
        assert c.committed == c.version == 3
        assert store.get(c.id) == c
        assert [e.name for e in store.get(c.id).history] == ["received", "acknowledged",
                                                             "investigated"]

    def test_stale_save_is_refused_and_changes_nothing(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        first = wf.acknowledge(c, actor="agent-7")
        outbox_before = [i.id for i in store.pending(1000)]
        with pytest.raises(cf.ConcurrencyError) as info:
            wf.reject(c, actor="agent-9", reason="not ours", evidence=["no order on record"])
        assert info.value.expected == 1
        assert info.value.actual == 2
        assert store.get(c.id) == first
        assert [i.id for i in store.pending(1000)] == outbox_before

    def test_two_agents_on_one_case_only_one_wins(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        a, b = store.get(c.id), store.get(c.id)
        won = wf.acknowledge(a, actor="agent-1")
        with pytest.raises(cf.ConcurrencyError):
            wf.acknowledge(b, actor="agent-2")
        assert store.get(c.id) == won
        assert store.get(c.id).history[-1].actor == "agent-1"

    def test_save_without_new_events_checks_the_version(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        assert store.save(c) == c
        wf.acknowledge(c, actor="agent-7")
        with pytest.raises(cf.ConcurrencyError):
            store.save(c)

    def test_save_of_an_unknown_complaint_is_not_found(self, store: Store) -> None:
        wf, _ = workflow(self.create_store())
        c = receive(wf, 1)
        c2 = wf.acknowledge(c, actor="agent-7")
        with pytest.raises(NotFound):
            store.save(c2)

    def test_a_failed_write_leaves_nothing_half_written(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        self.break_outbox(monkeypatch)
        with pytest.raises(RuntimeError, match="outbox broke"):
            wf.acknowledge(c, actor="agent-7")
        with pytest.raises(RuntimeError, match="outbox broke"):
            receive(wf, 2)
        monkeypatch.undo()
        assert store.get(c.id) == c
        with pytest.raises(NotFound):
            store.get("CF-00002")
        assert [i.id for i in store.pending(100)] == [f"{c.id}:1"]
        assert store.counts("state") == {"received": 1}
        assert wf.acknowledge(c, actor="agent-7").version == 2

    # -- batches -----------------------------------------------------------------------------
    def _batch(self, store: Store) -> Any:
        batch = getattr(store, "batch", None)
        if batch is None:
            pytest.skip("this store has no batch()")
        return batch()

    def test_a_batch_keeps_every_write_when_it_ends(self, store: Store) -> None:
        wf, _ = workflow(store)
        first = receive(wf, 1)
        with self._batch(store) as same:
            assert same is store
            made = [receive(wf, n) for n in (2, 3, 4)]
            acked = wf.acknowledge(made[0], actor="agent-7")
            assert store.get(acked.id) == acked  # the batch reads its own writes
            with self._batch(store):  # a batch inside a batch joins it
                fifth = receive(wf, 5)
        for c in (first, acked, *made[1:], fifth):
            assert store.get(c.id) == c
        assert store.counts("state") == {"received": 4, "acknowledged": 1}
        assert len(store.pending(100)) == 6

    def test_a_batch_that_raises_keeps_none_of_its_writes(self, store: Store) -> None:
        wf, _ = workflow(store)
        first = receive(wf, 1)
        def fail_half_way() -> None:
            with self._batch(store):
                receive(wf, 2)
                wf.acknowledge(first, actor="agent-7")
                raise RuntimeError("stop")

        with pytest.raises(RuntimeError, match="stop"):
            fail_half_way()
        assert store.get(first.id) == first
        with pytest.raises(NotFound):
            store.get("CF-00002")
        assert [i.id for i in store.pending(100)] == [f"{first.id}:1"]
        assert store.counts("state") == {"received": 1}
        assert wf.acknowledge(first, actor="agent-7").version == 2

    def test_a_refused_write_in_a_batch_leaves_the_others(self, store: Store) -> None:
        wf, _ = workflow(store)
        first = receive(wf, 1)
        with self._batch(store):
            second = receive(wf, 2)
            wf.acknowledge(first, actor="agent-7")
            with pytest.raises(cf.ConcurrencyError):
                wf.acknowledge(first, actor="agent-8")  # stale: refused, nothing written
            third = receive(wf, 3)
        assert store.get(first.id).version == 2
        assert store.get(second.id) == second
        assert store.get(third.id) == third
        assert len(store.pending(100)) == 4

    # -- due and claims ----------------------------------------------------------------------
    def test_due_returns_passed_deadlines_oldest_first(self, store: Store) -> None:
        wf, clock = workflow(store)
        made = []
        for n in range(4):
            made.append(receive(wf, n))
            clock.advance(minutes=1)
        closed = wf.withdraw(made[1], actor="agent-7", reason="solved itself")
        assert closed.next_due is None
        assert store.due(T0 - timedelta(days=1)) == []
        far = T0 + timedelta(days=60)
        due = store.due(far)
        assert [c.id for c in due] == [c.id for c in sorted(
            (m for m in made if m.id != closed.id), key=lambda c: (c.next_due, c.id))]
        assert all(c.next_due is not None and c.next_due <= far for c in due)
        assert [c.id for c in store.due(far, 2)] == [c.id for c in due[:2]]
        first = min(c.next_due for c in due if c.next_due is not None)
        assert {c.id for c in store.due(first)} == {c.id for c in due if c.next_due == first}

    def test_claim_due_hands_each_complaint_to_one_worker(self, store: Store) -> None:
        wf, _ = workflow(store)
        for n in range(5):
            receive(wf, n)
        now = T0 + timedelta(days=60)
        a = store.claim_due(now, 3, "worker-a")
        b = store.claim_due(now, 10, "worker-b")
        assert len(a) == 3
        assert len(b) == 2
        assert {c.id for c in a}.isdisjoint({c.id for c in b})
        assert store.claim_due(now, 10, "worker-c") == []
        # a claim runs out after its lease ...
        later = now + timedelta(minutes=6)
        assert len(store.claim_due(later, 10, "worker-c")) == 5
        # ... and ends when the claimed complaint is saved
        even_later = later + timedelta(minutes=6)
        got = store.claim_due(even_later, 1, "worker-d", lease=timedelta(hours=1))
        wf.message(got[0], text="any news?")
        again = store.claim_due(even_later + timedelta(minutes=1), 10, "worker-e")
        assert got[0].id in {c.id for c in again}
        assert len(again) == 5

    def test_claim_due_checks_its_arguments(self, store: Store) -> None:
        with pytest.raises(cf.ValidationError, match="worker"):
            store.claim_due(T0, 10, "")
        with pytest.raises(cf.ValidationError, match="lease"):
            store.claim_due(T0, 10, "w", lease=timedelta(0))
        with pytest.raises(cf.ValidationError, match="limit"):
            store.due(T0, -1)
        with pytest.raises(cf.ValidationError, match="now"):
            store.due(T0.replace(tzinfo=None))

    def test_the_sweep_ticks_every_due_complaint(self, store: Store) -> None:
        wf, clock = workflow(store)
        for n in range(3):
            receive(wf, n)
        now = clock.advance(days=30)
        for c in store.claim_due(now, 10, "sweeper"):
            wf.tick(c, now)
        assert store.due(now) == []
        assert all("sla_breached" in {e.name for e in c.history}
                   for c in store.recent(since=T0))

    # -- outbox ------------------------------------------------------------------------------
    def test_outbox_holds_every_committed_event_in_order(self, store: Store) -> None:
        wf, _ = workflow(store)
        a = receive(wf, 1)
        b = receive(wf, 2)
        a = wf.acknowledge(a, actor="agent-7")
        pending = store.pending(100)
        assert [i.id for i in pending] == [f"{a.id}:1", f"{b.id}:1", f"{a.id}:2"]
        assert all(isinstance(i, OutboxItem) for i in pending)
        assert pending[2].event == a.history[1]
        assert pending[2].complaint_id == a.id
        assert pending[0].to_dict()["event"] == a.history[0].to_dict()
        assert [i.id for i in store.pending(2)] == [i.id for i in pending[:2]]

    def test_mark_published_is_idempotent_and_ignores_unknown_ids(self, store: Store) -> None:
        wf, _ = workflow(store)
        a = receive(wf, 1)
        a = wf.acknowledge(a, actor="agent-7")
        store.mark_published([f"{a.id}:1", "CF-NOPE:1"])
        store.mark_published([f"{a.id}:1"])
        assert [i.id for i in store.pending()] == [f"{a.id}:2"]
        store.mark_published(i.id for i in store.pending())
        assert store.pending() == []
        assert store.get(a.id) == a

    def test_personal_data_can_be_left_out_of_the_outbox(self) -> None:
        if not self.personal_setting:
            pytest.skip("this store has no personal-data setting")
        store = self.create_store(include_personal=False)
        wf, _ = workflow(store)
        c = receive(wf, 1)
        c = wf.message(c, text="my phone is 138...")
        items = store.pending()
        assert [i.event.name for i in items] == ["received", "message"]
        assert all("personal" not in i.event.data for i in items)
        assert "138" not in repr([i.to_dict() for i in items])
        assert items[0].event.data["sku"] == c.sku
        # the history itself keeps it: the complaint still replays with its text
        assert store.get(c.id).text == c.text
        assert store.get(c.id).history[-1].data["personal"]["text"] == "my phone is 138..."

    # -- erasure (PIPL art. 47, GDPR art. 17) --------------------------------------------------
    def _two_customers(self, store: Store) -> tuple[cf.Workflow, cf.FrozenClock,
                                                    list[cf.Complaint], cf.Complaint]:
        """Customer C-ERASE's two complaints (text, contact, attributes, a message) and
        customer C-KEEP's one."""
        wf, clock = workflow(store)
        mine = [
            receive(wf, 1, customer_id="C-ERASE", contact={"phone": "+86 139 1111 2222"},
                    customer={"address": "88 Erase Road"}, order_id="O-1"),
            receive(wf, 2, customer_id="C-ERASE"),
        ]
        mine[0] = wf.acknowledge(mine[0], actor="agent-7")
        mine[0] = wf.message(mine[0], text="call me on +86 139 1111 2222")
        other = receive(wf, 3, customer_id="C-KEEP", contact={"phone": "+86 137 3333 4444"})
        other = wf.message(other, text="my own +86 137 3333 4444")
        clock.advance(timedelta(hours=2))
        return wf, clock, mine, other

    def test_erase_removes_personal_data_from_history_and_outbox(self, store: Store) -> None:
        wf, _, mine, other = self._two_customers(store)
        before = {c.id: wf.tick(store.get(c.id)) for c in mine}
        store.mark_published([f"{mine[0].id}:1"])  # one already published
        done = wf.erase("C-ERASE", actor="dpo-1", reason="customer request")
        assert sorted(done.complaint_ids) == sorted(c.id for c in mine)
        for c in mine:
            after = store.get(c.id)
            assert after.erased
            assert after.text is None
            assert not after.customer
            assert after.evidence == ()
            assert after.history[-1].name == "erased"
            assert after.history[-1].actor == "dpo-1"
            assert "customer request" in repr(after.history[-1].data)
            b = before[c.id]
            for field in ("state", "category", "severity", "scope", "tier", "deadlines",
                          "completed", "breached", "warned", "offers", "customer_id",
                          "order_id", "amount", "received_at"):
                assert getattr(after, field) == getattr(b, field), field
            assert after.outcomes() == b.outcomes()
            assert cf.Complaint.replay(after.history) == after
            assert cf.Complaint.from_dict(after.to_dict()) == after
            dump = repr(after.to_dict())
            assert "139 1111 2222" not in dump
            assert "Erase Road" not in dump
            assert "kettle" not in dump
        outbox = repr([i.to_dict() for i in store.pending(1000)]
                      + [d.item.to_dict() for d in store.dead_letters(1000)])
        assert "139 1111 2222" not in outbox
        assert "Erase Road" not in outbox
        assert f"{mine[0].id}:{store.get(mine[0].id).version}" in outbox  # the erased event
        # the other customer's data is untouched
        kept = store.get(other.id)
        assert kept.text == other.text
        assert not kept.erased
        assert "137 3333 4444" in repr(kept.to_dict())
        assert "137 3333 4444" in repr([i.to_dict() for i in store.pending(1000)])

    def test_erase_twice_or_an_unknown_customer_erases_nothing(self, store: Store) -> None:
        wf, _, mine, _ = self._two_customers(store)
        assert wf.erase("C-ERASE", actor="dpo-1", reason="request")
        versions = [store.get(c.id).version for c in mine]
        again = wf.erase("C-ERASE", actor="dpo-1", reason="request")
        assert again.complaint_ids == ()
        assert len(again) == 0
        assert [store.get(c.id).version for c in mine] == versions
        assert wf.erase("C-NOBODY", actor="dpo-1", reason="request").complaint_ids == ()

    def test_work_goes_on_after_an_erasure(self, store: Store) -> None:
        wf, _, mine, _ = self._two_customers(store)
        wf.erase("C-ERASE", actor="dpo-1", reason="request")
        c = store.get(mine[0].id)
        c = wf.investigate(c, actor="agent-7", finding=finding())
        c = wf.message(c, text="new words after the erasure")
        assert store.get(c.id) == c
        assert c.erased
        assert wf.erase("C-ERASE", actor="dpo-1", reason="again").complaint_ids == (c.id,)
        assert "new words" not in repr(store.get(c.id).to_dict())

    def test_erase_refuses_a_complaint_changed_since_it_was_loaded(self, store: Store) -> None:
        wf, clock, mine, _ = self._two_customers(store)
        loaded = [store.get(c.id) for c in mine]
        wf.escalate(loaded[1], actor="agent-7", reason="loud")  # changes it after loading
        erased = [erase_complaint(c, at=clock.now(), actor="dpo-1", reason="request",
                                  published=True) for c in loaded]
        with pytest.raises(cf.ConcurrencyError):
            store.erase(erased)
        # nothing was erased, not even the complaint that had not changed
        assert store.get(mine[0].id).text == loaded[0].text
        assert not store.get(mine[0].id).erased

    def test_erase_refuses_what_is_more_than_an_erasure(self, store: Store) -> None:
        _, clock, mine, _ = self._two_customers(store)
        c = store.get(mine[0].id)
        erased = erase_complaint(c, at=clock.now(), actor="dpo-1", reason="request",
                                 published=True)
        with pytest.raises(cf.ValidationError):
            store.erase(erased)  # type: ignore[arg-type]  # one complaint, not a sequence
        with pytest.raises(cf.ComplaintflowError):
            store.erase([c])  # no erased event: a plain save in disguise
        assert store.get(c.id) == c

    def test_a_broken_erasure_leaves_everything_as_it_was(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        wf, _, mine, _ = self._two_customers(store)
        before = [store.get(c.id) for c in mine]
        pending = [i.to_dict() for i in store.pending(1000)]
        self.break_outbox(monkeypatch)
        with pytest.raises(RuntimeError, match="outbox broke"):
            wf.erase("C-ERASE", actor="dpo-1", reason="request")
        monkeypatch.undo()
        assert [store.get(c.id) for c in mine] == before
        assert [i.to_dict() for i in store.pending(1000)] == pending

    # -- outbox claims (several relays on one store) ----------------------------------------
    def _three_events_each(self, store: Store) -> tuple[cf.Complaint, cf.Complaint]:
        """Two complaints whose events interleave in the outbox: a1 b1 a2 b2 a3."""
        wf, _ = workflow(store)
        a = receive(wf, 1)
        b = receive(wf, 2)
        a = wf.acknowledge(a, actor="agent-7")
        b = wf.acknowledge(b, actor="agent-7")
        a = wf.message(a, text="any news?")
        return a, b

    def test_claim_outbox_reserves_items_for_one_worker(self, store: Store) -> None:
        a, b = self._three_events_each(store)
        now = T0 + timedelta(hours=1)
        first = store.claim_outbox("relay-a", 2, now=now)
        assert [i.id for i in first] == [f"{a.id}:1", f"{b.id}:1"]
        assert all(isinstance(i, OutboxItem) for i in first)
        second = store.claim_outbox("relay-b", 10, now=now)
        # a:2 and b:2 wait behind a:1 and b:1, held by relay-a: nothing is free
        assert second == []
        # relay-a may ask again: it gets its own items back and the next ones
        assert [i.id for i in store.claim_outbox("relay-a", 10, now=now)] == [
            f"{a.id}:1", f"{b.id}:1", f"{a.id}:2", f"{b.id}:2", f"{a.id}:3"]
        assert store.outbox_backlog() == 5
        assert [i.id for i in store.pending()] == [i.id for i in store.claim_outbox(
            "relay-a", 10, now=now)]

    def test_an_expired_lease_can_be_claimed_again(self, store: Store) -> None:
        a, _ = self._three_events_each(store)
        now = T0 + timedelta(hours=1)
        held = store.claim_outbox("relay-a", 1, lease=timedelta(seconds=30), now=now)
        assert [i.id for i in held] == [f"{a.id}:1"]
        assert [i.id for i in store.claim_outbox("relay-b", 1, now=now + timedelta(seconds=29))
                ] != [f"{a.id}:1"]
        taken = store.claim_outbox("relay-c", 10, now=now + timedelta(seconds=31))
        assert f"{a.id}:1" in [i.id for i in taken]
        assert taken[0].id == f"{a.id}:1"

    def test_a_complaints_events_are_claimed_in_seq_order_across_releases(
        self, store: Store
    ) -> None:
        a, b = self._three_events_each(store)
        now = T0 + timedelta(hours=1)
        assert [i.id for i in store.claim_outbox("relay-a", 1, now=now)] == [f"{a.id}:1"]
        # relay-b cannot jump ahead to a:2 while a:1 is held; b's events are free
        got = store.claim_outbox("relay-b", 10, now=now)
        assert [i.id for i in got] == [f"{b.id}:1", f"{b.id}:2"]
        # relay-a fails to publish a:1 and gives it back: a:1 comes first again
        store.release_outbox([f"{a.id}:1"], worker="relay-a")
        got = store.claim_outbox("relay-c", 10, now=now)
        assert [i.id for i in got] == [f"{a.id}:1", f"{a.id}:2", f"{a.id}:3"]
        store.mark_published([f"{a.id}:1"], worker="relay-c")
        store.release_outbox([f"{a.id}:2", f"{a.id}:3"], worker="relay-c")
        assert [i.id for i in store.claim_outbox("relay-a", 1, now=now)] == [f"{a.id}:2"]
        assert store.outbox_backlog() == 4

    def test_release_gives_back_only_the_workers_own_claims(self, store: Store) -> None:
        a, b = self._three_events_each(store)
        now = T0 + timedelta(hours=1)
        store.claim_outbox("relay-a", 1, now=now)
        store.release_outbox([f"{a.id}:1", "CF-NOPE:1"], worker="relay-b")
        assert [i.id for i in store.claim_outbox("relay-b", 10, now=now)] == [
            f"{b.id}:1", f"{b.id}:2"]
        with pytest.raises(cf.ValidationError, match="worker"):
            store.release_outbox([f"{a.id}:1"], worker="")
        with pytest.raises(cf.ValidationError, match="ids"):
            store.release_outbox(f"{a.id}:1", worker="relay-a")

    def test_dead_letters_leave_the_outbox_and_block_nothing(self, store: Store) -> None:
        a, b = self._three_events_each(store)
        now = T0 + timedelta(hours=1)
        assert store.dead_letters() == []
        held = store.claim_outbox("relay-a", 1, now=now)
        store.dead_letter(held[0].id, "422: the receiver refuses it", worker="relay-a", now=now)
        store.dead_letter(held[0].id, "again", now=now + timedelta(hours=1))  # kept once
        dead = store.dead_letters()
        assert len(dead) == 1
        assert isinstance(dead[0], DeadLetter)
        assert dead[0].item.id == f"{a.id}:1"
        assert dead[0].item.event == a.history[0]
        assert dead[0].reason == "422: the receiver refuses it"
        assert dead[0].at == now
        assert store.outbox_backlog() == 4
        assert f"{a.id}:1" not in [i.id for i in store.pending()]
        # a:2 no longer waits behind a:1
        got = store.claim_outbox("relay-b", 10, now=now)
        assert [i.id for i in got] == [f"{b.id}:1", f"{a.id}:2", f"{b.id}:2", f"{a.id}:3"]
        store.mark_published(i.id for i in got)
        assert store.outbox_backlog() == 0
        assert store.claim_outbox("relay-b", 10, now=now) == []
        with pytest.raises(cf.ValidationError, match="published"):
            store.dead_letter(f"{b.id}:1", "too late", now=now)
        with pytest.raises(cf.ValidationError, match="item_id"):
            store.dead_letter("CF-NOPE:1", "unknown", now=now)
        with pytest.raises(cf.ValidationError, match="reason"):
            store.dead_letter(f"{a.id}:1", " ", now=now)
        assert len(store.dead_letters()) == 1

    def test_claim_outbox_checks_its_arguments(self, store: Store) -> None:
        with pytest.raises(cf.ValidationError, match="worker"):
            store.claim_outbox("")
        with pytest.raises(cf.ValidationError, match="limit"):
            store.claim_outbox("relay", -1)
        with pytest.raises(cf.ValidationError, match="lease"):
            store.claim_outbox("relay", lease=timedelta(0))
        with pytest.raises(cf.ValidationError, match="now"):
            store.claim_outbox("relay", now=T0.replace(tzinfo=None))
        with pytest.raises(cf.ValidationError, match="ids"):
            store.mark_published(["CF-1:1", 3])  # type: ignore[list-item]
        assert store.claim_outbox("relay") == []  # the system clock by default
        assert store.outbox_backlog() == 0

    @settings(max_examples=12, suppress_health_check=[HealthCheck.differing_executors])
    @given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                              st.sampled_from(["claim", "publish", "release", "dead", "wait",
                                               "commit"]),
                              st.integers(1, 4)), min_size=1, max_size=25))
    def test_relays_never_share_an_item_and_publish_each_complaint_in_order(
        self, ops: list[tuple[str, str, int]]
    ) -> None:
        store = self.create_store()
        wf, clock = workflow(store)
        cases = [receive(wf, next(_ids)) for _ in range(3)]
        lease = timedelta(minutes=5)
        held: dict[str, tuple[str, Any]] = {}  # item id -> (worker, until)
        done: set[str] = set()
        sent: dict[str, list[int]] = {}  # complaint id -> published seqs, in order
        mine: dict[str, list[OutboxItem]] = {"a": [], "b": [], "c": []}
        for worker, action, n in ops:
            now = clock.now()
            live = {i for i, (w, until) in held.items() if until > now}
            if action == "claim":
                got = store.claim_outbox(worker, n, lease=lease, now=now)
                ids = [i.id for i in got]
                assert len(ids) == len(set(ids)) <= n
                for k, item in enumerate(got):
                    assert item.id not in done
                    owner = held.get(item.id)
                    assert item.id not in live or (owner is not None and owner[0] == worker)
                    earlier = {f"{item.complaint_id}:{s}" for s in range(1, item.event.seq)}
                    assert earlier <= done | set(ids[:k])
                    held[item.id] = (worker, now + lease)
                mine[worker] = list(got)
            elif action == "publish":  # a relay publishes only while its lease lives
                ok = [i for i in mine[worker]
                      if held.get(i.id, ("", now))[0] == worker and held[i.id][1] > now]
                for item in ok:
                    sent.setdefault(item.complaint_id, []).append(item.event.seq)
                store.mark_published([i.id for i in ok], worker=worker)
                done.update(i.id for i in ok)
                for i in ok:
                    held.pop(i.id, None)
                mine[worker] = []
            elif action == "release":
                store.release_outbox([i.id for i in mine[worker]], worker=worker)
                for i in mine[worker]:
                    if held.get(i.id, ("",))[0] == worker:
                        held.pop(i.id)
                mine[worker] = []
            elif action == "dead" and mine[worker]:
                item = mine[worker].pop(0)
                if item.id not in done:
                    store.dead_letter(item.id, "refused", worker=worker, now=now)
                    done.add(item.id)
                    held.pop(item.id, None)
            elif action == "wait":
                clock.advance(minutes=2 * n)
            elif action == "commit":
                k = n % len(cases)
                cases[k] = wf.message(store.get(cases[k].id), text=f"note {n}")
            for seqs in sent.values():
                assert seqs == sorted(seqs)
                assert len(seqs) == len(set(seqs))
            everything = sum(c.version for c in (store.get(c.id) for c in cases))
            assert store.outbox_backlog() == everything - len(done)

    # -- queries -----------------------------------------------------------------------------
    def test_recent_filters_in_the_store(self, store: Store) -> None:
        wf, clock = workflow(store)
        made = []
        for n in range(9):
            made.append(receive(wf, n, order_id=f"O-{n}", brand="acme" if n % 2 else "other"))
            clock.advance(hours=1)
        since = T0 + timedelta(hours=2)
        got = store.recent(since=since, sku="SKU-1")
        want = sorted((c for c in made if c.sku == "SKU-1" and c.received_at >= since),
                      key=lambda c: c.received_at, reverse=True)
        assert [c.id for c in got] == [c.id for c in want]
        assert [c.id for c in store.recent(since=T0, customer_id="C-3")] == ["CF-00003"]
        assert [c.id for c in store.recent(since=T0, order_id="O-4")] == ["CF-00004"]
        assert {c.id for c in store.recent(since=T0, brand="acme", batch="B-1")} == {
            c.id for c in made if c.brand == "acme" and c.batch == "B-1"}
        assert len(store.recent(since=T0, limit=3)) == 3
        assert store.recent(since=T0 + timedelta(days=1)) == []

    # each backend's subclass runs this one test method: that is the point of the suite
    @settings(max_examples=15, suppress_health_check=[HealthCheck.differing_executors])
    @given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["east", "west", None]),
                              st.sampled_from(["SKU-A", "SKU-B"]), st.integers(0, 72)),
                    min_size=1, max_size=8),
           st.sampled_from(["region", "sku", "state", "store"]))
    def test_counts_match_the_complaints(
        self, rows: list[tuple[int, str | None, str, int]], by: str
    ) -> None:
        store = self.create_store()
        wf, clock = workflow(store)
        made = []
        for i, (steps, region, sku, hours) in enumerate(rows):
            clock.set(T0 + timedelta(hours=hours))
            c = receive(wf, next(_ids), region=region, sku=sku, store=f"S-{i % 2}")
            if steps % 3 == 1:
                c = wf.acknowledge(c, actor="agent-7")
            elif steps % 3 == 2:
                c = wf.withdraw(c, actor="agent-7", reason="changed mind")
            made.append(c)
        assert store.counts(by) == dict(Counter(
            None if getattr(c, by) is None else str(getattr(c, by)) for c in made))
        lo, hi = T0 + timedelta(hours=10), T0 + timedelta(hours=40)
        assert store.counts(by, since=lo, until=hi) == dict(Counter(
            None if getattr(c, by) is None else str(getattr(c, by))
            for c in made if lo <= c.received_at < hi))

    def test_counts_refuses_unknown_columns(self, store: Store) -> None:
        with pytest.raises(cf.ValidationError, match="by"):
            store.counts("customer_text")

    def test_policies_see_earlier_complaints_through_the_store(self, store: Store) -> None:
        wf, clock = workflow(store)
        first = receive(wf, 1, sku="SKU-X", batch="B-X")
        clock.advance(hours=1)
        second = receive(wf, 2, sku="SKU-X", batch="B-X")
        assert [c.id for c in store.recent(since=T0, sku="SKU-X")] == [second.id, first.id]

    # -- the whole road ----------------------------------------------------------------------
    def test_a_lifecycle_reloads_identically_at_every_step(self, store: Store) -> None:
        wf, clock = workflow(store)
        c = receive(wf, 1)
        steps: list[Callable[[cf.Complaint], cf.Complaint]] = [
            lambda c: wf.acknowledge(c, actor="agent-7"),
            lambda c: wf.await_customer(c, actor="agent-7", reason="photos"),
            lambda c: wf.message(c, text="here are the photos"),
            lambda c: wf.investigate(c, actor="agent-7", finding=finding()),
            lambda c: wf.propose(c, actor="agent-7"),
            lambda c: wf.resolve(c, actor="agent-7"),
            lambda c: wf.revisit(c, actor="agent-7", satisfaction=4),
            lambda c: wf.archive(c, actor="agent-7", summary="refunded"),
        ]
        for step in steps:
            clock.advance(hours=2)
            c = step(store.get(c.id))
            assert store.get(c.id) == c
            assert store.get(c.id) == cf.Complaint.replay(store.get(c.id).history)
        assert c.state is cf.State.ARCHIVED
        assert store.counts("state") == {"archived": 1}
        assert store.due(T0 + timedelta(days=365)) == []
        assert [i.id for i in store.pending(100)] == [f"{c.id}:{e.seq}" for e in c.history]
        verify = getattr(store, "verify", None)
        if verify is not None:
            assert verify() == []

    def test_retry_reruns_the_command_on_a_fresh_load(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        calls: list[int] = []

        def command(loaded: cf.Complaint) -> cf.Complaint:
            calls.append(loaded.version)
            if len(calls) == 1:  # another agent writes between our load and our save
                wf.message(store.get(c.id), text="hello?")
            return wf.acknowledge(loaded, actor="agent-7")

        done = retry(store, c.id, command, sleep=lambda s: None)
        assert calls == [1, 2]
        assert [e.name for e in done.history] == ["received", "message", "acknowledged"]
        assert store.get(c.id) == done

    def test_retry_gives_up_after_its_attempts(self, store: Store) -> None:
        wf, _ = workflow(store)
        c = receive(wf, 1)
        waits: list[float] = []

        def always_beaten(loaded: cf.Complaint) -> cf.Complaint:
            wf.message(store.get(c.id), text="again")
            return wf.acknowledge(loaded, actor="agent-7")

        with pytest.raises(cf.ConcurrencyError):
            retry(store, c.id, always_beaten, attempts=3, backoff=0.01, sleep=waits.append)
        assert len(waits) == 2
        assert waits[1] > waits[0] * 0.6
        assert store.get(c.id).state is cf.State.RECEIVED
        with pytest.raises(cf.ValidationError, match="attempts"):
            retry(store, c.id, always_beaten, attempts=0)

    # -- property: any sequence of commands and stale saves ----------------------------------
    @settings(max_examples=12, suppress_health_check=[HealthCheck.differing_executors])
    @given(st.lists(st.tuples(st.sampled_from(sorted(_COMMANDS)), st.booleans(),
                              st.integers(0, 30)), min_size=1, max_size=12))
    def test_any_command_sequence_stores_exactly_what_was_committed(
        self, ops: list[tuple[str, bool, int]]
    ) -> None:
        store = self.create_store()
        wf, clock = workflow(store)
        latest = receive(wf, next(_ids))
        snapshots = [latest]
        committed_events = list(latest.history)
        for name, stale_copy, hours in ops:
            clock.advance(hours=hours)
            old = snapshots[hours % len(snapshots)]  # some version loaded earlier
            if stale_copy and old.version < latest.version:
                # an agent acting on what they loaded long ago is always refused
                if name not in wf.available(old) and name != "tick":
                    continue
                # (or by the command's own guards, which see the old state, first); a command
                # with nothing to record (a tick before any deadline) does not write at all
                try:
                    result = _COMMANDS[name](wf, old, clock.now())
                except cf.ComplaintflowError:
                    pass
                else:
                    assert result.version == old.version
            else:
                fresh = store.get(latest.id)
                assert fresh == latest
                if name not in wf.available(fresh) and name != "tick":
                    continue
                try:
                    after = _COMMANDS[name](wf, fresh, clock.now())
                except cf.ConcurrencyError:
                    raise
                except cf.ComplaintflowError:
                    after = fresh  # refused by the workflow's guards: nothing to store
                committed_events.extend(after.history[fresh.version:])
                if after.version > latest.version:
                    latest = after
                    snapshots.append(after)
            stored = store.get(latest.id)
            assert stored == latest
            assert stored.history == tuple(committed_events)
            assert cf.Complaint.replay(stored.history) == stored
            assert [i.id for i in store.pending(10_000)] == [
                f"{latest.id}:{e.seq}" for e in committed_events]

