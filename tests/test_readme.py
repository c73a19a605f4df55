"""The README's example and set-up commands, as a newcomer meets them."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_runs_the_whole_happy_path() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README, re.S)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # our own README
    assert out.getvalue().startswith("archived quality_defect 3 ['received', 'acknowledged'")


def test_the_readme_has_exactly_two_set_up_commands_and_ci_runs_the_second() -> None:
    (block,) = re.findall(r"```console\n(.*?)```", README, re.S)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("complaintflow demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
