"""Where complaints live: one ``Store`` protocol, several backends."""

from complaintflow.store._base import OutboxItem, Store
from complaintflow.store._memory import MemoryStore

__all__ = ["MemoryStore", "OutboxItem", "Store"]
