"""gradcheck that sets the standard: complex step and Richardson references, tolerances at
the rounding level, second order and forward mode, the guilty op named, the smallest
failing graph drawn, users' own ops checked by the whole property suite.

Expected numbers come from calculus by hand (d(x³)/dx = 3x², d²(x³)/dx² = 6x, ...) or from
PyTorch; none is copied from the code under test."""

from __future__ import annotations

import math
import os
import re
import shutil

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, explain, grad, jvp
from autograd.check import (
    GradcheckError,
    check_op,
    complex_step_gradient,
    custom_op,
    find_culprit,
    gradcheck,
    gradcheck_report,
    richardson,
)
from autograd.check.references import complex_gradient_estimated as _complex_gradient_estimated
from autograd.check.references import trace_of as _trace
from autograd.check.rounding import EPS, rounding_bounds
from autograd.check.rounding import local_magnitudes as _local_magnitudes
from autograd.core.functional import grad_of
from autograd.core.value import apply, topological_order
from autograd.rules.ops import OPS, all_ops
from autograd.testing import check_expression, expressions, networks, op_inputs
from nn import MLP

from support import need

FAST = settings(max_examples=30, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def cube_op(factor: float = 1.0, name: str = "cube"):
    """x³ with the derivative rule 3x²·factor (factor 1: the right rule)."""
    return custom_op(name, lambda m, x: x * x * x, lambda m, out, x: (3.0 * x * x * factor,),
                     sample=((-3.0, 3.0),), doc="x³")


RIGHT = cube_op()
WRONG = cube_op(1 + 1e-9)


def first_line(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value).splitlines()[0]


# --- the default check: complex step, rounding-level tolerance ------------------------------

@pytest.mark.parametrize("x", [1.5, -0.7, 2.9, 0.05])
def test_a_rule_wrong_by_one_part_in_a_billion_fails_the_default_check(x):
    def f(a, b):
        return WRONG(a) * b + a.sin()

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [x, 0.7])
    assert first_line(info).startswith("gradcheck: guilty op 'cube'")
    assert "complex-step" in str(info.value)
    report = info.value.report
    assert report.method == "complex-step"
    # the table holds the reference by hand: 3x²·0.7 + cos(x) for input 0
    assert report.rows[0].reference == pytest.approx(3 * x * x * 0.7 + math.cos(x), rel=1e-14)
    assert not report.rows[0].ok


@pytest.mark.parametrize("x", [1.5, -0.7, 2.9, 0.05])
def test_the_same_rule_written_right_passes(x):
    assert gradcheck(lambda a, b: RIGHT(a) * b + a.sin(), [x, 0.7])


def test_pytorch_gradcheck_passes_the_rule_that_is_wrong_by_one_part_in_a_billion():
    torch = need("torch")

    class WrongCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * 3 * x**2 * (1 + 1e-9)

    for x in (1.5, -0.7, 2.9, 0.05):
        t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(WrongCube.apply, (t,))  # PyTorch misses it
        # and so does the PyTorch-compatible method; the default does not
        assert gradcheck(lambda a: WRONG(a), [x], method="central")
        with pytest.raises(GradcheckError):
            gradcheck(lambda a: WRONG(a), [x])


def test_the_smallest_relative_error_the_default_check_detects():
    """One cube at x = 1.5, d = 3x² = 6.75: the bound is 8·ε·(S + C) with S = |d| and
    C = |d| + Σ|terms of d| = 2|d|, so 8·ε·3·6.75 = 162ε ≈ 3.6e-14, 5.3e-15 relative; a
    rule wrong by 1e-14 fails, the right rule passes."""
    for factor, fails in ((1 + 1e-14, True), (1 + 1e-13, True), (1.0, False)):
        report = gradcheck_report(cube_op(factor), [1.5])
        assert (not report.passed) is fails, factor
        assert report.rows[0].tolerance == pytest.approx(8 * EPS * 3 * 6.75, rel=1e-6, abs=0)


def test_the_report_prints_the_references_error_estimate():
    report = gradcheck_report(lambda a: a.relu() * 3.0, [0.25])
    assert report.method == "richardson" and report.passed
    assert "error est." in report.table()
    row = report.rows[0]
    assert row.reference == pytest.approx(3.0, rel=1e-10)  # d(3·relu(x))/dx = 3 for x > 0
    assert 0.0 <= row.estimate < 1e-9


def test_auto_picks_the_most_precise_method_that_applies():
    assert gradcheck_report(lambda a: a.tanh(), [0.3]).method == "complex-step"
    assert gradcheck_report(lambda a: a.relu(), [0.3]).method == "richardson"
    assert gradcheck_report(lambda a: abs(a), [0.3]).method == "richardson"
    assert gradcheck_report(lambda a, b: autograd.max([a, b]), [0.3, 1.0]).method == "richardson"
    assert gradcheck_report(lambda a: a.tanh(), [0.3], method="central").method == "central"
    # a rule that does not run on complex numbers: Richardson instead
    no_complex = custom_op("floor_free", lambda m, x: x * float(_real(x)),
                           lambda m, out, x: (2.0 * x,))
    assert gradcheck_report(lambda a: no_complex(a), [0.7]).method == "richardson"


def _real(x):
    return x.data if isinstance(x, Value) else x


def test_central_keeps_pytorchs_semantics():
    """eps = 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|: a rule wrong by 1e-4
    relative passes, one wrong by 1e-2 fails."""
    assert gradcheck(lambda a: cube_op(1 + 1e-4)(a), [1.5], method="central")
    with pytest.raises(GradcheckError, match="central"):
        gradcheck(lambda a: cube_op(1 + 1e-2)(a), [1.5], method="central")
    with pytest.raises(ValueError, match="method"):
        gradcheck(lambda a: a, [1.0], method="secant")


@pytest.mark.parametrize("op", [op for op in all_ops() if op.smooth], ids=lambda op: op.name)
def test_complex_step_agrees_with_every_smooth_rule_to_1e_13(op):
    @FAST
    @given(op_inputs(op))
    def check(xs):
        values = [Value(x) for x in xs]
        out = apply(op, *values)
        analytic = grad_of(out, values)
        reference = complex_step_gradient(lambda *v: apply(op, *v), xs)
        mags = _local_magnitudes(op, out.data, xs, analytic)
        for a, r, mg in zip(analytic, reference, mags):
            # 1e-13 relative; where the rule cancels (1 − tanh²), its own rounding ε·Σ|terms|;
            # h² = 1e-40 relative truncation where the derivative is 0 (x³ at 0)
            assert abs(a - r) <= 1e-13 * abs(r) + 4 * EPS * mg + 1e-38, (xs, a, r)

    check()


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(expressions(max_depth=5))
def test_complex_step_on_random_graphs_within_the_rounding_bound(expr):
    """On the random-graph suite: |analytic − complex step| stays within the rounding bound
    ε·(S + C) plus the step's truncation estimate (the default check allows 8 times the
    bound), and within 1e-13 relative wherever that bound is below 1e-14 relative."""
    trace = _trace(expr, expr.inputs)
    analytic = grad_of(trace.root, trace.values)
    reference = _complex_gradient_estimated(trace)  # (Im f/h, h²-truncation estimate)
    bounds = rounding_bounds(trace.root, trace.values)
    for a, (r, t), b in zip(analytic, reference, bounds):
        assert abs(a - r) <= b + t, (a, r, b, t)
        if b + t <= 1e-14 * abs(r):
            assert abs(a - r) <= 1e-13 * abs(r)


@FAST
@given(expressions(ops=["relu", "sin", "*", "+", "abs", "max", "leaky_relu(0.2)"]))
def test_richardson_on_graphs_that_are_not_smooth(expr):
    # on a kink (relu at exactly 0) the derivative is a convention, not a limit: the check
    # there is tested apart; within a step of a kink a difference quotient straddles it
    out = expr(*[Value(x) for x in expr.inputs])
    hypothesis.assume(all(abs(p.data - k) > 1e-3 for node in out.walk() if node._op
                          for p in node.parents for k in node._op.kinks))
    assert gradcheck(expr, expr.inputs)


def test_gradcheck_at_a_kink_names_the_op_and_both_numbers():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x.relu(), [0.0])
    assert first_line(info).startswith("gradcheck: guilty op 'relu' at inputs (0.0)")
    assert "0.5 by Richardson" in str(info.value) and "its rule gives 0.0" in str(info.value)


def test_richardsons_error_estimate_is_honest():
    for g, x, exact in ((math.exp, 1.0, math.e), (math.sin, 2.0, math.cos(2.0)),
                        (lambda t: t**5, 1.3, 5 * 1.3**4), (math.log, 0.5, 2.0)):
        d, est = richardson(g, x)
        assert abs(d - exact) <= max(est, 4 * EPS * abs(exact)), (d, exact, est)
        assert est < 1e-10 * abs(exact)


# --- second order and forward mode ---------------------------------------------------------

def test_a_rule_right_in_the_first_derivative_but_wrong_in_the_second_fails_order_2():
    # the partial reads .data: a constant to the next derivative, so d²/dx² comes out 0
    frozen = custom_op("cube", lambda m, x: x * x * x,
                       lambda m, out, x: (3.0 * _real(x) ** 2,), doc="x³, partial from data")
    assert gradcheck(lambda a: frozen(a), [1.5])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: frozen(a), [1.5], order=2)
    assert first_line(info).startswith("gradcheck: guilty op 'cube'")
    culprit = info.value.culprit
    assert culprit.order == 2
    assert culprit.expected == pytest.approx(9.0, rel=1e-13)  # 6x at 1.5
    assert culprit.actual == 0.0
    assert gradcheck(lambda a: RIGHT(a), [1.5], order=2)


def test_order_2_checks_every_mixed_derivative():
    # f = a²·b: ∂²f/∂a² = 2b, ∂²f/∂a∂b = 2a, ∂²f/∂b² = 0
    report = gradcheck_report(lambda a, b: a * a * b, [1.5, -2.0], order=2)
    second = {r.index: r.reference for r in report.rows if r.mode == "rev²"}
    assert second[(0, 0)] == pytest.approx(-4.0) and second[(0, 1)] == pytest.approx(3.0)
    assert second[(1, 1)] == 0.0 and report.passed
    assert gradcheck(lambda a, b: (a.relu() * b).sin(), [0.8, 0.3], order=2)  # Richardson


def test_forward_mode_is_checked_too(monkeypatch):
    assert gradcheck(lambda a, b: (a * b).tanh() + a.exp(), [0.3, -1.2], modes=("rev", "fwd"))
    import autograd.check.gradients as check

    def wrong_jvp(f, primals, tangents):
        value, slope = jvp(f, primals, tangents)
        return value, 2 * slope

    monkeypatch.setattr(check, "jvp", wrong_jvp)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: (a * b).tanh(), [0.3, -1.2], modes=("rev", "fwd"))
    assert "no op's rule disagrees" in first_line(info)
    assert {r.mode for r in info.value.report.failures} == {"fwd"}


# --- the guilty op ----------------------------------------------------------------------

def test_a_200_node_graph_with_one_wrong_op_names_that_op_first():
    bad = cube_op(1 + 1e-9, name="my_cube")
    x, y = Value(0.4, label="x"), Value(-0.3, label="y")

    def f(x, y):
        v = x
        for k in range(50):
            v = (v * 0.9 + y).tanh() + 0.1 * x.sin()
            if k == 37:
                v = bad(v + 1.0)
                v.label = "the_suspect"
                v = v * 0.5
        return v

    nodes = topological_order(f(x, y))
    assert len(nodes) >= 200
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [0.4, -0.3])
    lead = first_line(info)
    assert lead.startswith("gradcheck: guilty op 'my_cube' (label 'the_suspect')"), lead
    assert re.search(r"relative error 1\.0\d?e-09", lead), lead
    assert str(info.value).index("my_cube") < str(info.value).index("analytic")


def test_the_guilty_op_of_a_non_smooth_graph_is_found_by_richardson():
    # a relu whose slope for x > 0 is written as 2 (it is 1)
    bad_relu = custom_op("bad_relu", lambda m, x: m.where(x <= 0.0, 0.0, x),
                         lambda m, out, x: (m.where(x <= 0.0, 0.0, 2.0),), smooth=False,
                         kinks=(0.0,), masks=True)
    root = bad_relu(Value(0.5).sin() * 2.0)
    culprit = find_culprit(root)
    assert culprit is not None and culprit.op is bad_relu and culprit.method == "Richardson"
    assert (culprit.expected, culprit.actual) == (pytest.approx(1.0, rel=1e-9), 2.0)
    assert find_culprit(Value(0.5).sin().relu()) is None


# --- the smallest failing graph, drawn ------------------------------------------------------

def test_check_expression_reports_the_shrunk_graph_with_explain_and_a_picture(tmp_path):
    @settings(max_examples=100, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(expressions(ops=["sin", "*", "+", WRONG], n_inputs=2, max_depth=3))
    def prop(expr):
        check_expression(expr, picture_dir=str(tmp_path))

    with pytest.raises(GradcheckError) as info:
        prop()
    message = str(info.value)
    assert message.splitlines()[0].startswith("gradcheck: guilty op 'cube'")
    shown = re.search(r"the expression: Expression\((.*?);", message).group(1)
    assert shown.count("(") <= 2, shown  # shrunk: the wrong op, next to nothing else
    assert "cube" in shown
    assert "Path 1" in message or "grad(" in message  # explain's text
    if shutil.which("dot"):
        path = re.search(r"picture: (\S+)", message).group(1)
        assert os.path.exists(path) and path.startswith(str(tmp_path))
        with open(path, encoding="utf-8") as picture:
            assert "#d62728" in picture.read()  # the red path to the op
    else:
        assert "dot program is missing" in message


# --- users' own ops ----------------------------------------------------------------------

def test_custom_op_works_everywhere_builtin_ops_do():
    softsign = custom_op("softsign", lambda m, x: x / (1.0 + m.abs(x)),
                         lambda m, out, x: (1.0 / ((1.0 + m.abs(x)) * (1.0 + m.abs(x))),),
                         doc="x / (1 + |x|); derivative 1/(1 + |x|)²")
    x = Value(0.5, label="x")
    y = softsign(x)
    y.backward()
    assert y.data == pytest.approx(1 / 3) and x.grad == pytest.approx(1 / 1.5**2)
    # d²/dx² = −2/(1 + x)³ for x > 0
    assert grad(grad(lambda v: softsign(v)))(0.5) == pytest.approx(-2 / 1.5**3)
    assert jvp(lambda v: apply(softsign, v), [0.5], [2.0])[1] == pytest.approx(2 / 1.5**2)
    # explain shows the custom op's own rule, derived from its partials
    assert "1/(1 + |x|)²" in str(explain(y * 2.0, x))
    assert gradcheck(lambda v: softsign(v) * v, [0.5], order=2, modes=("rev", "fwd"))
    with pytest.raises(TypeError, match="layout"):
        custom_op("n", lambda m, *xs: xs[0], lambda m, out, *xs: (1.0,))


def test_custom_op_compiles_and_draws():
    np = need("numpy")
    from autograd.compiler import compile as compile_graph

    square = custom_op("square", lambda m, x: x * x, lambda m, out, x: (2.0 * x,))
    xs, p = [Value(0.0)], Value(1.0)
    program = compile_graph([square(xs[0] * p)], xs, [p])
    out = program(np.array([[1.0], [2.0], [3.0]]))
    assert out[:, 0].tolist() == [1.0, 4.0, 9.0]
    program.backward(np.ones_like(out))
    assert p.grad == pytest.approx(2 * (1 + 4 + 9))  # d/dp Σ (x p)² = Σ 2 x² p at p = 1
    dot = autograd.draw_dot(square(Value(3.0)))
    assert "square" in dot.source


@pytest.mark.parametrize("name", ["sin", "softplus", "/", "dot", "relu", "max", "**2.5"])
def test_check_op_passes_the_built_in_ops(name):
    op = OPS.get(name) or next(op for op in all_ops() if op.name == name)
    assert check_op(op, max_examples=15)


def test_check_op_catches_a_wrong_first_and_a_wrong_second_derivative():
    with pytest.raises(Exception, match="cube"):
        check_op(cube_op(1 + 1e-9), max_examples=10)
    frozen = custom_op("frozen_cube", lambda m, x: x * x * x,
                       lambda m, out, x: (3.0 * _real(x) ** 2,), sample=((-3.0, 3.0),))
    with pytest.raises(Exception, match="create_graph"):
        check_op(frozen, max_examples=10)
    assert check_op(RIGHT, max_examples=10)


@settings(max_examples=10, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(networks(MLP), st.sampled_from(["auto", "central"]))
def test_gradcheck_through_random_networks(net, method):
    assert gradcheck(net, net.inputs, method=method)


def test_grad_of_through_a_relu_that_masks_a_whole_branch():
    """engine.adjoints skips a node that a mask cut off (it used to raise KeyError): the
    gradient of relu(a·b) + b at a·b < 0 is (0, 1)."""
    a, b = Value(0.3), Value(-1.2)
    assert grad_of((a * b).relu() + b, [a, b]) == (0.0, 1.0)
    (ga, gb) = grad_of((a * b).relu() + b * b, [a, b], create_graph=True)
    assert (ga.data, gb.data) == (0.0, -2.4)


def test_check_expression_without_dot_says_so(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    expr = _wrong_expression()
    with pytest.raises(GradcheckError, match="dot program is missing"):
        check_expression(expr)


def _wrong_expression():
    from autograd.testing import Expression

    return Expression(("*", (WRONG, ("x", 0)), ("x", 1)), (1.5, 0.7))


@FAST
@given(st.data())
def test_in_domain_draws_inside_each_ops_sample_ranges(data):
    op = data.draw(st.sampled_from(all_ops()))
    xs = data.draw(autograd.testing.in_domain(op))
    parts = op.layout.split(xs) if op.layout.nary else xs
    for part, (lo, hi) in zip(parts, op.sample):
        for x in part if isinstance(part, tuple) else (part,):
            assert lo <= x <= hi
    op.eval(*xs)  # inside the domain: no error
