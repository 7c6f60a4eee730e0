"""``draw_network``: an MLP drawn as tutorials draw it, neurons as circles and weights on
the edges (the compact view, next to ``draw_dot``'s full computation graph).

At scale (a layer wider than ``WIDEST_FAN``) each neuron is a one-line box and the
weights are not labelled unless asked: each edge's colour says the sign of its weight (or
gradient), blue negative, red positive, and its shade and width the decade of its
magnitude (``autograd.display.colours``); a legend gives the key. Neurons that are dead
(a ReLU that is 0 on every example given, or with no gradient while others have one) or
saturated (tanh or sigmoid within 0.01 of its limits on every example) are marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograd import Value, no_grad
from autograd import arguments as _args
from autograd.display.colours import Scale
from autograd.display.views import is_dead, is_saturated, superscript

__all__ = ["draw_network"]

RADIUS = 36.0  # a neuron's circle, in points (width 1 inch)
ARROW = 10.0  # an arrowhead's length, in points
FONT = 9.0  # the edge labels' font size, in points
WIDEST_FAN = 8  # the most inputs per neuron whose labels the spacing keeps apart
BOX_STEP = 26.0  # at scale: from one neuron's box to the next, in points
BOX_GAP = 230.0  # at scale: from one column to the next, in points
COLOR_BY = ("weight", "grad")
VIEWS = ("neurons", "layers")
DEAD = {"style": "rounded,filled,dashed", "fillcolor": "gray80"}
SATURATED = {"style": "rounded,filled", "fillcolor": "#fee391"}


@dataclass
class _Options:
    names: list[str]
    show_grad: bool
    color_by: str
    labels: bool
    marks: list[list[str]]  # per layer, per neuron: "", "dead", "no grad" or "saturated"
    compact: bool


def draw_network(
    model: Any, input_names: list[str] | None = None, show_grad: bool = False,
    format: str = "svg", color_by: str = "weight", labels: bool | None = None,
    examples: list[list[float]] | None = None, view: str = "neurons",
) -> Any:
    """Inputs and neurons, one column per layer, each top to bottom in order; one edge per
    weight, coloured by the sign and decade of its value (``color_by="grad"``: of its
    gradient), with a legend. Names are those ``draw_dot`` and ``explain`` use: inputs
    ``x1…``, neurons by their bias's label (``L1.n2`` or the tutorials' ``h1``).

    ``labels``: each edge labelled with its weight's name and value (and its gradient with
    ``show_grad``); ``None`` labels them when no layer is wider than ``WIDEST_FAN``. Each
    label sits on its own edge, 1/(n + 1) of the way from the neuron it feeds (n inputs
    per neuron), and the columns are spaced so that no two labels overlap. ``examples``
    (inputs to run the model on, without recording a graph) marks dead and saturated
    neurons; without them a neuron whose parameters have no gradient while others have
    one is marked "no grad". ``view="layers"`` draws one node per layer instead (its size,
    activation, weight matrix and the range of its weights, and the counts of marked
    neurons). Positions are pinned, so Graphviz's ``neato`` draws the neuron view."""
    who = "draw_network"
    names = _input_names(model, input_names)
    _args.flag(show_grad, who, "show_grad")
    from autograd.display.graph import ComputationGraph, check_format

    check_format(format, who)
    _args.choice(color_by, who, "color_by", COLOR_BY)
    if labels is not None:
        _args.flag(labels, who, "labels")
    _args.choice(view, who, "view", VIEWS)
    marks = _marks(model, _examples(examples, len(names)))
    widest = max(len(names), *(len(layer.neurons) for layer in model.layers))
    compact = widest > WIDEST_FAN
    opts = _Options(names, show_grad, color_by, not compact if labels is None else labels,
                    marks, compact)
    if view == "layers":
        return _layers(ComputationGraph, model, opts, format)
    return _neurons(ComputationGraph, model, opts, format)


def _neurons(cls: Any, model: Any, opts: _Options, format: str) -> Any:
    """The neuron view: pinned columns, one edge per weight."""
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    scale = Scale([_grad(w) if opts.color_by == "grad" else w.data for w in weights],
                  "∂loss/∂w" if opts.color_by == "grad" else "w")
    labels = [[[_label(w, opts.show_grad) for w in neuron.w] for neuron in layer.neurons]
              for layer in model.layers]
    height = 12.0 * (2 if opts.show_grad else 1) + 5  # a label's lines and a gap, in points
    fans = [len(layer.neurons[0].w) for layer in model.layers]
    fans = [min(f, WIDEST_FAN) for f in fans] if not opts.compact or not opts.labels else fans
    if opts.compact and not opts.labels:
        step = BOX_STEP
    else:  # 1/(n + 1) of the way from a column, the edges into it pass step/(n + 1) apart
        step = max(BOX_STEP if opts.compact else 2 * RADIUS + 21.6,
                   (max(fans) + 1) * height if opts.labels else 0.0)
    g = cls(format=format, engine="neato", graph_attr={"layout": "neato", "splines": "line",
                                                       "outputorder": "edgesfirst"})
    g.attr("node", fontname="Helvetica", fontsize="10")
    if opts.compact:
        g.attr("node", shape="box", style="rounded,filled", fillcolor="white", height="0.25",
               margin="0.06,0.02")
    else:
        g.attr("node", shape="circle", fixedsize="true", width=str(2 * RADIUS / 72))
    g.attr("edge", labelfontname="Helvetica", labelfontsize=str(FONT), labelangle="0",
           arrowsize="0.6" if opts.compact else "1")
    x = 0.0
    column = _column(g, [f"in{i}" for i in range(len(opts.names))], opts.names, x, step,
                     [{"style": "filled", "fillcolor": "gray90"}] * len(opts.names))
    for k, layer in enumerate(model.layers):
        if opts.labels:
            widest = max(_width(line) for rows in labels[k] for lab in rows for line in lab)
            near = RADIUS + ARROW + widest / 2 + 4  # a label's centre clear of the arrowheads
            gap = max((fans[k] + 1) * near, 2 * RADIUS + 115)  # from one column to the next
        else:
            gap = BOX_GAP if opts.compact else 2 * RADIUS + 115
        x += gap
        tags = [_tag(neuron, j, k == len(model.layers) - 1, k, opts)
                for j, neuron in enumerate(layer.neurons)]
        looks = [DEAD if m in ("dead", "no grad") else SATURATED if m else {}
                 for m in opts.marks[k]]
        previous = column
        column = _column(g, [f"L{k}N{j}" for j in range(len(tags))], tags, x, step, looks)
        for j, (head, head_y) in enumerate(column):
            neuron = layer.neurons[j]
            for (tail, tail_y), w, label in zip(previous, neuron.w, labels[k][j]):
                number = _grad(w) if opts.color_by == "grad" else w.data
                look = {"color": scale.colour(number) + ("b0" if opts.compact else ""),
                        "penwidth": f"{scale.width(number, 3.0):.2f}"}
                if opts.labels:
                    along = (gap**2 + (tail_y - head_y) ** 2) ** 0.5 / (fans[k] + 1)
                    # labeldistance counts tens of points from the arrow's tip
                    look.update(headlabel=_html(label),
                                labeldistance=f"{(along - RADIUS) / 10:.3f}")
                g.edge(tail, head, **look)
    tallest = max(len(opts.names), *(len(layer.neurons) for layer in model.layers))
    _legend(g, scale, opts, x / 2, -tallest / 2 * step - (70 if opts.compact else 110))
    return g


def _legend(g: Any, scale: Scale, opts: _Options, x: float, y: float) -> None:
    """The colour key (and the marks, when any neuron is marked), pinned below."""
    found = {m for layer in opts.marks for m in layer if m}
    key = scale.legend_html()
    if found:
        notes = []
        if found & {"dead", "no grad"}:
            notes.append('<tr><td bgcolor="gray80" colspan="2">dead</td><td align="left">'
                         "ReLU at 0 on every example, or no gradient</td></tr>")
        if "saturated" in found:
            notes.append('<tr><td bgcolor="#fee391" colspan="2">saturated</td>'
                         '<td align="left">tanh or sigmoid within 0.01 of its limits</td></tr>')
        key = key[:-len("</table>>")] + "".join(notes) + "</table>>"
    g.node("legend", label=key, shape="plaintext", fixedsize="false", style="",
           pos=f"{x / 72:.4f},{y / 72:.4f}!")


def _tag(neuron: Any, j: int, last: bool, k: int, opts: _Options) -> str:
    """A neuron's text: name, activation and bias (and its mark): three lines in a circle,
    one in a box."""
    tag = _neuron_name(neuron.b.label)
    if not tag:
        tag = f"o{j + 1}" if last else f"h{k + 1}.{j + 1}"
    mark = opts.marks[k][j]
    parts = [tag, neuron.activation, f"b={neuron.b.data:.3g}"] + ([mark] if mark else [])
    return " ".join(parts) if opts.compact else "\\n".join(parts)


def _layers(cls: Any, model: Any, opts: _Options, format: str) -> Any:
    """The layer view: one node per layer, in a row."""
    g = cls(format=format, graph_attr={"rankdir": "LR", "ranksep": "0.4"})
    g.attr("node", fontname="Helvetica", fontsize="11", shape="box", style="rounded")
    g.node("in", label=f"input a{superscript(0)}\\n{len(opts.names)}: "
           + ", ".join(opts.names[:4]) + (" …" if len(opts.names) > 4 else ""))
    previous = "in"
    for k, layer in enumerate(model.layers, 1):
        s = superscript(k)
        ws = [w.data for n in layer.neurons for w in n.w]
        lines = [f"layer {k}: {len(layer.neurons)} × {layer.neurons[0].activation}",
                 f"z{s} = W{s}a{superscript(k - 1)} + b{s}, a{s} = f(z{s})",
                 f"W{s}: {len(layer.neurons)}×{len(layer.neurons[0].w)}, "
                 f"w in [{min(ws):.3g}, {max(ws):.3g}]"]
        if opts.show_grad:
            grads = [abs(_grad(w)) for n in layer.neurons for w in n.w]
            lines.append(f"max |∂loss/∂w| = {max(grads):.3g}")
        for mark in ("dead", "no grad", "saturated"):
            count = opts.marks[k - 1].count(mark)
            if count:
                lines.append(f"{mark}: {count} of {len(layer.neurons)}")
        g.node(f"L{k}", label="\\n".join(lines))
        g.edge(previous, f"L{k}")
        previous = f"L{k}"
    return g


def _examples(examples: Any, nin: int) -> list[list[float]]:
    """``draw_network``'s examples checked: a list of inputs of ``nin`` numbers each."""
    if examples is None:
        return []
    who = "draw_network"
    rows = _args.sequence(examples, who, "examples", "a list of inputs (lists of numbers)")
    out = []
    for i, row in enumerate(rows):
        xs = _args.sequence(row, who, f"examples[{i}]", f"a list of {nin} numbers")
        if len(xs) != nin:
            raise ValueError(f"draw_network: examples[{i}] must have {nin} numbers, "
                             f"got {len(xs)}")
        out.append([_args.finite(x, who, f"examples[{i}][{j}]", data=True)
                    for j, x in enumerate(xs)])
    return out


def _marks(model: Any, examples: list[list[float]]) -> list[list[str]]:
    """Per layer, per neuron: "dead", "saturated", "no grad" or ""."""
    outs: list[list[list[float]]] = [[[] for _ in layer.neurons] for layer in model.layers]
    with no_grad():
        for x in examples:
            a: list[Any] = list(x)
            for k, layer in enumerate(model.layers):
                a = list(layer(a))
                for j, v in enumerate(a):
                    outs[k][j].append(v.data)
    params = [p for layer in model.layers for n in layer.neurons for p in (*n.w, n.b)]
    any_grad = not examples and any(_grad(p) != 0.0 for p in params)
    marks = []
    for k, layer in enumerate(model.layers):
        row = []
        for j, n in enumerate(layer.neurons):
            if is_dead(n.activation, outs[k][j]):
                row.append("dead")
            elif is_saturated(n.activation, outs[k][j]):
                row.append("saturated")
            elif any_grad and all(_grad(p) == 0.0 for p in (*n.w, n.b)):
                row.append("no grad")
            else:
                row.append("")
        marks.append(row)
    return marks


def _grad(v: Value) -> float:
    return v.grad.data if isinstance(v.grad, Value) else float(v.grad)


def _input_names(model: Any, input_names: Any) -> list[str]:
    """``draw_network``'s model checked, and the names of its inputs (``x1…`` by default)."""
    if not getattr(model, "layers", None) or not all(hasattr(layer, "neurons")
                                                     for layer in model.layers):
        raise _args.type_error("draw_network", "model", "an MLP", model)
    nin = len(model.layers[0].neurons[0].w)
    if input_names is None or isinstance(input_names, (list, tuple)) and not input_names:
        return [f"x{i + 1}" for i in range(nin)]
    names = _args.sequence(input_names, "draw_network", "input_names", "a list of str")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise _args.type_error("draw_network", f"input_names[{i}]", "a str", name)
    if len(names) != nin:
        raise ValueError(f"draw_network: {nin} inputs but {len(names)} input names")
    return names


def _column(g: Any, ids: list[str], labels: list[str], x: float, step: float,
            looks: list[dict[str, str]]) -> list[tuple[str, float]]:
    """Pin one column of neurons at ``x``, the first on top, centred on y = 0; returns
    (id, y) of each, in points."""
    out = []
    for i, (uid, label, look) in enumerate(zip(ids, labels, looks)):
        y = ((len(ids) - 1) / 2 - i) * step
        g.node(uid, label=label, pos=f"{x / 72:.4f},{y / 72:.4f}!", **look)
        out.append((uid, y))
    return out


def _label(w: Value, show_grad: bool) -> list[str]:
    """A weight's label, one string per line: ``name=value`` and maybe ``(grad g)``."""
    text = f"{w.label}={w.data:.4g}" if w.label else f"{w.data:.4g}"
    if not show_grad:
        return [text]
    return [text, f"(grad {_grad(w):.3g})"]


def _html(lines: list[str]) -> str:
    """An HTML label on a white ground, so the edge under it does not strike it through."""
    rows = "".join(f"<tr><td>{_escape(line)}</td></tr>" for line in lines)
    return (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1" '
            f'bgcolor="white">{rows}</table>>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _width(text: str) -> float:
    """A generous width of a line of Helvetica at ``FONT`` points, with its padding."""
    return 0.65 * FONT * len(text) + 2


def _neuron_name(bias: str) -> str:
    """The neuron's name, as ``autograd.display.naming`` derives it from its bias's label:
    ``L1.n2.b`` gives ``L1.n2``, ``b_h1`` gives ``h1``; '' for any other label."""
    if bias.endswith(".b"):
        return bias[:-2]
    return bias[2:] if bias.startswith("b_") else ""
