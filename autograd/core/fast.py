"""The fast backward pass: ``adjoints`` of ``backward.py`` on floats, written for speed.

It computes the same numbers as the reference pass, bit for bit (a test runs both on
random graphs), in two passes: the first places the interior nodes in topological order
(resetting their ``.grad`` and checking that no input changed since), the second walks
them consumers first. The ops of a network's hot path (one and two inputs, dot, relu,
tanh) are written out in the second pass, which is why ``fast_backward`` is longer
than 60 lines: a function call per node would cost more than the whole multiply-add
(tests check each inlined derivative against its op's rule).
"""

from __future__ import annotations

import itertools
import threading

from ..rules.maths import FLOATS
from ..rules.ops import DOT, RELU, TANH, Op
from . import standins
from .standins import accumulate_leaf
from .value import Value, check_stand_in, local_derivative_error, now, stale_error

__all__ = ["fast_backward"]


# --- the fast backward pass ---------------------------------------------------------------
# Each pass takes a new number, this, and marks in _pass the interior nodes it walks: -this
# while a node waits for its inputs to be placed, this once it is placed. A mark left by an
# earlier pass (finished or interrupted) never equals this pass's, so an interrupted pass
# cannot leave a trap for the next one. A lock keeps two threads' passes over shared nodes
# from interleaving.

_pass_numbers = itertools.count(1)
_backward_lock = threading.RLock()


def fast_backward(root: Value, seed: float) -> None:
    """``adjoints`` (backward.py) on floats, filling ``.grad``: leaves accumulate, interior
    nodes hold this pass's gradient."""
    if root._x is None:  # a leaf: nothing to propagate
        accumulate_leaf(root, seed)
        return
    with _backward_lock:
        this = next(_pass_numbers)
        opened = -this
        # Pass 1: place the interior nodes below root in topological order (inputs first)
        # by a depth-first walk that enters inputs in their order, as topological_order
        # does, so that gradients add up in the same order as in adjoints. A node popped
        # for the first time is entered: its grad is reset (it holds only this pass's
        # gradient), its inputs are checked (none changed after the node was made), and it
        # goes back on the stack under the inputs it waits for; popped again, it is placed.
        # (A node pushed by two consumers before it was entered is popped once more, and
        # skipped. An input set later than its consumer advanced the clock past the
        # consumer's _t: a node stamped with the clock's current time needs no check.)
        clock = now()
        order: list[Value] = []
        stack = [root]
        while stack:
            node = stack.pop()
            mark = node._pass
            if mark is opened:  # its inputs are placed: place it
                node._pass = this
                order.append(node)
                continue
            if mark is this:  # placed already
                continue
            t = node._t
            if t != clock:
                for p in node.parents:
                    if p._t > t:
                        raise stale_error(node, p)
            node.grad = 0.0
            x, y = node._x, node._y
            waits = False  # for an input to be placed
            # the inputs last to first, so that the first is on top: entered first
            for p in (y, x) if y is not None else x[::-1] if type(x) is tuple else (x,):
                if p._x is not None and p._pass is not this:
                    if not waits:
                        waits = True
                        stack.append(node)
                    stack.append(p)
            if waits:
                node._pass = opened
            else:
                node._pass = this
                order.append(node)

        # stand-ins among the leaves: their gradients go back to the originals (at the end);
        # a stand-in whose original changed since it was made is stale like any input
        twins = [p for node in order for p in node.parents
                 if p._x is None and p._y is not None] if standins.made else []
        for stand_in in twins:
            check_stand_in(stand_in)

        # Pass 2: consumers before their inputs, each node passes grad × (local
        # derivative) on to each input. (One and two inputs, dot, relu and tanh are written
        # out: this is the engine's hottest loop. A product that is NaN is checked against
        # the op's mask: 0 × inf through relu is 0, as in PyTorch.)
        root.grad = seed
        node = root
        F = FLOATS
        try:
            for node in reversed(order):
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
                    a, b = x[1:n + 1], x[n + 1:]
                    for p, q in zip(a, b):  # a then b: the generic path's order
                        p.grad += q._data * g
                    for p, q in zip(b, a):
                        p.grad += q._data * g
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
