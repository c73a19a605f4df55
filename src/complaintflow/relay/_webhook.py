"""Publishing to a webhook (httpx), signed per Standard Webhooks (``standardwebhooks``)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from complaintflow._clock import Clock, SystemClock
from complaintflow.exceptions import ConfigError
from complaintflow.relay._base import AsyncPublisher, Backoff, Delivery, safe_url
from complaintflow.relay._envelope import CONTENT_TYPE, DEFAULT_SOURCE, envelope_bytes
from complaintflow.relay._errors import require
from complaintflow.store import OutboxItem

__all__ = ["RETRYABLE_STATUSES", "WebhookPublisher", "sign"]

#: Statuses worth trying again (with backoff); any other 4xx is a dead letter.
RETRYABLE_STATUSES = frozenset({408, 429})


def _signer(secret: str | bytes) -> Any:
    webhooks = require("standardwebhooks.webhooks", "webhooks", "Signing webhooks")
    try:
        return webhooks.Webhook(secret)
    except Exception as exc:  # an empty or malformed secret
        raise ConfigError("secret", f"not a usable webhook secret ({exc})") from None


def sign(secret: str | bytes, msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery: ``webhook-id``, ``webhook-timestamp``
    (whole seconds since the epoch) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``).

    ``secret`` is ``whsec_<base64>`` (or the raw key bytes).
    """
    stamp = int(timestamp.timestamp())
    signature = _signer(secret).sign(msg_id, timestamp, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": signature}


class WebhookPublisher(AsyncPublisher):
    """POSTs each event to ``url`` as a signed CloudEvent.

    ``webhook-id`` is the event's stable id (the same on every retry, so the receiver can
    deduplicate). An answer 2xx is delivered; 5xx, 408, 429 and network errors are tried
    again up to ``attempts`` times with exponential backoff and jitter; any other 4xx is a
    dead letter carrying the status and the start of the answer. Events of one complaint
    are sent one after the other, each after the previous one was delivered or dead; up to
    ``concurrency`` complaints are sent at once.
    """

    def __init__(self, url: str, *, secret: str | bytes, source: str = DEFAULT_SOURCE,
                 timeout: float = 10.0, attempts: int = 4,
                 backoff: Backoff | None = None, concurrency: int = 16,
                 headers: Mapping[str, str] | None = None, clock: Clock | None = None,
                 transport: Any = None, rng: random.Random | None = None,
                 sleep: Callable[[float], Any] | None = None) -> None:
        require("httpx", "webhooks", "WebhookPublisher")
        _signer(secret)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ConfigError("attempts", f"expected an integer >= 1, got {attempts!r}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError("concurrency", f"expected an integer >= 1, got {concurrency!r}")
        super().__init__()
        self.url = url
        self.secret = secret
        self.source = source
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff or Backoff(base=0.2, cap=5.0)
        self.concurrency = concurrency
        self.headers = dict(headers or {})
        self.clock = clock or SystemClock()
        self._transport = transport
        self._rng = rng or random.Random()
        self._sleep = sleep or asyncio.sleep
        self._client: Any = None
        self._webhook = _signer(secret)

    def __repr__(self) -> str:
        return f"WebhookPublisher({safe_url(self.url)!r})"

    def _connected(self) -> bool:
        return self._client is not None

    async def _connect(self) -> None:
        import httpx

        self._client = httpx.AsyncClient(timeout=self.timeout, transport=self._transport,
                                         limits=httpx.Limits(max_connections=self.concurrency))

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _signed(self, item: OutboxItem, body: bytes) -> dict[str, str]:
        now = self.clock.now()
        return {
            **self.headers,
            "content-type": CONTENT_TYPE,
            "webhook-id": item.id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._webhook.sign(item.id, now, body.decode()),
        }

    async def _deliver(self, item: OutboxItem) -> tuple[str, str]:
        """``("ok", "")``, ``("dead", reason)`` or ``("failed", reason)``."""
        import httpx

        body = envelope_bytes(item, source=self.source)
        reason = ""
        for attempt in range(self.attempts):
            if attempt:
                await self._sleep(self.backoff.delay(attempt - 1, self._rng))
            try:
                answer = await self._client.post(self.url, content=body,
                                                 headers=self._signed(item, body))
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            status = answer.status_code
            if 200 <= status < 300:
                return "ok", ""
            text = answer.text[:200].strip()
            reason = f"HTTP {status}" + (f": {text}" if text else "")
            if 400 <= status < 500 and status not in RETRYABLE_STATUSES:
                return "dead", reason
        return "failed", reason

    async def _send(self, items: Sequence[OutboxItem]) -> Delivery:
        chains: dict[str, list[OutboxItem]] = {}
        for item in items:
            chains.setdefault(item.complaint_id, []).append(item)
        gate = asyncio.Semaphore(self.concurrency)
        confirmed: list[str] = []
        dead: dict[str, str] = {}
        errors: list[str] = []

        async def chain(of: list[OutboxItem]) -> None:
            async with gate:
                for item in of:
                    outcome, reason = await self._deliver(item)
                    if outcome == "ok":
                        confirmed.append(item.id)
                    elif outcome == "dead":
                        dead[item.id] = reason
                    else:
                        errors.append(f"{item.id}: {reason}")
                        return  # later events of this complaint wait for this one

        await asyncio.gather(*(chain(c) for c in chains.values()))
        return Delivery.of(confirmed, dead, errors[0] if errors else None)
