"""``complaintflow diagram``: the lifecycle graph as Mermaid or Graphviz dot text."""

from __future__ import annotations

import argparse

from complaintflow._engine import Engine, default_engine
from complaintflow.cli._output import Output

__all__ = ["add_parser", "dot", "mermaid", "run"]


def mermaid(engine: Engine | None = None) -> str:
    """The lifecycle as Mermaid ``stateDiagram-v2`` text, drawn by ``transitions``' own
    Mermaid backend from the graph the registry declares."""
    return (engine if engine is not None else default_engine()).diagram()


def dot(engine: Engine | None = None) -> str:
    """The lifecycle as a Graphviz ``digraph``, written from ``transitions``' markup of the
    graph; commands that keep the state are left out.

    >>> print(dot().splitlines()[0])
    digraph complaintflow {
    """
    eng = engine if engine is not None else default_engine()
    markup = eng.markup()
    lines = ["digraph complaintflow {", "    rankdir=LR;", "    node [shape=box, style=rounded];",
             '    start [shape=point, label=""];',
             f"    start -> {markup['initial']};"]
    for state in markup["states"]:
        name = state["name"] if isinstance(state, dict) else str(state)
        lines.append(f'    {name} [label="{name}"];')
    for move in markup["transitions"]:
        lines.append(f'    {move["source"]} -> {move["dest"]} [label="{move["trigger"]}"];')
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
