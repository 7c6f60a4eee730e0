"""``Value.backward``: the method users call, and the pass it picks.

* no anomaly mode, no ``create_graph``: the fast pass (``fast.py``);
* inside ``detect_anomaly()``: the reference pass (``backward.py``), which checks every
  gradient for NaN and infinity;
* ``create_graph=True``: the reference pass on Values, over stand-ins of the graph
  (``standins.py``), so that every ``.grad`` is a Value that can be differentiated again.

The three fill ``.grad`` alike: leaves accumulate (as in PyTorch), interior nodes hold the
gradient of the latest pass.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable

from .. import arguments as _args
from . import modes
from .backward import adjoints
from .fast import fast_backward
from .standins import accumulate_leaf, original_of, twin_graph
from .value import Value, check_number, topological_order

__all__ = ["backward"]


def _checked_backward(method: Callable[..., None]) -> Callable[..., None]:
    """``Value.backward`` with its arguments checked, and a gradient that cannot be added
    to (``x.grad = "s"``) named: the pass itself reads ``.grad`` as a plain attribute
    (a property would slow every node), so its error is translated here, after the fact."""

    @functools.wraps(method)
    def backward(self: Value, grad: float = 1.0, create_graph: bool = False) -> None:
        if type(grad) is not float:
            check_number(grad, "backward", "grad")
        if create_graph is not False and create_graph is not True:
            _args.flag(create_graph, "backward", "create_graph")
        try:
            method(self, grad, create_graph)
        except TypeError as exc:
            bad = _bad_grad(self)
            if bad is None:
                raise
            kind = "leaf" if bad._x is None else "node"
            what = f"{kind} {bad.label!r}" if bad.label else f"the {kind} of data {bad._data!r}"
            raise TypeError(
                f"backward: the .grad of {what} must be a number (backward adds to it), got "
                f"{_args.got(bad.grad)}; reset it with .grad = 0.0 (or zero_grad())"
            ) from exc

    return backward


def _bad_grad(root: Value) -> Value | None:
    """A node of ``root``'s graph whose ``.grad`` is not a number or a Value, if any."""
    for node in root.walk():
        g = node.grad
        if not (type(g) is float or type(g) is Value or isinstance(g, numbers.Real)):
            return node
    return None


@_checked_backward
def backward(self, grad: float = 1.0, create_graph: bool = False) -> None:
    """Fill ``.grad`` of every node this one depends on with ∂self/∂node.

    The pass is seeded with ``grad`` (1.0 by default). As in PyTorch, gradients of
    leaves *accumulate* across calls (``x.grad += ...``): reset them with
    ``zero_grad()`` between steps. Each interior node's ``.grad`` holds the gradient of
    the latest pass. The walk is iterative, so graphs of any depth work. Raises
    ``StaleGraphError`` if a node's input changed after the node was computed.

    With ``create_graph=True`` every ``.grad`` is a ``Value`` whose graph can be
    differentiated again (higher-order derivatives); that graph is built on stand-ins
    for this graph's nodes, so no node's ``.grad`` refers back to the node (no
    reference cycles), and its gradients flow back to the original leaves. Inside
    ``no_grad`` the pass runs as outside it (as PyTorch's does): a ``.grad`` that is a
    Value keeps its graph as gradients are added to it.
    """
    seed = check_number(grad, "backward")
    if not modes.GRAD.get():  # inside no_grad: a .grad that is a Value keeps its graph
        with modes.enable_grad():
            return backward(self, seed, create_graph)
    if not (create_graph or modes.ANOMALY.get()):
        fast_backward(self, seed)
        return
    if not create_graph:
        order, adj = adjoints(self, seed)
        for node in order:
            g = adj[id(node)]
            if node._x is None:
                accumulate_leaf(node, g)
            else:
                node.grad = g
        return
    twins = twin_graph(self)
    order, adj = adjoints(twins[id(self)], seed, create_graph=True)
    for node in topological_order(self):
        g = adj.get(id(twins[id(node)]), 0.0)
        if type(g) is not Value:  # a constant gradient: a Value too
            g = Value(g)
        if node._x is None:
            target = original_of(node)
            if target is not None:
                target.grad = target.grad + g
        else:
            node.grad = g


setattr(Value, "backward", backward)  # noqa: B010 (value.py declares it for type checkers)
