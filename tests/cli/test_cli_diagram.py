"""``complaintflow diagram``: the graph printed is the engine's own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from complaintflow._engine import default_engine
from complaintflow.cli.diagram import dot

if TYPE_CHECKING:
    from cli_helpers import Run


def test_mermaid_is_the_engines_drawing(run: Run) -> None:
    result = run("diagram")
    assert result.code == 0
    assert result.out == default_engine().diagram() + "\n"


def _moves() -> set[tuple[str, str, str]]:
    return {(s.value, c, d.value) for s, c, d in default_engine().edges() if s is not d}


def test_dot_draws_every_move_of_the_engine(run: Run) -> None:
    result = run("diagram", "--format", "dot")
    assert result.code == 0
    assert result.out == dot() + "\n"
    drawn = set(re.findall(r"^\s+(\w+) -> (\w+) \[label=\"(\w+)\"\];$", result.out, re.M))
    assert {(s, c, d) for s, d, c in drawn} == _moves()
    assert result.out.startswith("digraph complaintflow {") and result.out.rstrip().endswith("}")


def test_mermaid_draws_every_move_of_the_engine(run: Run) -> None:
    out = run("diagram", "--format", "mermaid").out
    drawn = set(re.findall(r"^\s+(\w+) --> (\w+): (\w+)$", out, re.M))
    assert {(s, c, d) for s, d, c in drawn} == _moves()


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "complaintflow", "diagram"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == default_engine().diagram() + "\n"


def test_plain_is_accepted_before_or_after_the_command(run: Run, demo_db: Path) -> None:
    before = run("--plain", "report", "--db", str(demo_db))
    after = run("report", "--db", str(demo_db), "--plain")
    assert before.code == after.code == 0
    assert before.out == after.out
    assert "┃" not in after.out
