"""The store of your own in ``examples/kv_store.py`` (shown in docs/howto/custom-store.md)
passes the public conformance suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from complaintflow.testing import StoreConformance

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kv_store.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kv_store_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


kv_store = _load()


class TestKeyValueStore(StoreConformance):
    def create_store(self, **options: Any) -> Any:
        return kv_store.KeyValueStore(**options)


def test_it_keeps_complaints_as_json_in_any_mapping() -> None:
    import json

    import complaintflow as cf

    from ._helpers import receive, workflow

    mapping: dict[str, str] = {}
    store = kv_store.KeyValueStore(mapping)
    wf, _ = workflow(store)
    c = wf.acknowledge(receive(wf, 1), actor="agent-7")
    assert [e["name"] for e in json.loads(mapping[f"complaint:{c.id}"])] == [
        "received", "acknowledged"]
    assert kv_store.KeyValueStore(mapping).get(c.id) == c
    assert isinstance(store, cf.store.Store)
