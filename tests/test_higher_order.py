"""Higher-order derivatives, forward mode, gradcheck, the Hypothesis strategies, anomalies."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, detect_anomaly, grad, grad_of, hessian, jvp
from autograd.check import GradcheckError, gradcheck, numerical_gradient, richardson
from autograd.core.value import apply
from autograd.rules.ops import Op
from autograd.testing import OPS, expressions


def derivatives(f, x: float, orders: int = 4) -> list[float]:
    """[f'(x), f''(x), ...] by nesting grad."""
    out, g = [], f
    for _ in range(orders):
        g = grad(g)
        out.append(g(x))
    return out


@pytest.mark.parametrize("x", [-1.3, -0.2, 0.0, 0.7, 2.1])
def test_tanh_up_to_fourth_order(x):
    t = math.tanh(x)
    s = 1 - t * t  # tanh' = sech²
    closed = [s, -2 * t * s, -2 * s * (1 - 3 * t * t), 8 * t * s * (2 - 3 * t * t)]
    assert derivatives(Value.tanh, x) == pytest.approx(closed, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 1.5])
def test_sigmoid_up_to_fourth_order(x):
    s = 1 / (1 + math.exp(-x))
    d1 = s * (1 - s)
    closed = [d1, d1 * (1 - 2 * s), d1 * (1 - 6 * s + 6 * s * s),
              d1 * (1 - 2 * s) * (1 - 12 * s + 12 * s * s)]
    assert derivatives(Value.sigmoid, x) == pytest.approx(closed, rel=1e-11, abs=1e-14)


@pytest.mark.parametrize("x", [-2.0, 0.3, 4.0])
def test_exp_up_to_fourth_order(x):
    assert derivatives(Value.exp, x) == pytest.approx([math.exp(x)] * 4, rel=1e-14)


@pytest.mark.parametrize("x", [0.1, 1.0, 7.5])
def test_log_up_to_fourth_order(x):
    closed = [1 / x, -1 / x**2, 2 / x**3, -6 / x**4]
    assert derivatives(Value.log, x) == pytest.approx(closed, rel=1e-13)


@pytest.mark.parametrize("a,b", [(1.7, 2.5), (0.4, -1.3), (3.0, 0.5)])
def test_power_up_to_fourth_order_in_base_and_exponent(a, b):
    base = derivatives(lambda x: x ** Value(b), a)
    closed = [b * a ** (b - 1), b * (b - 1) * a ** (b - 2), b * (b - 1) * (b - 2) * a ** (b - 3),
              b * (b - 1) * (b - 2) * (b - 3) * a ** (b - 4)]
    assert base == pytest.approx(closed, rel=1e-12)
    exponent = derivatives(lambda y: Value(a) ** y, b)
    assert exponent == pytest.approx([a**b * math.log(a) ** k for k in range(1, 5)], rel=1e-12)


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@pytest.mark.parametrize("x,y", [(-1.2, 1.0), (1.0, 1.0), (0.5, -0.3), (2.0, 3.0)])
def test_hessian_of_rosenbrock(x, y):
    closed = [[2 - 400 * y + 1200 * x * x, -400 * x], [-400 * x, 200.0]]
    assert hessian(rosenbrock)(x, y) == [pytest.approx(row, rel=1e-13) for row in closed]


def test_backward_create_graph_leaves_differentiable_grads():
    x = Value(0.6)
    y = x**3 * x.tanh()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    first = x.grad
    t = math.tanh(0.6)
    assert first.data == pytest.approx(3 * 0.36 * t + 0.216 * (1 - t * t), rel=1e-14)
    x.grad = 0.0
    first.backward()  # d/dx of the first derivative: the second derivative
    second = 6 * 0.6 * t + 2 * 3 * 0.36 * (1 - t * t) + 0.216 * (-2 * t * (1 - t * t))
    assert x.grad == pytest.approx(second, rel=1e-13)


def test_grad_argnums_and_errors():
    f = lambda a, b: a * b * b  # noqa: E731
    assert grad(f)(3.0, 2.0) == 4.0
    assert grad(f, argnums=1)(3.0, 2.0) == 12.0
    assert grad(f, argnums=(0, 1))(3.0, 2.0) == (4.0, 12.0)
    assert grad(grad(f, argnums=1), argnums=1)(3.0, 2.0) == 6.0
    assert grad(grad(f, argnums=1), argnums=0)(3.0, 2.0) == 4.0  # mixed partial
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        grad(lambda a: 1.0)(2.0)
    with pytest.raises(IndexError, match="argnums 2 out of range"):
        grad(f, argnums=2)(1.0, 2.0)
    assert grad_of(Value(1.0) * 2, [Value(3.0)]) == (0.0,)  # unrelated input


@given(expressions(n_inputs=1, max_depth=3))
def test_second_derivative_matches_finite_differences_of_the_first(expr):
    (x,) = expr.inputs
    d1 = grad(expr)
    d2 = grad(grad(expr))(x)
    # Two references for d1's derivative: a central difference with h = 1e-5 (off where the
    # fourth derivative is huge: (10³x)⁴ at 0 by 4e-4), and Richardson extrapolation from
    # h = 1e-3 with its error estimate (blind where d1 changes on a scale below the step)
    h = 1e-5
    scale = max(1.0, abs(d1(x)))
    central = (d1(x + h) - d1(x - h)) / (2 * h)
    extrapolated, estimate = richardson(d1, x, h0=1e-3)
    assert (abs(d2 - central) <= 1e-4 * max(scale, abs(central))
            or abs(d2 - extrapolated) <= 10 * estimate + 1e-9 * max(scale, abs(extrapolated))
            ), (d2, central, extrapolated, estimate)


@given(expressions(), st.data())
def test_jvp_equals_reverse_mode(expr, data):
    tangents = [data.draw(st.floats(-3, 3, allow_nan=False)) for _ in expr.inputs]
    value, directional = jvp(expr, expr.inputs, tangents)
    values = [Value(x) for x in expr.inputs]
    out = expr(*values)
    out.backward()
    assert value == out.data
    reverse = sum(v.grad * t for v, t in zip(values, tangents))
    assert directional == pytest.approx(reverse, rel=1e-12, abs=1e-12)


@given(expressions())
def test_gradcheck_passes_on_random_expressions(expr):
    assert gradcheck(expr, expr.inputs)


def test_the_strategies_draw_from_the_op_table():
    from autograd.rules.ops import all_ops

    assert set(OPS) == {op.name for op in all_ops()}
    with pytest.raises(ValueError, match="unknown ops \\['nonsense'\\]"):
        expressions(ops=["nonsense"]).example()


def test_gradcheck_catches_a_wrong_derivative_rule():
    # cube with a derivative rule that is off by a factor: 2x² instead of 3x²
    wrong_cube = Op("cube", lambda m, x: x**3, lambda m, out, x: (2 * x * x,))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: apply(wrong_cube, a) + b, [1.5, 0.25])
    message = str(info.value)
    assert "differ at 1 of 2 inputs" in message
    assert "analytic" in message and "numeric" in message and "difference" in message
    assert "4.5" in message and "6.75" in message  # analytic 2·1.5², numeric 3·1.5²
    right_cube = Op("cube", lambda m, x: x**3, lambda m, out, x: (3 * x * x,))
    assert gradcheck(lambda a, b: apply(right_cube, a) + b, [1.5, 0.25])


def test_numerical_gradient():
    assert numerical_gradient(lambda a, b: a * b, [2.0, 5.0]) == pytest.approx([5.0, 2.0])


def test_detect_anomaly_in_forward_names_op_label_and_inputs():
    big = Value(1e300, label="big")
    assert math.isinf((big * 1e10).data)  # outside: plain float semantics
    expected = r"forward produced inf in '\*' at inputs \(big=1e\+300, 10000000000.0\)"
    with detect_anomaly(), pytest.raises(FloatingPointError, match=expected):
        big * 1e10
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"nan in '-'"):
        Value(math.inf) - Value(math.inf)


def test_detect_anomaly_in_backward():
    x = Value(2.0, label="x")
    y = x * 1e10
    y.label = "y"
    y.backward(grad=1e300)  # outside: no check
    assert math.isinf(x.grad)
    expected = r"backward produced inf through '\*' \(label 'y'\)"
    with detect_anomaly(), pytest.raises(FloatingPointError, match=expected):
        y.backward(grad=1e300)
    z = x * 3  # after the context, nothing is checked and the fast path is back
    z.backward()
