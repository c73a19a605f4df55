"""What every publisher shares: the ``Publisher`` protocol, what a batch delivered, backoff."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs

from complaintflow.exceptions import ValidationError
from complaintflow.relay._errors import PublishError
from complaintflow.store import OutboxItem

__all__ = ["AsyncPublisher", "Backoff", "Delivery", "Publisher", "safe_url", "strip_query"]

T = TypeVar("T")


@attrs.frozen
class Delivery:
    """What the far side did with a batch.

    ``confirmed``: the ids the far side confirmed it holds (durably, where it can say so).
    ``dead``: ids the far side refused for good, each with the reason (a webhook answering
    a 4xx other than 408 and 429); the relay records them as dead letters.
    Every other id of the batch was not delivered and will be published again.
    ``error``: why some were not delivered, when the publisher knows.
    """

    confirmed: frozenset[str] = frozenset()
    dead: Mapping[str, str] = attrs.field(factory=dict)
    error: str | None = None

    @classmethod
    def of(cls, confirmed: Iterable[str], dead: Mapping[str, str] | None = None,
           error: str | None = None) -> Delivery:
        return cls(frozenset(confirmed), dict(dead or {}), error)


@runtime_checkable
class Publisher(Protocol):
    """Publishes a batch of outbox items and reports which ones the far side confirmed.

    ``publish`` sends the items in the order given (the relay hands them over in ``seq``
    order per complaint) and raises :class:`PublishError` when the far side cannot be
    reached at all; a partial failure is a :class:`Delivery` with fewer ids confirmed.
    """

    def publish(self, items: Sequence[OutboxItem]) -> Delivery:
        """Send ``items``; return what was confirmed and what was refused for good."""

    def close(self) -> None:
        """Release the connection (the publisher connects again when used again)."""


@attrs.frozen
class Backoff:
    """Exponential backoff with jitter: attempt ``n`` (from 0) waits between
    ``(1 - jitter) * d`` and ``d`` seconds, ``d = min(cap, base * factor ** n)``.

    >>> import random
    >>> b = Backoff(base=1.0, factor=2.0, cap=10.0, jitter=0.0)
    >>> [b.delay(n) for n in range(5)]
    [1.0, 2.0, 4.0, 8.0, 10.0]
    >>> 2.0 <= Backoff(base=1.0, jitter=0.5).delay(2, random.Random(7)) <= 4.0
    True
    """

    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.5

    def __attrs_post_init__(self) -> None:
        for name in ("base", "factor", "cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValidationError(f"backoff.{name}", f"expected a positive number, got {value!r}")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, int | float) \
                or not 0 <= self.jitter <= 1:
            raise ValidationError("backoff.jitter", f"expected 0..1, got {self.jitter!r}")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
        try:
            raw = self.base * self.factor ** max(attempt, 0)
        except OverflowError:
            raw = self.cap
        ceiling = min(self.cap, raw)
        draw = (rng or random).random()
        return float(ceiling * (1.0 - self.jitter * draw))


def safe_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages and reprs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def strip_query(url: str, keys: Iterable[str]) -> tuple[str, dict[str, str]]:
    """``url`` without the query parameters ``keys``, and their values."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    wanted = set(keys)
    ours: dict[str, str] = {}
    rest: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in wanted:
            ours[key] = value
        else:
            rest.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(rest))), ours


class AsyncPublisher:
    """A synchronous publisher over an asyncio client: one private event loop per publisher.

    The connection lives on that loop between batches; ``publish`` runs one batch on it.
    A publisher is used from one thread at a time (the relay's).
    """

    timeout: float

    def __init__(self) -> None:
        self._runner: asyncio.Runner | None = None

    def _run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(make())

    async def _connect(self) -> None:
        raise NotImplementedError

    async def _disconnect(self) -> None:
        raise NotImplementedError

    async def _send(self, items: Sequence[OutboxItem]) -> Delivery:
        raise NotImplementedError

    def _connected(self) -> bool:
        raise NotImplementedError

    def _describe(self, exc: BaseException) -> str:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    async def _publish(self, items: Sequence[OutboxItem]) -> Delivery:
        if not self._connected():
            try:
                await asyncio.wait_for(self._connect(), self.timeout)
            except Exception as exc:
                await self._drop()
                raise PublishError(f"{self}: cannot connect: {self._describe(exc)}") from exc
        try:
            return await self._send(items)
        except Exception as exc:
            await self._drop()
            raise PublishError(f"{self}: {self._describe(exc)}") from exc

    async def _drop(self) -> None:
        with contextlib.suppress(Exception):  # the connection is being thrown away anyway
            await asyncio.wait_for(self._disconnect(), self.timeout)

    def publish(self, items: Sequence[OutboxItem]) -> Delivery:
        if not items:
            return Delivery()
        return self._run(lambda: self._publish(items))

    def close(self) -> None:
        if self._runner is not None:
            self._run(self._drop)
            self._runner.close()
            self._runner = None
