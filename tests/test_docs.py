"""The documentation builds strictly, and its lifecycle diagram is the engine's own."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from complaintflow._engine import default_engine
from complaintflow.cli.diagram import dot

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML site, built with every warning an error (``-W --keep-going``)."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    pytest.importorskip("furo")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / ".doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, check=False, timeout=600,
    )
    assert done.returncode == 0, f"the docs build warned or failed:\n{done.stderr}"
    return out


def test_docs_build_strictly(built: Path) -> None:
    for page in ("index", "tutorial", "explanation/lifecycle", "explanation/events",
                 "reference/api", "howto/cli"):
        assert (built / f"{page}.html").is_file(), page


def test_every_markdown_page_is_built(built: Path) -> None:
    pages = {p.relative_to(DOCS).with_suffix("").as_posix() for p in DOCS.rglob("*.md")
             if "_build" not in p.parts}
    missing = {p for p in pages if not (built / f"{p}.html").is_file()}
    assert not missing


def _block(page: str, css_class: str) -> str:
    found = re.search(rf'<div class="{css_class}[^"]*">.*?<pre>(.*?)</pre>', page, re.S)
    assert found, f"no {css_class} block on the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_the_lifecycle_page_shows_the_engines_diagram(built: Path) -> None:
    page = (built / "explanation" / "lifecycle.html").read_text(encoding="utf-8")
    assert _block(page, "lifecycle-diagram") == default_engine().diagram()


def test_the_diagram_is_generated_not_pasted() -> None:
    source = (DOCS / "explanation" / "lifecycle.md").read_text(encoding="utf-8")
    assert "{lifecycle-diagram}" in source
    assert "stateDiagram-v2" not in source


def test_the_extension_draws_both_formats() -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import lifecycle_diagram
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    assert lifecycle_diagram.diagram_text("mermaid") == default_engine().diagram()
    assert lifecycle_diagram.diagram_text("dot") == dot()


def test_the_api_reference_documents_the_public_names(built: Path) -> None:
    import complaintflow as cf

    page = (built / "reference" / "api.html").read_text(encoding="utf-8")
    for name in cf.__all__:
        if name.startswith("_"):
            continue
        assert re.search(rf'id="complaintflow(\.\w+)*\.{name}"', page), name


_PRIVATE_IMPORT = re.compile(
    r"^\s*(?:>>>|\.\.\.)?\s*(?:from\s+complaintflow(?:\.\w+)*\._\w+|import\s+complaintflow(?:\.\w+)*\._\w+)",
    re.MULTILINE,
)


def test_docs_and_examples_import_only_public_modules() -> None:
    """What users copy from the docs, the README and the examples uses the public surface."""
    root = DOCS.parent
    files = [*DOCS.rglob("*.md"), root / "README.md", *(root / "examples").rglob("*.py")]
    offenders = [
        f"{path.relative_to(root)}: {match.group(0).strip()}"
        for path in files if "_build" not in path.parts
        for match in _PRIVATE_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_private_import_check_sees_a_private_import() -> None:
    assert _PRIVATE_IMPORT.search(">>> from complaintflow.policies._config import parse_policies")
    assert _PRIVATE_IMPORT.search("from complaintflow._workflow import Workflow")
    assert not _PRIVATE_IMPORT.search(">>> from complaintflow.policies import parse_policies")
