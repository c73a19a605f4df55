"""``complaintflow diagram``: the lifecycle graph as Mermaid or Graphviz dot text."""

from __future__ import annotations

import argparse

from complaintflow._engine import Engine, default_engine
from complaintflow._values import State
from complaintflow.cli._output import Output

__all__ = ["add_parser", "dot", "mermaid", "run"]


def mermaid(engine: Engine | None = None) -> str:
    """The lifecycle as Mermaid ``stateDiagram-v2`` text (the engine's own drawing)."""
    return (engine if engine is not None else default_engine()).diagram()


def dot(engine: Engine | None = None) -> str:
    """The lifecycle as a Graphviz ``digraph``; commands that keep the state are left out.

    >>> print(dot().splitlines()[0])
    digraph complaintflow {
    """
    eng = engine if engine is not None else default_engine()
    lines = ["digraph complaintflow {", "    rankdir=LR;", "    node [shape=box, style=rounded];",
             '    start [shape=point, label=""];',
             f"    start -> {State.RECEIVED.value};"]
    for state in State:
        lines.append(f'    {state.value} [label="{state.value}"];')
    for source, command, dest in eng.edges():
        if dest is not source:
            lines.append(f'    {source.value} -> {dest.value} [label="{command}"];')
    lines.append("}")
    return "\n".join(lines)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("diagram", help="print the lifecycle graph (Mermaid or Graphviz dot)",
                       description="Print the lifecycle graph, drawn from the state machine "
                                   "itself, as Mermaid (default) or Graphviz dot text.")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid",
                   help="mermaid (paste into a Markdown file) or dot (pipe into `dot -Tsvg`)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    text = dot() if args.format == "dot" else mermaid()
    output.out.write(text + "\n")
    return 0
