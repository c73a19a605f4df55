"""The lifecycle graph: the one module that imports ``transitions``.

The graph is derived from the command registry (:data:`complaintflow.COMMANDS`): each
command's sources and target become a ``transitions`` edge. A ``transitions`` machine
validates and owns that graph; each workflow shares one :class:`Engine`, and asking "may
this command run in this state, and where does it lead?" is a lookup in what the machine
answered once, so nothing is rebuilt per complaint or per call. Diagrams are drawn by
``transitions``' own diagram support (its Mermaid backend and its markup).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, cached_property
from typing import Any, Final

from transitions import Machine

from complaintflow._commands import COMMANDS, Command
from complaintflow._values import State
from complaintflow.exceptions import InvalidTransition, UnknownCommand

__all__ = ["EDGES", "Edges", "Engine", "default_engine", "edges_of"]

#: command → (sources, destination); a destination of ``None`` keeps the state.
Edges = Mapping[str, tuple[tuple[State, ...], State | None]]


def edges_of(commands: Mapping[str, Command]) -> dict[str, tuple[tuple[State, ...], State | None]]:
    """The graph's edges as the commands declare them."""
    return {name: (c.sources, c.target) for name, c in commands.items()}


#: The built-in commands' edges (derived from :data:`complaintflow.COMMANDS`).
EDGES: Final[Edges] = edges_of(COMMANDS)


class _Cursor:
    """The one model object the machine is built with; it is never driven concurrently."""

    state: State = State.RECEIVED


class _Drawn:
    """The model a diagram machine draws (its state is where the diagram starts)."""


class Engine:
    """The lifecycle graph as a ``transitions`` machine, built once and shared."""

    def __init__(self, edges: Edges | Mapping[str, Command] = EDGES) -> None:
        self._edges: dict[str, tuple[tuple[State, ...], State | None]] = {
            name: (spec.sources, spec.target) if isinstance(spec, Command) else spec
            for name, spec in edges.items()
        }
        self._machine = Machine(
            model=_Cursor(), states=State, transitions=self._specs(), initial=State.RECEIVED,
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

    def _specs(self, *, moves_only: bool = False) -> list[dict[str, Any]]:
        specs = []
        for trigger, (sources, dest) in self._edges.items():
            if moves_only and dest is None:
                continue
            for source in sources:
                specs.append({"trigger": trigger, "source": source, "dest": dest})
        return specs

    def target(self, state: State, command: str) -> State:
        """Where ``command`` leads from ``state``; raises :class:`InvalidTransition` if nowhere
        (:class:`UnknownCommand` if the graph has no such command)."""
        try:
            return self._targets[command, state]
        except KeyError:
            if command not in self.commands:
                raise UnknownCommand(command, self.commands) from None
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

    @cached_property
    def _drawing(self) -> Any:
        """A ``transitions`` diagram machine over the moves (commands that keep the state
        are left out), with its Mermaid backend."""
        from transitions.extensions.diagrams import GraphMachine

        return GraphMachine(
            model=_Drawn(), states=[s.value for s in State],
            transitions=[{**spec, "source": spec["source"].value, "dest": spec["dest"].value}
                         for spec in self._specs(moves_only=True)],
            initial=State.RECEIVED.value, auto_transitions=False, graph_engine="mermaid",
            title="complaintflow", show_state_attributes=False,
        )

    def diagram(self) -> str:
        """The state graph as Mermaid ``stateDiagram-v2`` text, drawn by ``transitions``."""
        text: str = self._drawing.models[0].get_graph().draw(None)
        return text.rstrip("\n")

    def markup(self) -> dict[str, Any]:
        """The graph as ``transitions``' markup: states, moves (source, trigger, dest)."""
        return dict(self._drawing.markup)


@cache
def default_engine() -> Engine:
    """The shared engine of every workflow that does not bring its own commands."""
    return Engine()
