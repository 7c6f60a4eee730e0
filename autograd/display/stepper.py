"""``draw_html``: backpropagation you can step through, in the browser and in Jupyter.

``draw_html(loss)`` returns a ``BackpropPage``: one self-contained HTML file (no network,
no server) with the graph and buttons that replay the forward pass (values in topological
order) and the backward pass (reverse topological order: each edge's local derivative, each
input's gradient growing by one contribution at a time), forward and back. Every number is
computed here, with the engine's own local derivatives, and embedded as JSON; the page's
script only replays it. Three views: values (one box per value), neurons (one box per
neuron: activation, ∂loss/∂activation, δ = ∂loss/∂net) and layers (the vectors and the
recurrence δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀδ⁽ˡ⁺¹⁾ ⊙ f′(z⁽ˡ⁾)). With ``history=`` (a ``History`` from
``fit(..., record=True)``) a slider moves the whole graph through training: every value
and gradient is computed again here at each recorded step's weights.

Constants (unlabelled leaves that are not a network's inputs, and ops on constants only)
take no step and show no gradient, unless ``constant_steps=True``.

Keys: → next step, ← undo the last step, f / b forward / backward step, space play or
pause, r reset, z zoom to the current node; Tab to a node and Enter shows its chain rule
(what has arrived so far and what is still to come).
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
from ..core.value import Value, op_of, topological_order
from . import naming
from .explanation import explain
from .model import GraphModel
from .neurons import NEURON_VIEW_FROM
from .page_views import neuron_svg, value_svg

__all__ = ["draw_html", "BackpropPage", "VIEWS"]

#: The levels of detail the page shows.
VIEWS = ("values", "neurons", "layers")

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


def _eval(node: Value, xs: list[float]) -> float:
    """The node's op on other inputs (a history step's values)."""
    return float(op_of(node).eval(*xs))


def _local_at(node: Value, out: float, xs: list[float]) -> list[float]:
    """∂node/∂input at other values (a history step's)."""
    return [float(d) for d in op_of(node).local(out, *xs)]


def _neuron_graph(root: Value) -> Any:
    """The neurons of the graph (``neurons.NeuronGraph``)."""
    from .neurons import NeuronGraph

    return NeuronGraph(root)


# --- the page's data, computed in Python -----------------------------------------------

#: explain() texts are precomputed for at most this many nodes (labelled ones first) ...
EXPLAIN_LIMIT = 100
#: ... and, as each costs time linear in the graph, for at most this many values in all
#: (summed over the texts), which keeps the page's build linear.
EXPLAIN_BUDGET = 6000
#: A history longer than this is sampled evenly (first and last step kept) ...
HISTORY_LIMIT = 400
#: ... and to at most this many numbers per quantity (steps × values).
HISTORY_BUDGET = 100_000


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


def _constants(nodes: list[Value], names: list[str], steps: bool) -> list[bool]:
    """Which nodes are constants: unlabelled leaves that are not named inputs, and ops
    whose inputs are all constants (never the root; none when ``steps``)."""
    const = [False] * len(nodes)
    if steps:
        return const
    index = {id(v): i for i, v in enumerate(nodes)}
    for i, v in enumerate(nodes[:-1]):
        parents = _inputs(v)
        if parents:
            const[i] = all(const[index[id(p)]] for p in parents)
        else:
            const[i] = not naming.is_named(v, names[i])
    return const


_SYMBOL = {"+": " + ", "-": " − ", "*": "·", "/": "/"}
_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def _template(op: str, n: int) -> list[str | int]:
    """How a node is computed from its ``n`` inputs, as text and input numbers
    (the page writes each input's name, then its value): ``[0, " + ", 1]``; a neuron's
    ``dot(b, w1, w2, x1, x2)`` as ``w1·x1 + w2·x2 + b``."""
    if op in _SYMBOL and n == 2:
        return [0, _SYMBOL[op], 1]
    if op == "neg" and n == 1:
        return ["−", 0]
    if op.startswith("**") and n == 1:
        power = op[2:]
        return [0, "²" if power == "2" else "^" + power.translate(_SUPERSCRIPT)]
    if op == "**" and n == 2:
        return [0, "^", 1]
    if op == "dot" and n % 2 == 1:
        k = (n - 1) // 2
        out: list[str | int] = []
        for j in range(1, k + 1):
            out += [j, "·", j + k, " + "]
        return out + [0]
    if op == "sum":
        out = []
        for j in range(n):
            out += [j, " + "]
        return out[:-1]
    out = [op + "("]
    for j in range(n):
        out += [j, ", "]
    return out[:-1] + [")"] if n else [op + "()"]


def _page_data(root: Value, nodes: list[Value], explain_limit: int,
               constant_steps: bool = False) -> dict[str, Any]:
    """Nodes, forward steps and backward steps (with every partial sum) as plain data."""
    index = {id(v): i for i, v in enumerate(nodes)}
    names = _unique(_names(nodes))
    model = GraphModel(nodes, {id(v): names[i] for i, v in enumerate(nodes)})
    const = _constants(nodes, names, constant_steps)
    table = []
    for i, (v, name) in enumerate(zip(nodes, names)):
        parents = _inputs(v)
        row: dict[str, Any] = {"name": name, "data": _data(v), "op": _op_name(v),
                               "inputs": [index[id(p)] for p in parents],
                               "operand": naming.operand(name)}
        if const[i]:
            row["const"] = True
        if parents:
            row["fw"] = _template(_op_name(v), len(parents))
        table.append(row)
    forward = [i for i, v in enumerate(nodes) if _inputs(v) and not const[i]]
    backward, grads = _backward_steps(nodes, index, model, forward, const)
    return {"nodes": table, "forward": forward, "backward": backward, "grads": grads,
            "explain": _explained(root, nodes, names, explain_limit)}


def _backward_steps(nodes: list[Value], index: dict[int, int], model: GraphModel,
                    forward: list[int], const: list[bool]) -> tuple[list[Any], list[float]]:
    """The seed, then one step per (non-constant) op in reverse order, each input's
    gradient after its share (the page works out the share, partial × grad, and the
    gradient before); and every node's final gradient (constants' too, as the engine
    computes them)."""
    grads = [0.0] * len(nodes)
    r = len(nodes) - 1
    grads[r] = 1.0
    backward: list[dict[str, Any]] = [{"node": r, "grad": 1.0, "terms": []}]  # the seed
    stepped = set(forward)
    for i in reversed(range(len(nodes))):
        v = nodes[i]
        if not _inputs(v):
            continue
        g = grads[i]
        terms = []
        for k, (p, d, f) in enumerate(zip(_inputs(v), _local_partials(model, v),
                                          _local_formulas(model, v))):
            j = index[id(p)]
            grads[j] += d * g  # as the engine does: grad += partial * grad(node)
            term = {"input": j, "k": k, "partial": d, "formula": f, "after": grads[j]}
            if const[j]:
                term["const"] = True
            terms.append(term)
        if i in stepped:
            backward.append({"node": i, "grad": g, "terms": terms})
    return backward, grads


def _explained(root: Value, nodes: list[Value], names: list[str],
               limit: int) -> dict[str, str]:
    """explain()'s text for up to ``limit`` nodes (labelled leaves first), within
    ``EXPLAIN_BUDGET`` values visited in all."""
    r = len(nodes) - 1
    count = min(limit, EXPLAIN_BUDGET // max(len(nodes), 1))
    chosen = sorted(range(r), key=lambda i: (not _label(nodes[i]), bool(_inputs(nodes[i])), i))
    texts = {str(i): _explain_text(root, nodes[i]) for i in chosen[:count]}
    texts[str(r)] = f"∂{names[r]}/∂{names[r]} = 1   (the seed of the backward pass)"
    return texts


# --- the training history: every value and gradient at each recorded step ---------------

def _replay(nodes: list[Value], index: dict[int, int], given: dict[int, float]
            ) -> tuple[list[float], list[float]]:
    """Forward and backward through ``nodes`` with the leaves at ``given`` (by place),
    the others as they are: each node's value and gradient."""
    data = [0.0] * len(nodes)
    for i, v in enumerate(nodes):
        parents = _inputs(v)
        if parents:
            try:
                data[i] = _eval(v, [data[index[id(p)]] for p in parents])
            except (ArithmeticError, ValueError):
                data[i] = math.nan
        else:
            data[i] = given.get(i, _data(v))
    grads = [0.0] * len(nodes)
    grads[-1] = 1.0
    for i in reversed(range(len(nodes))):
        v = nodes[i]
        parents = _inputs(v)
        if not parents or grads[i] == 0.0:
            continue
        xs = [data[index[id(p)]] for p in parents]
        try:
            local = _local_at(v, data[i], xs)
        except (ArithmeticError, ValueError):
            local = [math.nan] * len(parents)
        for p, d in zip(parents, local):
            grads[index[id(p)]] += d * grads[i]
    return data, grads


def _history_data(history: Any, nodes: list[Value]) -> dict[str, Any]:
    """The recorded training steps, with the whole graph at each (sampled) step."""
    steps = getattr(history, "steps", None)
    if not steps:
        raise ValueError("draw_html: the history has no recorded steps; train with "
                         "fit(..., record=True)")
    index = {id(v): i for i, v in enumerate(nodes)}
    pairs = [(k, index[id(p)]) for k, p in enumerate(history.parameters) if id(p) in index]
    if not pairs:
        raise ValueError("draw_html: none of the history's parameters is in this graph")
    n = len(steps)
    most = max(2, min(HISTORY_LIMIT, HISTORY_BUDGET // max(len(nodes), 1)))
    picked = sorted({round(s * (n - 1) / (most - 1)) for s in range(most)}
                    if n > most else range(n))
    values, grads = [], []
    for s in picked:
        d, g = _replay(nodes, index, {i: steps[s].weights[k] for k, i in pairs})
        values.append(d)
        grads.append(g)
    return {
        "step": picked,
        "steps": n,
        "loss": [steps[s].loss for s in picked],
        "nodes": [i for _, i in pairs],
        "weights": [[steps[s].weights[k] for k, _ in pairs] for s in picked],
        "grads": [[steps[s].grads[k] for k, _ in pairs] for s in picked],
        "data": values,
        "grad": grads,
    }


# --- the neuron and layer views ----------------------------------------------------------

def _neuron_data(root: Value, nodes: list[Value]) -> dict[str, Any] | None:
    """The network's neurons by layer, as value numbers, or None if it has none."""
    net = _neuron_graph(root)
    if not net.found:
        return None
    index = {id(v): i for i, v in enumerate(nodes)}
    model = GraphModel(nodes, {})  # only its local derivatives: no names needed
    key = {id(v): f"in{k}" for k, v in enumerate(net.inputs)}
    layers, count = [], 0
    for layer in net.layers:
        rows = []
        for n in layer:
            if n.out is not n.net:
                fprime = model.locals(n.out)[0]
            else:
                fprime = 1.0
            kept = [(w, s) for w, s in zip(n.weights, n.sources) if id(s) in key]
            rows.append({"id": count, "name": n.name, "net": index[id(n.net)],
                         "out": index[id(n.out)], "act": n.activation,
                         "bias": index[id(n.bias)], "fprime": fprime,
                         "weights": [index[id(w)] for w, _ in kept],
                         "sources": [key[id(s)] for _, s in kept]})
            count += 1
        for n, row in zip(layer, rows):
            key[id(n.out)] = f"n{row['id']}"
        layers.append(rows)
    return {"inputs": [index[id(v)] for v in net.inputs], "layers": layers,
            "root": len(nodes) - 1}


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
    view: str | None = None,
    constant_steps: bool = False,
) -> BackpropPage:
    """The page that steps through the forward and backward pass of ``root``'s graph.

    The gradients shown are those of one backward pass from ``root`` (seed 1), whether or
    not ``root.backward()`` was called. ``history``: a ``History`` from
    ``fit(..., record=True)``, for a slider over the training steps (the whole graph at
    each step's weights). Graphs of more than ``max_nodes`` values (2000, as for
    ``draw_dot``) raise ``GraphTooLargeError``. ``explain`` texts are precomputed for up
    to ``explain_limit`` nodes (labelled ones first; fewer on large graphs); the others
    show their gradient's sum over the nodes made from them. ``view``: the level of detail
    the page opens at, ``"values"``, ``"neurons"`` or ``"layers"`` (None: neurons for a
    network of more than ``NEURON_VIEW_FROM`` (48) values, else values).
    ``constant_steps``: constants take steps and show gradients as other nodes do.
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
    if view is not None:
        _args.choice(view, who, "view", VIEWS)
    _args.flag(constant_steps, who, "constant_steps")
    nodes = _nodes(root)
    if len(nodes) > max_nodes:
        raise GraphTooLargeError(
            f"draw_html: the graph has {len(nodes)} Values, more than max_nodes={max_nodes}; "
            f"pass draw_html(root, max_nodes={len(nodes)}) to draw it anyway"
        )
    data = _page_data(root, nodes, explain_limit, constant_steps)
    data["history"] = _history_data(history, nodes) if history is not None else None
    data["net"] = _neuron_data(root, nodes)
    if view in ("neurons", "layers") and data["net"] is None:
        raise ValueError(f"draw_html: view={view!r} needs a network built by nn (neurons "
                         "with labelled biases); this graph has none, use view='values'")
    data["view"] = view or ("neurons" if data["net"] and len(nodes) > NEURON_VIEW_FROM
                            else "values")
    return BackpropPage(_html(data, title))


def _html(data: dict[str, Any], title: str | None) -> str:
    """The page: the template with its slots filled."""
    names = [n["name"] for n in data["nodes"]]
    try:  # most graphs are finite: no need to walk the data
        payload = json.dumps(data, allow_nan=False)
    except ValueError:
        payload = json.dumps(_json_safe(data), allow_nan=False)
    payload = payload.replace("<", "\\u003c")
    neurons = neuron_svg(data["net"], names) if data["net"] else ""
    parts = {"title": escape(title or f"Backpropagation through {names[-1]}"),
             "css": _static("stepper.css"), "svg": value_svg(data), "neurons": neurons,
             "data": payload, "js": _static("stepper.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _static("stepper.html"))


def _json_safe(x: Any) -> Any:
    """``x`` with inf and NaN as the strings JavaScript's Number() reads back."""
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_safe(v) for v in x]
    return x
