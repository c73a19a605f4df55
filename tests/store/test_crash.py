"""A writer process killed with SIGKILL at random moments, many times over one database.

After every kill: each command the writer was told had committed is there, the database
is consistent (state rows are the replay of the histories, no gaps) and the outbox holds
exactly the committed events. Against SQLite (``synchronous=FULL``) and PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from . import _workers
from ._helpers import T0

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

KILLS = 12
SOAK_KILLS = 200
_DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", "postgres"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> _workers.Spec:
    if request.param == "sqlite":
        return {"kind": "sqlite", "path": str(tmp_path / "crash.db"), "synchronous": "FULL"}
    url = request.getfixturevalue("pg_url")
    schema = request.getfixturevalue("pg_schema")
    return {"kind": "sql", "url": url, "schema": schema, "prefix": f"k{uuid.uuid4().hex[:8]}_"}


def _acked(path: Path) -> dict[str, int]:
    """The highest version acknowledged per complaint (complete lines only)."""
    out: dict[str, int] = {}
    if not path.exists():
        return out
    for line in path.read_text().split("\n")[:-1]:
        cid, version = line.split()
        out[cid] = max(out.get(cid, 0), int(version))
    return out


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_and_check(spec: _workers.Spec, tmp_path: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    ctx = multiprocessing.get_context("spawn")
    acks = tmp_path / "acks.txt"
    killed_with_work = 0
    for round_no in range(1, kills + 1):
        before = _lines(acks)
        proc = ctx.Process(target=_workers.writer,
                           args=(spec, str(acks), round_no, rng.randrange(2**32)))
        proc.start()
        deadline = time.monotonic() + 60
        while _lines(acks) == before and proc.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.is_alive(), f"the writer died by itself (exit code {proc.exitcode})"
        time.sleep(rng.uniform(0.0, 0.15))
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        killed_with_work += _lines(acks) > before

        store = _workers.open_store(spec)
        try:
            for cid, version in _acked(acks).items():
                stored = store.get(cid)
                assert stored.version >= version, (cid, version, stored.version)
            assert store.verify() == []  # type: ignore[attr-defined]
            # the outbox: nothing missing, nothing that was not committed
            pending = {i.id for i in store.pending(1_000_000)}
            every = {f"{c.id}:{e.seq}" for c in store.recent(since=T0 - _DAY)
                     for e in c.history}
            assert pending <= every
        finally:
            _workers.close(store)
    assert killed_with_work == kills


def test_kill_the_writer_at_random_moments(spec: _workers.Spec, tmp_path: Path) -> None:
    _kill_and_check(spec, tmp_path, KILLS, seed=20260618)


@pytest.mark.slow
def test_kill_the_writer_soak(spec: _workers.Spec, tmp_path: Path) -> None:
    _kill_and_check(spec, tmp_path, SOAK_KILLS, seed=int(time.time()))
