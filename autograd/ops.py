"""The primitive operations: each one's forward and its local derivatives, side by side.

An ``Op`` holds two plain functions:

* ``forward(*xs)`` computes the result from the inputs' floats and rejects inputs outside
  the op's domain with an error that names the op;
* ``partials(out, *xs)`` returns the tuple ``(∂out/∂x0, ∂out/∂x1, ...)``, given the result
  ``out`` and the inputs ``xs``;
* ``vectorized(*arrays)``: the forward on NumPy arrays (a batch at a time), for ``compile``.

The partials are written with ordinary arithmetic (and :func:`log`), so the same rule runs
on floats (the fast backward pass), on ``Value`` objects (differentiable gradients) and on
NumPy arrays. The backward pass in ``engine.py`` knows nothing about particular ops; it only
multiplies these partials by the incoming gradient.

To add an op: write its forward and partials here, build an ``Op``, and give ``Value`` a
method that calls ``apply`` with it (see ``engine.py``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["Op", "log", "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "EXP", "LOG", "TANH",
           "SIGMOID", "RELU", "SUM", "DOT", "pow_const", "PRIMITIVES"]


class Op:
    """A primitive operation: a name, a forward function and its local derivatives."""

    __slots__ = ("name", "forward", "partials", "formulas", "unit_partials", "vectorized")

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        partials: Callable[..., tuple[Any, ...]],
        formulas: tuple[str, ...],
        unit_partials: bool = False,
        vectorized: Callable[..., Any] | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        #: forward on NumPy arrays, elementwise over a batch (used by ``compile``); n-ary ops
        #: take (segment offsets, stacked inputs): see SUM and DOT below.
        self.vectorized = vectorized
        self.partials = partials
        #: each partial as a formula in ``out`` and the inputs ``a, b`` (or ``x``), for display.
        self.formulas = formulas
        #: True when every partial is 1 (sums): the backward pass then skips the multiply.
        self.unit_partials = unit_partials

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def log(x: Any) -> Any:
    """Natural log of a float, a ``Value`` or a NumPy array (the one function rules need)."""
    if isinstance(x, (float, int)):
        return math.log(x)
    method = getattr(x, "log", None)
    if method is not None:
        return method()
    import numpy  # only reached for arrays, so NumPy stays optional

    return numpy.log(x)


# --- forward functions that check their domain ------------------------------------------

def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero ({a!r} / {b!r})")
    return a / b


def _pow(a: float, b: float) -> float:
    if a <= 0.0:
        raise ValueError(
            f"pow: base {a!r} must be positive when the exponent is a Value: d(a**b)/db = "
            "a**b * log(a) is real only for a > 0 (for a constant exponent, write x ** 2)"
        )
    try:
        return a**b
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {b!r} overflows the float range") from None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({x!r}) overflows the float range (x > 709.78)") from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log: input must be positive, got {x!r}")
    return math.log(x)


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: exp(-|x|) is always in (0, 1].
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _sum(*xs: float) -> float:
    return sum(xs)


def _dot(start: float, *ab: float) -> float:
    n = len(ab) // 2
    return start + sum(map(operator.mul, ab[:n], ab[n:]))


# --- forward functions on NumPy arrays (a batch at a time; NumPy is imported lazily) ------

def _np() -> Any:
    import numpy

    return numpy


def _first(mask: Any) -> int:
    """The batch row (last axis) of the first True in ``mask``."""
    return int(_np().argwhere(mask)[0][-1])


def _div_array(a: Any, b: Any) -> Any:
    if (b == 0.0).any():
        raise ZeroDivisionError(f"div: division by zero in batch row {_first(b == 0.0)}")
    return a / b


def _pow_array(a: Any, b: Any) -> Any:
    if (a <= 0.0).any():
        raise ValueError(f"pow: base must be positive when the exponent is a Value; batch "
                         f"row {_first(a <= 0.0)} has base {float(a[a <= 0.0][0])!r}")
    return _finite("pow", _np().power(a, b))


def _exp_array(x: Any) -> Any:
    return _finite("exp", _np().exp(x))


def _finite(name: str, out: Any) -> Any:
    bad = _np().isinf(out)
    if bad.any():
        raise OverflowError(f"{name}: overflows the float range in batch row {_first(bad)}")
    return out


def _log_array(x: Any) -> Any:
    if (x <= 0.0).any():
        raise ValueError(f"log: input must be positive; batch row {_first(x <= 0.0)} has "
                         f"{float(x[x <= 0.0][0])!r}")
    return _np().log(x)


def _sigmoid_array(x: Any) -> Any:
    np = _np()
    e = np.exp(-np.abs(x))  # the two branches of _sigmoid, elementwise
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sum_array(offsets: Any, xs: Any) -> Any:
    return _np().add.reduceat(xs, offsets, axis=0)


def _dot_array(offsets: Any, start: Any, a: Any, b: Any) -> Any:
    return start + _np().add.reduceat(a * b, offsets, axis=0)


# --- the primitives -----------------------------------------------------------------------
# partials(out, *inputs) -> one local derivative per input.

ADD = Op("+", operator.add, lambda out, a, b: (1.0, 1.0), ("1", "1"), vectorized=operator.add)
SUB = Op("-", operator.sub, lambda out, a, b: (1.0, -1.0), ("1", "-1"), vectorized=operator.sub)
MUL = Op("*", operator.mul, lambda out, a, b: (b, a), ("b", "a"), vectorized=operator.mul)
DIV = Op("/", _div, lambda out, a, b: (1.0 / b, -out / b), ("1/b", "-a/b²"), vectorized=_div_array)
NEG = Op("neg", operator.neg, lambda out, x: (-1.0,), ("-1",), vectorized=operator.neg)
POW = Op("**", _pow, lambda out, a, b: (b * out / a, out * log(a)), ("b·a^(b-1)", "a^b·ln a"),
         vectorized=_pow_array)
EXP = Op("exp", _exp, lambda out, x: (out,), ("exp(x)",), vectorized=_exp_array)
LOG = Op("log", _log, lambda out, x: (1.0 / x,), ("1/x",), vectorized=_log_array)
TANH = Op("tanh", math.tanh, lambda out, x: (1.0 - out * out,), ("1 - tanh²(x)",),
          vectorized=lambda x: _np().tanh(x))
SIGMOID = Op("sigmoid", _sigmoid, lambda out, x: (out * (1.0 - out),), ("σ(x)(1 - σ(x))",),
             vectorized=_sigmoid_array)
RELU = Op("relu", _relu, lambda out, x: ((x > 0) * 1.0,), ("1 if x > 0 else 0",),
          vectorized=lambda x: _np().maximum(x, 0.0))
# n-ary: SUM(start, x1, ..., xn) = start + Σ xi; DOT(start, a1..an, b1..bn) = start + Σ ai·bi.
SUM = Op("sum", _sum, lambda out, *xs: (1.0,) * len(xs), ("1",), unit_partials=True,
         vectorized=_sum_array)
DOT = Op(
    "dot",
    _dot,
    lambda out, start, *ab: (1.0, *ab[len(ab) // 2:], *ab[: len(ab) // 2]),
    ("1", "b_i", "a_i"),
    vectorized=_dot_array,
)


@lru_cache(maxsize=256)
def pow_const(c: float) -> Op:
    """The op ``x ** c`` for a constant exponent ``c`` (one cached ``Op`` per exponent)."""

    def forward(x: float) -> float:
        if x < 0.0 and c != int(c):
            raise ValueError(f"pow: negative base {x!r} with non-integer exponent {c!r}")
        try:
            return x**c
        except ZeroDivisionError:
            raise ZeroDivisionError(f"pow: {x!r} ** {c!r} (zero to a negative power)") from None
        except OverflowError:
            raise OverflowError(f"pow: {x!r} ** {c!r} overflows the float range") from None

    def vectorized(x: Any) -> Any:
        if c != int(c) and (x < 0.0).any():
            raise ValueError(f"pow: negative base with non-integer exponent {c!r} in batch "
                             f"row {_first(x < 0.0)}")
        if c < 0 and (x == 0.0).any():
            raise ZeroDivisionError(f"pow: 0.0 ** {c!r} in batch row {_first(x == 0.0)}")
        return _finite("pow", _np().power(x, c))

    return Op(f"**{c:g}", forward, lambda out, x: (c * x ** (c - 1),), (f"{c:g}·x^{c - 1:g}",),
              vectorized=vectorized)


#: Every primitive by name (``pow_const`` makes one op per exponent, named ``**c``).
PRIMITIVES: dict[str, Op] = {
    op.name: op for op in (ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, TANH, SIGMOID, RELU, SUM, DOT)
}
