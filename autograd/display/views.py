"""The neuron-level and layer-level pictures of a graph built by a network (``draw_dot``'s
``view="neurons"`` and ``view="layers"``), read from ``neurons.NeuronGraph``.

**Neuron view**: the inputs, one node per neuron with its net input ``net``, its
activation ``out`` and its ``δ = ∂loss/∂net``, one edge per weight (coloured and widened by
the weight's value, or its gradient; labelled on demand), and the part after the last
layer (the loss) compactly: one small box per node (name, data, grad), each constant a
plain number where it is used.

**Layer view**: one node per layer with its vectors as columns, row i for neuron i:
z⁽ˡ⁾ (net inputs), a⁽ˡ⁾ (activations), ∂loss/∂a⁽ˡ⁾, f′(z⁽ˡ⁾) and
δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀδ⁽ˡ⁺¹⁾ ⊙ f′(z⁽ˡ⁾), the recurrence written under it.

Both read the numbers from the graph's nodes after ``backward()``; ``δ`` is ``net.grad``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.value import Value, op_of, topological_order
from . import naming
from .colours import DARK, Scale
from .neurons import NeuronGraph, NeuronNode

__all__ = ["neuron_view", "layer_view", "derivative", "is_dead", "is_saturated",
           "superscript", "MAX_ROWS", "LABELLED_EDGES"]

MAX_ROWS = 16  # a layer's vectors show at most this many entries (then first 10, ⋮, last 4)
LABELLED_RANKSEP = 210.0  # points between the columns when the weights are labelled
LABELLED_EDGES = 24  # edge_labels=None labels the weights when there are at most this many
_SUPER = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_FONT = {"fontname": "Helvetica", "fontsize": "11"}


def superscript(layer: int) -> str:
    """``⁽²⁾`` for layer 2."""
    return "⁽" + str(layer).translate(_SUPER) + "⁾"


def derivative(n: NeuronNode) -> float:
    """f′(net) of the neuron's activation, from the op's own rule (1 for a linear one)."""
    if n.out is n.net:
        return 1.0
    return float(op_of(n.out).local(n.out.data, n.net.data)[0])


def is_dead(activation: str, outs: list[float]) -> bool:
    """A ReLU that is 0 on every example shown: no gradient flows through it."""
    return activation == "relu" and bool(outs) and all(o == 0.0 for o in outs)


def is_saturated(activation: str, outs: list[float]) -> bool:
    """tanh with |out| > 0.99, or sigmoid with out < 0.01 or > 0.99, on every example."""
    if not outs:
        return False
    if activation == "tanh":
        return all(abs(o) > 0.99 for o in outs)
    if activation == "sigmoid":
        return all(o < 0.01 or o > 0.99 for o in outs)
    return False


def _number(x: float) -> str:
    return f"{x + 0.0:.4g}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _grad(v: Value) -> float:
    g = v.grad
    return g.data if isinstance(g, Value) else float(g)


@dataclass
class _Ids:
    """Graphviz node ids: inputs, neurons and the loss part, by place (stable bytes)."""

    of: dict[int, str]

    def get(self, v: Value) -> str | None:
        return self.of.get(id(v))


def _mark(n: NeuronNode, short: bool = False) -> str:
    """" (dead)" for a ReLU at 0, " (saturated)" for tanh or sigmoid near ±1 (or 0, 1)."""
    if is_dead(n.activation, [n.data]):
        return " dead" if short else " (dead)"
    if is_saturated(n.activation, [n.data]):
        return " sat." if short else " (saturated)"
    return ""


def _neuron_label(n: NeuronNode, deltas: Scale, bias: bool) -> str:
    """name [activation] | out; net | δ (the δ cell coloured by sign and size)."""
    act = n.activation or "linear"
    head = f"<b>{_esc(n.name)}</b> {act}{_mark(n)}"
    if bias:
        head += f" b={_number(n.bias.data)}"
    delta = n.delta
    ink = "white" if deltas.colour(delta) in DARK else "black"
    return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="2">'
            f'<tr><td colspan="3">{head}</td></tr>'
            f"<tr><td>net {_number(n.net.data)}</td><td>out {_number(n.data)}</td>"
            f'<td bgcolor="{deltas.colour(delta)}">'
            f'<font color="{ink}">δ {_number(delta)}</font></td></tr></table>>')


def _column(dot: Any, ids: list[str]) -> None:
    """Keep ``ids`` in one rank, in order from the top (rankdir LR)."""
    with dot.subgraph() as rank:
        rank.attr(rank="same")
        for uid in ids:
            rank.node(uid)
        for a, b in zip(ids, ids[1:]):
            rank.edge(a, b, style="invis")


def _graph(cls: Any, format: str, rankdir: str, title: str) -> Any:
    dot = cls(format=format, graph_attr={"rankdir": rankdir, "newrank": "true",
                                         "nodesep": "0.06", "ranksep": "0.9",
                                         "label": title, "labelloc": "t", **_FONT})
    dot.attr("node", **_FONT)
    dot.attr("edge", fontname="Helvetica", fontsize="10")
    return dot


def _title(g: NeuronGraph, view: str) -> str:
    sizes = "-".join(str(n) for n in [len(g.inputs)] + [len(layer) for layer in g.layers])
    shown = f", example 1 of {g.examples}" if g.examples > 1 else ""
    return f"{view} view of a {sizes} network{shown}"


def _inputs(dot: Any, g: NeuronGraph, names: dict[int, str]) -> dict[int, str]:
    ids = {}
    for i, x in enumerate(g.inputs):
        uid = f"in{i}"
        ids[id(x)] = uid
        dot.node(uid, label=f"{names[id(x)]} = {_number(x.data)}", shape="box",
                 style="rounded,filled", fillcolor="gray92")
    _column(dot, [ids[id(x)] for x in g.inputs])
    return ids


def neuron_view(cls: Any, root: Value, format: str = "svg", rankdir: str = "LR",
                edge_labels: bool | None = None, by_grad: bool = False) -> Any:
    """The neuron-level picture (module doc) of the graph below ``root``, as a ``cls``
    (a ``graphviz.Digraph``). Edges are coloured by each weight's value, or its gradient
    with ``by_grad``; ``edge_labels=None`` labels them when there are at most
    ``LABELLED_EDGES``."""
    g = NeuronGraph(root)
    order = topological_order(root)
    names = naming.names(order)
    dot = _graph(cls, format, rankdir, _title(g, "neuron"))
    ids = _inputs(dot, g, names)
    neurons = g.neurons
    deltas = Scale([n.delta for n in neurons], "δ")
    weights = [w for n in neurons for w in n.weights]
    scale = Scale([_grad(w) if by_grad else w.data for w in weights],
                  "∂loss/∂w" if by_grad else "w")
    labelled = len(weights) <= LABELLED_EDGES if edge_labels is None else edge_labels
    places = _Places(g) if labelled else None
    if places is not None:  # room for a label on each edge
        dot.attr(ranksep=f"{LABELLED_RANKSEP / 72:.3f}", nodesep=f"{places.sep / 72:.3f}")
    for layer in g.layers:
        column = []
        for n in layer:
            uid = f"L{n.layer}N{n.index}"
            ids[id(n.out)] = ids[id(n.net)] = uid
            column.append(uid)
            dot.node(uid, label=_neuron_label(n, deltas, labelled), shape="plaintext",
                     margin="0")
        _column(dot, column)
        for n in layer:
            for w, x in zip(n.weights, n.sources):
                number = _grad(w) if by_grad else w.data
                extra = places.label(names[id(w)], w.data, x, n) if places else {}
                dot.edge(ids[id(x)], ids[id(n.out)], color=scale.colour(number),
                         penwidth=f"{scale.width(number):.2f}", arrowsize="0.5", **extra)
    _loss_part(dot, order, g, ids, names, [deltas, scale])
    return dot


class _Places:
    """Where each weight's label goes: on its edge, 1/(n + 1) of the way across from the
    neuron it feeds (n inputs per neuron). There every edge into a layer passes at its own
    height, step/(n + 1) apart, if dot keeps each column in order, centred, ``step`` apart
    (the estimate below), so no two labels overlap."""

    NODE = 38.0  # a neuron's height, in points
    LINE = 16.0  # a label's height, in points

    def __init__(self, g: NeuronGraph) -> None:
        fan = max(len(n.weights) for n in g.neurons)
        self.sep = max(50.0, (fan + 1) * self.LINE - self.NODE)  # nodesep, in points
        self.step = self.NODE + self.sep
        self.place: dict[int, tuple[int, int]] = {id(x): (i, len(g.inputs))
                                                  for i, x in enumerate(g.inputs)}
        for layer in g.layers:
            self.place.update((id(n.out), (n.index, len(layer))) for n in layer)

    def label(self, name: str, data: float, source: Value, n: NeuronNode) -> dict[str, str]:
        i, count = self.place[id(source)]
        j, heads = self.place[id(n.out)]
        dy = ((i - (count - 1) / 2) - (j - (heads - 1) / 2)) * self.step
        along = (LABELLED_RANKSEP ** 2 + dy ** 2) ** 0.5 / (len(n.weights) + 1)
        return {"headlabel": f'<<table border="0" cellborder="0" cellpadding="1" '
                             f'bgcolor="white"><tr><td>{_esc(name)} = {_number(data)}</td>'
                             "</tr></table>>",
                "labeldistance": f"{along / 10:.2f}", "labelangle": "0"}


def _downstream(order: list[Value], outputs: list[Value]) -> list[Value]:
    """The nodes after the shown outputs (the loss part), in order."""
    down = {id(v) for v in outputs}
    part = []
    for v in order:
        if id(v) not in down and any(id(p) in down for p in v.parents):
            down.add(id(v))
            part.append(v)
    return part


def _loss_part(dot: Any, order: list[Value], g: NeuronGraph, ids: dict[int, str],
               names: dict[int, str], scales: list[Scale]) -> None:
    """The nodes after the last layer as one table, a row per node (name, op, data,
    grad; constants appear by value in the names), fed by the output neurons; the
    colour keys in the same column."""
    part = _downstream(order, g.outputs)
    column: list[str] = []
    if part:
        shown: list[Value | None] = list(part)
        if len(part) > MAX_ROWS:
            shown = [*part[:4], None, *part[-(MAX_ROWS - 5):]]
        rows = "".join(
            f'<tr><td colspan="4">⋮ ({len(part) - MAX_ROWS + 1} more)</td></tr>' if v is None
            else f'<tr><td align="left">{_esc(names[id(v)])}</td><td>{_esc(v.op)}</td>'
                 f"<td>{_number(v.data)}</td><td>{_number(_grad(v))}</td></tr>"
            for v in shown)
        dot.node("loss", shape="plaintext", margin="0", label=(
            '<<table border="0" cellborder="1" cellspacing="0" cellpadding="2">'
            '<tr><td colspan="4"><b>after the last layer</b></td></tr>'
            "<tr><td>node</td><td>op</td><td>data</td><td>grad</td></tr>"
            + rows + "</table>>"))
        column.append("loss")
        used = {id(p) for v in part for p in v.parents}
        for out in g.outputs:
            if id(out) in used:
                dot.edge(ids[id(out)], "loss", arrowsize="0.5")
    keys = "".join(f"<tr><td>{s.legend_html()[1:-1]}</td></tr>" for s in scales)
    dot.node("legend", shape="plaintext", margin="0",
             label=f'<<table border="0" cellspacing="8">{keys}</table>>')
    _column(dot, [*column, "legend"])


# --- the layer view --------------------------------------------------------------------------
def _shown_rows(n: int) -> list[int | None]:
    """The rows a vector of ``n`` entries shows; None is a ⋮ row."""
    if n <= MAX_ROWS:
        return list(range(n))
    return [*range(10), None, *range(n - 4, n)]


def _layer_label(layer: list[NeuronNode], last: bool, deltas: Scale) -> str:
    """A table: row i = neuron i's z, a, ∂loss/∂a, f′(z), δ; the recurrence under it."""
    k = layer[0].layer
    s, s1 = superscript(k), superscript(k + 1)
    act = layer[0].activation or "linear"
    fan = len(layer[0].weights)
    head = (f'<tr><td colspan="6"><b>layer {k}</b>: {len(layer)} × {act}, '
            f"W{s} {len(layer)}×{fan}</td></tr>"
            f'<tr><td colspan="6">z{s} = W{s}a{superscript(k - 1)} + b{s}, '
            f"a{s} = f(z{s})</td></tr>"
            f"<tr><td>i</td><td>z{s}</td><td>a{s}</td><td>∂loss/∂a{s}</td>"
            f"<td>f′(z{s})</td><td>δ{s}</td></tr>")
    rows = []
    for i in _shown_rows(len(layer)):
        if i is None:
            rows.append(f'<tr><td colspan="6">⋮ ({len(layer) - 14} more)</td></tr>')
            continue
        n = layer[i]
        ink = "white" if deltas.colour(n.delta) in DARK else "black"
        rows.append(f"<tr><td>{i + 1}{_mark(n, short=True)}</td><td>{_number(n.net.data)}"
                    f"</td><td>{_number(n.data)}</td><td>{_number(n.grad)}</td>"
                    f"<td>{_number(derivative(n))}</td>"
                    f'<td bgcolor="{deltas.colour(n.delta)}"><font color="{ink}">'
                    f"{_number(n.delta)}</font></td></tr>")
    foot = (f'<tr><td colspan="6">δ{s} = ∂loss/∂a{s} ⊙ f′(z{s})</td></tr>' if last else
            f'<tr><td colspan="6">δ{s} = (W{s1})ᵀδ{s1} ⊙ f′(z{s})</td></tr>'
            f'<tr><td colspan="6">(∂loss/∂a{s} = (W{s1})ᵀδ{s1})</td></tr>')
    return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="2">'
            + head + "".join(rows) + foot + "</table>>")


def layer_view(cls: Any, root: Value, format: str = "svg", rankdir: str = "LR") -> Any:
    """The layer-level picture (module doc) of the graph below ``root``, as a ``cls``."""
    g = NeuronGraph(root)
    order = topological_order(root)
    names = naming.names(order)
    dot = _graph(cls, format, rankdir, _title(g, "layer"))
    dot.attr(nodesep="0.3", ranksep="0.3")
    xs = "".join(f"<tr><td>{_esc(names[id(x)])}</td><td>{_number(x.data)}</td></tr>"
                 for x in g.inputs)
    dot.node("in", shape="plaintext", label='<<table border="0" cellborder="1" '
             f'cellspacing="0" cellpadding="2"><tr><td colspan="2"><b>input</b> a{superscript(0)}'
             f"</td></tr>{xs}</table>>")
    ids = {id(x): "in" for x in g.inputs}
    deltas = Scale([n.delta for n in g.neurons], "δ")
    previous = "in"
    for layer in g.layers:
        k = layer[0].layer
        uid = f"L{k}"
        dot.node(uid, shape="plaintext", margin="0",
                 label=_layer_label(layer, layer is g.layers[-1], deltas))
        dot.edge(previous, uid)
        ids.update((id(n.out), uid) for n in layer)
        previous = uid
    _loss_part(dot, order, g, ids, names, [deltas])
    return dot
