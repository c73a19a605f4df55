"""Small builders shared by the core tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import complaintflow as cf

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
DRESS = "連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換"


def finding() -> cf.Finding:
    return cf.Finding(cause="product_defect", party="supply_chain",
                      evidence=("order trail", "lab report"))


def new(text: str = DRESS, **kw: object) -> tuple[cf.Workflow, cf.Complaint, cf.FrozenClock]:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    args: dict[str, object] = {
        "customer_id": "C-1001", "channel": "hotline", "order_id": "O-9", "sku": "DRESS-0420",
        "batch": "B7", "store": "SH-01", "region": "east", "amount": Decimal("399.00"),
    }
    args.update(kw)
    c = wf.receive(text, **args)  # type: ignore[arg-type]
    return wf, c, clock


def to_state(wf: cf.Workflow, c: cf.Complaint, state: cf.State) -> cf.Complaint:
    """Drive ``c`` along the main road (or the side exits) until it is in ``state``."""
    road = {
        cf.State.RECEIVED: [],
        cf.State.ACKNOWLEDGED: ["ack"],
        cf.State.INVESTIGATED: ["ack", "inv"],
        cf.State.PROPOSED: ["ack", "inv", "prop"],
        cf.State.RESOLVED: ["ack", "inv", "prop", "res"],
        cf.State.REVISITED: ["ack", "inv", "prop", "res", "rev"],
        cf.State.ARCHIVED: ["ack", "inv", "prop", "res", "rev", "arch"],
        cf.State.WITHDRAWN: ["wd"],
        cf.State.REJECTED: ["rej"],
    }[state]
    steps = {
        "ack": lambda c: wf.acknowledge(c, actor="agent-7"),
        "inv": lambda c: wf.investigate(c, actor="agent-7", finding=finding()),
        "prop": lambda c: wf.propose(c, actor="agent-7"),
        "res": lambda c: wf.resolve(c, actor="agent-7"),
        "rev": lambda c: wf.revisit(c, actor="agent-7", satisfaction=5),
        "arch": lambda c: wf.archive(c, actor="agent-7", summary="done"),
        "wd": lambda c: wf.withdraw(c, actor="agent-7", reason="bought it elsewhere"),
        "rej": lambda c: wf.reject(c, actor="agent-7", reason="not our product",
                                   evidence=["no order on record"]),
    }
    for step in road:
        c = steps[step](c)
    assert c.state is state
    return c


