"""``explain``: how a gradient was obtained, written out by the chain rule.

For ``explain(loss, wrt=w5)`` every path from ``loss`` down to ``w5`` is listed with each
edge's local derivative (its formula from ``ops.py`` and its value), the product along each
path and the sum over paths, which equals ∂loss/∂w5. Unlabelled intermediate nodes are
folded into the factor between the labelled ones, so a labelled network reads like a
tutorial: ∂E/∂w5 = ∂E/∂out × ∂out/∂net × ∂net/∂w5. When there are more paths than
``max_paths`` it shows the adjoint recurrence at ``wrt`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .engine import Value, adjoints, op_of, topological_order

__all__ = ["explain", "path_counts", "Explanation", "Factor"]


@dataclass
class Edge:
    """One local derivative ∂node/∂input along a path."""

    node: Value
    index: int  # which input of node
    value: float
    formula: str


@dataclass
class Factor:
    """∂upper/∂lower between two labelled nodes: the product of the edges between them."""

    upper: str
    lower: str
    edges: list[Edge]

    @property
    def value(self) -> float:
        out = 1.0
        for e in self.edges:
            out *= e.value
        return out


@dataclass
class Explanation:
    """A printable derivation of ∂root/∂wrt. ``str()`` gives plain text;
    ``to_markdown()`` gives Markdown with LaTeX (shown inline in Jupyter)."""

    root: str
    wrt: str
    gradient: float  # ∂root/∂wrt, recomputed here
    grad_field: float | None  # wrt.grad as found (None when it is a Value)
    n_paths: int
    paths: list[list[Factor]] = field(default_factory=list)  # empty when summarised
    contributions: list[tuple[str, float, float, str]] = field(default_factory=list)
    max_paths: int = 64

    # --- plain text ------------------------------------------------------------------------
    def __str__(self) -> str:
        d = f"∂{self.root}/∂{self.wrt}"
        lines = [f"{d} = {self.gradient:.9g}   ({self.n_paths:,} path"
                 f"{'s' if self.n_paths != 1 else ''} from {self.root} to {self.wrt})", ""]
        if self.n_paths == 0:
            lines.append(f"{self.root} does not depend on {self.wrt}: the gradient is 0.")
        elif self.paths:
            for k, path in enumerate(self.paths, 1):
                names = [path[0].upper] + [f.lower for f in path]
                lines.append(f"Path {k}: " + " → ".join(names))
                width = max(len(f"∂{f.upper}/∂{f.lower}") for f in path)
                for f in path:
                    lines.append(f"  {f'∂{f.upper}/∂{f.lower}':<{width}} = {f.value:>13.9g}"
                                 f"   {_edges_text(f.edges)}")
                product = 1.0
                for f in path:
                    product *= f.value
                lines.append(f"  {'product':<{width}} = {product:>13.9g}")
                lines.append("")
            lines.append(f"Sum over the {self.n_paths} path{'s' if self.n_paths > 1 else ''}"
                         f" = {self.gradient:.9g}")
        else:
            lines += [
                f"{self.n_paths:,} paths are too many to list (max_paths={self.max_paths}); by "
                "the adjoint recurrence",
                "  grad(node) = Σ over the nodes c made from it: grad(c) × ∂c/∂node",
                f"the gradient at {self.wrt} sums one term per node made from it:",
            ]
            for name, g, local, formula in self.contributions:
                lines.append(f"  grad({name}) × ∂{name}/∂{self.wrt} = {g:.6g} × {local:.6g}"
                             f"   [{formula}]   = {g * local:.6g}")
            lines.append(f"Sum = {self.gradient:.9g}")
        lines.append(self._check())
        return "\n".join(lines)

    def _check(self) -> str:
        if self.grad_field is None:
            return f"({self.wrt}.grad holds a Value: not compared)"
        if self.grad_field == 0.0 and self.gradient != 0.0:
            return f"{self.wrt}.grad is 0.0: call backward() to fill it."
        same = abs(self.grad_field - self.gradient) <= 1e-12 * max(1.0, abs(self.gradient))
        return (f"{self.wrt}.grad = {self.grad_field:.9g}"
                + ("   (matches)" if same else "   (differs: gradients accumulated over "
                   "several backward passes, or backward ran on another root)"))

    # --- Markdown / LaTeX --------------------------------------------------------------------
    def to_markdown(self) -> str:
        r, w = _tex(self.root), _tex(self.wrt)
        lines = [f"$$\\frac{{\\partial {r}}}{{\\partial {w}}} = {self.gradient:.9g}$$", ""]
        if self.paths:
            for k, path in enumerate(self.paths, 1):
                terms = " \\cdot ".join(
                    f"\\frac{{\\partial {_tex(f.upper)}}}{{\\partial {_tex(f.lower)}}}"
                    for f in path)
                values = " \\times ".join(f"{f.value:.6g}" for f in path)
                product = 1.0
                for f in path:
                    product *= f.value
                lines += [f"**Path {k}**", "",
                          f"$$ {terms} = {values} = {product:.9g} $$", ""]
        elif self.n_paths:
            lines += [f"{self.n_paths:,} paths: by the adjoint recurrence "
                      f"$\\bar{{v}} = \\sum_c \\bar{{c}}\\,\\partial c/\\partial v$:", ""]
            for name, g, local, _ in self.contributions:
                lines.append(f"- $\\bar{{{_tex(name)}}} \\cdot \\partial {_tex(name)}"
                             f"/\\partial {w} = {g:.6g} \\times {local:.6g}$")
        lines.append("")
        lines.append(self._check())
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _tex(name: str) -> str:
    """'out_o1' -> '\\mathrm{out}_{o1}', 'w5' -> 'w_{5}'."""
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    base, _, sub = (m.group(1), "", m.group(2)) if m else name.partition("_")
    base = f"\\mathrm{{{base}}}" if len(base) > 1 else base
    return f"{base}_{{{sub}}}" if sub else base


def _edges_text(edges: list[Edge]) -> str:
    return " · ".join(f"{e.node.op}: {e.formula} = {e.value:.6g}" for e in edges)


def _names(order: list[Value]) -> dict[int, str]:
    """A display name per node: its label; else its op and position ('[tanh]#3'), or for
    an unlabelled leaf (a constant) its value."""
    return {id(v): v.label or (f"[{v.op}]#{i}" if v.op else f"{v.data:g}")
            for i, v in enumerate(order)}


def _edge(node: Value, i: int, names: dict[int, str]) -> Edge:
    inputs = node.parents
    value = op_of(node).local(node._data, *[p._data for p in inputs])[i]
    return Edge(node, i, float(value), _formula(node, i, names))


def _formula(node: Value, i: int, names: dict[int, str]) -> str:
    """∂node/∂(input i) as a formula in the nodes' names, derived from the op's rule."""
    inputs = node.parents
    return str(op_of(node).formulas(names[id(node)], [names[id(p)] for p in inputs])[i])


def path_counts(order: list[Value], target: Value) -> dict[int, int]:
    """For each node of ``order`` (a topological order) from which ``target`` can be
    reached, the number of paths down to it, keyed by ``id``; ``target`` itself counts 1."""
    counts = {id(target): 1}
    for node in order:  # inputs first
        n = sum(counts.get(id(p), 0) for p in node.parents)
        if n and node is not target:
            counts[id(node)] = n
    return counts


def explain(root: Value, wrt: Value, max_paths: int = 64) -> Explanation:
    """How ∂root/∂wrt follows from the chain rule, path by path (see the module doc)."""
    if not isinstance(root, Value) or not isinstance(wrt, Value):
        raise TypeError("explain: root and wrt must be Values")
    order = topological_order(root)
    names = _names(order)
    reaches = path_counts(order, wrt)
    n_paths = reaches.get(id(root), 0)
    _, adj = adjoints(root)
    gradient = float(adj.get(id(wrt), 0.0))
    grad_field = wrt.grad if not isinstance(wrt.grad, Value) else None
    result = Explanation(names[id(root)], names.get(id(wrt), wrt.label or "wrt"), gradient,
                         grad_field, n_paths, max_paths=max_paths)
    if n_paths == 0:
        return result
    if n_paths <= max_paths:
        result.paths = [_fold(path, names) for path in _paths(root, wrt, reaches, names)]
    else:
        for node in order:
            for i, p in enumerate(node.parents):
                if p is wrt:
                    e = _edge(node, i, names)
                    result.contributions.append(
                        (names[id(node)], float(adj[id(node)]), e.value, e.formula))
    return result


def _paths(
    root: Value, wrt: Value, reaches: dict[int, int], names: dict[int, str]
) -> list[list[Edge]]:
    """Every path root → wrt as its list of edges (an iterative depth-first search)."""
    out: list[list[Edge]] = []
    stack: list[tuple[Value, list[Edge]]] = [(root, [])]
    while stack:
        node, edges = stack.pop()
        if node is wrt:
            out.append(edges)
            continue
        for i, p in reversed(list(enumerate(node.parents))):
            if id(p) in reaches:
                stack.append((p, [*edges, _edge(node, i, names)]))
    return out


def _fold(edges: list[Edge], names: dict[int, str]) -> list[Factor]:
    """Group a path's edges into factors between labelled nodes (and the two ends)."""
    factors: list[Factor] = []
    current: list[Edge] = []
    upper = names[id(edges[0].node)]
    for k, e in enumerate(edges):
        current.append(e)
        lower_node = e.node.parents[e.index]
        if lower_node.label or k == len(edges) - 1:
            factors.append(Factor(upper, names[id(lower_node)], current))
            upper, current = names[id(lower_node)], []
    return factors
