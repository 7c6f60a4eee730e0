"""The fast backward pass: ``adjoints`` of ``backward.py`` on floats, written for speed.

It computes the same numbers as the reference pass, bit for bit (a test runs both on
random graphs), in two passes: the first finds the interior nodes below the root
(resetting their ``.grad`` and checking that no input changed since) and sorts them by
their stamps, newest first (the order of creation is an order of the graph: value.py);
the second walks them in that order. The ops of a network's hot path (one and two inputs,
dot, relu, tanh) are written out in both passes, which is why ``fast_backward`` is longer
than 60 lines: a function call per node would cost more than the whole multiply-add
(tests check each inlined derivative against its op's rule).
"""

from __future__ import annotations

import itertools
import threading
from operator import attrgetter

from ..rules.maths import FLOATS
from ..rules.ops import DOT, RELU, TANH, Op
from . import standins
from .standins import accumulate_leaf
from .value import Value, check_stand_in, last_write, local_derivative_error, stale_error

__all__ = ["fast_backward"]


# --- the fast backward pass ---------------------------------------------------------------
# Each pass takes a new number, this, and marks in _pass every node it reaches (leaves
# too, so that a leaf read by many nodes is looked at once). A mark left by an earlier pass
# (finished or interrupted) never equals this pass's, so an interrupted pass cannot leave a
# trap for the next one. A lock keeps two threads' passes over shared nodes from
# interleaving.

_pass_numbers = itertools.count(1)
_backward_lock = threading.RLock()
_stamp_of = attrgetter("_t")


def fast_backward(root: Value, seed: float) -> None:
    """``adjoints`` (backward.py) on floats, filling ``.grad``: leaves accumulate, interior
    nodes hold this pass's gradient."""
    if root._x is None:  # a leaf: nothing to propagate
        accumulate_leaf(root, seed)
        return
    with _backward_lock:
        this = next(_pass_numbers)
        # Pass 1: find the interior nodes below root, breadth first (order grows as it is
        # read). Each found node's grad is reset (it holds only this pass's gradient) and
        # its inputs are checked: none may be newer than the node. (A node stamped after
        # the latest write of .data has no input newer than itself: no check.) Stand-ins
        # among the leaves are collected: their gradients go back to their originals.
        written = last_write()
        twins: list[Value] = []
        made = standins.made
        root._pass = this
        order = [root]
        for node in order:
            node.grad = 0.0
            x, y = node._x, node._y
            if y is not None:  # two inputs
                if node._t < written and (x._t > node._t or y._t > node._t):
                    raise stale_error(node, x if x._t > node._t else y)
                if x._pass is not this:
                    x._pass = this
                    if x._x is not None:
                        order.append(x)
                    elif made and x._y is not None:
                        twins.append(x)
                if y._pass is not this:
                    y._pass = this
                    if y._x is not None:
                        order.append(y)
                    elif made and y._y is not None:
                        twins.append(y)
                continue
            if type(x) is not tuple:
                x = (x,)
            if node._t < written:
                t = node._t
                for p in x:
                    if p._t > t:
                        raise stale_error(node, p)
            for p in x:
                if p._pass is not this:
                    p._pass = this
                    if p._x is not None:
                        order.append(p)
                    elif made and p._y is not None:
                        twins.append(p)
        # consumers before their inputs: newest first (the inputs of a fresh node are older)
        order.sort(key=_stamp_of, reverse=True)
        twins.sort(key=_stamp_of)  # their gradients go back oldest first, as in engine.py
        for stand_in in twins:  # a stand-in whose original changed since is stale
            check_stand_in(stand_in)

        # Pass 2: consumers before their inputs, each node passes grad × (local
        # derivative) on to each input. (One and two inputs, dot, relu and tanh are written
        # out: this is the engine's hottest loop. A product that is NaN is checked against
        # the op's mask: 0 × inf through relu is 0, as in PyTorch.)
        root.grad = seed
        node = root
        F = FLOATS
        try:
            for node in order:
                g = node.grad
                op: Op = node._op  # type: ignore[assignment]  # interior: never None
                x, y = node._x, node._y
                if y is not None:  # two inputs
                    try:
                        dx, dy = op.partials(F, node._data, x._data, y._data)
                    except ArithmeticError:
                        dx, dy = op.local(node._data, x._data, y._data)
                    x.grad += dx * g  # (an op that masks keeps its inputs in a tuple)
                    y.grad += dy * g
                elif type(x) is not tuple:  # one input
                    if op is RELU:  # d = 0 for x ≤ 0 (a mask: 0·inf is 0), else 1
                        if x._data <= 0.0:
                            c = 0.0 * g
                            if c != c:
                                c = 0.0
                        else:
                            c = g
                    elif op is TANH:  # d = 1 − out²
                        c = (1.0 - node._data * node._data) * g
                    else:
                        try:
                            (dx,) = op.partials(F, node._data, x._data)
                        except ArithmeticError:
                            (dx,) = op.local(node._data, x._data)
                        c = dx * g
                        if op.masks and c - c != 0.0:  # ±inf or NaN: a rule may settle it
                            c = op.settle(0, (x._data,), node._data, dx, g, c)
                    x.grad += c
                elif op is DOT:  # start + Σ a_i·b_i: ∂/∂start = 1, ∂/∂a_i = b_i, ∂/∂b_i = a_i
                    x[0].grad += g  # (1.0·g is g, NaN and ±0 included)
                    n = len(x) >> 1
                    for p, q in zip(x[1:n + 1], x[n + 1:]):  # a_i then b_i, pair by pair:
                        p.grad += q._data * g  # the order of backward.py (and of the
                        q.grad += p._data * g  # compiled backends)
                elif not op.masks:  # n inputs
                    if op.unit:  # sums: every partial is 1 (1.0·g is g)
                        for p in x:
                            p.grad += g
                    else:
                        for p, d in zip(x, op.local_flat(node._data, [p._data for p in x])):
                            p.grad += d * g
                else:  # ops with an exact-zero or vjp rule (max, div, pow, ...: see apply)
                    xs = [p._data for p in x]
                    partials = op.local_flat(node._data, xs)
                    for i, (p, d) in enumerate(zip(x, partials)):
                        c = d * g
                        if c - c != 0.0:  # ±inf or NaN: a rule may settle it
                            c = op.settle(i, xs, node._data, d, g, c)
                        p.grad += c
        except (ArithmeticError, ValueError) as exc:
            raise local_derivative_error(node, exc) from exc
        for stand_in in twins:
            accumulate_leaf(stand_in, 0.0)
