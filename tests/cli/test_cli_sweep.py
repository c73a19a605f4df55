"""``complaintflow sweep``: what is due gets recorded, once, and the exit code is 0."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cli_helpers import T0, fresh_workflow, lives
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.cli._common import all_complaints
from complaintflow.cli.sweep import sweep
from complaintflow.store import MemoryStore, SQLiteStore

if TYPE_CHECKING:
    from cli_helpers import Run


def _one_complaint(path: Path) -> str:
    with SQLiteStore(path) as store:
        wf, _clock = fresh_workflow(store)
        return wf.receive("The kettle stopped working", customer_id="C-1", channel="hotline").id


def test_sweep_records_a_breach_and_escalates(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    cid = _one_complaint(db)
    now = (T0 + timedelta(hours=2)).isoformat()
    result = run("--plain", "sweep", "--db", str(db), "--now", now)
    assert result.code == 0, result.err
    with SQLiteStore(db) as store:
        after = store.get(cid)
    new = [e.name for e in after.history[1:]]
    assert "sla_breached" in new and "escalated" in new
    assert after.tier > cf.Tier.FRONT_LINE
    for name in new:
        assert any(line.split()[:2] == [cid, name] for line in result.out.splitlines())
    assert f"{len(new)} events on 1 complaint" in result.out
    again = run("--plain", "sweep", "--db", str(db), "--now", now)
    assert again.code == 0
    assert "0 events on 0 complaints" in again.out
    with SQLiteStore(db) as store:
        assert store.get(cid) == after  # a second sweep at the same time records nothing


def test_sweep_before_anything_is_due_records_nothing(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    cid = _one_complaint(db)
    result = run("--plain", "sweep", "--db", str(db), "--now", T0.isoformat())
    assert result.code == 0
    assert "0 events on 0 complaints" in result.out
    with SQLiteStore(db) as store:
        assert store.get(cid).version == 1


@settings(max_examples=25)
@given(st.data(), st.integers(1, 24 * 10))
def test_sweep_equals_ticking_each_complaint(data: st.DataObject, hours: int) -> None:
    """Sweeping a store records exactly what ticking every complaint at that time would."""
    store = MemoryStore()
    wf, clock = fresh_workflow(store)
    for _ in range(data.draw(st.integers(1, 4))):
        data.draw(lives(wf, clock))
    now = clock.now() + timedelta(hours=hours)
    before = {c.id: c for c in store.all()}
    plain_wf, _ = fresh_workflow()  # the same default policies, without a store
    expected = {cid: plain_wf.tick(c, now) for cid, c in before.items()}
    done = sweep(wf, store, now, limit=data.draw(st.integers(1, 3)))
    swept = {c.id: c for c in store.all()}
    assert {cid: c.history for cid, c in swept.items()} == {
        cid: c.history for cid, c in expected.items()}
    changed = {cid for cid, c in expected.items() if c.version > before[cid].version}
    assert {c.id for c, _events in done} == changed
    for c, events in done:
        assert events == c.history[before[c.id].version:]
    assert all(c.next_due is None or c.next_due > now for c in swept.values())


def test_sweep_uses_claims_when_the_store_has_them(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "c.sqlite") as store:
        wf, _clock = fresh_workflow(store)
        ids = [wf.receive("The kettle stopped working", customer_id=f"C-{n}",
                          channel="hotline").id for n in range(3)]
        now = T0 + timedelta(hours=2)
        done = sweep(wf, store, now, limit=2, worker="w1")
        assert sorted(c.id for c, _ in done) == ids
        assert all(c.breached for c in all_complaints(store))


class _Racing(MemoryStore):
    """A store where someone else acknowledges each complaint just before the sweep saves."""

    def __init__(self) -> None:
        super().__init__()
        self.other: cf.Workflow | None = None
        self.raced: set[str] = set()

    def save(self, complaint: cf.Complaint) -> cf.Complaint:
        if self.other is not None and complaint.id not in self.raced:
            self.raced.add(complaint.id)
            current = self.get(complaint.id)
            moved = self.other.acknowledge(current, actor="agent-9")
            MemoryStore.save(self, moved)
        return MemoryStore.save(self, complaint)


def test_sweep_reloads_a_complaint_changed_meanwhile() -> None:
    store = _Racing()
    wf, clock = fresh_workflow(store)
    c = wf.receive("The kettle stopped working", customer_id="C-1", channel="hotline")
    other, _ = fresh_workflow()
    other.clock = clock
    store.other = other
    now = T0 + timedelta(hours=30)
    done = sweep(wf, store, now)
    after = store.get(c.id)
    names = [e.name for e in after.history]
    assert names[1] == "acknowledged"  # the other writer's change survived
    assert "sla_breached" in names[2:]  # and the sweep's, recorded after it
    assert [c.id for c, _ in done] == [after.id]
    assert done[0][1] == after.history[2:]
