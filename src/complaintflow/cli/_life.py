"""A complaint's life as rows of text: one line per event, plus its deadlines and offers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from complaintflow._commands import COMMANDS, Command
from complaintflow._complaint import Complaint, SlaOutcome
from complaintflow._events import Event
from complaintflow._values import Money, Offer, State
from complaintflow.cli._common import fmt_time
from complaintflow.cli._output import Output

__all__ = ["describe", "show_life"]


def _t(raw: object) -> str:
    return fmt_time(datetime.fromisoformat(raw)) if isinstance(raw, str) else ""


def _money(raw: Mapping[str, Any]) -> str:
    return str(Money.from_dict(raw))


def offer_text(offer: Offer) -> str:
    """``exchange + goodwill 200.00 CNY + apology``: the non-empty parts of an offer."""
    parts: list[str] = [f"{offer.remedy} {offer.remedy_value}" if offer.remedy_value
                        else offer.remedy]
    if offer.goodwill:
        parts.append(f"goodwill {offer.goodwill}")
    if offer.statutory:
        parts.append(f"statutory {offer.statutory}")
    parts.extend(offer.extras)
    return " + ".join(parts)


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _received(d: Mapping[str, Any]) -> str:
    return (f"{d.get('channel')} · {d.get('category')} ({d.get('dimension')}) · "
            f"severity {d.get('severity')} · {d.get('scope')} · owner {d.get('tier')}")


def _investigated(d: Mapping[str, Any]) -> str:
    f = d["finding"]
    return f"{f['cause']} by {f['party']}; evidence: {', '.join(f['evidence'])}"


def _proposed(d: Mapping[str, Any]) -> str:
    text = offer_text(Offer.from_dict(d["offer"]))
    if d.get("automatic"):
        text += f" (ladder rung {int(d.get('rung', 0)) + 1})"
    if d.get("approved_by"):
        text += f", approved by {d['approved_by']} ({d.get('approver_tier')})"
    return text


def _resumed(d: Mapping[str, Any]) -> str:
    hours, rest = divmod(int(float(d.get("held_seconds", 0))), 3600)
    return f"{d.get('reason')}; clocks held {hours}h{rest // 60:02d}m"


def _message(d: Mapping[str, Any]) -> str:
    text = (d.get("personal") or {}).get("text")
    where = f" by {d['channel']}" if d.get("channel") else ""
    return f"customer wrote{where}: {_short(text)}" if text else f"customer wrote{where}"


def _reclassified(d: Mapping[str, Any]) -> str:
    now = ", ".join(f"{k} {d[k]}" for k in ("category", "dimension", "severity", "scope")
                    if k in d)
    return f"{now}: {d.get('reason')}"


_DESCRIBE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "received": _received,
    "acknowledged": lambda d: f"promised an answer by {_t(d.get('promise'))}",
    "investigated": _investigated,
    "proposed": _proposed,
    "resolved": lambda d: "remedy carried out; follow-up due "
                          + _t((d.get("deadlines") or {}).get(State.REVISITED.value)),
    "revisited": lambda d: f"satisfaction {d['satisfaction']}/5",
    "escalated": lambda d: f"{d.get('from')} → {d.get('to')}: {d.get('reason')}",
    "sla_warning": lambda d: f"{d.get('stage')} due {_t(d.get('deadline'))}",
    "sla_breached": lambda d: f"{d.get('stage')} was due {_t(d.get('deadline'))}",
    "paused": lambda d: f"{d.get('reason')}; waits at most until {_t(d.get('until'))}",
    "resumed": _resumed,
    "merged": lambda d: f"same case again by {d.get('channel')} (as {d.get('duplicate_id')})",
    "message": _message,
    "archived": lambda d: str(d.get("summary") or ""),
    "reclassified": _reclassified,
}


_OUTCOME_TEXT: Final = {SlaOutcome.MET_ON_TIME: "met", SlaOutcome.MET_LATE: "met late",
                        SlaOutcome.BREACHED: "breached", SlaOutcome.OPEN: "open"}


def describe(event: Event) -> str:
    """The decision an event carries, in a few words.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 6, 18, 9, 0, tzinfo=timezone.utc)
    >>> describe(Event(2, "revisited", at, "agent-7", {"satisfaction": 5}))
    'satisfaction 5/5'
    """
    d = event.data
    show = _DESCRIBE.get(event.name)
    if show is not None:
        return show(d)
    if "reason" in d:
        return str(d["reason"])
    # an event of a registered command: its declared arguments, as recorded
    command = _RECORDED_BY.get(event.name)
    if command is not None:
        return ", ".join(f"{a.name} {d[a.name]}" for a in command.arguments if a.name in d)
    return ""


#: The command that records each event as its own (from the registry).
_RECORDED_BY: Final = {c.event: c for c in COMMANDS.values()}


def register_text(command: Command) -> None:
    """Describe ``command``'s event by its arguments (for a workflow's own commands)."""
    _RECORDED_BY.setdefault(command.event, command)


def show_life(output: Output, complaint: Complaint) -> None:
    """Print one complaint's whole life: its text, events, deadlines and offers."""
    c = complaint
    output.heading(f"{c.id} · {c.state.value} · owner {c.tier.label}")
    if c.text:
        output.line(f"“{c.text}”")
    where = ", ".join(f"{k} {v}" for k, v in (("customer", c.customer_id), ("store", c.store),
                                               ("region", c.region), ("sku", c.sku)) if v)
    output.line(where + (f" · channels {', '.join(c.channels)}" if len(c.channels) > 1 else ""))
    output.table(None, ("time (UTC)", "event", "by", "details"),
                 [(fmt_time(e.at), e.name, e.actor or "system", describe(e)) for e in c.history])
    marks = []
    for stage, clock in c.sla.items():
        if clock.deadline is not None:
            status = _OUTCOME_TEXT[clock.outcome]
            marks.append(f"{stage.value} {fmt_time(clock.deadline)} ({status})")
    if marks:
        output.line("deadlines: " + "; ".join(marks))
    if c.offers:
        output.line("offers: " + " → ".join(offer_text(o) for o in c.offers))
