"""The reference CRM service (examples/crm_service) against a live uvicorn server and the
real PostgreSQL: every endpoint, every refusal's HTTP status, If-Match, the sweep."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "examples" / "crm_service"
FINDING = {"cause": "product_defect", "party": "supply_chain", "evidence": ["lab report"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def base_url(pg_url: str, pg_schema: str, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[str]:
    """The service running in uvicorn on a free port, on a schema of its own."""
    port = _free_port()
    env = {**os.environ, "CRM_DATABASE_URL": pg_url, "CRM_DB_SCHEMA": pg_schema,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    log = tmp_path_factory.mktemp("crm") / "uvicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "app:from_env", "--app-dir",
             str(APP_DIR), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                pytest.fail(f"the service stopped:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the service did not start:\n{log.read_text()}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture
def client(base_url: str) -> Iterator[Any]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


def _receive(client: Any, n: int, **kw: Any) -> dict[str, Any]:
    done = client.post("/complaints", json={"text": "the kettle leaks", "customer_id": f"C-{n}",
                                            "channel": "hotline", **kw})
    assert done.status_code == 201, done.text
    return dict(done.json())


def test_a_complaint_walks_its_life_over_http(client: Any) -> None:
    c = _receive(client, 1, sku="KT-1", amount="399.00")
    cid = c["id"]
    got = client.get(f"/complaints/{cid}")
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    assert [e["name"] for e in got.json()["history"]] == ["received"]
    steps = [("acknowledge", {}), ("investigate", {"finding": FINDING}), ("propose", {}),
             ("resolve", {}), ("revisit", {"satisfaction": 5}),
             ("archive", {"summary": "dye defect"})]
    version = 1
    for name, args in steps:
        done = client.post(f"/complaints/{cid}/commands/{name}",
                           json={"actor": "agent-7", **args}, headers={"If-Match": f'"{version}"'})
        assert done.status_code == 200, (name, done.text)
        assert int(done.headers["ETag"].strip('"')) == done.json()["version"] > version
        version = done.json()["version"]
    history = client.get(f"/complaints/{cid}").json()["history"]
    assert [e["name"] for e in history][-1] == "archived"
    assert len(history) == version


def test_actions_show_what_the_actor_may_do_and_why_not(client: Any) -> None:
    cid = _receive(client, 2)["id"]
    actions = {a["command"]: a for a in client.get(f"/complaints/{cid}/actions",
                                                   params={"actor": "agent-7"}).json()}
    assert actions["acknowledge"]["allowed"] and actions["acknowledge"]["reasons"] == []
    assert not actions["resolve"]["allowed"] and "received" in actions["resolve"]["reasons"][0]
    boss = client.get(f"/complaints/{cid}/actions",
                      params={"actor": "boss", "tier": "executive"}).json()
    assert {a["command"] for a in boss if a["allowed"]} >= {"acknowledge", "escalate"}


@pytest.mark.parametrize("case", [
    ("/complaints/CF-NOPE", None, {}, 404, "NotFound"),
    ("acknowledge", {"actor": "agent-7"}, {"If-Match": '"5"'}, 409, "ConcurrencyError"),
    ("resolve", {"actor": "agent-7"}, {}, 409, "InvalidTransition"),
    ("investigate", {"actor": "agent-7", "finding": {**FINDING, "cause": "aliens"}}, {}, 422,
     "ValidationError"),
    ("acknowledge", {"actor": "agent-7"}, {"If-Match": "yesterday"}, 422, "ValidationError"),
    ("teleport", {"actor": "agent-7"}, {}, 422, "UnknownCommand"),
    ("acknowledge", {}, {}, 422, "ValidationError"),
])
def test_each_refusal_has_its_http_status(client: Any, case: tuple[Any, ...]) -> None:
    path, body, headers, status, error = case
    cid = _receive(client, 3)["id"]
    if path.startswith("/"):
        done = client.get(path)
    else:
        done = client.post(f"/complaints/{cid}/commands/{path}", json=body, headers=headers)
    assert (done.status_code, done.json()["error"]) == (status, error), done.text
    assert client.get(f"/complaints/{cid}").json()["version"] == 1  # nothing happened


def test_acting_on_someone_elses_case_is_403(client: Any) -> None:
    cid = _receive(client, 7)["id"]
    assert client.post(f"/complaints/{cid}/commands/acknowledge",
                       json={"actor": "agent-7"}).status_code == 200
    done = client.post(f"/complaints/{cid}/commands/investigate",
                       json={"actor": "agent-8", "finding": FINDING})
    assert (done.status_code, done.json()["error"]) == (403, "NotAuthorized"), done.text
    assert client.get(f"/complaints/{cid}").json()["version"] == 2


def test_an_offer_beyond_the_actors_authority_is_403(client: Any) -> None:
    cid = _receive(client, 4, amount="399.00")["id"]
    for name, args in (("acknowledge", {}), ("investigate", {"finding": FINDING})):
        assert client.post(f"/complaints/{cid}/commands/{name}",
                           json={"actor": "agent-7", **args}).status_code == 200
    offer = {"remedy": "refund", "goodwill": {"amount": "5000", "currency": "CNY"},
             "statutory": {"amount": "0", "currency": "CNY"}}
    done = client.post(f"/complaints/{cid}/commands/propose",
                       json={"actor": "agent-7", "offer": offer})
    assert (done.status_code, done.json()["error"]) == (403, "AuthorityExceeded")


def test_concurrent_commands_with_one_if_match_let_exactly_one_win(base_url: str,
                                                                   client: Any) -> None:
    cid = _receive(client, 5)["id"]

    async def race() -> list[int]:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as ac:
            answers = await asyncio.gather(*(
                ac.post(f"/complaints/{cid}/commands/message",
                        json={"text": f"any news? {n}"}, headers={"If-Match": '"1"'})
                for n in range(10)))
        return [a.status_code for a in answers]

    statuses = asyncio.run(race())
    assert sorted(statuses) == [200] + [409] * 9
    assert client.get(f"/complaints/{cid}").json()["version"] == 2


def test_the_sweep_records_breaches_of_complaints_received_long_ago(client: Any) -> None:
    at = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    cid = _receive(client, 6, at=at)["id"]
    swept = client.post("/sweep")
    assert swept.status_code == 200 and swept.json()["ticked"] >= 1
    names = [e["name"] for e in client.get(f"/complaints/{cid}").json()["history"]]
    assert "sla_breached" in names and "escalated" in names


def test_a_complaint_in_another_market_is_received_in_its_currency(client: Any) -> None:
    c = _receive(client, 40, market="US", amount="49.99")
    got = client.get(f"/complaints/{c['id']}").json()
    assert got["market"] == "US"
    assert got["history"][0]["data"]["amount"] == {"amount": "49.99", "currency": "USD"}
    wrong = client.post("/complaints", json={"text": "the kettle leaks", "customer_id": "C-41",
                                             "channel": "hotline", "market": "US",
                                             "amount": "49.99", "currency": "CNY"})
    assert wrong.status_code == 422 and wrong.json()["error"] == "CurrencyMismatch", wrong.text


@pytest.mark.parametrize("body", [{"amount": "lots"}, {"market": "XX"}])
def test_bad_intake_is_422_naming_the_field(client: Any, body: dict[str, str]) -> None:
    done = client.post("/complaints", json={"text": "the kettle leaks", "customer_id": "C-42",
                                            "channel": "hotline", **body})
    assert done.status_code == 422, done.text
    assert next(iter(body)) in done.text
