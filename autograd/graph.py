"""Drawing the computation graph behind a ``Value`` with Graphviz."""

from __future__ import annotations

from typing import Any

import graphviz

from .engine import Value

__all__ = ["draw_dot", "GraphTooLargeError", "DotNotFoundError", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 2000

_INSTALL_HINT = (
    "Graphviz's 'dot' program was not found on PATH; the Python package 'graphviz' only "
    "writes the DOT text. Install the program: 'apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS) or 'conda install graphviz'. The DOT source is "
    "available without it as graph.source."
)


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``draw_dot``'s ``max_nodes``."""


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is missing; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, _INSTALL_HINT)


class ComputationGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose render errors say how to install Graphviz."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:  # used by Jupyter's inline display
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise DotNotFoundError() from exc

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise DotNotFoundError() from exc


def _escape(text: str) -> str:
    """Escape the characters that Graphviz record labels treat as structure."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _number(x: Any) -> str:
    x = x.data if isinstance(x, Value) else x
    return f"{x:.4f}" if isinstance(x, float) else str(x)


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
) -> ComputationGraph:
    """The graph behind ``root`` as a ``graphviz.Digraph``.

    One record per Value (label | data | grad) and one small node per op, with edges
    parent → op → result. Display it in Jupyter, or write it with ``.render(name)``
    (``format`` is 'svg', 'png', 'pdf', ...). Raises ``GraphTooLargeError`` when the graph
    has more than ``max_nodes`` Values.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: expected a Value, got {type(root).__name__}")
    nodes = list(root.walk())
    if len(nodes) > max_nodes:
        raise GraphTooLargeError(
            f"draw_dot: the graph has {len(nodes)} Values, more than max_nodes={max_nodes}, "
            f"which is too large to read; pass draw_dot(root, max_nodes={len(nodes)}) to draw "
            "it anyway"
        )
    dot = ComputationGraph(format=format, graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    for node in reversed(nodes):  # roughly inputs first, so the layout reads left to right
        uid = str(id(node))
        label = _escape(node.label) if node.label else " "
        dot.node(
            uid,
            label=f"{{ {label} | data {_number(node.data)} | grad {_number(node.grad)} }}",
            shape="record",
        )
        if node.parents:
            op_id = uid + node.op
            dot.node(op_id, label=node.op, shape="ellipse", width="0.3", height="0.3")
            dot.edge(op_id, uid)
            for p in node.parents:
                dot.edge(str(id(p)), op_id)
    return dot
