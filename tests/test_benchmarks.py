"""The benchmarks run end to end and print their ratios (no timing is asserted)."""

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


RUN = BENCH.parent / "run.py"


def test_run_quick_writes_rows_json_and_the_docs_section(tmp_path: Path) -> None:
    import json

    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nHand-written words stay.\n", encoding="utf-8")
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--events", "12", "--json", str(out),
         "--docs", str(docs)],
        capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text(encoding="utf-8"))["benchmarks"]
    names = {r["name"] for r in rows}
    skipped = set(re.findall(r"^skipped (\S+):", done.stderr, re.M))
    assert names | skipped >= {"relay_nats", "relay_amqp", "relay_redis", "relay_webhook"}
    assert "relay_webhook" in names  # needs no server
    for r in rows:
        assert set(r) == {"name", "value", "unit", "baseline", "baseline_value", "ratio",
                          "target"}
        assert r["value"] > 0 and r["baseline_value"] > 0
        assert abs(r["ratio"] - r["value"] / r["baseline_value"]) < 0.01 * r["ratio"] + 1e-3
        assert f"| {r['name']} |" in done.stdout
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("# Performance\n\nHand-written words stay.\n")
    assert text.count("<!-- benchmarks:start") == 1 and "| relay_webhook |" in text
    again = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--events", "8", "--only", "relay_webhook",
         "--docs", str(docs)],
        capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    rewritten = docs.read_text(encoding="utf-8")
    assert rewritten.count("<!-- benchmarks:start") == 1
    assert "| relay_nats |" not in rewritten  # the section was replaced, not appended


def test_run_refuses_nonsense_sizes(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(RUN), "--events", "0"], capture_output=True,
                          text=True, check=False, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert "--events" in done.stderr
