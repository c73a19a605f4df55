"""``complaintflow backtest``: the stored complaints replayed under other policies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from complaintflow.cli._common import UsageError, check_database, db_argument, is_url, parse_since
from complaintflow.cli._output import Output
from complaintflow.policies._config import load_policies
from complaintflow.reports import Backtest, backtest

__all__ = ["add_parser", "run", "show_backtest"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backtest", help="replay the stored complaints under other policies, side by side",
        description="Replay every stored complaint's inputs (texts, intake fields, command "
                    "times and arguments, the agents' own offers) under the policies of a "
                    "TOML file, and show next to what happened: SLA compliance per stage, "
                    "escalations, owner tiers, compensation by rung and tier, and the "
                    "complaints whose outcome changes most. Nothing is written to the "
                    "database.",
        epilog="examples:\n"
               "  complaintflow backtest --db peak.sqlite --policies policies.toml\n"
               "  complaintflow backtest --db peak.sqlite --policies ladder.toml --json\n"
               "  complaintflow backtest --db postgresql://app@db/complaints "
               "--policies deadlines.toml --html backtest.html\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", required=True, type=db_argument,
                   help="an SQLite path or a database URL (postgresql://user@host/name)")
    p.add_argument("--policies", required=True, type=Path, metavar="FILE.toml",
                   help="the policies to replay under (the format of the policies how-to)")
    p.add_argument("--since", help="only complaints received at or after this date or time")
    p.add_argument("--until", help="only complaints received before this date or time")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.add_argument("--html", type=Path, metavar="FILE", default=None,
                   help="also write a self-contained HTML page with charts to FILE")
    p.set_defaults(run=run)


def _money(values: dict[str, object] | object) -> str:
    if not isinstance(values, dict):
        return str(values)
    return ", ".join(f"{v} {k}" for k, v in values.items()) or "-"


def show_backtest(output: Output, bt: Backtest) -> None:
    """Print both sides as terminal tables."""
    a, r = bt.actual, bt.replayed
    output.heading(f"Backtest of {bt.complaints} complaints")
    rows: list[tuple[object, ...]] = [
        ("escalations", a.escalations, r.escalations),
        ("compensation", _money(dict(a.spend)), _money(dict(r.spend))),
    ]
    rows += [(f"owner {t}", a.tiers.get(t, 0), r.tiers.get(t, 0))
             for t in sorted(set(a.tiers) | set(r.tiers))]
    rows += [(f"spend {k}", _money(dict(a.spend_by_rung.get(k, {}))),
              _money(dict(r.spend_by_rung.get(k, {}))))
             for k in sorted(set(a.spend_by_rung) | set(r.spend_by_rung))]
    rows += [(f"spend by {k}", _money(dict(a.spend_by_tier.get(k, {}))),
              _money(dict(r.spend_by_tier.get(k, {}))))
             for k in sorted(set(a.spend_by_tier) | set(r.spend_by_tier))]
    for stage in a.sla:
        for key in ("met_on_time", "met_late", "open_breached"):
            rows.append((f"{stage} {key.replace('_', ' ')}", a.sla[stage][key],
                         r.sla[stage][key]))
    output.table(None, ("figure", "what happened", "under the other policies"), rows)
    if bt.diverged:
        output.line()
        output.table("Replays stopped early", ("why", "complaints"), list(bt.diverged.items()))
    if bt.changes:
        output.line()
        output.table("Changed most", ("complaint", "spend", "escalations", "tier", "SLA changed"),
                     [(c["id"], f"{c['spend_before']} → {c['spend_after']}",
                       f"{c['escalations_before']} → {c['escalations_after']}",
                       f"{c['tier_before']} → {c['tier_after']}", ", ".join(c["sla_changed"]))
                      for c in bt.changes])


def run(args: argparse.Namespace, output: Output) -> int:
    since = None if args.since is None else parse_since(args.since, "--since")
    until = None if args.until is None else parse_since(args.until, "--until")
    if since is not None and until is not None and until <= since:
        raise UsageError("--until must be later than --since")
    policies_path: Path = args.policies
    if not policies_path.is_file():
        raise UsageError(f"--policies: {policies_path} is not a file")
    policies = load_policies(policies_path)
    html_path: Path | None = args.html
    if html_path is not None and (html_path.is_dir() or not html_path.parent.is_dir()):
        raise UsageError(f"--html: cannot write {html_path} (no such directory, or a directory)")
    if not is_url(args.db):
        path = Path(args.db)
        if not path.exists():
            raise UsageError(f"{path}: no such database")
        check_database(path)
    found = backtest(args.db, policies, since=since, until=until)
    if html_path is not None:
        from complaintflow.reports import backtest_html

        try:
            html_path.write_text(backtest_html(found), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--html: cannot write {html_path} ({exc.strerror})") from None
    if args.json:
        output.out.write(json.dumps(found.to_json(), ensure_ascii=False, indent=2) + "\n")
        return 0
    show_backtest(output, found)
    return 0
