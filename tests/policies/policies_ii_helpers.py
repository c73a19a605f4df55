"""Builders shared by the deadline, calendar and compensation tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import complaintflow as cf
from complaintflow.policies import CompensationPolicy, EscalationPolicy, OpenAuthorization

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)  # Thursday 09:00 in Shanghai
DRESS = "連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換"  # a quality defect: severity 3
MILK = "在店裡買的牛奶已經變質，孩子喝了以後肚子痛"  # food safety: severity 1
RUDE = "店員態度冷漠 the staff were rude"  # service attitude: severity 2


def cn_calendar() -> cf.BusinessCalendar:
    return cf.BusinessCalendar(timezone="Asia/Shanghai",
                               hours=(("09:00", "12:00"), ("13:00", "18:00")), holidays="CN")


def workflow(at: datetime = T0, *, escalation: EscalationPolicy | None = None,
             compensation: CompensationPolicy | None = None) -> tuple[cf.Workflow, cf.FrozenClock]:
    clock = cf.FrozenClock(at)
    # these tests are about money and deadlines, not about who acts
    return cf.Workflow(clock=clock, escalation=escalation, compensation=compensation,
                       authorization=OpenAuthorization()), clock


def receive(wf: cf.Workflow, text: str = DRESS, **kw: Any) -> cf.Complaint:
    args: dict[str, Any] = {"customer_id": "C-1001", "channel": "hotline", "order_id": "O-9",
                            "amount": Decimal("399.00")}
    args.update(kw)
    return wf.receive(text, **args)


def investigated(wf: cf.Workflow, c: cf.Complaint, cause: str = "product_defect",
                 party: str = "supply_chain") -> cf.Complaint:
    c = wf.acknowledge(c, actor="agent-7")
    return wf.investigate(c, actor="agent-7", finding=cf.Finding(
        cause=cause, party=party, evidence=("order trail",)))  # type: ignore[arg-type]
