"""The package's own quality gates, run as part of the one test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the 'dev' extra")
    return found


def test_mypy_strict_is_clean() -> None:
    out = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_is_clean() -> None:
    out = subprocess.run([_tool("ruff"), "check", "src", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_metadata() -> None:
    import complaintflow

    meta = metadata.metadata("complaintflow")
    assert meta["Name"] == "complaintflow"
    assert metadata.version("complaintflow") == complaintflow.__version__
    requires = metadata.requires("complaintflow") or []
    core = [r for r in requires if "extra ==" not in r]
    names = {r.split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in core}
    assert {"attrs", "transitions"} <= names
    assert not names & {"sqlalchemy", "psycopg", "rich", "sphinx", "hypothesis"}, names
    assert (ROOT / "src" / "complaintflow" / "py.typed").exists()


def test_core_import_stays_light() -> None:
    code = (
        "import sys, complaintflow, complaintflow.store, complaintflow.policies\n"
        "heavy = {'sqlalchemy', 'psycopg', 'rich', 'sphinx', 'hypothesis'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_show_the_public_module() -> None:
    import complaintflow as cf

    for name in ("Workflow", "Complaint", "Event", "Money", "State"):
        assert getattr(cf, name).__module__ == "complaintflow", name
    for name in ("ValidationError", "NotFound", "UnknownCommand"):
        assert getattr(cf, name).__module__ == "complaintflow.exceptions", name
    assert set(cf.__all__) <= set(dir(cf))
