"""Types shared by the command-line tests."""

from __future__ import annotations

from collections.abc import Callable

import attrs


@attrs.frozen
class Ran:
    """One run of ``complaintflow.cli.main``: exit code and captured output."""

    code: int
    out: str
    err: str


Run = Callable[..., Ran]


# -- random lives for property tests ------------------------------------------------------------

from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from hypothesis import strategies as st  # noqa: E402

import complaintflow as cf  # noqa: E402

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
TEXTS = ("連衣裙洗後褪色", "The staff were rude", "配送延遲三天", "牛奶變質 食品安全",
         "The kettle stopped working", "價格不對")
_FINDING = cf.Finding(cause="product_defect", party="store", evidence=("order trail",))
_ARGS: dict[str, dict[str, object]] = {
    "investigate": {"finding": _FINDING},
    "decline": {"reason": "wants more"},
    "revisit": {"satisfaction": 3},
    "reopen": {"reason": "still broken"},
    "withdraw": {"reason": "changed mind"},
    "reject": {"reason": "not ours", "evidence": ["no order on record"]},
    "escalate": {"reason": "VIP"},
    "await_customer": {"reason": "photos"},
    "message": {"text": "any news?"},
}


_COMMANDS = frozenset({"acknowledge", "propose", "resolve", "archive", *_ARGS})


@st.composite
def lives(draw: st.DrawFn, wf: cf.Workflow, clock: cf.FrozenClock) -> cf.Complaint:
    """One complaint taken by ``wf`` down a random road, with time passing between steps."""
    n = draw(st.integers(0, 10_000))
    c = wf.receive(draw(st.sampled_from(TEXTS)), customer_id=f"C-{n}", channel="app",
                   region=draw(st.sampled_from(("east", "west", None))),
                   store=draw(st.sampled_from(("SH-01", None))))
    for _ in range(draw(st.integers(0, 14))):
        clock.advance(minutes=draw(st.integers(1, 60 * 30)))
        options = [x for x in sorted(wf.available(c)) if x in _COMMANDS] + ["tick"]
        command = draw(st.sampled_from(options))
        if command == "tick":
            c = wf.tick(c)
            continue
        kwargs = dict(_ARGS.get(command, {}))
        if command == "acknowledge":  # the default promise may already be past
            kwargs["promise"] = clock.now() + timedelta(hours=2)
        if command == "revisit":
            kwargs["satisfaction"] = draw(st.integers(1, 5))
        if command == "propose" and draw(st.booleans()):
            kwargs["offer"] = cf.Offer("refund", remedy_value=cf.Money(
                Decimal(draw(st.integers(0, 300)))))
        actor = cf.Actor("sup", cf.Tier.EXECUTIVE)
        c = wf.fire(c, command, actor=None if command == "message" else actor, **kwargs)
    return c


def fresh_workflow(store: object | None = None) -> tuple[cf.Workflow, cf.FrozenClock]:
    clock = cf.FrozenClock(T0)
    counter = iter(range(1, 1_000_000))
    wf = cf.Workflow(clock=clock, store=store,  # type: ignore[arg-type]
                     ids=lambda: f"CF-{next(counter):05d}")
    return wf, clock


__all__ = ["T0", "Ran", "Run", "fresh_workflow", "lives", "timedelta"]
