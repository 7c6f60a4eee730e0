"""``draw_network``: an MLP drawn as tutorials draw it, neurons as circles and weights on
the edges (the compact view, next to ``draw_dot``'s full computation graph)."""

from __future__ import annotations

from typing import Any

from autograd import Value

__all__ = ["draw_network"]


def draw_network(
    model: Any, input_names: list[str] | None = None, show_grad: bool = False,
    format: str = "svg",
) -> Any:
    """Inputs and neurons as circles (name, activation and bias inside), one edge per
    weight labelled with its name and value (and its gradient with ``show_grad``). Names
    are those ``draw_dot`` and ``explain`` use: inputs ``x1…``, neurons by their bias's
    label (``L1.n2`` or the tutorials' ``h1``)."""
    if not getattr(model, "layers", None) or not all(hasattr(layer, "neurons")
                                                     for layer in model.layers):
        raise TypeError(f"draw_network: expected an MLP, got {type(model).__name__}")
    nin = len(model.layers[0].neurons[0].w)
    names = input_names or [f"x{i + 1}" for i in range(nin)]
    if len(names) != nin:
        raise ValueError(f"draw_network: {nin} inputs but {len(names)} input names")
    from autograd.graph import ComputationGraph

    g = ComputationGraph(format=format, graph_attr={"rankdir": "LR", "splines": "line",
                                                    "nodesep": "0.3", "ranksep": "1.6"})
    g.attr("node", fontname="Helvetica", fontsize="10", shape="circle", fixedsize="true",
           width="1.0")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    with g.subgraph(name="inputs") as rank:
        rank.attr(rank="same")
        for i, name in enumerate(names):
            rank.node(f"in{i}", label=name, style="filled", fillcolor="gray90")
    previous = [f"in{i}" for i in range(nin)]
    for k, layer in enumerate(model.layers):
        current = []
        with g.subgraph(name=f"layer{k}") as rank:
            rank.attr(rank="same")
            for j, neuron in enumerate(layer.neurons):
                uid = f"L{k}N{j}"
                tag = _neuron_name(neuron.b.label)
                if not tag:
                    last = k == len(model.layers) - 1
                    tag = f"o{j + 1}" if last else f"h{k + 1}.{j + 1}"
                rank.node(uid, label=f"{tag}\\n{neuron.activation}\\nb={neuron.b.data:.3g}")
                current.append(uid)
        for j, neuron in enumerate(layer.neurons):
            for src, w in zip(previous, neuron.w):
                grad = w.grad.data if isinstance(w.grad, Value) else w.grad
                text = f"{w.data:.4g}" + (f"\\n(grad {grad:.3g})" if show_grad else "")
                label = f"{w.label}={text}" if w.label else text
                g.edge(src, f"L{k}N{j}", label=label)
        previous = current
    return g


def _neuron_name(bias: str) -> str:
    """The neuron's name, as ``autograd.naming`` derives it from its bias's label:
    ``L1.n2.b`` gives ``L1.n2``, ``b_h1`` gives ``h1``; '' for any other label."""
    if bias.endswith(".b"):
        return bias[:-2]
    return bias[2:] if bias.startswith("b_") else ""
