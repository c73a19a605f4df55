"""Fixtures of the relay tests: where the real servers are, unique names, a webhook receiver.

Each server's address comes from an environment variable; under CI (``CI=true``) the
default address is used and the tests must run (a server that is down fails them);
elsewhere a missing variable skips them with the line that enables them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from far_side import Receiver

SERVERS = {
    "nats": ("COMPLAINTFLOW_TEST_NATS", "nats://127.0.0.1:4222"),
    "amqp": ("COMPLAINTFLOW_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/"),
    "redis": ("COMPLAINTFLOW_TEST_REDIS", "redis://127.0.0.1:6379/0"),
}


def server_url(kind: str) -> str | None:
    env, default = SERVERS[kind]
    url = os.environ.get(env)
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        return default
    return None


def _url(kind: str) -> str:
    url = server_url(kind)
    if url is None:
        env, default = SERVERS[kind]
        pytest.skip(f"{kind} tests are off; enable them with {env}={default}")
    return url


@pytest.fixture(scope="session")
def nats_url() -> str:
    return _url("nats")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return _url("amqp")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _url("redis")


@pytest.fixture
def uid() -> str:
    """A name part unique to this test run (parallel runs and xdist workers never collide)."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP webhook receiver that records every delivery."""
    with Receiver() as r:
        yield r
