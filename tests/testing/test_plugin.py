"""The pytest plugin, the Hypothesis entry point and the optional-dependency guard."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.store import MemoryStore
from complaintflow.testing._plugin import FROZEN_AT


def _python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=False, timeout=120, cwd=cwd)


def test_frozen_clock_fixture_stands_still(frozen_clock: cf.FrozenClock) -> None:
    assert frozen_clock.now() == FROZEN_AT
    assert frozen_clock.now() == frozen_clock.now()
    assert frozen_clock.advance(hours=2) == FROZEN_AT.replace(hour=3)


def test_workflow_fixture_uses_the_frozen_clock_and_a_memory_store(
        workflow: cf.Workflow, frozen_clock: cf.FrozenClock) -> None:
    assert workflow.clock is frozen_clock
    assert isinstance(workflow.store, MemoryStore)
    c = workflow.receive("店員態度冷漠", customer_id="C-1", channel="in_store")
    assert c.received_at == FROZEN_AT
    frozen_clock.advance(hours=2)
    assert workflow.tick(c).tier > c.tier
    assert workflow.store.get(c.id).version > c.version


def test_the_ci_profile_is_registered() -> None:
    ci = settings.get_profile("complaintflow.ci")
    assert ci.max_examples == 50
    assert ci.deadline is None
    assert ci.stateful_step_count == 30


def test_from_type_is_registered_through_the_entry_point() -> None:
    from importlib.metadata import entry_points

    hooks = {ep.value for ep in entry_points(group="hypothesis")}
    assert "complaintflow.testing._hypothesis_entry:_hypothesis_setup_hook" in hooks
    plugins = {ep.value for ep in entry_points(group="pytest11")}
    assert "complaintflow.testing._plugin" in plugins

    @settings(max_examples=5, database=None)
    @given(st.from_type(cf.Complaint))
    def drawn(c: cf.Complaint) -> None:
        assert isinstance(c, cf.Complaint)
        assert c.version == len(c.history) >= 1

    drawn()


def test_the_plugin_is_cheap_to_import() -> None:
    done = _python("""
        import sys
        import complaintflow.testing._plugin
        heavy = [m for m in ("hypothesis", "complaintflow.testing.strategies",
                             "complaintflow.testing._machine") if m in sys.modules]
        print(heavy)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_fresh_project_gets_the_fixtures_and_profile(tmp_path: Path) -> None:
    (tmp_path / "test_theirs.py").write_text(textwrap.dedent("""
        import complaintflow as cf
        from hypothesis import settings

        def test_fixtures(workflow, frozen_clock):
            assert isinstance(workflow, cf.Workflow)
            assert workflow.clock is frozen_clock

        def test_profile_loaded():
            assert settings().max_examples == 50
    """), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--hypothesis-profile=complaintflow.ci", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


@pytest.mark.parametrize("statement", [
    "from complaintflow.testing import WorkflowMachine",
    "from complaintflow.testing import complaints",
    "import complaintflow.testing.strategies",
    "import complaintflow.testing._machine",
])
def test_without_hypothesis_the_error_names_the_extra(statement: str) -> None:
    done = _python(f"""
        import sys
        sys.modules["hypothesis"] = None  # as if it were not installed
        try:
            {statement}
        except ModuleNotFoundError as exc:
            print(exc.name, "|", exc)
        else:
            print("imported")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hypothesis |")
    assert "pip install 'complaintflow[testing]'" in done.stdout


def test_without_hypothesis_the_plugin_and_the_checks_still_work() -> None:
    done = _python("""
        import sys
        sys.modules["hypothesis"] = None
        import complaintflow.testing._plugin
        from complaintflow.testing import invariants
        from datetime import datetime, timezone
        import complaintflow as cf
        wf = cf.Workflow(clock=cf.FrozenClock(datetime(2026, 6, 18, tzinfo=timezone.utc)))
        invariants.check_complaint(wf.receive("broken", customer_id="C", channel="app"))
        print("ok")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
