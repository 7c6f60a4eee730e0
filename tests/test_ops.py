"""The op table: every entry is complete, every rule agrees with finite differences,
every interpretation (floats, Values, complex, symbols) runs, and every inlined fast path
computes what the op declares."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.core.backward import adjoints
from autograd.core.functions import VALUES
from autograd.core.value import apply
from autograd.rules.maths import COMPLEX, FLOATS, IEEE_FLOATS, STRUCTURE, TABLE_FUNCTIONS, CStep
from autograd.rules.ops import FAMILIES, OPS, Op, all_ops
from autograd.rules.symbolic import SYMBOLS, Symbol
from autograd.testing import op_inputs

ALL = all_ops()


def test_every_namespace_implements_every_function():
    for ns in (FLOATS, IEEE_FLOATS, VALUES, COMPLEX, SYMBOLS):
        missing = [f for f in (*TABLE_FUNCTIONS, *STRUCTURE)
                   if not callable(getattr(ns, f, None))]
        assert not missing, (ns, missing)


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_every_op_entry_is_complete(op: Op):
    """What every consumer needs: a rule that runs on floats and symbols, a sample range
    per operand, a way for users to reach it."""
    lay = op.layout
    assert len(op.sample) == lay.heads + lay.runs, "one sample range per operand"
    assert op.doc, "a docstring stating the maths"
    # symbols: one formula per input, derived from the rule
    names = ["x"] if lay.heads == 1 and not lay.nary else None
    formulas = op.formulas("out", names)
    n_inputs = lay.heads + 2 * lay.runs if lay.nary else lay.heads
    assert len(formulas) == n_inputs and all(isinstance(f, Symbol) for f in formulas)
    assert "#" not in "".join(str(f) for f in formulas)
    # reachable: a Value method, an operator, or a function of the package
    reachable = (op.method is not None or op.name in ("+", "-", "*", "/", "neg", "**")
                 or op.family == "**c" or hasattr(autograd, op.name))
    assert reachable, op.name
    if op.method:
        assert callable(getattr(Value, op.method))


def test_families_have_methods_or_operators():
    assert Value(2.0).leaky_relu(0.5).op == "leaky_relu(0.5)"
    assert (Value(2.0) ** 3).op == "**3"
    assert set(FAMILIES) == {"**c", "leaky_relu"}


def central_difference(f, xs: tuple[float, ...], i: int) -> float:
    """(f(x + h) - f(x - h)) / 2h in coordinate i, with h scaled to |x_i|."""
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (up[i] - down[i])


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_gradient_matches_finite_differences(op: Op):
    @given(op_inputs(op))
    def check(xs):
        values = [Value(x) for x in xs]
        out = apply(op, *values)
        out.backward()

        def f(*floats):
            return apply(op, *[Value(x) for x in floats]).data

        for i, v in enumerate(values):
            numeric = central_difference(f, xs, i)
            # relative error 1e-6, plus the rounding noise of the quotient (~1e-16 |f| / h)
            tol = 1e-6 * abs(numeric) + 1e-8 * max(1.0, abs(out.data))
            assert math.isclose(v.grad, numeric, rel_tol=0, abs_tol=tol), (i, v.grad, numeric)

    check()


@pytest.mark.parametrize("op", [op for op in ALL if op.smooth], ids=lambda op: op.name)
def test_rules_run_on_complex_numbers(op: Op):
    """Complex step: Im f(x + ih)/h equals the rule's derivative to ~1e-13, which shows
    the forward text runs on complex numbers and agrees with the partials."""
    h = 1e-20  # no cancellation, so h can be tiny; products below ~1e-300 underflow

    @given(op_inputs(op))
    def check(xs):
        out = op.eval(*xs)
        partials = op.local(out, *xs)
        # rules such as 1 − out² lose digits to cancellation: allow their rounding error
        cancel = 1e-15 * max(1.0, abs(out)) ** 2
        for i in range(len(xs)):
            zs = [CStep(x) for x in xs]
            zs[i] = CStep(complex(xs[i], h))
            parts = op.layout.split(zs) if op.layout.nary else zs
            im = complex(op.forward(COMPLEX, *parts)).imag / h
            assert math.isclose(im, partials[i], rel_tol=1e-12, abs_tol=cancel), (i, im)

    check()


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_rules_run_on_values_and_agree_with_floats(op: Op):
    """The partials run on Values (what higher order needs) give the float partials."""

    @given(op_inputs(op))
    def check(xs):
        values = [Value(x) for x in xs]
        out = apply(op, *values)
        on_values = op.flat(op.partials(VALUES, out, *op.split(values)))
        on_floats = op.local(out.data, *xs)
        for a, b in zip(on_values, on_floats):
            a = a.data if isinstance(a, Value) else a
            assert a == pytest.approx(b, rel=1e-15, abs=1e-300)

    check()


reals = st.floats(-1e6, 1e6, allow_nan=False)
edge = st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, math.inf, -math.inf, math.nan])
numbers = st.one_of(reals, edge)


@given(numbers, numbers)
def test_inlined_binary_forwards_equal_declared_ones(a, b):
    """Value's operators compute + - * inline (the hot path): the same result as the op."""
    for symbol, fn in (("+", operator.add), ("-", operator.sub), ("*", operator.mul)):
        inline = fn(Value(a), Value(b)).data
        declared = OPS[symbol].eval(a, b)
        assert inline == declared or (math.isnan(inline) and math.isnan(declared))


@given(numbers, st.lists(st.tuples(numbers, numbers), min_size=1, max_size=5))
def test_inlined_dot_forward_equals_declared_one(start, pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    declared = OPS["dot"].eval(start, *a, *b)
    va, vb = [Value(v) for v in a], [Value(v) for v in b]  # Values: nothing to lift
    for inline in (autograd.dot(a, b, start).data, autograd.dot(va, vb, Value(start)).data,
                   autograd.dot(va, vb, start).data, autograd.dot(va, b, start).data,
                   autograd.dot(a, vb, start).data):
        assert inline == declared or (math.isnan(inline) and math.isnan(declared))


def _same(x: float, y: float) -> bool:
    """Equal as IEEE numbers, the sign of zero included (any NaN equals any NaN)."""
    return (x != x and y != y) or (x == y and math.copysign(1.0, x) == math.copysign(1.0, y))


def _declared_grads(op: Op, inputs: list[Value], g: float) -> dict[int, float]:
    """Each input's gradient as the generic backward path computes it from the op's
    declared rule: local derivative × g, 0 where the op's exact-zero rule says so, summed
    in the pass's order (dot: start, a1, b1, a2, b2, ...) onto -0.0 (the start that keeps
    a contribution's sign of zero)."""
    xs = [p.data for p in inputs]
    partials = op.local(op.eval(*xs), *xs)
    out: dict[int, float] = {}
    order: Sequence[int] = range(len(inputs))
    if op is OPS["dot"]:  # start, then a_i and b_i pair by pair (a1, b1, a2, b2, ...)
        n = (len(inputs) - 1) // 2
        order = [0, *(k for i in range(1, n + 1) for k in (i, i + n))]
    for i in order:
        p, d = inputs[i], partials[i]
        c = d * g
        if c != c and op.masks and op.exact_zero(i, len(inputs), d, g):
            c = 0.0
        out[id(p)] = out.get(id(p), -0.0) + c
    return out


@given(numbers, st.lists(st.tuples(numbers, numbers), min_size=1, max_size=4), numbers,
       st.booleans())
@example(1e16, [(2.5, 0.0), (0.0, 0.0)], 1.0, True)  # rounds differently in any other order
def test_inlined_backward_rules_equal_declared_ones(x, pairs, g, shared):
    """The backward pass inlines dot, relu and tanh (the hot path of a network): each
    input's gradient is the declared rule's, NaN, ±inf and ±0 included; with ``shared`` a
    dot reads one Value up to four times (its contributions add up in the generic path's
    order)."""
    leaf = Value(x)
    a = [Value(p[0]) for p in pairs]
    b = [Value(p[1]) for p in pairs]
    if shared:
        a[-1] = b[0] = b[-1] = leaf
    cases = [(OPS["relu"], [leaf], leaf.relu()), (OPS["tanh"], [leaf], leaf.tanh()),
             (OPS["dot"], [leaf, *a, *b], autograd.dot(a, b, leaf))]
    for op, inputs, out in cases:
        for p in inputs:
            p.grad = -0.0
        out.backward(g)
        want = _declared_grads(op, inputs, g)
        for p in inputs:
            assert _same(p.grad, want[id(p)]), (op.name, p.data, g, p.grad, want[id(p)])


@given(numbers, numbers, numbers)
def test_inlined_backward_rules_pass_gradients_through_interior_nodes(x, w, g):
    """dot, relu and tanh whose inputs are interior nodes (their gradients go on down):
    the gradients of the general pass (``adjoints``, the declared rules)."""
    leaf, weight = Value(x), Value(w)
    h0 = leaf * 1.0
    h1 = (leaf * weight).relu()
    root = autograd.dot([h0, h1], [weight, h0], h1.tanh().relu())
    _, adj = adjoints(root, g)
    root.backward(g)
    for v in (leaf, weight, h0, h1):
        assert _same(v.grad, adj[id(v)]), (v, adj[id(v)])


@given(numbers)
def test_inlined_neg_and_methods_equal_declared_ones(x):
    assert (-Value(x)).data == OPS["neg"].eval(x) or math.isnan(x)
    for op in OPS.values():
        if op.method and not op.layout.nary:
            try:
                declared = op.eval(x)
            except (ArithmeticError, ValueError):
                with pytest.raises((ArithmeticError, ValueError)):
                    getattr(Value(x), op.method)()
                continue
            got = getattr(Value(x), op.method)().data
            assert got == declared or (math.isnan(got) and math.isnan(declared)), op.name


def test_formulas_are_derived_from_the_rules():
    assert [str(f) for f in OPS["/"].formulas("out", ["a", "b"])] == ["1/b", "−out/b"]
    assert [str(f) for f in OPS["tanh"].formulas("out", ["x"])] == ["1 − out·out"]
    assert [str(f) for f in OPS["sin"].formulas("y", ["net"])] == ["cos(net)"]
    assert [str(f) for f in OPS["*"].formulas("out", ["w5", "out_h1"])] == ["out_h1", "w5"]
    dot = OPS["dot"].formulas("net", ["b", "w1", "w2", "x1", "x2"])
    assert [str(f) for f in dot] == ["1", "x1", "x2", "w1", "w2"]
    assert [f.tex() for f in OPS["/"].formulas("out_o1", ["a", "b"])] == [
        "\\frac{1}{b}", "-\\frac{\\mathrm{out}_{o1}}{b}"]


def test_adding_an_op_is_one_entry():
    """An op declared here, outside ops.py's table, works with apply, backward, higher
    order and formulas with no other code."""
    cube = Op("cube", lambda m, x: x * x * x, lambda m, out, x: (3.0 * x * x,),
              doc="x³")
    x = Value(2.0)
    y = apply(cube, x)
    y.backward()
    assert (y.data, x.grad) == (8.0, 12.0)
    assert str(cube.formulas("out", ["x"])[0]) == "3·x·x"
    d2 = autograd.grad(autograd.grad(lambda v: apply(cube, v)))(2.0)
    assert d2 == 12.0  # d²(x³)/dx² = 6x


LOUD_EDGES = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 0.5, 1.0, -1.0, 2.0, -2.5, 3.0, 709.7,
              709.79, 710.0, 1e308, -1e308, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("op", [*all_ops(), *(autograd.rules.ops.pow_const(c) for c in
                                              (-3.0, -2.0, -1.0, -0.5, 0.5, 1.5, 3.0))],
                         ids=lambda op: op.name)
def test_loud_domains_give_inf_or_nan_wherever_they_reject(op):
    """``Domain.loud`` promises that the forward in IEEE arithmetic is inf or NaN wherever
    the domain rejects an input (the NumPy backend checks such a domain only when a result
    is not finite). Held on every pair of edge values; pow's own domain is not loud
    ((−2)² = 4 is finite, yet rejected), and says so."""
    import itertools

    from support import need

    np = need("numpy")
    from autograd.rules.maths import Arrays

    m = Arrays()
    for d in op.domain:
        checked = 0
        for row in itertools.product(LOUD_EDGES, repeat=op.arity or 1):
            parts = op.split([np.array([[x]]) for x in row])
            if not bool(d.bad(m, *parts)):
                continue
            with np.errstate(all="ignore"):
                out = float(np.asarray(op.forward(m, *parts)).ravel()[0])
            if d.loud:
                assert not math.isfinite(out), (op.name, row, out)
            checked += 1
        vacuous = op.family == "**c" and float(op.params[0]).is_integer()  # x < 0, c ∉ ℤ
        assert checked or vacuous, f"no edge value is rejected by a domain of {op.name}"
    if op is OPS["**"]:
        assert not op.domain[0].loud and op.forward(FLOATS, -2.0, 2.0) == 4.0
