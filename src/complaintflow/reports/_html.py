"""Charts (matplotlib, inline SVG) and the self-contained HTML page of a report."""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from typing import Any

from complaintflow.exceptions import ConfigError
from complaintflow.reports._backtest import Backtest
from complaintflow.reports._figures import Report

__all__ = ["backtest_html", "backtest_svgs", "chart_svgs", "report_html"]

_SLA_PARTS = (("met_on_time", "met on time", "#2e7d32"), ("met_late", "met late", "#f9a825"),
              ("open_breached", "open, breached", "#c62828"), ("open", "open", "#90a4ae"))


def _figure(width: float, height: float) -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("charts", "the HTML report draws its charts with matplotlib: "
                                    "pip install 'complaintflow[report]'") from None
    matplotlib.rcParams["svg.hashsalt"] = "complaintflow"  # the same report, the same SVG
    matplotlib.rcParams["svg.fonttype"] = "path"  # text as shapes: no font needed to view
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _heatmap(grid: Mapping[str, Mapping[str, int]], title: str, ylabel: str) -> str:
    rows = list(grid)
    cols = sorted({c for r in grid.values() for c in r})
    fig = _figure(max(6.0, 0.7 * len(cols) + 2), max(2.5, 0.4 * len(rows) + 1.5))
    ax = fig.add_subplot()
    ax.set_title(title)
    if rows and cols:
        values = [[grid[r].get(c, 0) for c in cols] for r in rows]
        image = ax.imshow(values, cmap="OrRd", aspect="auto")
        ax.set_xticks(range(len(cols)), labels=cols, rotation=45, ha="right")
        ax.set_yticks(range(len(rows)), labels=rows)
        top = max(max(r) for r in values) or 1
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                        color="white" if v > top / 2 else "black")
        fig.colorbar(image, ax=ax, label="complaints")
    ax.set_ylabel(ylabel)
    return _svg(fig)


def _sla(report: Report) -> str:
    stages = list(report.sla)
    fig = _figure(7, 3.5)
    ax = fig.add_subplot()
    ax.set_title("SLA compliance per stage")
    left = [0] * len(stages)
    for key, label, colour in _SLA_PARTS:
        values = [report.sla[s][key] for s in stages]
        ax.barh(stages, values, left=left, label=label, color=colour)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("complaints")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=8, frameon=False)
    return _svg(fig)


def _cycle(report: Report) -> str:
    labels = list(report.cycle_histogram)
    fig = _figure(7, 3.2)
    ax = fig.add_subplot()
    closed = report.cycle["closed"]
    ax.set_title(f"Cycle time, never reopened (median {closed['median']} h, p90 {closed['p90']} h)")
    ax.bar(labels, list(report.cycle_histogram.values()), color="#1565c0")
    ax.set_ylabel("complaints")
    ax.tick_params(axis="x", labelrotation=30)
    return _svg(fig)


def _spend(report: Report) -> str:
    fig = _figure(7, 3.5)
    ax = fig.add_subplot()
    ax.set_title("Compensation spent by owner tier and remedy")
    rows = report.compensation
    tiers = sorted({r["tier"] for r in rows})
    remedies = sorted({r["remedy"] for r in rows})
    currencies = sorted({r["currency"] for r in rows})
    bottom = [0.0] * len(tiers)
    for remedy in remedies:
        values = [float(sum(r["total"] for r in rows if r["tier"] == t and r["remedy"] == remedy))
                  for t in tiers]
        ax.bar(tiers, values, bottom=bottom, label=remedy)
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax.set_ylabel(", ".join(currencies) or "spend")
    if remedies:
        ax.legend(fontsize=8)
    return _svg(fig)


def chart_svgs(report: Report) -> dict[str, str]:
    """The report's charts as SVG documents: ``heatmap``, ``store_heatmap``, ``sla``,
    ``cycle`` and ``spend`` (needs matplotlib, the ``report`` extra)."""
    return {
        "heatmap": _heatmap(report.heatmap, "Complaints by region and category", "region"),
        "store_heatmap": _heatmap(report.store_heatmap, "Complaints by store and category",
                                  "store"),
        "sla": _sla(report),
        "cycle": _cycle(report),
        "spend": _spend(report),
    }


def _table(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #ccc; padding: .2em .6em; text-align: left; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
"""


def report_html(report: Report, *, title: str = "Complaints report") -> str:
    """One self-contained HTML page: the figures as tables and the charts as inline SVG
    (no script, no font or image to fetch: it opens offline)."""
    charts = chart_svgs(report)
    window = " ".join(filter(None, (
        f"from {report.since.isoformat()}" if report.since else "",
        f"until {report.until.isoformat()}" if report.until else "")))
    rate = "-" if report.reopen_rate is None else f"{report.reopen_rate:.1%}"
    mean = "-" if report.satisfaction_mean is None else f"{report.satisfaction_mean:.2f}/5"
    closed, reopened = report.cycle["closed"], report.cycle["reopened"]
    summary = _table(("figure", "value"), [
        ("complaints", report.total),
        ("median cycle time (never reopened)", f"{closed['median']} h ({closed['cases']} cases)"),
        ("p90 cycle time (never reopened)", f"{closed['p90']} h"),
        ("median cycle time (reopened)", f"{reopened['median']} h ({reopened['cases']} cases)"),
        ("median rework after reopening", f"{report.cycle['rework']['median']} h"),
        ("escalations", f"{report.escalations['events']} on "
                        f"{report.escalations['complaints']} complaints"),
        ("reopen rate", f"{rate} ({report.reopened}/{report.resolved} resolved)"),
        ("satisfaction", mean),
        ("compensation", ", ".join(f"{v} {k}" for k, v in report.compensation_total.items())
         or "-"),
    ])
    states = _table(("state", "complaints"), list(report.by_state.items()))
    categories = _table(("category", "complaints"), list(report.by_category.items()))
    sla = _table(("stage", "met on time", "met late", "open, breached", "open"),
                 [(s, *v.values()) for s, v in report.sla.items()])
    lines = _table(("scope", "sku", "batch", "brand", "complaints", "first"),
                   [tuple(r.values()) for r in report.lines])
    spend = _table(("tier", "remedy", "currency", "offers", "remedy value", "goodwill",
                    "statutory", "total"), [tuple(r.values()) for r in report.compensation])

    def figure(name: str) -> str:
        return f'<figure class="chart" id="chart-{name}">{charts[name]}</figure>'

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(window or "all complaints")}</p>
{summary}
<h2>Where complaints come from</h2>
{figure("heatmap")}
{figure("store_heatmap")}
<h2>SLA compliance</h2>
{figure("sla")}
{sla}
<h2>Cycle time</h2>
{figure("cycle")}
<h2>Compensation</h2>
{figure("spend")}
{spend}
<h2>States and categories</h2>
{states}
{categories}
<h2>Detected lines and planes</h2>
{lines}
</body></html>
"""


def _side_by_side(title: str, labels: list[str], actual: list[float], replayed: list[float],
                  ylabel: str) -> str:
    fig = _figure(7, 3.5)
    ax = fig.add_subplot()
    ax.set_title(title)
    xs = list(range(len(labels)))
    ax.bar([x - 0.2 for x in xs], actual, width=0.4, label="what happened", color="#90a4ae")
    ax.bar([x + 0.2 for x in xs], replayed, width=0.4, label="under the other policies",
           color="#1565c0")
    ax.set_xticks(xs, labels=labels, rotation=20, ha="right")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return _svg(fig)


def backtest_svgs(bt: Backtest) -> dict[str, str]:
    """The backtest's charts as SVG: ``sla`` (met on time per stage) and ``spend`` (by rung,
    every currency summed per rung label)."""
    stages = list(bt.actual.sla)
    rungs = sorted(set(bt.actual.spend_by_rung) | set(bt.replayed.spend_by_rung))

    def spent(side: Mapping[str, Mapping[str, Any]], rung: str) -> float:
        return float(sum(side.get(rung, {}).values()))

    return {
        "sla": _side_by_side("Met on time, per stage", stages,
                             [bt.actual.sla[s]["met_on_time"] for s in stages],
                             [bt.replayed.sla[s]["met_on_time"] for s in stages], "complaints"),
        "spend": _side_by_side("Compensation by rung", rungs,
                               [spent(bt.actual.spend_by_rung, r) for r in rungs],
                               [spent(bt.replayed.spend_by_rung, r) for r in rungs],
                               ", ".join(sorted(set(bt.actual.spend) | set(bt.replayed.spend)))
                               or "spend"),
    }


def backtest_html(bt: Backtest, *, title: str = "Backtest") -> str:
    """One self-contained HTML page: the two sides' figures and charts (inline SVG)."""
    charts = backtest_svgs(bt)
    a, r = bt.actual, bt.replayed

    def money(values: Mapping[str, Any]) -> str:
        return ", ".join(f"{v} {k}" for k, v in values.items()) or "-"

    summary = _table(("figure", "what happened", "under the other policies"), [
        ("complaints", bt.complaints, bt.complaints),
        ("escalations", a.escalations, r.escalations),
        ("compensation", money(a.spend), money(r.spend)),
        *((f"owner {t}", a.tiers.get(t, 0), r.tiers.get(t, 0))
          for t in sorted(set(a.tiers) | set(r.tiers))),
        *((f"{s} met on time", a.sla[s]["met_on_time"], r.sla[s]["met_on_time"]) for s in a.sla),
    ])
    changes = _table(("complaint", "spend before", "spend after", "escalations before",
                      "escalations after", "tier before", "tier after", "SLA changed", "stopped"),
                     [(c["id"], c["spend_before"], c["spend_after"], c["escalations_before"],
                       c["escalations_after"], c["tier_before"], c["tier_after"],
                       ", ".join(c["sla_changed"]), c["stopped"] or "") for c in bt.changes])
    figures = "".join(f'<figure class="chart" id="chart-{k}">{v}</figure>'
                      for k, v in charts.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
{summary}
{figures}
<h2>The complaints whose outcome changes most</h2>
{changes}
</body></html>
"""
