"""The in-process store passes the conformance suite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from complaintflow.store import MemoryStore, _memory
from complaintflow.testing.stores import StoreConformance

if TYPE_CHECKING:
    import pytest


def _broken(*args: Any, **kw: Any) -> Any:
    raise RuntimeError("outbox broke")


class TestMemoryStore(StoreConformance):
    def create_store(self, **kw: Any) -> MemoryStore:
        return MemoryStore(**kw)

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_memory, "outbox_event", _broken)


def test_the_public_suite_imports_no_database_driver() -> None:
    import subprocess
    import sys

    code = ("import sys\n"
            "from complaintflow.testing import StoreConformance\n"
            "from complaintflow.testing.stores import StoreConformance as same\n"
            "assert StoreConformance is same\n"
            "print(sorted({'sqlalchemy', 'psycopg'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
