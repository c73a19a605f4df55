"""A ``lifecycle-diagram`` directive: the state graph drawn from the engine at build time.

The page never holds a copy of the graph, so the documentation cannot drift from the
code: ``{lifecycle-diagram}`` (Mermaid, the default) or ``{lifecycle-diagram}`` with
``:format: dot`` inserts the text :mod:`complaintflow.cli.diagram` prints.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives


def diagram_text(fmt: str = "mermaid") -> str:
    """The lifecycle graph as the engine draws it (``mermaid`` or ``dot``)."""
    from complaintflow.cli.diagram import dot, mermaid

    return dot() if fmt == "dot" else mermaid()


class LifecycleDiagram(Directive):
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {
        "format": lambda arg: directives.choice(arg, ("mermaid", "dot")),
    }

    def run(self) -> list[nodes.Node]:
        text = diagram_text(self.options.get("format", "mermaid"))
        block = nodes.literal_block(text, text, classes=["lifecycle-diagram"])
        block["language"] = "text"
        return [block]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("lifecycle-diagram", LifecycleDiagram)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
