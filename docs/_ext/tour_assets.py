"""Make the tour's assets (``docs/tour/``) from real runs of ``demo`` and ``report``.

``python docs/_ext/tour_assets.py`` writes them; ``tests/reports/test_reports_tour.py``
checks that the committed files are what the code makes today (and rewrites them when
``COMPLAINTFLOW_REGENERATE_DOCS=1``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

TOUR = Path(__file__).resolve().parent.parent / "tour"
DEMO = ("--plain", "demo", "--complaints", "1000", "--seed", "618", "--days", "7",
        "--db", "peak.sqlite")
REPORT = ("--plain", "report", "--db", "peak.sqlite", "--top", "5")


def _run(cwd: Path, *args: str) -> str:
    # the command line runs in a scratch directory: a relative PYTHONPATH (src) made absolute
    # keeps it on the complaintflow this process imports
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    done = subprocess.run([sys.executable, "-m", "complaintflow", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True, timeout=600)
    return done.stdout


def assets() -> dict[str, str]:
    """File name → content of every tour asset."""
    from complaintflow.cli.diagram import svg
    from complaintflow.reports import build_report, chart_svgs

    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        out = {"demo.txt": _run(cwd, *DEMO), "report.txt": _run(cwd, *REPORT)}
        charts = chart_svgs(build_report(cwd / "peak.sqlite", top=5))
    out.update({f"{name}.svg": text for name, text in charts.items()})
    out["lifecycle.svg"] = svg()
    return out


def write(into: Path = TOUR) -> None:
    into.mkdir(exist_ok=True)
    for name, text in assets().items():
        (into / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write()
