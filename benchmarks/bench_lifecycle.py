"""The lifecycle and memory rows of ``benchmarks/run.py``, kept under their old name.

``python benchmarks/bench_lifecycle.py [--quick] [--repeats N]`` is
``python benchmarks/run.py --only lifecycle --only memory``: complaints per second through
the whole happy path against the hand-rolled, ``transitions`` and python-statemachine
baselines, and the bytes an archived complaint keeps (see ``benchmarks/core.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import main

if __name__ == "__main__":
    raise SystemExit(main(["--only", "lifecycle", "--only", "memory", *sys.argv[1:]]))
