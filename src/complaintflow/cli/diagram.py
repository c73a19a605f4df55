"""``complaintflow diagram``: the lifecycle graph as Mermaid or Graphviz dot text, or an SVG picture."""

from __future__ import annotations

import argparse

from complaintflow._engine import Engine, default_engine
from complaintflow.cli._output import Output

__all__ = ["add_parser", "dot", "mermaid", "run", "svg"]


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


#: Where the built-in states sit in the picture (column, row); other states go below.
_PLACES = {"received": (0, 0), "acknowledged": (1, 0), "investigated": (2, 0),
           "proposed": (3, 0), "resolved": (4, 0), "revisited": (5, 0), "archived": (6, 0),
           "withdrawn": (2.5, -1.6), "rejected": (1.2, 1.6)}


def svg(engine: Engine | None = None) -> str:
    """The lifecycle as an SVG picture, drawn with matplotlib (the ``report`` extra) from
    ``transitions``' markup of the graph: every state a box, every command an arrow."""
    from complaintflow.reports._html import _figure, _svg

    eng = engine if engine is not None else default_engine()
    markup = eng.markup()
    names = [s["name"] if isinstance(s, dict) else str(s) for s in markup["states"]]
    places = {}
    extra = 0
    for name in names:
        if name in _PLACES:
            places[name] = _PLACES[name]
        else:
            places[name] = (extra * 1.5, -3.0)
            extra += 1
    fig = _figure(12, 4.6)
    ax = fig.add_subplot()
    ax.set_axis_off()
    from matplotlib.patches import FancyArrowPatch

    moves: dict[tuple[str, str], list[str]] = {}
    for move in markup["transitions"]:
        if move["source"] != move["dest"]:
            moves.setdefault((move["source"], move["dest"]), []).append(move["trigger"])
    for (source, dest), triggers in moves.items():
        (x0, y0), (x1, y1) = places[source], places[dest]
        backward = x1 < x0 and y0 == y1
        arrow = FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12,
                                shrinkA=28, shrinkB=28, color="#555",
                                connectionstyle=f"arc3,rad={0.45 if backward else 0.08}")
        ax.add_patch(arrow)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2 + (0.75 if backward else 0.25 if y0 == y1 else 0)
        if len(triggers) == 1 and triggers[0] in ("withdraw", "reject") and (
                source not in ("received",)):
            continue  # one label per fan of withdraw / reject arrows
        ax.text(mx, my, ", ".join(triggers), ha="center", va="center", fontsize=8,
                color="#1565c0", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
    for name, (x, y) in places.items():
        final = name in ("archived", "withdrawn", "rejected")
        ax.text(x, y, name, ha="center", va="center", fontsize=10,
                bbox={"boxstyle": "round,pad=0.4", "fc": "#eceff1" if final else "#e3f2fd",
                      "ec": "#37474f"})
    initial = markup["initial"]
    ix, iy = places[initial]
    ax.add_patch(FancyArrowPatch((ix - 0.8, iy), (ix, iy), arrowstyle="-|>", shrinkB=30,
                                 mutation_scale=12, color="#555"))
    ax.plot([ix - 0.8], [iy], "o", color="#37474f")
    xs = [p[0] for p in places.values()]
    ys = [p[1] for p in places.values()]
    ax.set_xlim(min(xs) - 1.0, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 1.1)
    return _svg(fig)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diagram", help="print the lifecycle graph (Mermaid, Graphviz dot or an SVG picture)",
        description="Print the lifecycle graph, drawn from the state machine itself, as "
                    "Mermaid (default) or Graphviz dot text, or as an SVG picture (with the "
                    "report extra) that any browser opens offline.",
        epilog="examples:\n"
               "  complaintflow diagram\n"
               "  complaintflow diagram --format svg > lifecycle.svg\n"
               "  complaintflow diagram --format dot | dot -Tpng > lifecycle.png\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid",
                   help="mermaid (paste into a Markdown file), dot (pipe into `dot -Tsvg`) or "
                        "svg (a picture)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    text = {"dot": dot, "svg": svg}.get(args.format, mermaid)()
    output.out.write(text + "\n")
    return 0
