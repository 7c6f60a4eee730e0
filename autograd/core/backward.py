"""The backward pass, as the chain rule says it: start here.

``adjoints(root)`` walks the graph from ``root`` to its leaves, every consumer before its
inputs (newest first: a node is made after its inputs, value.py's clock), and, at each
node, asks the node's op for its local derivatives ∂node/∂input (``Op.partials``, from
``rules/ops.py``) and adds ``grad(node) × ∂node/∂input`` to each input's gradient. That
is all of reverse mode::

    grad[root] = seed
    for node in newest_first(nodes below root):          # consumers first
        for input, d in zip(node.parents, local derivatives of node):
            grad[input] += grad[node] * d

Two refinements, each a few lines below: a product that is ±inf or NaN is settled by the
op's own rules (a mask makes 0 × inf exactly 0; a ``vjp`` rule computes g/x where 1/x
overflows), and with ``create_graph=True`` the local derivatives are computed on Values
(``VALUES``), so the gradients are Values that can be differentiated again.

``fast.py`` is the same pass, written for speed (tested equal to this one bit for bit);
``engine.py`` gives ``Value`` its ``backward`` method, which picks between them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import nullcontext
from operator import attrgetter
from typing import Any

from ..rules.ops import Op
from . import modes
from .functions import VALUES
from .modes import enable_grad
from .value import (
    Value,
    check_fresh,
    data_of,
    describe,
    local_derivative_error,
    op_of,
    topological_order,
)

__all__ = ["adjoints", "local_derivatives", "settle", "topological_order"]

_stamp_of = attrgetter("_t")


def adjoints(
    root: Value, seed: Any = 1.0, create_graph: bool = False
) -> tuple[list[Value], dict[int, Any]]:
    """``(order of creation, {id(node): ∂root/∂node})`` by the chain rule; no ``.grad`` is
    touched. With ``create_graph`` the local derivatives are Values (``VALUES``), so the
    gradients are Values that can be differentiated again. Inside ``detect_anomaly()``
    every contribution is checked for NaN and infinity."""
    order = topological_order(root)
    check_fresh(order)  # no input changed after its consumer was computed
    # the order of creation: every node after its inputs (they are older, as the graph is
    # fresh), root last; ties (a write stamping nodes alike) keep topological_order's order
    order.sort(key=_stamp_of)
    grads: dict[int, Any] = {id(root): seed}
    anomaly = modes.ANOMALY.get()
    with enable_grad() if create_graph else nullcontext():
        for node in reversed(order):  # consumers before their inputs
            if node.is_leaf or id(node) not in grads:  # a leaf, or no gradient reached it
                continue
            g = grads[id(node)]
            parents, ds = node.parents, local_derivatives(node, create_graph)
            for i in _visit_order(op_of(node), len(parents)):
                x, d = parents[i], ds[i]
                contribution = d * g  # the chain rule: ∂root/∂node · ∂node/∂x
                c = data_of(contribution)
                if c - c != 0.0 and op_of(node).masks:  # ±inf or NaN: the op's rules settle it
                    contribution = settle(op_of(node), node, i, d, g, contribution, create_graph)
                if anomaly:
                    _check_finite(contribution, node, d, g)
                grads[id(x)] = grads.get(id(x), 0.0) + contribution  # a node used twice: sum
    return order, grads


def _visit_order(op: Op, n_inputs: int) -> Sequence[int]:
    """The order in which a node's ``n_inputs`` inputs receive their contributions: the
    heads, then the runs position by position (dot: start, a1, b1, a2, b2, …). It matters
    only for an input that a node reads twice (floats sum in this order); ``fast.py`` and
    the compiled backends add in the same order."""
    layout = op.layout
    if layout.runs < 2:
        return range(n_inputs)
    h, m = layout.heads, layout.run_length(n_inputs)
    return [*range(h), *(h + k * m + j for j in range(m) for k in range(layout.runs))]


def local_derivatives(node: Value, as_values: bool = False) -> Sequence[Any]:
    """∂node/∂input for each input of ``node``, by its op's rule: floats, or Values that
    record their own graph (``as_values``)."""
    op = op_of(node)
    try:
        if as_values:
            return op.flat(op.partials(VALUES, node, *op.split(node.parents)))
        return op.local(node.data, *[x.data for x in node.parents])
    except (ArithmeticError, ValueError) as exc:
        raise local_derivative_error(node, exc) from exc


def _check_finite(contribution: Any, node: Value, d: Any, g: Any) -> None:
    if not math.isfinite(data_of(contribution)):
        raise FloatingPointError(
            f"detect_anomaly: backward produced {data_of(contribution)!r} through "
            f"{describe(node)}: local derivative {data_of(d)!r} times gradient {data_of(g)!r}")


def settle(op: Op, node: Value, i: int, d: Any, g: Any, contribution: Any, values: bool
            ) -> Any:
    """``Op.settle`` for the general passes, on floats or (``values``) on Values: there the
    ``vjp`` rule records nodes of its own, so that its derivative counts."""
    if not values:
        xs = [p._data for p in node.parents]
        return op.settle(i, xs, node._data, d, g, contribution)
    dv, gv = data_of(d), data_of(g)
    if op.exact_zero(i, len(node.parents), dv, gv):
        return 0.0
    if op.vjp is not None and gv - gv == 0.0:
        return op.flat(op.vjp(VALUES, g, node, *op.split(node.parents)))[i]
    return contribution
