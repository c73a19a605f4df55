"""Fixtures of the command-line tests: running ``main`` and one demo database per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_helpers import Ran, Run

from complaintflow.cli import main


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("report", "--db", path)``: main() with its exit code and captured output."""

    def go(*argv: str) -> Ran:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return go


@pytest.fixture(scope="session")
def _demo_master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--plain", "demo", "--db", str(path)]) == 0
    return path, out.getvalue()


@pytest.fixture
def demo_db(_demo_master: tuple[Path, str], tmp_path: Path) -> Path:
    """A private copy of a database the demo has filled."""
    copy = tmp_path / "demo.sqlite"
    shutil.copy(_demo_master[0], copy)
    return copy


@pytest.fixture
def demo_output(_demo_master: tuple[Path, str]) -> str:
    """What ``complaintflow --plain demo`` printed on stdout when it filled the database."""
    return _demo_master[1]
