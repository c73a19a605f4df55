"""The HTML report: self-contained, with its charts, opened in a real headless browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from complaintflow.cli import main
from complaintflow.reports import build_report, chart_svgs, report_html

CHARTS = ("heatmap", "store_heatmap", "sla", "cycle", "spend")


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless browser (apt-get install chromium; .ci/services installs it)")


def test_the_page_needs_nothing_from_the_network(peak_db: Path) -> None:
    page = report_html(build_report(peak_db))
    for name in CHARTS:
        assert f'id="chart-{name}"' in page
    assert "<script" not in page
    # the only URLs are XML namespaces, never something to fetch
    fetched = re.findall(r'(?:src|href)\s*=\s*"(https?:[^"]*)"', page)
    assert fetched == []
    assert "@import" not in page and "url(http" not in page


def test_the_same_report_draws_the_same_charts(peak_db: Path) -> None:
    first = chart_svgs(build_report(peak_db))
    second = chart_svgs(build_report(peak_db))
    assert first == second
    assert all(svg.startswith("<svg") for svg in first.values())


def test_the_report_opens_in_a_browser_with_its_charts(peak_db: Path, tmp_path: Path) -> None:
    browser = _browser()
    page = tmp_path / "report.html"
    assert main(["--plain", "report", "--db", str(peak_db), "--html", str(page)]) == 0
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
              "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    for name in CHARTS:
        figure = re.search(rf'<figure class="chart" id="chart-{name}">(.*?)</figure>', dom, re.S)
        assert figure is not None, name
        assert "<svg" in figure.group(1) and "<path" in figure.group(1), name
    shot = tmp_path / "report.png"
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1100,3000", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 50_000  # a page of charts, not a blank one
