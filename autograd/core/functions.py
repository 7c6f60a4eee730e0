"""The n-ary ops as functions (``sum``, ``dot``, ``max``, ``min``, ``logsumexp``: one node
for any number of inputs) and ``VALUES``, the maths namespace on ``Value`` objects, in which
the rules' partials record nodes of their own (higher-order derivatives)."""

from __future__ import annotations

import builtins
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from operator import countOf
from typing import Any

from .. import arguments as _args
from ..rules import maths, ops
from ..rules.maths import FLOATS
from ..rules.ops import Op
from . import modes
from .value import Operand, Value, data_of, lift, make_node, make_node_in_modes

__all__ = ["sum", "dot", "dot_values", "neuron", "max", "min", "logsumexp", "VALUES"]

_node = make_node  # this module's node maker, swapped as value.py's is (modes.watch)


def _switch(active: bool) -> None:
    global _node
    _node = make_node_in_modes if active else make_node


modes.watch(_switch)


def lift_all(values: Any, where: str, what: str) -> tuple[Value, ...]:
    """Every element of the iterable ``values`` as a Value; a string, a single Value, a
    number or anything else that is not a collection of numbers raises, naming ``what``
    (and the position of a bad element)."""
    if isinstance(values, (str, bytes, bytearray)) or type(values) is Value:
        hint = "; put one Value in a list: [v]" if type(values) is Value else ""
        raise _args.type_error(where, what, "a list of numbers or Values", values, hint)
    try:
        return tuple([lift(v, where) for v in values])
    except TypeError:
        if not isinstance(values, Iterable):
            raise _args.type_error(where, what, "a list of numbers or Values", values) from None
        if iter(values) is not values:  # a collection, not an iterator: read it again to
            for i, v in enumerate(values):  # name the bad element
                lift(v, where, f"{what}[{i}]")
        raise


# --- n-ary ops as functions ---------------------------------------------------------------

def sum(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + Σ values`` as **one** node (a 1,000-term sum is not a 1,000-deep chain)."""
    inputs = lift_all(values, "sum", "values")
    if type(start) is not Value and (not isinstance(start, numbers.Real) or start != 0):
        start = lift(start, "sum", "start")
    if type(start) is Value or start != 0:  # a zero start adds nothing to the graph
        inputs = (lift(start, "sum"), *inputs)
    if not inputs:
        return _node(0.0, None)
    return _node(builtins.sum([p._data for p in inputs]), ops.SUM, inputs)


def dot(a: Iterable[Operand], b: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + Σ a_i·b_i`` as one node: a neuron's weighted sum plus its bias."""
    av = a if type(a) is list else _sequence(a, "a")
    bv = b if type(b) is list else _sequence(b, "b")
    if countOf(map(type, bv), Value) != len(bv):  # numbers among them
        return _dot_lifting(av, bv, start)
    return dot_values(av, bv, start)


def _sequence(x: Any, what: str) -> list[Any]:
    return _args.sequence(x, "dot", what, "a list of numbers or Values")


def dot_values(av: list[Any], bv: list[Any], start: Operand) -> Value:
    """``dot`` of two lists whose ``bv`` are all Values (a layer's inputs, checked once for
    all of its neurons): one C-level type check of ``av`` instead of a ``lift`` each."""
    if type(start) is float:  # lifting a float cannot fail: no error changes order
        start = _node(start, None)
    n = len(av)
    if type(start) is not Value or countOf(map(type, av), Value) != n or n != len(bv) or not n:
        return _dot_lifting(av, bv, start)  # lifts numbers, or raises
    # inlined forward of ops.DOT (checked against it by a test)
    data = start._data + builtins.sum([x._data * y._data for x, y in zip(av, bv)])
    return _node(data, ops.DOT, (start, *av, *bv))


def neuron(av: list[Any], bv: list[Any], start: Operand,
           activation: Callable[[Value], Value] | None = None) -> Value:
    """``activation(dot(av, bv, start))``: a neuron's two nodes in one call (the hot path
    of a network). ``Value.relu``, ``Value.tanh`` and ``Value.sigmoid`` are applied inline
    (their forwards, checked against the ops' by a test); None applies nothing. Numbers
    among the inputs are lifted as ``dot`` lifts them."""
    try:  # a number among av or start has no _data: dot lifts it (or raises)
        if len(av) != len(bv) or not av:
            raise AttributeError
        # inlined forward of ops.DOT (checked against it by a test)
        data = start._data + builtins.sum(  # type: ignore[union-attr]
            [x._data * y._data for x, y in zip(av, bv)])
    except AttributeError:
        out = dot(av, bv, start)
        return out if activation is None else activation(out)
    node = _node
    out = node(data, ops.DOT, (start, *av, *bv))
    if activation is _RELU:
        return node(0.0 if data <= 0.0 else data, ops.RELU, out)
    if activation is None:
        return out
    if activation is _TANH:
        return node(math.tanh(data), ops.TANH, out)
    if activation is _SIGMOID:
        return node(maths.sigmoid(data), ops.SIGMOID, out)
    return activation(out)


_RELU, _TANH, _SIGMOID = Value.relu, Value.tanh, Value.sigmoid


def _dot_lifting(av: list[Any], bv: list[Any], start: Operand) -> Value:
    """``dot`` with numbers among its inputs (each becomes a leaf), or an error."""
    av = [lift(x, "dot", f"a[{i}]") for i, x in enumerate(av)]
    bv = [lift(x, "dot", f"b[{i}]") for i, x in enumerate(bv)]
    if len(av) != len(bv):
        raise ValueError(f"dot: a and b must have the same length, got {len(av)} and "
                         f"{len(bv)}")
    if not av:
        raise ValueError("dot: a and b must hold at least one number each, got empty sequences")
    return dot_values(av, bv, lift(start, "dot", "start"))


def _extreme(op: Op, values: Iterable[Operand], where: str) -> Value:
    inputs = lift_all(values, where, "values")
    if not inputs:
        raise ValueError(f"{where}: values must hold at least one value, got "
                         f"{_args.got(values)}")
    return _node(op.eval(*[p._data for p in inputs]), op, inputs)


def max(values: Iterable[Operand]) -> Value:
    """The largest of ``values`` as one node; its gradient goes to the largest (split
    evenly between ties, as ``torch.max``); NaN if any value is NaN."""
    return _extreme(ops.MAX, values, "max")


def min(values: Iterable[Operand]) -> Value:
    """The smallest of ``values`` as one node (gradient as for ``max``)."""
    return _extreme(ops.MIN, values, "min")


def logsumexp(values: Iterable[Operand]) -> Value:
    """log Σ e^x_i as one node, without overflow (shifted by the largest x_i); its
    gradient is softmax: ∂/∂x_i = e^(x_i − out)."""
    return _extreme(ops.LOGSUMEXP, values, "logsumexp")


# --- the maths namespace on Values (higher order) ------------------------------------------

def _value_function(f: maths.Function) -> Callable[..., Any]:
    """``f`` on Values: the op of the table named after it (``exp`` is ``Value.exp``), or
    one made from its declared derivative (``ops.function_op``); numbers stay numbers."""
    plain = f.floats
    if f.constant:  # piecewise constant or a predicate: of the number, derivative 0
        return lambda x: plain(data_of(x))
    op = ops.function_op(f)

    def call(x: Any) -> Any:
        if type(x) is not Value:  # a constant partial such as 1.0
            return plain(x)
        return _node(op.eval(x._data), op, x)

    call.__name__ = f.name
    return call


class _Values(maths.Namespace):
    """``Value`` objects: every function records a node, so results are differentiable."""

    name = "values"

    def interpret(self, f: maths.Function) -> Callable[..., Any]:
        return _value_function(f)

    where = staticmethod(FLOATS.where)

    @staticmethod
    def total(xs: Sequence[Any]) -> Any:
        return sum(xs)

    @staticmethod
    def dot(a: Sequence[Any], b: Sequence[Any]) -> Any:
        return dot(a, b)

    @staticmethod
    def largest(xs: Sequence[Any]) -> Any:
        return max(xs)

    @staticmethod
    def smallest(xs: Sequence[Any]) -> Any:
        return min(xs)

    @staticmethod
    def tie_share(xs: Sequence[Any], out: Any) -> list[float]:
        return maths.tie_share([data_of(x) for x in xs], data_of(out))

    ones = staticmethod(FLOATS.ones)

    @staticmethod
    def logsumexp(xs: Sequence[Any]) -> Any:
        return logsumexp(xs)

    @staticmethod
    def softmax(xs: Sequence[Any], out: Any) -> list[Any]:
        return [(x - out).exp() for x in xs]



VALUES = _Values()
