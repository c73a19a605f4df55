"""A reference CRM service: FastAPI, complaintflow's async face and PostgreSQL.

Run it with::

    pip install 'complaintflow[async,examples]'
    CRM_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/crm \\
        uvicorn --factory app:from_env --app-dir examples/crm_service

Endpoints (JSON in and out; every complaint response carries its version as the ``ETag``):

- ``POST /complaints``: receive a complaint (201);
- ``GET /complaints/{id}``: the complaint with its whole history;
- ``GET /complaints/{id}/actions?actor=ID&tier=TIER``: every command, allowed or blocked
  for that actor now, with the reasons;
- ``POST /complaints/{id}/commands/{name}``: run a command by name; the body holds
  ``actor`` and the command's arguments, and ``If-Match: "<version>"`` makes it run only
  on the version the caller saw;
- ``POST /sweep``: bring the SLA clocks of every due complaint up to now.

Refusals map to HTTP statuses in one place (:data:`STATUSES`): a stale version or a
command the state does not allow is 409, bad input 422, an actor without the authority
403, an unknown complaint 404, a database that cannot be reached 503. Who the actor is
comes from the request body here; a real service takes it from its authentication.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Body, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import complaintflow as cf
from complaintflow.store import AsyncSQLStore

#: HTTP status for each kind of refusal; the first class that matches wins.
STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (cf.ConcurrencyError, 409),
    (cf.InvalidTransition, 409),
    (cf.NotAuthorized, 403),  # AuthorityExceeded included
    (cf.ValidationError, 422),  # UnknownCommand included
    (cf.NotFound, 404),
    (cf.OperationalError, 503),
    (cf.ComplaintflowError, 500),
)


class Intake(BaseModel):
    """What ``POST /complaints`` reads."""

    text: str
    customer_id: str
    channel: str
    order_id: str | None = None
    sku: str | None = None
    batch: str | None = None
    store: str | None = None
    region: str | None = None
    brand: str | None = None
    amount: str | None = None
    #: the amount's currency; by default the market's
    currency: str | None = None
    #: the market the complaint belongs to (``CN``, ``HK``, ``GB``, ``EU``, ``US``); by
    #: default the workflow's
    market: str | None = None
    at: datetime | None = None


def _actor(value: Any, field: str = "actor") -> cf.Actor | str:
    """``"agent-7"`` or ``{"id": "sup-1", "tier": "store_supervisor"}``."""
    if isinstance(value, Mapping):
        return cf.Actor(str(value.get("id", "")), cf.Tier.parse(value.get("tier"), f"{field}.tier"))
    if not isinstance(value, str):
        raise cf.ValidationError(field, f"expected an actor id or {{id, tier}}, got {value!r}")
    return value


def _arguments(body: Mapping[str, Any]) -> dict[str, Any]:
    """A command's JSON arguments as the workflow takes them."""
    args = dict(body)
    if isinstance(args.get("finding"), Mapping):
        args["finding"] = cf.Finding.from_dict(args["finding"])
    if isinstance(args.get("offer"), Mapping):
        args["offer"] = cf.Offer.from_dict(args["offer"])
    if args.get("approved_by") is not None:
        args["approved_by"] = _actor(args["approved_by"], "approved_by")
    if isinstance(args.get("promise"), str):
        try:
            args["promise"] = datetime.fromisoformat(args["promise"])
        except ValueError:
            raise cf.ValidationError("promise", "expected an ISO 8601 time") from None
    if isinstance(args.get("evidence"), list):
        args["evidence"] = tuple(args["evidence"])
    return args


def _version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"`` or ``3``)."""
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise cf.ValidationError("If-Match", f"expected a complaint version, got {if_match!r}")
    return int(tag)


def _complaint(c: cf.Complaint, status: int = 200) -> JSONResponse:
    return JSONResponse(c.to_dict(), status_code=status, headers={"ETag": f'"{c.version}"'})


def create_app(url: str, *, schema: str | None = None, prefix: str = "cf_",
               clock: cf.Clock | None = None) -> FastAPI:
    """The service on the database at ``url`` (tables made on first start)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await AsyncSQLStore(url, schema=schema, prefix=prefix).open()
        app.state.store = store
        app.state.workflow = cf.AsyncWorkflow(store=store, clock=clock)
        try:
            yield
        finally:
            await store.close()

    app = FastAPI(title="complaintflow CRM", lifespan=lifespan)

    @app.exception_handler(cf.ComplaintflowError)
    async def refused(request: Request, exc: cf.ComplaintflowError) -> JSONResponse:
        status = next(code for kind, code in STATUSES if isinstance(exc, kind))
        body: dict[str, Any] = {"error": type(exc).__name__, "detail": str(exc)}
        if isinstance(exc, cf.ValidationError):
            body["field"] = exc.field
        if isinstance(exc, cf.ConcurrencyError):
            body.update(expected=exc.expected, actual=exc.actual)
        return JSONResponse(body, status_code=status)

    def workflow(request: Request) -> cf.AsyncWorkflow:
        wf: cf.AsyncWorkflow = request.app.state.workflow
        return wf

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/complaints", status_code=201)
    async def receive(intake: Intake, request: Request) -> Response:
        amount: cf.Money | Decimal | None = None
        if intake.amount is not None:
            try:
                paid = Decimal(intake.amount)
            except InvalidOperation:
                raise cf.ValidationError("amount", f"not a number: {intake.amount!r}") from None
            amount = paid if intake.currency is None else cf.Money(paid, intake.currency)
        details = intake.model_dump(exclude={"text", "amount", "currency"}, exclude_none=True)
        c = await workflow(request).receive(intake.text, amount=amount, **details)
        return _complaint(c, 200 if c.merged else 201)

    @app.get("/complaints/{complaint_id}")
    async def get(complaint_id: str, request: Request) -> Response:
        return _complaint(await request.app.state.store.get(complaint_id))

    @app.get("/complaints/{complaint_id}/actions")
    async def actions(complaint_id: str, request: Request, actor: str,
                      tier: str | None = None) -> list[dict[str, Any]]:
        c = await request.app.state.store.get(complaint_id)
        who = _actor({"id": actor, "tier": tier} if tier else actor)
        return [{"command": a.command, "allowed": a.allowed, "reasons": list(a.reasons)}
                for a in workflow(request).allowed(c, who)]

    @app.post("/complaints/{complaint_id}/commands/{command}")
    async def run(complaint_id: str, command: str, request: Request,
                  body: dict[str, Any] = Body(default_factory=dict),  # noqa: B008
                  if_match: str | None = Header(default=None)) -> Response:
        expected = _version(if_match)
        args = _arguments(body)
        who = args.pop("actor", None)
        actor = None if who is None else _actor(who)
        c = await request.app.state.store.get(complaint_id)
        done = await workflow(request).fire(c, command, actor=actor, expected_version=expected,
                                            **args)
        return _complaint(done)

    @app.post("/sweep")
    async def sweep(request: Request, limit: int = 100) -> dict[str, int]:
        """Tick every complaint with a deadline (or warning) passed, claimed so that several
        sweepers share the work; one changed meanwhile is left to the next sweep."""
        wf = workflow(request)
        store = request.app.state.store
        ticked = events = 0
        for c in await store.claim_due(wf.clock.now(), limit, worker="crm-sweep"):
            try:
                after = await wf.tick(c)
            except cf.ConcurrencyError:
                continue
            ticked += 1
            events += after.version - c.version
        return {"ticked": ticked, "events": events}

    return app


def from_env() -> FastAPI:
    """The service on ``CRM_DATABASE_URL`` (and ``CRM_DB_SCHEMA``, ``CRM_DB_PREFIX``)."""
    return create_app(
        os.environ.get("CRM_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/crm"),
        schema=os.environ.get("CRM_DB_SCHEMA") or None,
        prefix=os.environ.get("CRM_DB_PREFIX", "cf_"),
    )
