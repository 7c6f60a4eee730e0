"""Every op's gradient against central finite differences, on inputs inside its domain."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from autograd import PRIMITIVES, Value

from cases import CASES, Case


def central_difference(f, xs: tuple[float, ...], i: int) -> float:
    """(f(x + h) - f(x - h)) / 2h in coordinate i, with h scaled to |x_i|."""
    h = 1e-6 * max(1.0, abs(xs[i]))
    up = list(xs)
    down = list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (up[i] - down[i])


def test_every_primitive_has_a_case():
    covered = {c.name for c in CASES}
    assert set(PRIMITIVES) <= covered, set(PRIMITIVES) - covered
    assert "**c" in covered


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradient_matches_finite_differences(case: Case):
    @given(case.inputs)
    def check(xs):
        values = [Value(x) for x in xs]
        out = case.fn(*values)
        out.backward()

        def f(*floats):
            return case.fn(*[Value(x) for x in floats]).data

        for i, v in enumerate(values):
            numeric = central_difference(f, xs, i)
            # Relative error 1e-6, plus the rounding noise of the difference quotient
            # itself (about 1e-16 |f| / h), which dominates when the derivative is ~0.
            tol = 1e-6 * abs(numeric) + 1e-8 * max(1.0, abs(out.data))
            assert math.isclose(v.grad, numeric, rel_tol=0, abs_tol=tol), (i, v.grad, numeric)

    check()
