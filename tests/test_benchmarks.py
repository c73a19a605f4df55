"""The lifecycle benchmark runs end to end and prints its ratios (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_lifecycle.py"


def test_benchmark_prints_its_ratio_lines(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--iterations", "3", "--repeat", "1", "--memory", "5"],
        capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    ratios = dict(re.findall(r"^ratio (.+?): (\d+\.\d+)x baseline$", out, re.M))
    assert "time per lifecycle" in ratios
    assert "memory per complaint" in ratios
    assert "time per lifecycle with SQLiteStore (FULL)" in ratios
    assert all(float(v) > 0 for v in ratios.values())
    assert re.search(r"^baseline: transitions\.Machine per complaint .* µs per lifecycle", out,
                     re.M)


def test_benchmark_refuses_nonsense_counts(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--iterations", "0"],
                          capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert "--iterations" in done.stderr
