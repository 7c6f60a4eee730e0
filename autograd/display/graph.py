"""Drawing the computation graph behind a ``Value`` with Graphviz."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .. import arguments as _args
from ..core.value import Value, topological_order
from . import naming, views
from .colours import DARK, Scale
from .model import GraphModel, path_counts
from .neurons import NEURON_VIEW_FROM, NeuronGraph

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
def graphviz_classes() -> tuple[Any, Any]:
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

        def __repr__(self) -> str:
            # distinct node statements: not edges (->), attributes (node [...], rank=same)
            # or brackets; a helper node named after another (draw_dot's n3_op) is part of it
            heads = {line.split(maxsplit=1)[0] for line in self.body
                     if line.strip() and "->" not in line}
            heads -= {"graph", "node", "edge", "subgraph", "{", "}"}
            heads = {h for h in heads if not h.startswith("legend")}  # a key, not a node
            n = sum(1 for h in heads if "=" not in h and h.rpartition("_")[0] not in heads)
            return f"ComputationGraph({n} node{'s' if n != 1 else ''}, format={self.format!r})"

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
        return graphviz_classes()[0]
    if name == "DotNotFoundError":
        return graphviz_classes()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fields(name: str, data: str, grad: str, across: bool) -> str:
    """An HTML label that looks like a record: name | data | grad, side by side
    (``across``) or stacked, with a rule between the fields."""
    cells = [f"<td>{_escape_html(text)}</td>" for text in (name, data, grad)]
    rules, body = (("columns", "<tr>" + "".join(cells) + "</tr>") if across else
                   ("rows", "".join(f"<tr>{c}</tr>" for c in cells)))
    return (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="5" '
            f'{rules}="*">{body}</table>>')


def _number(x: Any) -> str:
    """4 significant digits: ``0.5854``, ``4.35e-05``, ``-2``."""
    x = x.data if isinstance(x, Value) else x
    return f"{x + 0.0:.4g}" if isinstance(x, float) else str(x)


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
    style: str = "records",
    depth: int | None = None,
    view: str | None = None,
    edge_labels: bool | None = None,
) -> Any:
    """The graph behind ``root`` as a ``graphviz.Digraph``.

    ``style="records"``: one box per Value (name | data | grad) and one small node per op,
    with edges input → op → result. ``style="wires"``: one node per op and each Value
    on the wire it travels, with its data (green) and gradient (red), and on each wire
    into an op the local derivative (formula = number). Every node is named by
    ``autograd.display.naming.names``. Display it in Jupyter, or write it with ``.render(name)``
    (``format`` is 'svg', 'png', 'pdf', ...); the same graph gives the same bytes. Raises
    ``GraphTooLargeError`` when the graph has more than ``max_nodes`` Values.

    ``highlight=node`` draws in red every path from ``root`` to ``node`` (the paths that
    ``explain(root, node)`` lists); ``color_by_grad`` fills each box by its grad (blue
    negative, red positive, one shade darker per decade of |grad|) and adds a legend;
    ``clusters`` (a ``Module`` such as an ``MLP``, or a list of ``Cluster``) boxes the
    nodes of each layer and neuron, the layers in the order of ``rankdir`` and each
    neuron's weights in order, its bias last; ``depth`` draws only the nodes at most that
    many steps below ``root``.

    ``view`` chooses the level of detail: ``"values"`` (the above), ``"neurons"`` (one node
    per neuron with its net input, activation and δ = ∂loss/∂net; weights on the edges,
    coloured blue (−) / red (+) by value, or by gradient with ``color_by_grad``, and
    labelled when ``edge_labels`` is True, or when None and there are at most
    ``views.LABELLED_EDGES``) or ``"layers"`` (one node per layer with its vectors z, a,
    ∂loss/∂a, f′(z), δ and the recurrence δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀδ⁽ˡ⁺¹⁾ ⊙ f′(z⁽ˡ⁾)); see
    ``autograd.display.views``. ``None`` picks the neuron view for a graph with neurons
    and more than ``AUTO_NEURONS`` Values, else the value view (and the value view when
    any of the value view's own options is given: ``highlight``, ``style``, ``depth`` or
    ``clusters``).
    """
    tops = _checked_clusters(root, format, rankdir, max_nodes, highlight, color_by_grad,
                             clusters, style, depth)
    view = _checked_view(root, view, edge_labels, highlight, style, depth, bool(tops))
    if view != "values":
        cls = graphviz_classes()[0]
        if view == "layers":
            return views.layer_view(cls, root, format, rankdir)
        return views.neuron_view(cls, root, format, rankdir, edge_labels, color_by_grad)
    nodes, model = _drawn_nodes(root, max_nodes, depth)
    on_path = _on_paths(nodes, highlight) if highlight is not None else set()
    fill, scale = _grad_colors(nodes) if color_by_grad else ({}, Scale([]))
    member = _membership(nodes, tops)
    ComputationGraph = graphviz_classes()[0]
    ids = {id(v): f"n{i}" for i, v in enumerate(nodes)}  # by topological index: stable
    graph_attr = {"rankdir": rankdir, "newrank": "true"}
    if tops:  # a second crossing minimisation would undo the order of each cluster's nodes
        graph_attr["remincross"] = "false"
    dot = ComputationGraph(format=format, graph_attr=graph_attr)
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    boxes: dict[int, list[Value]] = {}
    for node in nodes:
        boxes.setdefault(member.get(id(node), 0), []).append(node)
    draw = _Drawing(dot, ids, model, on_path, fill, style, root,
                    across=rankdir.upper() in ("LR", "RL"))
    leader: dict[int, Value] = {}  # a parameter -> the first one of its rank
    draw.nodes(dot, boxes.get(0, []))
    _in_order(dot, boxes.get(0, []), ids, leader, flip=False)
    counter = [0]
    for cluster in tops:
        _emit_cluster(dot, cluster, counter, draw, boxes, ids, leader)
    draw.edges(nodes)
    _layer_after_layer(dot, tops, boxes, ids, leader)
    if fill:
        _legend(dot, scale)
    return dot


def _checked_clusters(root: Any, format: Any, rankdir: Any, max_nodes: Any, highlight: Any,
                      color_by_grad: Any, clusters: Any, style: Any, depth: Any
                      ) -> list[Cluster]:
    """``draw_dot``'s arguments checked at the call; its clusters as a list."""
    who = "draw_dot"
    _args.value(root, who, "root")
    check_format(format, who)
    _args.choice(rankdir, who, "rankdir", RANKDIRS, fold=True)
    _args.integer(max_nodes, who, "max_nodes", 1)
    if highlight is not None:
        _args.value(highlight, who, "highlight")
    _args.flag(color_by_grad, who, "color_by_grad")
    tops = _clusters(clusters, who)
    _args.choice(style, who, "style", ("records", "wires"))
    if depth is not None:
        _args.integer(depth, who, "depth", 0)
    return tops


VIEWS = ("values", "neurons", "layers")
AUTO_NEURONS = NEURON_VIEW_FROM  # view=None: the neuron view above this many Values


def _checked_view(root: Value, view: Any, edge_labels: Any, highlight: Any, style: str,
                  depth: Any, clusters: bool) -> str:
    """``draw_dot``'s view, checked (or chosen, when None) with the options it takes."""
    who = "draw_dot"
    if edge_labels is not None:
        _args.flag(edge_labels, who, "edge_labels")
    given = {"highlight": highlight is not None, "depth": depth is not None,
             "style": style != "records", "clusters": clusters}
    if view is None:
        if any(given.values()) or len(topological_order(root)) <= AUTO_NEURONS:
            return "values"
        return "neurons" if NeuronGraph(root).found else "values"
    _args.choice(view, who, "view", VIEWS)
    if view == "values":
        return view
    if not NeuronGraph(root).found:
        raise ValueError(f"draw_dot: view={view!r} needs a graph with neurons (a network "
                         "from nn, or dot nodes whose biases are labelled b_X or P.b), "
                         "and this graph has none; use view='values'")
    for what, used in given.items():
        if used:
            raise ValueError(f"draw_dot: {what} is an option of view='values', "
                             f"not of view={view!r}")
    return view


def _drawn_nodes(root: Value, max_nodes: int, depth: int | None
                 ) -> tuple[list[Value], GraphModel]:
    """The nodes to draw (topological order, at most ``depth`` below ``root``) and the
    model of the whole graph; ``GraphTooLargeError`` beyond ``max_nodes``."""
    nodes = topological_order(root)
    shown = _within(root, depth) if depth is not None else None
    count = len(shown) if shown is not None else len(nodes)
    if count > max_nodes:
        hint = ("; or draw it a neuron per node (view='neurons') or a layer per node "
                "(view='layers')") if NeuronGraph(root).found else ""
        raise GraphTooLargeError(
            f"draw_dot: the graph has {count} Values, more than max_nodes={max_nodes}, "
            f"which is too large to read; pass draw_dot(root, max_nodes={count}) to draw "
            f"it anyway{hint}"
        )
    model = GraphModel(nodes)
    if shown is not None:
        nodes = [v for v in nodes if id(v) in shown]
    return nodes, model


def _emit_cluster(graph: Any, cluster: Cluster, number: list[int], draw: _Drawing,
                  boxes: dict[int, list[Value]], ids: dict[int, str],
                  leader: dict[int, Value]) -> None:
    """A box around ``cluster``'s nodes (its parameters in order first), then its
    children's boxes inside it."""
    number[0] += 1
    with graph.subgraph(name=f"cluster_{number[0]}") as box:
        box.attr(label=cluster.label, style="rounded", color="gray50", fontname="Helvetica")
        members = _params_first(boxes.get(id(cluster), []), cluster.params)
        draw.nodes(box, members)
        _in_order(box, members, ids, leader, flip=draw.across)
        for child in cluster.children:
            _emit_cluster(box, child, number, draw, boxes, ids, leader)


RANKDIRS = ("LR", "TB", "RL", "BT")


def check_format(format: Any, who: str) -> str:
    """``format``: an output format Graphviz knows ('svg', 'png', 'pdf', ...)."""
    try:
        import graphviz

        known = sorted(graphviz.FORMATS)
    except (ImportError, AttributeError):  # no graphviz (or an old one): drawing says so
        known = []
    expected = "a Graphviz output format such as 'svg', 'png' or 'pdf'"
    if not isinstance(format, str):
        raise _args.type_error(who, "format", expected, format)
    if known and format not in known:
        raise _args.value_error(who, "format", expected, format, f"; known: {', '.join(known)}")
    return format


def _clusters(clusters: Any, who: str) -> list[Cluster]:
    """The boxes ``clusters`` asks for: none, a module's (``.clusters()``) or a list."""
    if clusters is None:
        return []
    expected = "a Module (such as an MLP), a list of Cluster or None"
    if callable(getattr(clusters, "clusters", None)):
        tops = clusters.clusters()
    else:
        tops = _args.sequence(clusters, who, "clusters", expected)
    for i, c in enumerate(tops):
        if not isinstance(c, Cluster):
            raise _args.type_error(who, f"clusters[{i}]", "a Cluster", c)
    return list(tops)


def _layer_after_layer(dot: Any, tops: list[Cluster], boxes: dict[int, list[Value]],
                       ids: dict[int, str], leader: dict[int, Value]) -> None:
    """Keep the layers in reading order: an invisible edge from each last node of one
    top-level cluster (a neuron's output) to each parameter of the next (to the first of
    those that share a rank), so a layer's weights (leaves, which Graphviz would put in the
    first rank) sit after the layer before it, and no output of it reaches into the next."""
    def inside(cluster: Cluster) -> list[Value]:
        out = list(boxes.get(id(cluster), []))
        for child in cluster.children:
            out += inside(child)
        return out

    for before, after in zip(tops, tops[1:]):
        members = [v for v in inside(before) if id(v) in ids and v.parents]
        used = {id(p) for v in members for p in v.parents}
        params = {id(v): v for v in inside(after) if id(v) in ids and not v.parents}
        params = {id(first): first for first in (leader.get(k, v) for k, v in params.items())}
        for last in (v for v in members if id(v) not in used):
            for p in params.values():
                dot.edge(ids[id(last)], ids[id(p)], style="invis")


class _Drawing:
    """The nodes and edges of one ``draw_dot`` picture, in either style."""

    RED = {"color": "#d62728", "penwidth": "2.5"}  # hex: a colorscheme would rename "red"

    def __init__(self, dot: Any, ids: dict[int, str], model: GraphModel, on_path: set[int],
                 fill: dict[int, str], style: str, root: Value, across: bool) -> None:
        self.dot, self.ids, self.model, self.on_path = dot, ids, model, on_path
        self.names = model.names
        self.fill, self.style, self.root = fill, style, root
        self.across = across  # ranks run across (LR, RL): a box's fields side by side

    def nodes(self, graph: Any, members: list[Value]) -> None:
        for node in members:
            uid = self.ids[id(node)]
            lit = dict(self.RED) if id(node) in self.on_path else {}
            if self.style == "wires":
                if node.parents:
                    graph.node(uid, label=_escape_html(node.op), shape="circle", width="0.4",
                               fixedsize="false", **lit)
                else:
                    graph.node(uid, label=_escape_html(self.names[id(node)]),
                               shape="plaintext", **lit)
                continue
            attrs = lit
            if id(node) in self.fill:
                attrs.update(style="filled", fillcolor=self.fill[id(node)])
                if self.fill[id(node)] in DARK:
                    attrs.update(fontcolor="white")
            graph.node(uid, label=_fields(self.names[id(node)], f"data {_number(node.data)}",
                                          f"grad {_number(node.grad)}", self.across),
                       shape="box", margin="0", width="0", height="0", **attrs)
            if any(id(p) in self.ids for p in node.parents):  # not at the depth's edge
                graph.node(uid + "_op", label=node.op, shape="ellipse", width="0.3",
                           height="0.3", **(self.RED if id(node) in self.on_path else {}))

    def edges(self, nodes: list[Value]) -> None:
        for node in nodes:
            if not node.parents:
                continue
            uid = self.ids[id(node)]
            lit = id(node) in self.on_path
            if not any(id(p) in self.ids for p in node.parents):
                continue  # at the edge of the depth drawn
            if self.style == "records":
                self.dot.edge(uid + "_op", uid, **(self.RED if lit else {}))
            for i in _edge_order(node):
                p = node.parents[i]
                if id(p) not in self.ids:
                    continue  # below the depth drawn
                red = self.RED if lit and id(p) in self.on_path else {}
                if self.style == "records":
                    self.dot.edge(self.ids[id(p)], uid + "_op", **red)
                else:
                    self.dot.edge(self.ids[id(p)], uid, label=self._wire(p, node, i), **red)
        if self.style == "wires":  # the root's own wire, out of its op
            uid = self.ids[id(self.root)]
            self.dot.node(uid + "_out", label=" ", shape="point", width="0.05")
            self.dot.edge(uid, uid + "_out", label=self._wire(self.root, None, 0))

    def _wire(self, value: Value, user: Value | None, i: int) -> str:
        """An HTML label: name, data (green), grad (red), and the local derivative
        ∂user/∂value (blue), as formula = number."""
        rows = [f"<b>{_escape_html(self.names[id(value)])}</b>",
                f'<font color="#2ca02c">{_number(value.data)}</font>',
                f'<font color="#d62728">{_number(value.grad)}</font>']
        if user is not None:
            formula = self.model.formulas(user)[i]
            local = self.model.locals(user)[i]
            rows.append(f'<font color="#1f77b4">local {_escape_html(formula.text())} = '
                        f"{_number(float(local))}</font>")
        return "<" + "<br/>".join(rows) + ">"


def _edge_order(node: Value) -> list[int]:
    """The inputs of a node in drawing order: a neuron's dot (start, w…, x…) lists its
    weights, then its bias, then its inputs."""
    n = len(node.parents)
    if node.op != "dot":
        return list(range(n))
    half = (n - 1) // 2
    return [*range(1, 1 + half), 0, *range(1 + half, n)]


def _in_order(graph: Any, members: list[Value], ids: dict[int, str], leader: dict[int, Value],
              flip: bool) -> None:
    """Keep each neuron's parameters among ``members`` (the weights and bias that one dot
    node of them reads, all leaves) in one rank, in order: w1, w2, …, b from the top
    (rankdir LR) or from the left (TB), and record w1 as each one's ``leader``. Invisible
    edges within a rank fix the order; inside a cluster with the ranks across (``flip``)
    Graphviz puts such an edge's tail below its head, so there the chain runs from b up."""
    here = {id(v) for v in members}
    for node in members:
        if node.op != "dot":
            continue
        params = [node.parents[i] for i in _edge_order(node)[:(len(node.parents) + 1) // 2]]
        keys = [id(p) for p in params]
        if (len(params) < 2 or len(set(keys)) < len(keys) or any(p.parents for p in params)
                or not all(k in here and k in ids for k in keys)):
            continue
        leader.update((id(p), params[0]) for p in params)
        chain = params[::-1] if flip else params
        with graph.subgraph() as rank:
            rank.attr(rank="same")
            for p in chain:
                rank.node(ids[id(p)])
            for a, b in zip(chain, chain[1:]):
                rank.edge(ids[id(a)], ids[id(b)], style="invis")


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _params_first(members: list[Value], params: list[Value]) -> list[Value]:
    """A cluster's nodes: its weights in order, the bias last, then the rest (inputs first)."""
    place = {id(p): k for k, p in enumerate(params)}
    ordered = sorted((v for v in members if id(v) in place), key=lambda v: place[id(v)])
    return ordered + [v for v in members if id(v) not in place]


def _within(root: Value, depth: int) -> set[int]:
    """The nodes at most ``depth`` steps below ``root``."""
    seen, frontier = {id(root)}, [root]
    for _ in range(depth):
        frontier = [p for v in frontier for p in v.parents if id(p) not in seen]
        seen.update(id(p) for p in frontier)
    return seen


def _legend(dot: Any, scale: Scale) -> None:
    """A key to the gradient colours: sign by hue, each step a decade of |grad|."""
    with dot.subgraph(name="legend_rank") as sink:  # below (or right of) everything
        sink.attr(rank="sink")
        sink.node("legend", shape="plaintext", label=scale.legend_html())


def _grad(v: Value) -> float:
    return v.grad.data if isinstance(v.grad, Value) else v.grad


def value_html(v: Value, depth: int = 2) -> str:
    """HTML for Jupyter: a Value's name, data, grad and op, and a drawing of the nodes at
    most ``depth`` steps below it (left out when Graphviz's ``dot`` is missing)."""
    import html

    name = naming.names(v)[id(v)]
    rows = [("name", name), ("data", _number(v.data)), ("grad", _number(_grad(v))),
            ("op", v.op or "(a leaf)"), ("inputs", str(len(v.parents)))]
    table = "".join(f"<tr><th style=\"text-align:left\">{k}</th><td>{html.escape(x)}</td></tr>"
                    for k, x in rows)
    try:
        svg = draw_dot(v, depth=depth).pipe(format="svg").decode()
        svg = svg[svg.index("<svg"):]
    except (RuntimeError, OSError, GraphTooLargeError):  # no dot: the table alone
        svg = ""
    return f"<div><table>{table}</table>{svg}</div>"


def _on_paths(nodes: list[Value], target: Value) -> set[int]:
    """Nodes on some path from the root (last in ``nodes``) down to ``target``."""
    reaches = path_counts(nodes, target)
    return set(reaches) if id(nodes[-1]) in reaches else set()


def _grad_colors(nodes: list[Value]) -> tuple[dict[int, str], Scale]:
    """Fill colours by grad: blue negative, red positive, darker for larger |grad|, one
    step per decade below the largest (``colours.Scale``); white text on the darkest two."""
    scale = Scale([_grad(v) for v in nodes], "grad")
    if scale.ceiling == 0.0:
        return {}, scale
    return {id(v): scale.colour(_grad(v)) for v in nodes}, scale


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
