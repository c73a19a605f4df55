"""The in-process store passes the conformance suite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from complaintflow.store import MemoryStore, _memory

from .conformance import StoreConformance

if TYPE_CHECKING:
    import pytest


def _broken(*args: Any, **kw: Any) -> Any:
    raise RuntimeError("outbox broke")


class TestMemoryStore(StoreConformance):
    def make_store(self, **kw: Any) -> MemoryStore:
        return MemoryStore(**kw)

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_memory, "outbox_event", _broken)
