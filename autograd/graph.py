"""Drawing the computation graph behind a ``Value`` with Graphviz."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .engine import Value, topological_order

__all__ = ["draw_dot", "Cluster", "GraphTooLargeError", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 2000

_INSTALL_HINT = (
    "Graphviz's 'dot' program was not found on PATH; the Python package 'graphviz' only "
    "writes the DOT text. Install the program: 'apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS) or 'conda install graphviz'. The DOT source is "
    "available without it as graph.source."
)


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``draw_dot``'s ``max_nodes``."""


@lru_cache(maxsize=1)
def _classes() -> tuple[Any, Any]:
    """(ComputationGraph, DotNotFoundError), made on first use: graphviz is imported only
    when something is drawn."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing needs the Python package 'graphviz': from a clone, "
                          "pip install -e . (it is a dependency of chainrule)") from None

    class DotNotFoundError(graphviz.ExecutableNotFound):
        """Graphviz's ``dot`` program is missing; the message says how to install it."""

        def __init__(self) -> None:
            RuntimeError.__init__(self, _INSTALL_HINT)

    class ComputationGraph(graphviz.Digraph):
        """A ``graphviz.Digraph`` whose render errors say how to install Graphviz."""

        def pipe(self, *args: Any, **kwargs: Any) -> Any:  # Jupyter's inline display
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise DotNotFoundError() from exc

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise DotNotFoundError() from exc

    DotNotFoundError.__module__ = ComputationGraph.__module__ = __name__
    return ComputationGraph, DotNotFoundError


def __getattr__(name: str) -> Any:
    if name == "ComputationGraph":
        return _classes()[0]
    if name == "DotNotFoundError":
        return _classes()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _escape(text: str) -> str:
    """Escape the characters that Graphviz record labels treat as structure."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _number(x: Any) -> str:
    x = x.data if isinstance(x, Value) else x
    return f"{x:.4f}" if isinstance(x, float) else str(x)


@dataclass
class Cluster:
    """A labelled box in ``draw_dot``: the nodes made with ``params`` (say, a neuron's
    weights and bias) and any one-input op applied to those (its activation)."""

    label: str
    params: list[Value] = field(default_factory=list)
    children: list[Cluster] = field(default_factory=list)


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
    highlight: Value | None = None,
    color_by_grad: bool = False,
    clusters: Any = None,
) -> Any:
    """The graph behind ``root`` as a ``graphviz.Digraph``.

    One record per Value (label | data | grad) and one small node per op, with edges
    parent → op → result. Display it in Jupyter, or write it with ``.render(name)``
    (``format`` is 'svg', 'png', 'pdf', ...). Raises ``GraphTooLargeError`` when the graph
    has more than ``max_nodes`` Values.

    ``highlight=node`` draws in red every path from ``root`` to ``node`` (the paths that
    ``explain(root, node)`` lists); ``color_by_grad`` fills each record by |grad| (darker
    is larger, on a log scale); ``clusters`` (a ``Module`` such as an ``MLP``, or a list of
    ``Cluster``) boxes the nodes of each layer and neuron.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: expected a Value, got {type(root).__name__}")
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        raise GraphTooLargeError(
            f"draw_dot: the graph has {len(nodes)} Values, more than max_nodes={max_nodes}, "
            f"which is too large to read; pass draw_dot(root, max_nodes={len(nodes)}) to draw "
            "it anyway"
        )
    on_path = _on_paths(nodes, highlight) if highlight is not None else set()
    fill = _grad_colors(nodes) if color_by_grad else {}
    tops = clusters.clusters() if hasattr(clusters, "clusters") else list(clusters or [])
    member = _membership(nodes, tops)

    ComputationGraph = _classes()[0]
    ids = {id(v): f"n{i}" for i, v in enumerate(nodes)}  # stable: same graph, same SVG
    dot = ComputationGraph(format=format, graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    red = {"color": "#d62728", "penwidth": "2.5"}  # hex: a colorscheme would rename "red"
    boxes: dict[int, list[Value]] = {}
    for node in nodes:
        boxes.setdefault(member.get(id(node), 0), []).append(node)

    def emit(graph: Any, members: list[Value]) -> None:
        for node in members:
            uid = ids[id(node)]
            label = _escape(node.label) if node.label else " "
            attrs = dict(red) if id(node) in on_path else {}
            if id(node) in fill:
                attrs.update(style="filled", colorscheme="oranges9", fillcolor=fill[id(node)])
            graph.node(uid, label=f"{{ {label} | data {_number(node.data)} | grad "
                       f"{_number(node.grad)} }}", shape="record", **attrs)
            if node.parents:
                op_attrs = red if id(node) in on_path else {}
                graph.node(uid + "_op", label=node.op, shape="ellipse", width="0.3",
                           height="0.3", **op_attrs)

    def emit_cluster(graph: Any, cluster: Cluster, number: list[int]) -> None:
        number[0] += 1
        with graph.subgraph(name=f"cluster_{number[0]}") as box:
            box.attr(label=cluster.label, style="rounded", color="gray50", fontname="Helvetica")
            emit(box, boxes.get(id(cluster), []))
            for child in cluster.children:
                emit_cluster(box, child, number)

    emit(dot, boxes.get(0, []))
    counter = [0]
    for cluster in tops:
        emit_cluster(dot, cluster, counter)
    for node in nodes:  # edges: input -> op -> result
        if node.parents:
            uid = ids[id(node)]
            lit = id(node) in on_path
            dot.edge(uid + "_op", uid, **(red if lit else {}))
            for p in node.parents:
                dot.edge(ids[id(p)], uid + "_op", **(red if lit and id(p) in on_path else {}))
    return dot


def _on_paths(nodes: list[Value], target: Value) -> set[int]:
    """Nodes on some path from the root (last in ``nodes``) down to ``target``."""
    from .explanation import path_counts

    reaches = path_counts(nodes, target)
    return set(reaches) if id(nodes[-1]) in reaches else set()


def _grad_colors(nodes: list[Value]) -> dict[int, str]:
    """Fill colour 1..6 of oranges9 (light enough to read) by |grad|, on a log scale over
    the 6 decades below the largest."""
    mags = {id(v): abs(v.grad.data if isinstance(v.grad, Value) else v.grad) for v in nodes}
    top = max(mags.values(), default=0.0)
    if top == 0.0 or not math.isfinite(top):
        return {}
    out = {}
    for key, m in mags.items():
        level = 1 if m == 0.0 else 1 + round(5 * max(0.0, 1 + math.log10(m / top) / 6))
        out[key] = str(level)
    return out


def _membership(nodes: list[Value], tops: list[Cluster]) -> dict[int, int]:
    """id(node) -> id(innermost cluster): a node belongs to the cluster of a parameter it
    takes as input (or is), else to the cluster of its single input."""
    owner: dict[int, int] = {}

    def claim(cluster: Cluster) -> None:
        for p in cluster.params:
            owner[id(p)] = id(cluster)
        for child in cluster.children:
            claim(child)

    for cluster in tops:
        claim(cluster)
    if not owner:
        return {}
    params = set(owner)
    member = {}
    for node in nodes:  # inputs first
        if id(node) in params:
            member[id(node)] = owner[id(node)]
            continue
        inputs = node.parents
        found = next((owner[id(p)] for p in inputs if id(p) in params), None)
        if found is None and len(inputs) == 1 and not inputs[0].is_leaf:
            found = member.get(id(inputs[0]))
        if found is not None:
            member[id(node)] = found
    return member
