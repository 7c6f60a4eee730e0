"""``draw_network``: an MLP drawn as tutorials draw it, neurons as circles and weights on
the edges (the compact view, next to ``draw_dot``'s full computation graph)."""

from __future__ import annotations

from typing import Any

from autograd import Value
from autograd import arguments as _args

__all__ = ["draw_network"]

RADIUS = 36.0  # a neuron's circle, in points (width 1 inch)
ARROW = 10.0  # an arrowhead's length, in points
FONT = 9.0  # the edge labels' font size, in points
WIDEST_FAN = 8  # the most inputs per neuron whose labels the spacing keeps apart


def draw_network(
    model: Any, input_names: list[str] | None = None, show_grad: bool = False,
    format: str = "svg",
) -> Any:
    """Inputs and neurons as circles (name, activation and bias inside), one column per
    layer, each top to bottom in order; one edge per weight labelled with its name and
    value (and its gradient with ``show_grad``). Names are those ``draw_dot`` and
    ``explain`` use: inputs ``x1…``, neurons by their bias's label (``L1.n2`` or the
    tutorials' ``h1``). Each label sits on its own edge, 1/(n + 1) of the way from the
    neuron it feeds (n inputs per neuron): there every edge of the layer passes at its own
    height, and the columns are spaced so that no two labels overlap (for n up to
    ``WIDEST_FAN``). Positions are pinned, so Graphviz's ``neato`` draws it."""
    names = _input_names(model, input_names)
    _args.flag(show_grad, "draw_network", "show_grad")
    from autograd.display.graph import ComputationGraph, check_format

    check_format(format, "draw_network")

    labels = [[[_label(w, show_grad) for w in neuron.w] for neuron in layer.neurons]
              for layer in model.layers]
    height = 12.0 * (2 if show_grad else 1) + 5  # a label's lines and a gap, in points
    fans = [min(len(layer.neurons[0].w), WIDEST_FAN) for layer in model.layers]
    # 1/(n + 1) of the way from a column, the edges into it pass step/(n + 1) apart
    step = max(2 * RADIUS + 21.6, (max(fans) + 1) * height)  # from one neuron to the next
    g = ComputationGraph(format=format, engine="neato", graph_attr={"layout": "neato",
                                                                    "splines": "line"})
    g.attr("node", fontname="Helvetica", fontsize="10", shape="circle", fixedsize="true",
           width=str(2 * RADIUS / 72))
    g.attr("edge", labelfontname="Helvetica", labelfontsize=str(FONT), labelangle="0")
    x = 0.0
    column = _column(g, [f"in{i}" for i in range(len(names))], names, x, step, filled=True)
    for k, layer in enumerate(model.layers):
        widest = max(_width(line) for rows in labels[k] for label in rows for line in label)
        near = RADIUS + ARROW + widest / 2 + 4  # a label's centre clear of the arrowheads
        gap = max((fans[k] + 1) * near, 2 * RADIUS + 115)  # from one column to the next
        x += gap
        tags = []
        for j, neuron in enumerate(layer.neurons):
            tag = _neuron_name(neuron.b.label)
            if not tag:
                tag = f"o{j + 1}" if k == len(model.layers) - 1 else f"h{k + 1}.{j + 1}"
            tags.append(f"{tag}\\n{neuron.activation}\\nb={neuron.b.data:.3g}")
        previous = column
        column = _column(g, [f"L{k}N{j}" for j in range(len(tags))], tags, x, step)
        for j, (head, head_y) in enumerate(column):
            for (tail, tail_y), label in zip(previous, labels[k][j]):
                along = (gap**2 + (tail_y - head_y) ** 2) ** 0.5 / (fans[k] + 1)
                # labeldistance counts tens of points from the arrow's tip
                g.edge(tail, head, headlabel=_html(label),
                       labeldistance=f"{(along - RADIUS) / 10:.3f}")
    return g


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
            filled: bool = False) -> list[tuple[str, float]]:
    """Pin one column of circles at ``x``, the first on top, centred on y = 0; returns
    (id, y) of each, in points."""
    out = []
    for i, (uid, label) in enumerate(zip(ids, labels)):
        y = ((len(ids) - 1) / 2 - i) * step
        fill = {"style": "filled", "fillcolor": "gray90"} if filled else {}
        g.node(uid, label=label, pos=f"{x / 72:.4f},{y / 72:.4f}!", **fill)
        out.append((uid, y))
    return out


def _label(w: Value, show_grad: bool) -> list[str]:
    """A weight's label, one string per line: ``name=value`` and maybe ``(grad g)``."""
    text = f"{w.label}={w.data:.4g}" if w.label else f"{w.data:.4g}"
    if not show_grad:
        return [text]
    grad = w.grad.data if isinstance(w.grad, Value) else w.grad
    return [text, f"(grad {grad:.3g})"]


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
