"""The benchmarks run end to end and print their ratios (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_lifecycle.py"
RUN = BENCH.parent / "run.py"
#: The rows of the core benchmarks (benchmarks/core.py) and the baselines each names.
CORE = {
    "lifecycle vs hand-rolled": "dict state table",
    "lifecycle vs transitions": "transitions.Machine",
    "lifecycle vs python-statemachine": "python-statemachine",
    "memory": "hand-rolled record",
    "sqlite_commit": "raw sqlite3",
}


def test_the_old_lifecycle_script_runs_the_lifecycle_and_memory_rows(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True, text=True, check=False, timeout=600, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    names = re.findall(r"^\| (.+?) \| [\d,.]+ \|", done.stdout, re.M)
    assert names == ["lifecycle vs hand-rolled", "lifecycle vs transitions",
                     "lifecycle vs python-statemachine", "memory"]


def test_the_core_rows_run_beside_their_baselines(tmp_path: Path) -> None:
    import json

    out = tmp_path / "core.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json", str(out), "--only", "lifecycle",
         "--only", "memory", "--only", "replay", "--only", "sqlite_commit", "--only",
         "pg_commit"],
        capture_output=True, text=True, check=False, timeout=600, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))["benchmarks"]}
    for name, baseline in CORE.items():
        assert baseline in rows[name]["baseline"]
        assert rows[name]["value"] > 0 and rows[name]["baseline_value"] > 0
    replay = [r for n, r in rows.items() if n.startswith("replay (")]
    assert len(replay) == 1 and replay[0]["unit"] == "events/s"
    # PostgreSQL: two rows, or a printed reason
    assert {"pg_commit (1 worker)", "pg_commit (4 workers)"} <= set(rows) or re.search(
        r"^skipped pg_commit: no PostgreSQL server at ", done.stderr, re.M)




def test_run_quick_writes_rows_json_and_the_docs_section(tmp_path: Path) -> None:
    import json

    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nHand-written words stay.\n", encoding="utf-8")
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--events", "12", "--json", str(out),
         "--docs", str(docs)],
        capture_output=True, text=True, check=False, timeout=900, cwd=tmp_path,
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
        capture_output=True, text=True, check=False, timeout=900, cwd=tmp_path,
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
