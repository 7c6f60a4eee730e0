"""The pictures of the step-through page (``stepper.py``), as SVG the page's script fills in.

* The **value view**: one box per value (the op that made it, name, data, grad). Small
  graphs are laid out by Graphviz's ``dot``; from ``DOT_LIMIT`` values on, by a layered
  layout of our own that takes time linear in the graph (``dot``'s grows much faster: 38 s
  at 2,000 values), with one ellipse per op.
* The **neuron view**: one box per neuron (activation, ∂loss/∂activation, δ = ∂loss/∂net),
  one column per layer, weights on the edges (coloured by sign, width by size, named and
  valued on hover; written on the edge when a layer pair has few of them).

Both use the same ids and classes, so the script's highlighting works on either: value
node i is ``<g id="v{i}" class="node">`` (its last two texts: data and grad), the edge
from its k-th input ``e{i}_{k}``; in the layered layout also its op node ``o{i}`` and the
edge from the op to the value ``r{i}``.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

__all__ = ["DOT_LIMIT", "value_svg", "neuron_svg"]

#: Graphs with more values than this are laid out by ``_layered`` instead of ``dot``.
DOT_LIMIT = 300
#: As wide as the widest number the page shows, so that boxes are sized for it.
PLACEHOLDER = "-0.000000"
_CHAR = 6.6  # px per character of 11 px Helvetica, generously


def value_svg(data: dict[str, Any]) -> str:
    """The value view of the page's data (``stepper._page_data``)."""
    if len(data["nodes"]) > DOT_LIMIT:
        return _layered(data)
    return _dot(data)


def _escape_record(text: str) -> str:
    """Escape the characters that Graphviz record labels treat as structure."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _dot(data: dict[str, Any]) -> str:
    """Laid out by Graphviz (its errors say how to install it). Each op is written at the
    top of the box of the value it makes (not a node of its own: half as wide, so that a
    small network fits a window with its text readable); edges go from input to value."""
    from .graph import graphviz_classes

    dot = graphviz_classes()[0](graph_attr={"rankdir": "LR", "bgcolor": "transparent",
                                            "ranksep": "0.4", "nodesep": "0.12"})
    dot.attr("node", fontname="Helvetica", fontsize="10", margin="0.04,0.02")
    for i, node in enumerate(data["nodes"]):
        op = f"{_escape_record(node['op'])} | " if node["inputs"] else ""
        dot.node(f"v{i}", id=f"v{i}", shape="record",
                 label=f"{op}{_escape_record(node['name'])} | data {PLACEHOLDER} | "
                       f"grad {PLACEHOLDER}")
        for k, j in enumerate(node["inputs"]):
            dot.edge(f"v{j}", f"v{i}", id=f"e{i}_{k}")
    svg = dot.pipe(format="svg", encoding="utf-8")
    return svg[svg.index("<svg"):]


# --- our own layered layout, linear in the graph ----------------------------------------

_BOX_H, _ROW, _OP_W, _GAP = 54, 66, 40, 26


def _columns(nodes: list[dict[str, Any]]) -> list[int]:
    """Each value's column: an op's is one more than its deepest input's; a leaf sits in the
    column just before its first-placed consumer."""
    rank = [0] * len(nodes)
    consumers: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        for j in node["inputs"]:
            consumers[j].append(i)
        if node["inputs"]:
            rank[i] = 1 + max(rank[j] for j in node["inputs"])
    for i, node in enumerate(nodes):
        if not node["inputs"] and consumers[i]:
            rank[i] = min(rank[c] for c in consumers[i]) - 1
    return rank


def _rows(nodes: list[dict[str, Any]], rank: list[int]) -> list[float]:
    """Each value's row in its column: ordered by the mean row of its neighbours, in two
    sweeps (one left to right, one right to left), each linear in the graph."""
    columns: dict[int, list[int]] = {}
    for i, r in enumerate(rank):
        columns.setdefault(r, []).append(i)
    neighbours: list[list[int]] = [list(n["inputs"]) for n in nodes]
    for i, node in enumerate(nodes):
        for j in node["inputs"]:
            neighbours[j].append(i)
    row = [0.0] * len(nodes)
    for c in columns.values():
        for place, i in enumerate(c):
            row[i] = place
    for order in (sorted(columns), sorted(columns, reverse=True), sorted(columns)):
        for r in order:
            c = columns[r]
            key = {i: sum(row[j] for j in neighbours[i]) / len(neighbours[i])
                   if neighbours[i] else row[i] for i in c}
            c.sort(key=lambda i: key[i])
            least = -math.inf  # each at its neighbours' mean row, at least a row apart
            for i in c:
                row[i] = least = max(key[i], least + 1)
    low = min(row, default=0.0)
    return [y - low for y in row]


def _layered(data: dict[str, Any]) -> str:
    nodes = data["nodes"]
    rank = _columns(nodes)
    row = _rows(nodes, rank)
    width: dict[int, float] = {}
    for i, node in enumerate(nodes):
        w = _CHAR * max(len(node["name"]), len("grad " + PLACEHOLDER)) + 12
        width[rank[i]] = max(width.get(rank[i], 0.0), w)
    left: dict[int, float] = {}
    x = 10.0
    for r in sorted(width):
        left[r] = x + _OP_W + _GAP  # room for the op's ellipse before the box
        x = left[r] + width[r] + _GAP
    box = {i: (left[rank[i]], 10 + row[i] * _ROW, width[rank[i]]) for i in range(len(nodes))}
    parts = []
    for i, node in enumerate(nodes):
        bx, by, bw = box[i]
        mid = by + _BOX_H / 2
        if node["inputs"]:
            ox = bx - _GAP / 2 - _OP_W / 2
            parts.append(_edge(f"r{i}", ox + _OP_W / 2, mid, bx, mid))
            for k, j in enumerate(node["inputs"]):
                jx, jy, jw = box[j]
                parts.append(_edge(f"e{i}_{k}", jx + jw, jy + _BOX_H / 2, ox - _OP_W / 2, mid))
            parts.append(f'<g id="o{i}" class="node"><title>{escape(node["op"])}</title>'
                         f'<ellipse cx="{ox:.0f}" cy="{mid:.0f}" rx="{_OP_W / 2:.0f}" ry="11"/>'
                         f'<text x="{ox:.0f}" y="{mid + 4:.0f}">{escape(node["op"][:6])}'
                         '</text></g>')
        parts.append(_value_box(i, node["name"], bx, by, bw))
    height = 20 + (max(row) + 1 if row else 1) * _ROW
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="layered" width="{x:.0f}px" '
            f'height="{height:.0f}px" viewBox="0 0 {x:.0f} {height:.0f}">{_ARROW}'
            f'<g class="graph">{"".join(parts)}</g></svg>')


_ARROW = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
          'markerHeight="7" orient="auto"><path d="M0 0L10 5L0 10z"/></marker></defs>')


def _edge(ident: str, x1: float, y1: float, x2: float, y2: float) -> str:
    """A straight edge, its arrowhead a marker at (x2, y2)."""
    return (f'<g id="{ident}" class="edge"><path d="M{x1:.0f} {y1:.0f}L{x2:.0f} {y2:.0f}"/></g>')


def _value_box(i: int, name: str, x: float, y: float, w: float) -> str:
    """A value's box: its name, then the data and grad lines (the script fills them)."""
    third = _BOX_H / 3
    lines = "".join(f'<text x="{x + w / 2:.0f}" y="{y + third * k + 13:.0f}">{escape(text)}</text>'
                    for k, text in enumerate([name, f"data {PLACEHOLDER}",
                                              f"grad {PLACEHOLDER}"]))
    rules = (f'<path d="M{x:.0f} {y + third:.0f}h{w:.0f}M{x:.0f} {y + 2 * third:.0f}h{w:.0f}"/>')
    return (f'<g id="v{i}" class="node"><title>{escape(name)}</title>'
            f'<polygon points="{x:.0f},{y:.0f} {x + w:.0f},{y:.0f} {x + w:.0f},{y + _BOX_H:.0f} '
            f'{x:.0f},{y + _BOX_H:.0f}"/>{rules}{lines}</g>')


# --- the neuron view ---------------------------------------------------------------------

_N_W, _N_H, _N_GAP, _COL_GAP = 140, 34, 12, 80
#: A layer pair with at most this many weights has them written on the edges.
EDGE_LABELS = 8


def neuron_svg(net: dict[str, Any], names: list[str]) -> str:
    """The neuron view of ``net`` (``stepper._neuron_data``): columns of inputs, each
    layer's neurons and the loss; ``names`` are the values' names (for the weights)."""
    columns: list[list[tuple[str, str]]] = [[(f"in{k}", names[i])
                                             for k, i in enumerate(net["inputs"])]]
    for layer in net["layers"]:
        columns.append([(f"n{n['id']}", n["name"]) for n in layer])
    columns.append([("loss", names[net["root"]])])
    tallest = max(len(c) for c in columns)
    height = 30 + tallest * (_N_H + _N_GAP)
    place: dict[str, tuple[float, float]] = {}
    for c, column in enumerate(columns):
        top = 20 + (tallest - len(column)) * (_N_H + _N_GAP) / 2
        for r, (key, _) in enumerate(column):
            place[key] = (20 + c * (_N_W + _COL_GAP), top + r * (_N_H + _N_GAP))
    edges = []
    for layer in net["layers"]:
        few = sum(len(n["weights"]) for n in layer) <= EDGE_LABELS
        for n in layer:
            for k, (w, s) in enumerate(zip(n["weights"], n["sources"])):
                edges.append(_weight_edge(place[s], place[f"n{n['id']}"], n, k, w,
                                          names[w], few))
    for n in net["layers"][-1] if net["layers"] else []:
        (x1, y1), (x2, y2) = place[f"n{n['id']}"], place["loss"]
        edges.append(f'<line class="to-loss" x1="{x1 + _N_W}" y1="{y1 + _N_H / 2:.1f}" '
                     f'x2="{x2}" y2="{y2 + _N_H / 2:.1f}"/>')
    boxes = [_neuron_box(key, name, *place[key]) for column in columns for key, name in column]
    width = 40 + len(columns) * _N_W + (len(columns) - 1) * _COL_GAP
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="neurons" width="{width}px" '
            f'height="{height:.0f}px" viewBox="0 0 {width} {height:.0f}">'
            f'<g class="graph"><g class="weights">{"".join(edges)}</g>{"".join(boxes)}</g></svg>')


def _weight_edge(a: tuple[float, float], b: tuple[float, float], n: dict[str, Any], k: int,
                 w: int, name: str, label: bool) -> str:
    x1, y1 = a[0] + _N_W, a[1] + _N_H / 2
    x2, y2 = b[0], b[1] + _N_H / 2
    text = ""
    if label:  # on the edge, a third of the way from the neuron (where edges spread out)
        tx, ty = x2 - (x2 - x1) / 3, y2 - (y2 - y1) / 3 - 3
        text = (f'<text class="weight-label" x="{tx:.1f}" y="{ty:.1f}" text-anchor="middle">'
                f'{escape(name)} <tspan data-field="weight"></tspan></text>')
    return (f'<g class="weight" data-weight="{w}" data-neuron="{n["id"]}" data-k="{k}">'
            f'<title>{escape(name)}</title><line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}"/>'
            f'{text}</g>')


def _neuron_box(key: str, name: str, x: float, y: float) -> str:
    """A neuron (two lines: name and activation; ∂loss/∂activation and δ), an input
    (name and value) or the loss."""
    kind = "neuron" if key.startswith("n") else "input" if key.startswith("in") else "loss"
    first = (f'<tspan class="caption">{escape(name)}</tspan>'
             + ("  a " if kind == "neuron" else " = ") + '<tspan data-field="data"></tspan>')
    second = ('g <tspan data-field="grad"></tspan>  δ <tspan data-field="delta"></tspan>'
              if kind == "neuron" else "")
    return (f'<g class="node {kind}" data-node="{escape(name)}" data-key="{key}" tabindex="0">'
            f'<title>{escape(name)}</title>'
            f'<rect x="{x}" y="{y:.1f}" width="{_N_W}" height="{_N_H}" rx="5"/>'
            f'<text x="{x + 6}" y="{y + 14:.1f}">{first}</text>'
            f'<text x="{x + 6}" y="{y + 28:.1f}">{second}</text></g>')
