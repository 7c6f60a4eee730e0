"""Every primitive op with a Hypothesis strategy for inputs inside its domain.

Shared by the finite-difference and the PyTorch tests. A test checks that every op in
``autograd.PRIMITIVES`` appears here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

import autograd


def reals(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.one_of(reals(-hi, -lo), reals(lo, hi))


@dataclass
class Case:
    name: str  # the op's name in autograd.PRIMITIVES (or "**c" for pow_const)
    fn: Callable  # Values (or tensors) -> result, written once for both engines
    inputs: st.SearchStrategy  # tuple of floats
    torch_fn: Callable | None = None  # when the torch spelling differs


def tuples(*strategies: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(*strategies)


N = reals(-100, 100)
CASES = [
    Case("+", lambda a, b: a + b, tuples(N, N)),
    Case("-", lambda a, b: a - b, tuples(N, N)),
    Case("*", lambda a, b: a * b, tuples(N, N)),
    Case("/", lambda a, b: a / b, tuples(N, away_from_zero(0.1, 100))),
    Case("neg", lambda a: -a, tuples(N)),
    Case("**", lambda a, b: a**b, tuples(reals(0.1, 10), reals(-3, 3))),
    Case("**c", lambda a: a**2.5, tuples(reals(0.01, 50))),
    Case("**c", lambda a: a**3, tuples(reals(-20, 20))),
    Case("**c", lambda a: a**-1, tuples(away_from_zero(0.05, 50))),
    Case("exp", lambda a: a.exp(), tuples(reals(-20, 20))),
    Case("log", lambda a: a.log(), tuples(reals(0.01, 1000))),
    Case("tanh", lambda a: a.tanh(), tuples(reals(-20, 20))),
    Case("sigmoid", lambda a: a.sigmoid(), tuples(reals(-30, 30))),
    Case("relu", lambda a: a.relu(), tuples(away_from_zero(1e-3, 100))),
    Case(
        "sum",
        lambda *xs: autograd.sum(xs[1:], start=xs[0]),
        st.lists(N, min_size=1, max_size=12).map(tuple),
        torch_fn=lambda *xs: xs[0] + sum(xs[1:]),
    ),
    Case(
        "dot",
        lambda *xs: autograd.dot(xs[1:(len(xs) + 1) // 2], xs[(len(xs) + 1) // 2:], xs[0]),
        st.integers(1, 8).flatmap(lambda n: st.lists(N, min_size=2 * n + 1,
                                                     max_size=2 * n + 1).map(tuple)),
        torch_fn=lambda *xs: xs[0] + sum(
            a * b for a, b in zip(xs[1:(len(xs) + 1) // 2], xs[(len(xs) + 1) // 2:])
        ),
    ),
]
