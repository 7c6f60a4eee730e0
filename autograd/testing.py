"""Hypothesis strategies for property-testing code built on the engine.

``expressions()`` draws random expression graphs over the engine's ops, with input values,
such that every op stays inside its domain (``log`` and fractional powers see positive
arguments, divisors are kept away from zero) and no value overflows::

    from hypothesis import given
    from autograd.check import gradcheck
    from autograd.testing import expressions

    @given(expressions())
    def test_gradients(expr):
        assert gradcheck(expr, expr.inputs)

Requires ``hypothesis`` (``pip install chainrule[test]``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from . import engine
from .engine import Value

__all__ = ["Expression", "expressions", "OPS"]

# Each op: (arity, build from Values, formula from sub-formulas). Domain guards are part of
# the expression itself (e.g. log(a² + 0.5)), so any input value is valid.
OPS: dict[str, tuple[int, Any, Any]] = {
    "add": (2, lambda a, b: a + b, lambda a, b: f"({a} + {b})"),
    "sub": (2, lambda a, b: a - b, lambda a, b: f"({a} - {b})"),
    "mul": (2, lambda a, b: a * b, lambda a, b: f"({a} * {b})"),
    "div": (2, lambda a, b: a / (b * b + 0.5), lambda a, b: f"({a} / ({b}² + 0.5))"),
    "neg": (1, lambda a: -a, lambda a: f"-{a}"),
    "square": (1, lambda a: a**2, lambda a: f"{a}²"),
    "cube": (1, lambda a: a**3, lambda a: f"{a}³"),
    "sqrt": (1, lambda a: (a * a + 0.5) ** 0.5, lambda a: f"sqrt({a}² + 0.5)"),
    "pow": (2, lambda a, b: (a * a + 0.5) ** b.tanh(), lambda a, b: f"({a}² + 0.5)**tanh({b})"),
    "exp": (1, lambda a: a.exp(), lambda a: f"exp({a})"),
    "log": (1, lambda a: (a * a + 0.5).log(), lambda a: f"log({a}² + 0.5)"),
    "tanh": (1, lambda a: a.tanh(), lambda a: f"tanh({a})"),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda a: f"sigmoid({a})"),
    "relu": (1, lambda a: a.relu(), lambda a: f"relu({a})"),
    "sum": (3, lambda a, b, c: engine.sum([a, b, c]), lambda a, b, c: f"sum({a}, {b}, {c})"),
    "dot": (
        4,
        lambda a, b, c, d: engine.dot([a, b], [c, d]),
        lambda a, b, c, d: f"dot([{a}, {b}], [{c}, {d}])",
    ),
}

#: The default ops: all but relu, whose kink at 0 makes finite differences unreliable.
SMOOTH_OPS = tuple(name for name in OPS if name != "relu")


@dataclass(frozen=True)
class Expression:
    """A random expression: call it with Values (one per input) to build its graph."""

    tree: Any  # ("x", i) | ("c", value) | (op_name, subtree, ...)
    inputs: tuple[float, ...]

    def __call__(self, *xs: Value) -> Value:
        if len(xs) != len(self.inputs):
            raise TypeError(f"expression takes {len(self.inputs)} inputs, got {len(xs)}")
        return _evaluate(self.tree, xs)

    def __repr__(self) -> str:
        values = ", ".join(f"x{i}={x!r}" for i, x in enumerate(self.inputs))
        return f"Expression({_formula(self.tree)}; {values})"


def _evaluate(tree: Any, xs: Sequence[Value]) -> Value:
    kind = tree[0]
    if kind == "x":
        return xs[tree[1]]
    if kind == "c":
        return Value(tree[1])
    return OPS[kind][1](*[_evaluate(t, xs) for t in tree[1:]])


def _formula(tree: Any) -> str:
    kind = tree[0]
    if kind == "x":
        return f"x{tree[1]}"
    if kind == "c":
        return repr(tree[1])
    return OPS[kind][2](*[_formula(t) for t in tree[1:]])


def _trees(n_inputs: int, ops: Sequence[str], max_depth: int) -> st.SearchStrategy:
    leaves = st.one_of(
        st.tuples(st.just("x"), st.integers(0, n_inputs - 1)),
        st.tuples(st.just("c"), st.floats(-2, 2, allow_nan=False).map(lambda c: round(c, 3))),
    )

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.sampled_from(list(ops)).flatmap(
            lambda name: st.tuples(st.just(name), *[children] * OPS[name][0])
        )

    return st.recursive(leaves, extend, max_leaves=2**max_depth)


@st.composite
def expressions(
    draw: Any,
    n_inputs: int | None = None,
    ops: Sequence[str] = SMOOTH_OPS,
    max_depth: int = 4,
    bound: float = 2.0,
    max_value: float = 1e6,
) -> Expression:
    """A strategy for ``Expression``s over ``ops`` with 1–3 inputs (or ``n_inputs``) drawn
    from [-bound, bound]. Draws that would overflow or exceed ``max_value`` anywhere are
    rejected, so gradients stay well-conditioned for finite-difference checks."""
    unknown = set(ops) - set(OPS)
    if unknown:
        raise ValueError(f"expressions: unknown ops {sorted(unknown)}; choose from {sorted(OPS)}")
    n = n_inputs if n_inputs is not None else draw(st.integers(1, 3))
    tree = draw(_trees(n, ops, max_depth))
    inputs = tuple(draw(st.floats(-bound, bound, allow_nan=False)) for _ in range(n))
    try:
        out = _evaluate(tree, [Value(x) for x in inputs])
    except (ArithmeticError, ValueError):
        assume(False)
    assume(all(math.isfinite(v.data) and abs(v.data) <= max_value for v in out.walk()))
    return Expression(tree, inputs)
