"""Reports for the operations desk, computed by the database, with charts and backtests.

:func:`build_report` reads a complaintflow store (an SQLite file or a database URL such as
``postgresql://...``) with SQL only: each figure is a ``GROUP BY`` over the current-state
rows and the events, so memory stays flat in the number of complaints. :func:`report_html`
turns a :class:`Report` into one self-contained HTML page whose charts (heat map, SLA
compliance per stage, cycle-time distribution, spend) are drawn by matplotlib (the
``report`` extra: ``pip install 'complaintflow[report]'``) as inline SVG.

:func:`backtest` replays the stored complaints' inputs under other policies (through the
workflow's one fold, in memory: nothing is written) and returns both sides' figures, a
:class:`Backtest`; :func:`backtest_html` draws it.
"""

from __future__ import annotations

from complaintflow.reports._backtest import Backtest, Side, backtest
from complaintflow.reports._database import Database, open_database
from complaintflow.reports._figures import CYCLE_BUCKETS, MAX_TOP, Report, build_report
from complaintflow.reports._html import backtest_html, backtest_svgs, chart_svgs, report_html

__all__ = [
    "CYCLE_BUCKETS",
    "MAX_TOP",
    "Backtest",
    "Database",
    "Report",
    "Side",
    "backtest",
    "backtest_html",
    "backtest_svgs",
    "build_report",
    "chart_svgs",
    "open_database",
    "report_html",
]

for _name in ("Backtest", "Side", "backtest", "backtest_html", "backtest_svgs", "Database",
              "Report", "build_report", "chart_svgs", "open_database", "report_html"):
    globals()[_name].__module__ = __name__
del _name
