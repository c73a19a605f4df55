"""Backtests: the same policies reproduce what happened; a changed ladder changes the spend."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import complaintflow as cf
from complaintflow.cli import main
from complaintflow.reports import backtest
from complaintflow.store import SQLiteStore

if TYPE_CHECKING:
    import pytest
from reports_helpers import quiet

AGENT = cf.Actor("agent-1")


def _three_declined_offers(path: Path) -> None:
    """Three in-store complaints; each declines the ladder's first offer, accepts the second."""
    with SQLiteStore(path) as store:
        clock = cf.FrozenClock(datetime(2026, 6, 18, 1, tzinfo=UTC))
        wf = cf.Workflow(store=store, clock=clock)
        for n, price in enumerate(("129.00", "20.00", "299.00")):
            c = wf.receive("The staff at the store were slow to help me.", customer_id=f"C-{n}",
                           channel="in_store", amount=cf.Money(Decimal(price)))
            clock.advance(minutes=10)
            c = wf.acknowledge(c, actor=AGENT)
            clock.advance(hours=1)
            c = wf.investigate(c, actor=AGENT, finding=cf.Finding(
                cause="third_party", party="third_party", evidence=("tracking",)))
            clock.advance(minutes=10)
            c = wf.propose(c, actor=AGENT)
            clock.advance(minutes=10)
            c = wf.decline(c, actor=AGENT, reason="wants more")
            clock.advance(minutes=10)
            c = wf.propose(c, actor=AGENT)
            clock.advance(minutes=10)
            wf.resolve(c, actor=AGENT)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for extra in ("", "-wal"):
        p = Path(f"{path}{extra}")
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


def test_the_same_policies_reproduce_the_peak_exactly(peak_db: Path) -> None:
    before = _digest(peak_db)
    bt = backtest(peak_db, {})
    assert bt.complaints == 400
    assert bt.actual == bt.replayed
    assert bt.diverged == {} and bt.changes == ()
    assert bt.actual.escalations > 0 and bt.actual.spend
    assert _digest(peak_db) == before  # nothing written


def test_the_same_policies_reproduce_the_dozen_stories(tmp_path: Path) -> None:
    db = tmp_path / "dozen.sqlite"
    assert quiet("--plain", "demo", "--db", str(db)) == 0
    bt = backtest(db, {})
    assert bt.complaints == 12 and bt.actual == bt.replayed and bt.changes == ()


def test_a_changed_ladder_changes_the_spend_as_computed_by_hand(tmp_path: Path) -> None:
    db = tmp_path / "three.sqlite"
    _three_declined_offers(db)
    same = backtest(db, {})
    # the second rung is a partial refund of the return shipping (15), at most the price
    assert same.actual.spend == same.replayed.spend == {"CNY": Decimal("45.00")}
    policies = tmp_path / "ladder.toml"
    policies.write_text('[compensation]\nreturn_shipping = "40"\n')
    bt = backtest(db, cf.load_policies(policies))
    # by hand: 40.00 for the 129.00 order, 20.00 (its price) for the 20.00 one, 40.00 again
    assert bt.replayed.spend == {"CNY": Decimal("100.00")}
    assert bt.replayed.spend_by_rung == {"rung 2": {"CNY": Decimal("100.00")}}
    assert bt.actual.spend == {"CNY": Decimal("45.00")}
    assert sorted((c["spend_before"], c["spend_after"]) for c in bt.changes) == [
        ("15.00", "20.00"), ("15.00", "40.00"), ("15.00", "40.00")]
    assert bt.changes[0]["spend_after"] == "40.00"  # the biggest changes first
    assert bt.replayed.sla == bt.actual.sla


def test_a_backtest_keeps_each_complaints_market(tmp_path: Path) -> None:
    db = tmp_path / "markets.sqlite"
    with SQLiteStore(db) as store:
        clock = cf.FrozenClock(datetime(2026, 6, 18, 1, tzinfo=UTC))
        wf = cf.Workflow(store=store, clock=clock)
        for n, (market, price) in enumerate((("US", "40"), ("GB", "30"), ("CN", "129"))):
            c = wf.receive("The staff at the store were slow to help me.", customer_id=f"C-{n}",
                           channel="in_store", amount=Decimal(price), market=market)
            c = wf.acknowledge(c, actor=AGENT)
            c = wf.investigate(c, actor=AGENT, finding=cf.Finding(
                cause="service_error", party="store", evidence=("CCTV",)))
            wf.resolve(wf.propose(c, actor=AGENT), actor=AGENT)
    bt = backtest(db, {})
    # the goodwill layer capped at the front line's limit in each market's currency
    assert bt.actual.spend == bt.replayed.spend == {
        "USD": Decimal("7.00"), "GBP": Decimal("5.00"), "CNY": Decimal("50.00")}
    assert bt.changes == ()


def test_the_backtest_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "three.sqlite"
    _three_declined_offers(db)
    policies = tmp_path / "ladder.toml"
    policies.write_text('[compensation]\nreturn_shipping = "40"\n')
    page = tmp_path / "bt.html"
    assert main(["backtest", "--db", str(db), "--policies", str(policies), "--json",
                 "--html", str(page)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["actual"]["spend"] == {"CNY": "45.00"}
    assert data["replayed"]["spend"] == {"CNY": "100.00"}
    text = page.read_text()
    assert 'id="chart-spend"' in text and 'id="chart-sla"' in text and "<script" not in text
    assert main(["--plain", "backtest", "--db", str(db), "--policies", str(policies)]) == 0
    assert "100.00 CNY" in capsys.readouterr().out


def test_bad_policies_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "three.sqlite"
    _three_declined_offers(db)
    broken = tmp_path / "broken.toml"
    broken.write_text("[compensation\n")
    for args in (["--policies", str(broken)], ["--policies", str(tmp_path)],
                 ["--policies", str(tmp_path / "missing.toml")]):
        capsys.readouterr()
        assert main(["backtest", "--db", str(db), *args]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured.err


def test_the_same_policies_reproduce_on_postgresql(pg_url: str) -> None:
    assert quiet("--plain", "demo", "--complaints", "120", "--seed", "9", "--db", pg_url,
                 "--fresh") == 0
    bt = backtest(pg_url, {})
    assert bt.complaints == 120 and bt.actual == bt.replayed and bt.changes == ()
