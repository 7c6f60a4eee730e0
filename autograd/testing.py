"""Hypothesis strategies for property-testing code built on the engine.

``expressions()`` draws random expression graphs over the op table (``ops.OPS``), with
input values, such that every op stays inside its domain (an operand of an op with a
domain is mapped into the op's sample range) and no value overflows::

    from hypothesis import given
    from autograd.check import gradcheck
    from autograd.testing import expressions

    @given(expressions())
    def test_gradients(expr):
        assert gradcheck(expr, expr.inputs)

Requires ``hypothesis`` (from a clone: ``pip install -e ".[test]"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from .engine import Value, apply
from .ops import Op, all_ops

__all__ = ["Expression", "expressions", "OPS", "SMOOTH_OPS", "operand_count", "in_domain",
           "op_inputs"]

#: Every op the table has (one per example parameter of each family), by name.
OPS: dict[str, Op] = {op.name: op for op in all_ops()}

#: The default ops: those that are smooth, so finite differences apply everywhere.
SMOOTH_OPS = tuple(name for name, op in OPS.items() if op.smooth)

RUN_LENGTH = 2  # n-ary ops are drawn with runs of this length


def operand_count(op: Op) -> int:
    """How many inputs an expression gives ``op`` (runs of ``RUN_LENGTH``)."""
    return op.layout.heads + op.layout.runs * RUN_LENGTH


def in_domain(op: Op, j: int, a: Value) -> Value:
    """Input ``j`` of ``op`` mapped into the op's sample range when the op has a domain
    (lo + (hi − lo)·σ(a)), so that any value is valid; unchanged otherwise."""
    if not op.domain:
        return a
    slot = j if j < op.layout.heads else op.layout.heads + (j - op.layout.heads) // RUN_LENGTH
    lo, hi = op.sample[min(slot, len(op.sample) - 1)]
    return lo + (hi - lo) * a.sigmoid()


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
    op = OPS[kind]
    args = [in_domain(op, j, _evaluate(t, xs)) for j, t in enumerate(tree[1:])]
    return apply(op, *args)


def _formula(tree: Any) -> str:
    kind = tree[0]
    if kind == "x":
        return f"x{tree[1]}"
    if kind == "c":
        return repr(tree[1])
    return f"{kind}({', '.join(_formula(t) for t in tree[1:])})"


def _trees(n_inputs: int, ops: Sequence[str], max_depth: int) -> st.SearchStrategy:
    leaves = st.one_of(
        st.tuples(st.just("x"), st.integers(0, n_inputs - 1)),
        st.tuples(st.just("c"), st.floats(-2, 2, allow_nan=False).map(lambda c: round(c, 3))),
    )

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.sampled_from(list(ops)).flatmap(
            lambda name: st.tuples(st.just(name), *[children] * operand_count(OPS[name]))
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
    """A strategy for ``Expression``s over ``ops`` (names of ``OPS``) with 1–3 inputs (or
    ``n_inputs``) drawn from [-bound, bound]. Operands of ops with a domain are mapped into
    it; draws that would overflow or exceed ``max_value`` anywhere are rejected, so
    gradients stay well-conditioned for finite-difference checks."""
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


def op_inputs(op: Op, margin: float = 1e-3) -> st.SearchStrategy[tuple[float, ...]]:
    """Flat input tuples for ``op`` inside its sample ranges (runs of 1–4 elements), kept
    ``margin`` away from its kinks, and for ``max``/``min`` without near-ties, so that
    finite differences apply."""
    lay = op.layout

    def real(slot: int) -> st.SearchStrategy[float]:
        lo, hi = op.sample[min(slot, len(op.sample) - 1)]
        s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
        return s.filter(lambda x: all(abs(x - k) > margin for k in op.kinks)) if op.kinks else s

    if not lay.nary:
        return st.tuples(*[real(j) for j in range(lay.heads)])

    @st.composite
    def nary(draw: Any) -> tuple[float, ...]:
        n = draw(st.integers(1, 4))
        heads = [draw(real(j)) for j in range(lay.heads)]
        runs = [draw(st.lists(real(lay.heads + k), min_size=n, max_size=n))
                for k in range(lay.runs)]
        flat = (*heads, *[x for run in runs for x in run])
        if not op.smooth:  # max/min: the top two must not nearly tie
            top = sorted(flat)
            assume(len(top) < 2 or (top[-1] - top[-2] > margin and top[1] - top[0] > margin))
        return flat

    return nary()
