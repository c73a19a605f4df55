"""The lifecycle graph: the one module that imports ``transitions``.

The graph is declared once, as data, and handed to a ``transitions`` machine that validates
and owns it. Each workflow shares one :class:`Engine`; asking "may this command run in this
state, and where does it lead?" is a cached question to that machine, so nothing is rebuilt
per complaint or per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Final

from transitions import Machine

from complaintflow._values import OPEN_STATES, State
from complaintflow.exceptions import InvalidTransition

__all__ = ["COMMANDS", "EDGES", "Engine", "default_engine"]

_S = State
_OPEN = sorted(OPEN_STATES, key=list(State).index)
_NOT_ARCHIVED = [s for s in State if s is not State.ARCHIVED]

#: command → (sources, destination); a destination of ``None`` keeps the state (internal).
EDGES: Final[Mapping[str, tuple[tuple[State, ...], State | None]]] = {
    "acknowledge": ((_S.RECEIVED,), _S.ACKNOWLEDGED),
    "investigate": ((_S.ACKNOWLEDGED,), _S.INVESTIGATED),
    "propose": ((_S.INVESTIGATED,), _S.PROPOSED),
    "decline": ((_S.PROPOSED,), _S.INVESTIGATED),
    "resolve": ((_S.PROPOSED,), _S.RESOLVED),
    "revisit": ((_S.RESOLVED,), _S.REVISITED),
    "reopen": ((_S.REVISITED,), _S.INVESTIGATED),
    "archive": ((_S.REVISITED, _S.WITHDRAWN, _S.REJECTED), _S.ARCHIVED),
    "withdraw": (tuple(_OPEN), _S.WITHDRAWN),
    "reject": ((_S.RECEIVED, _S.ACKNOWLEDGED, _S.INVESTIGATED), _S.REJECTED),
    "escalate": (tuple(s for s in _NOT_ARCHIVED if s not in (_S.WITHDRAWN, _S.REJECTED)), None),
    "await_customer": ((_S.ACKNOWLEDGED, _S.INVESTIGATED, _S.PROPOSED), None),
    "customer_replied": ((_S.ACKNOWLEDGED, _S.INVESTIGATED, _S.PROPOSED), None),
    "reclassify": ((_S.RECEIVED, _S.ACKNOWLEDGED, _S.INVESTIGATED, _S.PROPOSED), None),
    "message": (tuple(_NOT_ARCHIVED), None),
}
COMMANDS: Final = tuple(EDGES)


class _Cursor:
    """The one model object the machine is built with; it is never driven concurrently."""

    state: State = State.RECEIVED


class Engine:
    """The lifecycle graph as a ``transitions`` machine, built once and shared."""

    def __init__(self, edges: Mapping[str, tuple[tuple[State, ...], State | None]] = EDGES) -> None:
        specs = []
        for trigger, (sources, dest) in edges.items():
            for source in sources:
                specs.append({"trigger": trigger, "source": source, "dest": dest})
        self._machine = Machine(
            model=_Cursor(), states=State, transitions=specs, initial=State.RECEIVED,
            auto_transitions=False, ignore_invalid_triggers=False,
        )
        self._targets: dict[tuple[str, State], State] = {}
        for trigger in self._machine.events:
            for source in State:
                found = self._machine.get_transitions(trigger=trigger, source=source.name)
                if found:
                    name: str | None = found[0].dest
                    self._targets[trigger, source] = source if name is None else State[name]
        self.commands: tuple[str, ...] = tuple(self._machine.events)

    def target(self, state: State, command: str) -> State:
        """Where ``command`` leads from ``state``; raises :class:`InvalidTransition` if nowhere."""
        try:
            return self._targets[command, state]
        except KeyError:
            if command not in self.commands:
                raise InvalidTransition(command, state.value, detail="unknown command") from None
            allowed = self.sources(command)
            raise InvalidTransition(
                command, state.value,
                detail=f"{command} is allowed only from {', '.join(s.value for s in allowed)}",
            ) from None

    def allows(self, state: State, command: str) -> bool:
        return (command, state) in self._targets

    def sources(self, command: str) -> tuple[State, ...]:
        return tuple(s for s in State if (command, s) in self._targets)

    def commands_from(self, state: State) -> tuple[str, ...]:
        """The commands the graph allows in ``state`` (guards aside)."""
        return tuple(c for c in self.commands if (c, state) in self._targets)

    def edges(self) -> list[tuple[State, str, State]]:
        """Every (source, command, destination); internal commands lead back to their source."""
        return [(s, c, d) for (c, s), d in self._targets.items()]

    def diagram(self) -> str:
        """The state graph as Mermaid ``stateDiagram-v2`` text, drawn from the machine itself."""
        lines = ["stateDiagram-v2", f"    [*] --> {State.RECEIVED.value}"]
        for (command, source), dest in self._targets.items():
            if dest is not source:
                lines.append(f"    {source.value} --> {dest.value}: {command}")
        lines.append(f"    {State.ARCHIVED.value} --> [*]")
        return "\n".join(lines)


@cache
def default_engine() -> Engine:
    """The shared engine of every workflow that does not bring its own graph."""
    return Engine()
