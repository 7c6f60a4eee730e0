"""The backward pass, as the chain rule says it: start here.

``adjoints(root)`` walks the graph from ``root`` to its leaves in reverse topological
order (every consumer before its inputs) and, at each node, asks the node's op for its
local derivatives ∂node/∂input (``Op.partials``, from ``rules/ops.py``) and adds
``grad(node) × ∂node/∂input`` to each input's gradient. That is all of reverse mode::

    grad[root] = seed
    for node in reversed(topological_order(root)):      # consumers first
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

__all__ = ["adjoints", "settle", "topological_order"]


def adjoints(
    root: Value, seed: Any = 1.0, create_graph: bool = False
) -> tuple[list[Value], dict[int, Any]]:
    """The general backward pass: ``(topological order, {id(node): ∂root/∂node})``, no
    ``.grad`` touched. With ``create_graph`` the partials are computed on the Values
    themselves (the ``VALUES`` namespace), so the results are Values that can be
    differentiated again. Checks every gradient for NaN and infinity inside
    ``detect_anomaly()``."""
    order = topological_order(root)
    check_fresh(order)
    adj: dict[int, Any] = {id(root): seed}
    anomaly = modes.ANOMALY.get()
    mode = enable_grad() if create_graph else None
    if mode is not None:
        mode.__enter__()
    try:
        for node in reversed(order):  # consumers before their inputs
            if node._x is None or id(node) not in adj:  # a leaf, or masked off: no gradient
                continue
            g = adj[id(node)]
            inputs = node.parents
            op = op_of(node)
            partials: Sequence[Any]
            try:
                if create_graph:
                    partials = op._flat(op.partials(VALUES, node, *op._split(inputs)))
                else:
                    partials = op.local(node._data, *[p._data for p in inputs])
            except (ArithmeticError, ValueError) as exc:
                raise local_derivative_error(node, exc) from exc
            for i, (p, d) in enumerate(zip(inputs, partials)):
                contribution: Any = d * g  # (a Value under create_graph: d's derivative counts)
                c = data_of(contribution)
                if op.masks and c - c != 0.0:  # ±inf or NaN: a mask or a vjp rule settles it
                    contribution = settle(op, node, i, d, g, contribution, create_graph)
                if anomaly and not math.isfinite(data_of(contribution)):
                    raise FloatingPointError(
                        f"detect_anomaly: backward produced {data_of(contribution)!r} "
                        f"through {describe(node)}: local derivative {data_of(d)!r} "
                        f"times gradient {data_of(g)!r}"
                    )
                adj[id(p)] = adj.get(id(p), 0.0) + contribution
    finally:
        if mode is not None:
            mode.__exit__(None, None, None)
    return order, adj


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
        return op._flatten(op.vjp(VALUES, g, node, *op._split(node.parents)))[i]
    return contribution
