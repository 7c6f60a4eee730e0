"""``draw_html``: backpropagation you can step through, in the browser and in Jupyter.

``draw_html(loss)`` returns a ``BackpropPage``: one self-contained HTML file (no network,
no server) with the graph laid out by Graphviz's ``dot`` and buttons that replay the
forward pass (values in topological order) and the backward pass (reverse topological
order: each edge's local derivative, each input's gradient growing by one contribution
at a time). Every number is computed here, with the engine's own local derivatives, and
embedded as JSON; the page's script only replays it. With ``history=`` (a ``History``
from ``fit(..., record=True)``) a slider moves the parameters through training.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from .. import arguments as _args
from ..core.value import Value, topological_order
from . import naming
from .explanation import explain
from .model import GraphModel

__all__ = ["draw_html", "BackpropPage"]

# --- adapter: the only code that touches the engine's API -------------------------------
# Rewire these functions when the engine changes; nothing below them reads a Value.


def _nodes(root: Value) -> list[Value]:
    """Every node ``root`` depends on, inputs before results (``root`` last)."""
    return topological_order(root)


def _label(node: Value) -> str:
    """The name the user gave the node ('' if none)."""
    return node.label


def _names(nodes: list[Value]) -> list[str]:
    """A readable name per node, the same that draw_dot and explain show."""
    table = naming.names(nodes)
    return [table[id(v)] for v in nodes]


def _data(node: Value) -> float:
    return node.data


def _op_name(node: Value) -> str:
    """The op that made the node ('' for a leaf)."""
    return node.op


def _inputs(node: Value) -> tuple[Value, ...]:
    """The node's inputs in the op's argument order (() for a leaf)."""
    return node.parents


def _local_partials(model: GraphModel, node: Value) -> tuple[float, ...]:
    """∂node/∂input for each input, from the op's own derivative rule."""
    return model.locals(node)


def _local_formulas(model: GraphModel, node: Value) -> tuple[str, ...]:
    """Each local derivative as a formula in the names (compound ones in parentheses)."""
    return tuple(str(f) for f in model.formulas(node))


def _explain_text(root: Value, node: Value) -> str:
    """The chain rule for ∂root/∂node, written out (``explain``'s plain text)."""
    return str(explain(root, node))


# --- the page's data, computed in Python -----------------------------------------------

#: explain() texts are precomputed for at most this many nodes (labelled ones first).
EXPLAIN_LIMIT = 100
#: A history longer than this is sampled evenly (first and last step kept).
HISTORY_LIMIT = 400


def _unique(names: list[str]) -> list[str]:
    """The names, with ' (2)', ' (3)', ... added to repeats, so each is unique."""
    seen: dict[str, int] = {}
    taken = set(names)
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            k = seen[name]
            while f"{name} ({k})" in taken:
                k += 1
            name = f"{name} ({k})"
            taken.add(name)
        out.append(name)
    return out


def _page_data(root: Value, nodes: list[Value], explain_limit: int) -> dict[str, Any]:
    """Nodes, forward steps and backward steps (with every partial sum) as plain data."""
    index = {id(v): i for i, v in enumerate(nodes)}
    names = _unique(_names(nodes))
    model = GraphModel(nodes, {id(v): names[i] for i, v in enumerate(nodes)})
    table = []
    for v, name in zip(nodes, names):
        table.append({"name": name, "data": _data(v), "op": _op_name(v),
                      "inputs": [index[id(p)] for p in _inputs(v)]})
    forward = [i for i, v in enumerate(nodes) if _inputs(v)]

    grads = [0.0] * len(nodes)
    r = len(nodes) - 1
    grads[r] = 1.0
    backward: list[dict[str, Any]] = [{"node": r, "grad": 1.0, "terms": []}]  # the seed
    for i in reversed(forward):
        v = nodes[i]
        g = grads[i]
        terms = []
        for k, (p, d, f) in enumerate(zip(_inputs(v), _local_partials(model, v),
                                          _local_formulas(model, v))):
            j = index[id(p)]
            before = grads[j]
            grads[j] = before + d * g  # as the engine does: grad += partial * grad(node)
            terms.append({"input": j, "k": k, "partial": d, "formula": f, "before": before,
                          "add": d * g, "after": grads[j]})
        backward.append({"node": i, "grad": g, "terms": terms})

    chosen = sorted(range(len(nodes) - 1),
                    key=lambda i: (not _label(nodes[i]), bool(_inputs(nodes[i])), i))
    texts = {str(i): _explain_text(root, nodes[i]) for i in chosen[:explain_limit]}
    texts[str(r)] = f"∂{names[r]}/∂{names[r]} = 1   (the seed of the backward pass)"
    return {"nodes": table, "forward": forward, "backward": backward, "grads": grads,
            "explain": texts}


def _history_data(history: Any, nodes: list[Value]) -> dict[str, Any]:
    """The recorded training steps, for the parameters that are nodes of this graph."""
    steps = getattr(history, "steps", None)
    if not steps:
        raise ValueError("draw_html: the history has no recorded steps; train with "
                         "fit(..., record=True)")
    index = {id(v): i for i, v in enumerate(nodes)}
    pairs = [(k, index[id(p)]) for k, p in enumerate(history.parameters) if id(p) in index]
    if not pairs:
        raise ValueError("draw_html: none of the history's parameters is in this graph")
    n = len(steps)
    picked = sorted({round(s * (n - 1) / (HISTORY_LIMIT - 1)) for s in range(HISTORY_LIMIT)}
                    if n > HISTORY_LIMIT else range(n))
    return {
        "step": picked,
        "loss": [steps[s].loss for s in picked],
        "nodes": [i for _, i in pairs],
        "weights": [[steps[s].weights[k] for k, _ in pairs] for s in picked],
        "grads": [[steps[s].grads[k] for k, _ in pairs] for s in picked],
    }


# --- the picture, laid out by dot ------------------------------------------------------

def _escape(text: str) -> str:
    """Escape the characters that Graphviz record labels treat as structure."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


#: As wide as the widest number the page shows, so that dot sizes the boxes for it.
_PLACEHOLDER = "-0.0000000"


def _svg(data: dict[str, Any]) -> str:
    """The graph as an SVG element: value node i has id v<i>, its op node o<i>, the edge
    from its k-th input e<i>_<k>."""
    from .graph import graphviz_classes  # draw_dot's Digraph: its errors say how to install dot

    big = len(data["nodes"]) > 300
    # big graphs: straight edges and fewer layout passes (dot's time grows fast with size);
    # small ones: wider gaps between ranks, room for the edge labels
    layout = {"splines": "line", "nslimit": "1", "nslimit1": "1", "mclimit": "0.1",
              "remincross": "false"} if big else {"ranksep": "1.2"}
    dot = graphviz_classes()[0](graph_attr={"rankdir": "LR", "bgcolor": "transparent", **layout})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    for i, node in enumerate(data["nodes"]):
        dot.node(f"v{i}", id=f"v{i}", shape="record",
                 label=f"{_escape(node['name'])} | data {_PLACEHOLDER} | grad {_PLACEHOLDER}")
        if node["inputs"]:
            dot.node(f"o{i}", id=f"o{i}", label=_escape(node["op"]), shape="ellipse",
                     width="0.3", height="0.3")
            dot.edge(f"o{i}", f"v{i}", id=f"r{i}")
            for k, j in enumerate(node["inputs"]):
                dot.edge(f"v{j}", f"o{i}", id=f"e{i}_{k}")
    svg = dot.pipe(format="svg", encoding="utf-8")
    return svg[svg.index("<svg"):]


# --- the page ----------------------------------------------------------------------------

def _static(name: str) -> str:
    return resources.files("autograd.display").joinpath("static", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class BackpropPage:
    """A self-contained HTML page that steps through one graph's backpropagation.

    ``save(path)`` writes it; in Jupyter it shows inline (in an iframe, so its script runs).
    """

    html: str

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = _args.path(path, "BackpropPage.save")
        path.write_text(self.html, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"BackpropPage({len(self.html):,} characters of HTML; .save(path) writes it)"

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{escape(self.html)}" sandbox="allow-scripts"'
                ' style="width:100%;height:640px;border:1px solid #ccc"></iframe>')


def draw_html(
    root: Value,
    history: Any = None,
    max_nodes: int = 2000,
    explain_limit: int = EXPLAIN_LIMIT,
    title: str | None = None,
) -> BackpropPage:
    """The page that steps through the forward and backward pass of ``root``'s graph.

    The gradients shown are those of one backward pass from ``root`` (seed 1), whether or
    not ``root.backward()`` was called. ``history``: a ``History`` from
    ``fit(..., record=True)``, for a slider over the training steps. Graphs of more than
    ``max_nodes`` values (2000, as for ``draw_dot``) raise ``GraphTooLargeError``.
    ``explain`` texts are precomputed for ``explain_limit`` nodes (labelled ones first);
    the others show their gradient's sum over the nodes made from them.
    """
    from .graph import GraphTooLargeError

    who = "draw_html"
    _args.value(root, who, "root")
    if history is not None and not (hasattr(history, "steps") and hasattr(history, "parameters")):
        raise _args.type_error(who, "history", "a History from fit(..., record=True) or None",
                               history)
    _args.integer(max_nodes, who, "max_nodes", 1)
    _args.integer(explain_limit, who, "explain_limit", 0)
    if title is not None and not isinstance(title, str):
        raise _args.type_error(who, "title", "a str or None", title)
    nodes = _nodes(root)
    if len(nodes) > max_nodes:
        raise GraphTooLargeError(
            f"draw_html: the graph has {len(nodes)} Values, more than max_nodes={max_nodes}; "
            f"pass draw_html(root, max_nodes={len(nodes)}) to draw it anyway"
        )
    data = _page_data(root, nodes, explain_limit)
    data["history"] = _history_data(history, nodes) if history is not None else None
    payload = json.dumps(_json_safe(data), allow_nan=False).replace("<", "\\u003c")
    parts = {"title": escape(title or f"Backpropagation through {data['nodes'][-1]['name']}"),
             "css": _static("stepper.css"), "svg": _svg(data), "data": payload,
             "js": _static("stepper.js")}
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _static("stepper.html"))
    return BackpropPage(page)


def _json_safe(x: Any) -> Any:
    """``x`` with inf and NaN as the strings JavaScript's Number() reads back."""
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_safe(v) for v in x]
    return x
