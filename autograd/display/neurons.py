"""The neuron-level model of a graph: which nodes are neurons, in which layer, with which
weights, read back from the graph itself (no model object needed).

A **neuron** is a ``dot`` node ``net = b + Σ wᵢ·xᵢ`` whose bias is labelled (``P.b`` from
``nn``'s place names, or ``b_X``), as ``naming.py`` already recognises; its **output** is
the one-input op applied to ``net`` when that op is ``net``'s only consumer (its
activation), else ``net`` itself (a linear neuron). A neuron is in layer 1 when none of
the ``xᵢ`` is another neuron's output, else one layer above the deepest of them.

A graph of a batch applies the network once per example: the same weights, a new ``net``
each time. ``NeuronGraph(root, example=k)`` shows the k-th application (examples counted
in the order their inputs appear in the graph); ``examples`` says how many there are.

For each neuron the view shows ``data`` = out (its activation), ``grad`` = ∂loss/∂out and
``delta`` = ∂loss/∂net = grad·f′(net), read from the nodes after ``loss.backward()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.value import Value, topological_order

__all__ = ["NeuronNode", "NeuronGraph", "NEURON_VIEW_FROM"]

#: Pictures and the page open a graph with neurons and more Values than this in the neuron
#: view (a few dozen: Mazur's 2-2-2 network stays a value graph, MLP(2, [16, 16, 1]) does not).
NEURON_VIEW_FROM = 48


@dataclass(frozen=True, eq=False)
class NeuronNode:
    """One neuron of one example: ``net = bias + Σ weights[i]·sources[i]``, ``out = f(net)``."""

    name: str  # "L1.n3" (bias "L1.n3.b") or "h1" (bias "b_h1"): explain's L1.n3.net, net_h1
    layer: int  # 1 = the first layer after the inputs
    index: int  # place in its layer, from 0
    net: Value
    out: Value  # the activation's node, or net for a linear neuron
    activation: str  # the activation's op name, "" when linear
    bias: Value
    weights: tuple[Value, ...]
    sources: tuple[Value, ...]  # what each weight multiplies: an input or a neuron's out

    @property
    def data(self) -> float:
        """The neuron's activation, out."""
        return self.out.data

    @property
    def grad(self) -> float:
        """∂loss/∂out (after backward)."""
        return _number(self.out.grad)

    @property
    def delta(self) -> float:
        """δ = ∂loss/∂net (after backward)."""
        return _number(self.net.grad)


class NeuronGraph:
    """The neurons of the graph below ``root``, layer by layer, for one example."""

    def __init__(self, root: Value, example: int = 0) -> None:
        self.root = root
        order = topological_order(root)
        found = _neurons(order)
        keys = _examples(found)
        self.examples = len(keys)
        if self.examples and not 0 <= example < self.examples:
            raise ValueError(f"NeuronGraph: example must be in [0, {self.examples}), "
                             f"got {example!r}")
        mine = [n for n in found if keys and n.example == keys[example]]
        by_layer: dict[int, list[_Found]] = {}
        for n in mine:
            by_layer.setdefault(n.layer, []).append(n)
        self.layers: list[list[NeuronNode]] = []
        for layer in sorted(by_layer):
            ranked = sorted(by_layer[layer], key=lambda n: _natural(n.name))
            self.layers.append([n.node(layer, i) for i, n in enumerate(ranked)])
        self._of = {id(v): n for layer_ in self.layers for n in layer_ for v in (n.net, n.out)}
        first = self.layers[0] if self.layers else []
        seen: dict[int, Value] = {}
        for neuron in first:
            for s in neuron.sources:
                seen.setdefault(id(s), s)
        self.inputs: list[Value] = list(seen.values())
        self.outputs: list[Value] = [n.out for n in self.layers[-1]] if self.layers else []

    @property
    def found(self) -> bool:
        """True when the graph has neurons (it was built by ``nn`` or with labelled biases)."""
        return bool(self.layers)

    @property
    def neurons(self) -> list[NeuronNode]:
        return [n for layer in self.layers for n in layer]

    def of(self, value: Value) -> NeuronNode | None:
        """The neuron whose ``net`` or ``out`` is ``value``, or None."""
        return self._of.get(id(value))

    def __repr__(self) -> str:
        sizes = ", ".join(str(len(layer)) for layer in self.layers)
        return f"NeuronGraph(layers=[{sizes}], inputs={len(self.inputs)}, examples={self.examples})"


# --- finding neurons ---------------------------------------------------------------------
@dataclass(eq=False)
class _Found:
    name: str
    net: Value
    out: Value
    layer: int = 1
    example: tuple[int, ...] = ()

    def node(self, layer: int, index: int) -> NeuronNode:
        parents = self.net.parents
        n = (len(parents) - 1) // 2
        activation = self.out.op if self.out is not self.net else ""
        return NeuronNode(self.name, layer, index, self.net, self.out, activation,
                          parents[0], tuple(parents[1:1 + n]), tuple(parents[1 + n:]))


def _neurons(order: list[Value]) -> list[_Found]:
    """Every neuron application in ``order`` (inputs first), with its layer and example."""
    consumers: dict[int, list[Value]] = {}
    for node in order:
        for p in node.parents:
            consumers.setdefault(id(p), []).append(node)
    found: list[_Found] = []
    by_out: dict[int, _Found] = {}
    for node in order:
        name = _name(node)
        if name is None:
            continue
        users = consumers.get(id(node), [])
        out = users[0] if len(users) == 1 and len(users[0].parents) == 1 else node
        parents = node.parents
        sources = parents[1 + (len(parents) - 1) // 2:]
        below = [by_out[id(s)] for s in sources if id(s) in by_out]
        f = _Found(name, node, out)
        if below:
            f.layer = 1 + max(b.layer for b in below)
            f.example = below[0].example
        else:
            f.example = tuple(id(s) for s in sources)
        found.append(f)
        by_out[id(out)] = f
    return found


def _examples(found: list[_Found]) -> list[tuple[int, ...]]:
    """The examples' keys (the ids of their inputs), in the order they appear."""
    keys: dict[tuple[int, ...], None] = {}
    for f in found:
        keys.setdefault(f.example, None)
    return list(keys)


def _name(node: Value) -> str | None:
    """The neuron name of a ``dot`` node from its bias's label, or None if not a neuron."""
    if node.op != "dot":
        return None
    bias = node.parents[0].label
    if bias.endswith(".b"):
        return bias[:-2]
    if bias.startswith("b_") and len(bias) > 2:
        return bias[2:]
    if bias == "b":
        return "n"
    return None


def _natural(name: str) -> list[object]:
    """Sort key that puts n2 before n10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _number(g: object) -> float:
    """A gradient as a float (a Value after ``backward(create_graph=True)``)."""
    return g.data if isinstance(g, Value) else float(g)  # type: ignore[arg-type]
