"""Issue 18's silent wrong answers, each reproduced as it was found, with the right answer
from PyTorch, HIPS autograd or maths by hand. Every test here failed before its fix."""

from __future__ import annotations

import math

import pytest

from autograd import StaleGraphError, Value, grad, grad_of, hessian, jvp
from autograd.rules import ops

from support import need

# --- create_graph, then the other APIs -----------------------------------------------------


def test_grad_of_a_create_graph_gradient_reaches_the_original_leaf():
    # torch: x = 2; (x**3).backward(create_graph=True); autograd.grad(x.grad, x) -> 6x = 12
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    assert grad_of(x.grad, [x]) == (12.0,)


def test_grad_of_a_create_graph_gradient_reaches_an_interior_node():
    # y = h², h = x·x: x.grad = 2h·2x; ∂(x.grad)/∂h with x held = 4x = 12 at x = 3 (torch)
    x = Value(3.0)
    h = x * x
    (h * h).backward(create_graph=True)
    assert grad_of(x.grad, [h, x]) == (12.0, 12 * 3.0**2)  # and d(4x³)/dx = 12x²


def test_create_graph_twice_then_grad_of_the_sum():
    # x.grad after two create_graph passes of x³ is 3x² + 3x² = 6x²; d/dx = 12x = 24 at 2
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    (x**3).backward(create_graph=True)
    assert grad_of(x.grad, [x]) == (24.0,)


def test_jvp_of_a_function_of_a_create_graph_gradient():
    # jvp of a ↦ x.grad·a along 1 is x.grad = 3x² = 12 at x = 2; it closes over x, so it is
    # a Value whose derivative in x is 6x = 12
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    g = x.grad
    _, t = jvp(lambda a: g * a, [1.0], [1.0])
    assert t.data == 12.0
    assert grad_of(t, [x]) == (12.0,)


def test_a_create_graph_gradient_goes_stale_with_its_leaf():
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    g = x.grad
    x.data = 5.0
    with pytest.raises(StaleGraphError):
        g.backward()
    with pytest.raises(StaleGraphError):
        grad_of(g, [x])


# --- grad of a function that closes over Values --------------------------------------------


def test_grad_with_a_number_keeps_the_outer_values_it_closes_over():
    # f(x) = x · ∂(x·y)/∂y = x²: f'(1) = 2 (HIPS autograd: 2.0)
    def f(x):
        return x * grad(lambda y: x * y)(2.0)

    assert grad(f)(1.0) == 2.0
    assert grad(grad(f))(1.0) == 2.0


def test_grad_of_an_eager_graph_that_calls_grad_inside():
    x = Value(3.0)
    y = x * grad(lambda t: x * t * t)(2.0)  # x · 2·x·2 = 4x²: dy/dx = 8x = 24
    y.backward()
    assert x.grad == 24.0


def test_grad_with_numbers_and_no_outer_values_returns_floats():
    assert grad(lambda x: x * x * 3.0)(2.0) == 12.0
    assert type(grad(lambda x: x * x * 3.0)(2.0)) is float


def test_hessian_and_jvp_keep_the_outer_values_too():
    w = Value(3.0)
    # hessian of w·x² in x is 2w: its derivative in w is 2
    (h,), = [hessian(lambda x: w * x * x)(1.0)]
    h[0].backward()
    assert w.grad == 2.0
    w.grad = 0.0
    # jvp of w·x along 1 at x = 2 is w: its derivative in w is 1
    value, tangent = jvp(lambda x: w * x, [2.0], [1.0])
    (value + tangent).backward()
    assert w.grad == 2.0 + 1.0


def test_gradcheck_sees_a_function_that_froze_a_number():
    from autograd.check import GradcheckError, gradcheck

    def frozen(x):  # reads .data: the graph is x · 3 while the function is x³
        return x * (x.data * x.data)

    with pytest.raises(GradcheckError, match="froze"):
        gradcheck(frozen, [1.5])


# --- subnormal inputs of quotient rules ----------------------------------------------------


@pytest.mark.parametrize("x", [1e-310, 5e-324, 2.2250738585072014e-308 / 4])
def test_log_at_a_subnormal(x):
    v = Value(x)
    v.log().exp().backward()  # d exp(log x)/dx = 1 (PyTorch: 1.0)
    assert v.grad == pytest.approx(1.0, rel=1e-12)


def test_division_of_subnormals():
    a, b = Value(1e-310), Value(2e-310)
    (a / b * b).backward()  # (a/b)·b: ∂/∂a = 1, ∂/∂b = 0
    assert a.grad == pytest.approx(1.0, rel=1e-12)
    assert abs(b.grad) < 1e-12


def test_a_subnormal_gradient_in_jvp_and_grad():
    assert grad(lambda x: x.log().exp())(1e-310) == pytest.approx(1.0, rel=1e-12)
    _, t = jvp(lambda x: x.log(), [1e-310], [1e-310])
    assert t == pytest.approx(1.0, rel=1e-12)


def test_second_order_at_a_subnormal():
    x = Value(1e-310)
    y = x.log().exp()
    (g,) = grad_of(y, [x], create_graph=True)
    assert g.data == pytest.approx(1.0, rel=1e-12)


# --- one behaviour on every path -----------------------------------------------------------


@pytest.mark.parametrize("name", ["sin", "cos"])
@pytest.mark.parametrize("x", [math.inf, -math.inf])
def test_sin_cos_of_infinity_name_the_op(name, x):
    with pytest.raises(ValueError, match=rf"{name}: input must be finite, got -?inf"):
        getattr(Value(x), name)()


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_compiled_sin_of_infinity_raises_as_eager(backend):
    need("numpy")
    import numpy as np

    from autograd import compile

    x = Value(0.0)
    program = compile(outputs=[x.sin()], inputs=[x], params=[], backend=backend)
    with pytest.raises(ValueError, match="sin: input must be finite"):
        program(np.array([[1.0], [math.inf]]))


def test_write_parameters_checks_the_length():
    np = need("numpy")
    from autograd import compile

    ps = [Value(float(i)) for i in range(13)]
    x = Value(0.0)
    program = compile(outputs=[x * ps[0] + sum(ps[1:], Value(0.0))], inputs=[x], params=ps)
    with pytest.raises(ValueError, match=r"write_parameters: theta must have shape \(13,\)"):
        program.write_parameters(np.zeros(3))
    assert [p.data for p in ps] == [float(i) for i in range(13)]


def test_grad_of_refuses_numbers_as_inputs():
    y = Value(2.0) * 3
    with pytest.raises(TypeError,
                       match=r"grad_of: inputs\[0\] must be a Value, got 1.0 \(float\)"):
        grad_of(y, [1.0])


def test_sin_cos_domain_is_declared_loud():
    for op in (ops.SIN, ops.COS):
        assert op.domain and all(d.loud for d in op.domain)


@pytest.mark.parametrize("backend", ["numpy", "python", "torch"])
def test_compiled_quotients_at_subnormals_equal_eager(backend):
    need("numpy")
    if backend == "torch":
        need("torch")
    import numpy as np

    from autograd import compile

    x, p, q, r = Value(1.0), Value(1.0), Value(2e-310), Value(3e-310)
    # d/dp exp(log(x·p)) = x; q·(r/q) = r: d/dr = q·(1/q) = 1 (1/q alone overflows), d/dq = 0
    program = compile(outputs=[(x * p).log().exp() + q * (r / q)], inputs=[x],
                      params=[p, q, r], backend=backend)
    out = program(np.array([[1e-310], [2.0]]))
    program.backward(np.ones_like(out))
    assert p.grad == pytest.approx(1e-310 + 2.0, rel=1e-12)
    assert r.grad == pytest.approx(2.0, rel=1e-12)
    assert abs(q.grad) < 1e-12


def test_every_vjp_rule_is_its_partials_times_g():
    import random

    from autograd.check import sample_inputs

    rng = random.Random(0)
    for op in ops.all_ops():
        if op.vjp is None:
            continue
        for xs in sample_inputs(op, n=50):
            out = op.eval(*xs)
            g = rng.uniform(-3.0, 3.0)
            direct = op.vjp(ops.FLOATS, g, out, *xs)
            for d, v in zip(op.local(out, *xs), direct):
                assert v == pytest.approx(d * g, rel=1e-14, abs=1e-300), (op, xs)


def test_the_readme_table_of_differences_from_pytorch():
    """Each row of the README's "Where we differ from PyTorch, on purpose", both sides."""
    torch = need("torch")

    def t(x):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    # refused with a named error, where PyTorch gives NaN or inf
    for make, error in [(lambda: Value(-1.0).log(), ValueError),
                        (lambda: Value(-1.0).sqrt(), ValueError),
                        (lambda: Value(1.0) / 0.0, ZeroDivisionError),
                        (lambda: Value(710.0).exp(), OverflowError),
                        (lambda: Value(math.inf).sin(), ValueError)]:
        with pytest.raises(error):
            make()
    assert math.isnan(torch.log(t(-1.0)).item()) and math.isnan(torch.sin(t(math.inf)).item())
    assert torch.exp(t(710.0)).item() == math.inf
    # relu(sqrt(x)) at 0: 0 here, NaN in PyTorch
    x, tx = Value(0.0), t(0.0)
    x.sqrt().relu().backward()
    torch.sqrt(tx).relu().backward()
    assert x.grad == 0.0 and math.isnan(tx.grad.item())
    # b·(a/b) at subnormals: ∂/∂b is 0 (here), −inf (PyTorch)
    a, b, ta, tb = Value(1e-310), Value(2e-310), t(1e-310), t(2e-310)
    (b * (a / b)).backward()
    (tb * (ta / tb)).backward()
    assert (a.grad, b.grad) == (1.0, 0.0) and tb.grad.item() == -math.inf
    # backward twice: adds again here; PyTorch raises without retain_graph
    x, tx = Value(2.0), t(2.0)
    y, ty = x**3, tx**3
    y.backward()
    y.backward()
    assert x.grad == 24.0
    ty.backward()
    with pytest.raises(RuntimeError):
        ty.backward()
    # float(v) raises
    with pytest.raises(TypeError):
        float(Value(1.0))


def test_grad_of_with_create_graph_inside_no_grad_keeps_the_graph():
    from autograd import no_grad

    x = Value(2.0)
    (x**3).backward(create_graph=True)
    y = x.grad * x  # 3x³, through x and through x.grad's stand-in of x
    with no_grad():
        (d,) = grad_of(y, [x], create_graph=True)  # 9x² = 36
    assert d.data == 36.0
    assert grad_of(d, [x]) == (36.0,)  # 18x
