"""A complaint's history as a read-only sequence that a store may fill in lazily.

A complaint loaded from a store's snapshot (see ``complaintflow.store``) knows its folded
state, its version and the events after the snapshot, not the events before it: those
are read from the store on the first access that needs them (iterating, an index before
the known tail, ``to_dict``, equality with another history). ``len()`` and the last
events never need them, so loading, deciding and saving a command cost the same whatever
the length of the history.

Equality is the equality of the event tuples (``History == tuple`` works both ways); two
histories that share the same unread prefix compare their known tails only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from complaintflow.exceptions import IntegrityError

if TYPE_CHECKING:
    from complaintflow._events import Event

__all__ = ["History", "Prefix", "extend"]


class Prefix:
    """The first ``length`` events of a stored history, read once by ``load`` when first
    needed (shared by every complaint derived from the loaded one). ``key`` names what
    is read (the store, the complaint, the length): two prefixes with the same key hold
    the same events, since a store only ever appends to a history."""

    __slots__ = ("_events", "_load", "_lock", "key", "length")

    def __init__(self, length: int, load: Callable[[], tuple[Event, ...]],
                 key: object = None) -> None:
        self.length = length
        self.key = key
        self._load: Callable[[], tuple[Event, ...]] | None = load
        self._events: tuple[Event, ...] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._events is not None

    def events(self) -> tuple[Event, ...]:
        found = self._events
        if found is not None:
            return found
        load = self._load
        if load is None:  # pragma: no cover - another reader has just finished
            assert self._events is not None
            return self._events
        # read without holding the lock: a read that waits on I/O must not block other
        # readers of the same thread (the async face runs commands as greenlets on one
        # thread); two concurrent reads read the same stored rows, and the first one kept
        events = tuple(load())
        if len(events) != self.length:  # the loader checks; never trust a count
            raise IntegrityError(f"a stored history: expected {self.length} events "
                                 f"before the snapshot, read {len(events)}")
        with self._lock:
            if self._events is None:
                self._events = events
                self._load = None
            return self._events


class History(Sequence["Event"]):
    """The events of a complaint, oldest first: a prefix read lazily plus a known tail."""

    __slots__ = ("_prefix", "_tail")

    def __init__(self, prefix: Prefix, tail: tuple[Event, ...]) -> None:
        self._prefix = prefix
        self._tail = tail

    @property
    def tail(self) -> tuple[Event, ...]:
        """The events known without reading the store (those after the prefix)."""
        return self._tail

    @property
    def loaded(self) -> bool:
        """Whether every event is in memory (the prefix was read)."""
        return self._prefix.loaded

    def __len__(self) -> int:
        return self._prefix.length + len(self._tail)

    def _all(self) -> tuple[Event, ...]:
        return self._prefix.events() + self._tail

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        n = self._prefix.length
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1 and start == 0 and stop >= n:
                return History(self._prefix, self._tail[: stop - n])
            if step == 1 and start >= n:
                return self._tail[start - n: max(stop - n, 0)]
            return self._all()[index]
        if not isinstance(index, int):
            raise TypeError(f"history indices must be integers or slices, not {type(index).__name__}")
        i = index + len(self) if index < 0 else index
        if n <= i < len(self):
            return self._tail[i - n]
        if 0 <= i < n:
            return self._prefix.events()[i]
        raise IndexError("history index out of range")

    def __iter__(self) -> Iterator[Event]:
        yield from self._prefix.events()
        yield from self._tail

    def __reversed__(self) -> Iterator[Event]:
        yield from reversed(self._tail)
        yield from reversed(self._prefix.events())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            mine, theirs = self._prefix, other._prefix
            if theirs is mine or (mine.key is not None and mine.key == theirs.key):
                return other._tail == self._tail
            return len(self) == len(other) and self._all() == other._all()
        if isinstance(other, tuple):
            return len(self) == len(other) and self._all() == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        same = self.__eq__(other)
        return same if same is NotImplemented else not same

    def __hash__(self) -> int:
        return hash(self._all())

    def __add__(self, other: object) -> Any:
        if isinstance(other, tuple):
            return History(self._prefix, self._tail + other)
        return NotImplemented

    def __radd__(self, other: object) -> Any:
        if isinstance(other, tuple):
            return other + self._all()
        return NotImplemented

    def __repr__(self) -> str:
        if self._prefix.loaded:
            return f"History({self._all()!r})"
        return f"History(<{self._prefix.length} stored events>, {self._tail!r})"


def extend(history: Sequence[Event], event: Event) -> Sequence[Event]:
    """``history`` with ``event`` appended, without reading a lazy prefix."""
    if type(history) is tuple:
        return (*history, event)
    if isinstance(history, History):
        return History(history._prefix, (*history._tail, event))
    return (*history, event)
