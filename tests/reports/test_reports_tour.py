"""The tour page's text and charts are what the code makes today."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _assets_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tour_assets", DOCS / "_ext" / "tour_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tour_shows_what_the_code_does() -> None:
    tour = _assets_module()
    made = tour.assets()
    if os.environ.get("COMPLAINTFLOW_REGENERATE_DOCS") == "1":
        tour.write()
    stale = [name for name, text in made.items()
             if not (tour.TOUR / name).is_file()
             or (tour.TOUR / name).read_text(encoding="utf-8") != text]
    assert not stale, (f"docs/tour/ is out of date ({', '.join(stale)}): run "
                       f"python docs/_ext/tour_assets.py (or COMPLAINTFLOW_REGENERATE_DOCS=1)")
    page = (DOCS / "tour.md").read_text(encoding="utf-8")
    for name in made:
        assert f"tour/{name}" in page, name
    assert "Detected lines" in made["report.txt"] and "K-88" in made["report.txt"]
