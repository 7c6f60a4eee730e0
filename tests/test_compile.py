"""compile: the traced program equals the eager engine, on every op, random graphs and
whole networks; its errors; its cost grows with depth, not with node count."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import need  # noqa: E402

np = need("numpy")

from autograd import Value  # noqa: E402
from autograd.compiler.program import compile  # noqa: E402
from autograd.core.value import apply  # noqa: E402
from autograd.rules.ops import Op, all_ops  # noqa: E402
from autograd.testing import OPS, expressions, op_inputs  # noqa: E402
from nn import MLP, SGD, Adam, cross_entropy, fit, hinge, l2  # noqa: E402


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), scale)


try:
    import torch  # noqa: F401

    BACKENDS = ["numpy", "python", "torch"]
except ImportError:  # the torch backend is optional
    BACKENDS = ["numpy", "python"]


def compare(build, batch: list[tuple[float, ...]], n_args: int, backend: str = "numpy"):
    """Compiled vs eager for out = build(x_0 + p_0, ..., x_k + p_k): the p_i are parameters
    (value 0), so their gradients are the op's partials; x_i come from the batch."""
    xs = [Value(v) for v in batch[0]]
    ps = [Value(0.0) for _ in range(n_args)]
    output = build(*[x + p for x, p in zip(xs, ps)])
    if output.is_leaf:  # a random graph that folded to a constant: compile says so, once
        with pytest.warns(RuntimeWarning, match="output 0 is a constant leaf") as caught:
            program = compile([output], xs, ps, backend=backend)
        assert len(caught) == 1, [str(w.message) for w in caught]
    else:
        program = compile([output], xs, ps, backend=backend)
    out = program(np.array(batch))
    program.backward(np.full(out.shape, 1.0 / len(batch)))
    compiled_grads = [p.grad for p in ps]
    eager_grads = [0.0] * n_args
    for k, row in enumerate(batch):
        qs = [Value(0.0) for _ in range(n_args)]
        y = build(*[Value(v) + q for v, q in zip(row, qs)])
        assert close(out[k, 0], y.data), (k, out[k, 0], y.data)
        y.backward()
        for i, q in enumerate(qs):
            eager_grads[i] += q.grad / len(batch)
    scale = max([1.0, *map(abs, eager_grads)])
    for c, e in zip(compiled_grads, eager_grads):
        assert close(c, e, scale), (c, e)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", all_ops(), ids=lambda op: op.name)
def test_every_op_compiled_equals_eager(op: Op, backend: str):
    def build(*xs):
        return apply(op, *xs)

    @given(st.lists(op_inputs(op), min_size=1, max_size=6).filter(
        lambda rows: len({len(r) for r in rows}) == 1))
    def check(batch):
        compare(build, batch, len(batch[0]), backend)

    check()


@pytest.mark.parametrize("backend", BACKENDS)
@given(expr=expressions(ops=list(OPS)), data=st.data())
def test_random_graphs_compiled_equal_eager(backend, expr, data):
    n = len(expr.inputs)
    rows = [expr.inputs] + [
        tuple(data.draw(st.floats(-2, 2, allow_nan=False)) for _ in range(n))
        for _ in range(data.draw(st.integers(0, 5)))
    ]
    finite_rows = []
    for row in rows:  # keep the rows where the expression stays in range, as the strategy did
        try:
            if abs(expr(*[Value(v) for v in row]).data) < 1e6:
                finite_rows.append(row)
        except (ArithmeticError, ValueError):
            pass
    compare(expr, finite_rows, n, backend)


def test_mlp_training_compiled_equals_eager():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5)).tolist()
    labels = rng.integers(0, 3, size=20)
    Y = [[1.0 if k == c else 0.0 for k in range(3)] for c in labels]
    models = [MLP(5, [6, 3], activation="tanh", seed=1) for _ in range(2)]
    for model, compiled in zip(models, (False, True)):
        fit(model, X, Y, cross_entropy, Adam(model.parameters(), lr=0.05), epochs=3,
            batch_size=8, progress=False, compiled=compiled,
            regularization=lambda m: l2(m.parameters(), 1e-3))
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        assert close(a.data, b.data), (a.data, b.data)


def test_moons_step_compiled_equals_eager():
    from nn.datasets import make_moons

    xs, ys = make_moons(30)
    models = [MLP(2, [8, 8, 1], seed=0, init="micrograd") for _ in range(2)]
    for model, compiled in zip(models, (False, True)):
        fit(model, xs, ys, hinge, SGD(model.parameters(), lr=0.5), epochs=5, shuffle=False,
            regularization=lambda m: l2(m.parameters(), 1e-4), progress=False,
            compiled=compiled)
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        assert close(a.data, b.data), (a.data, b.data)


def test_numpy_calls_grow_with_depth_not_width():
    def groups(width: int) -> int:
        model = MLP(64, [width, 10], activation="relu")
        xs = [Value(0.0) for _ in range(64)]
        return compile(model(xs), xs, model.parameters()).n_groups

    assert groups(8) == groups(256) == 3  # dot, relu, dot


def test_bad_batches_and_misuse_get_clear_errors():
    x, w = Value(1.0), Value(2.0)
    program = compile([(x * w).log()], [x], [w])
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 1\), got \(3, 2\)"):
        program(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 1\), got \(3,\)"):
        program(np.ones(3))
    with pytest.raises(TypeError, match="X must hold numbers, got dtype <U1"):
        program(np.array([["a"]]))
    with pytest.raises(RuntimeError, match="call it on a batch before backward"):
        compile([x * w], [x], [w]).backward(np.ones((1, 1)))
    with pytest.raises(ValueError, match=r"log: input must be positive, got -6.0 \(batch row 2\)"):
        program(np.array([[1.0], [2.0], [-3.0]]))
    program(np.array([[1.0], [2.0]]))
    with pytest.raises(ValueError, match=r"seed must have shape \(2, 1\)"):
        program.backward(np.ones((3, 1)))
    with pytest.raises(ValueError, match="must be leaves"):
        compile([x * w], [x * 2], [w])
    with pytest.raises(ValueError, match="appears twice"):
        compile([x * w], [x], [x, w])


def test_without_numpy_compile_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    x = Value(1.0)
    with pytest.raises(ImportError, match="pip install numpy"):
        compile([x * 2], [x])


def test_compile_under_no_grad_works_and_a_graph_built_under_it_is_refused():
    from autograd import no_grad

    x, w = Value(1.0), Value(2.0)
    y = (x * w).tanh()
    with no_grad():
        program = compile([y, x], [x], [w])  # a leaf output gets its own node, even here
        out = program(np.array([[0.5], [1.0]]))
        program.backward(np.ones_like(out))
    assert close(out[1, 0], y.data) and out[0, 1] == 0.5
    assert w.grad != 0.0
    with no_grad():
        z = x * w
    with pytest.warns(RuntimeWarning, match="built under no_grad"):
        compile([z], [x], [w])


def test_dense_layers_become_matmuls_and_equal_the_segmented_path():
    model = MLP(7, [5, 4, 3], activation="tanh", seed=3)
    xs = [Value(0.0) for _ in range(7)]
    outs = model(xs)
    dense = compile(outs, xs, model.parameters())
    plain = compile(outs, xs, model.parameters(), dense=False)
    assert dense.n_dense == 3 and plain.n_dense == 0
    X = np.random.default_rng(1).normal(size=(9, 7))
    a, b = dense(X), plain(X)
    seed = np.random.default_rng(2).normal(size=a.shape)
    ga, gb = dense.backward(seed, accumulate=False), plain.backward(seed, accumulate=False)
    assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
    assert np.allclose(ga, gb, rtol=1e-12, atol=1e-12)
    theta = dense.parameter_values()
    assert np.array_equal(dense(X, params=theta), a)
    X[0, 2] = np.inf  # non-finite inputs: summed in the scalar engine's order
    assert np.array_equal(np.isnan(dense(X)), np.isnan(plain(X)))


def test_a_shared_weight_and_a_repeated_input_scatter_correctly():
    x = [Value(0.0) for _ in range(3)]
    w = [Value(0.5), Value(-1.5)]
    b = Value(0.25)
    outs = [autograd_dot([w[0], w[1], w[0]], x, b), autograd_dot([w[1], w[1], w[0]], x, b)]
    program = compile(outs, x, [*w, b])
    assert program.n_dense == 1
    X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    out = program(X)
    program.backward(np.ones_like(out))
    for p in (*w, b):
        expected = p.grad
        p.grad = 0.0
    eager = [0.0, 0.0, 0.0]
    for row in X:
        vs = [Value(v) for v in row]
        for p in (*w, b):
            p.grad = 0.0
        ys = [autograd_dot([w[0], w[1], w[0]], vs, b), autograd_dot([w[1], w[1], w[0]], vs, b)]
        (ys[0] + ys[1]).backward()
        eager = [e + p.grad for e, p in zip(eager, (*w, b))]
    program(X)
    for p in (*w, b):
        p.grad = 0.0
    program.backward(np.ones_like(out))
    assert all(close(p.grad, e) for p, e in zip((*w, b), eager)), (eager, expected)


def autograd_dot(a, b, start):
    from autograd import dot

    return dot(a, b, start)


def test_fit_compiled_refuses_a_loss_that_branches_on_a_later_label():
    def picky(outputs, targets):  # reads a target's .data: tracing would freeze it
        return outputs[0] * 2.0 if targets[0].data > 0 else outputs[0] * 3.0

    model = MLP(2, [3, 1], seed=0)
    xs, ys = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], [1.0, 1.0, -1.0]
    with pytest.raises(ValueError, match="example 2 differs from the one traced"):
        fit(model, xs, ys, picky, SGD(model.parameters(), lr=0.1), epochs=1,
            progress=False, compiled=True)
    with pytest.raises(ValueError, match=r"xs\[1\] must be an example of 2 inputs .*got 3 inputs"):
        fit(model, [[0.0, 1.0], [1.0, 0.0, 2.0]], [1.0, 1.0], hinge,
            SGD(model.parameters(), lr=0.1), epochs=1, progress=False, compiled=True)


def test_torch_backend_and_to_torch_equal_numpy():
    torch = need("torch")

    model = MLP(6, [8, 5, 2], activation="tanh", seed=4)
    xs = [Value(0.0) for _ in range(6)]
    outs = model(xs)
    loss = (outs[0] - outs[1]).relu() + outs[0].sigmoid() * outs[1].exp()
    X = np.random.default_rng(3).normal(size=(11, 6))
    results = []
    for backend in BACKENDS:
        program = compile([loss], xs, model.parameters(), backend=backend)
        out = program(X)
        results.append((out, program.backward(np.ones_like(out), accumulate=False)))
    module = program.to_torch()
    Xt = torch.tensor(X, requires_grad=True)
    y = module(Xt)
    y.sum().backward()
    results.append((y.detach().numpy(), module.theta.grad.numpy()))
    for out, grads in results[1:]:
        assert np.allclose(out, results[0][0], rtol=1e-12, atol=1e-12)
        assert np.allclose(grads, results[0][1], rtol=1e-12, atol=1e-12)
    assert Xt.grad.shape == X.shape


def test_torch_backend_raises_where_eager_raises():
    need("torch")
    x, w = Value(1.0), Value(2.0)
    program = compile([(x * w).log()], [x], [w], backend="torch", device="cpu")
    with pytest.raises(ValueError, match=r"log: input must be positive, got -6.0 \(batch row 2\)"):
        program(np.array([[1.0], [2.0], [-3.0]]))
    program = compile([(x * w).exp()], [x], [w], backend="torch")
    with pytest.raises(OverflowError, match=r"batch row 1"):
        program(np.array([[1.0], [400.0]]))
    with pytest.raises(ValueError, match="backend must be"):
        compile([x * w], [x], [w], backend="jax")


def test_python_backend_shows_its_source_and_raises_where_eager_raises():
    x, w = Value(1.0), Value(2.0)
    program = compile([(x * w).log()], [x], [w], backend="python")
    assert "def forward(inputs, params):" in program.source()
    assert "t1 = x1 * p1" in program.source()
    with pytest.raises(ValueError, match=r"log: input must be positive, got -6.0"):
        program(np.array([[1.0], [2.0], [-3.0]]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_program_without_inputs_runs_on_every_backend(backend):
    w = Value(0.5)
    program = compile([(w * 3.0).tanh()], [], [w], backend=backend)
    out = program(np.zeros((2, 0)))
    program.backward(np.ones_like(out))
    assert close(out[0, 0], math.tanh(1.5)) and close(w.grad, 2 * 3 * (1 - math.tanh(1.5) ** 2))


def test_compiled_backward_is_linear_in_depth():
    """A chain 4 times as deep takes about 4 times as long backward (the old program took
    265 s on a 10⁶-deep chain where eager took 6 s)."""
    import time

    def seconds(n: int) -> float:
        x, a = Value(0.5), Value(0.9)
        y = x
        for _ in range(n // 2):
            y = (y * a).tanh()
        program = compile([y], [x], [a])
        program(np.array([[0.5]]))
        t = time.perf_counter()
        program.backward(np.ones((1, 1)))
        return time.perf_counter() - t

    small = min(seconds(5_000) for _ in range(2))
    assert seconds(20_000) < 10 * small  # linear: ~4x; quadratic would be ~16x


EDGES = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 1.0, -1.0, 2.0, -2.5, 709.0, 710.0, 1e308,
         -1e308, math.inf, -math.inf, math.nan]


def same(a: float, b: float) -> bool:
    """Equal bit for bit, up to NaN's payload (the sign of zero counts)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@pytest.mark.parametrize("name", ["+", "-", "*", "neg", "relu"])
def test_numpy_lowerings_equal_the_declared_rules_at_edge_values(name):
    """The NumPy backend runs + − × neg relu as single ufuncs (relu as max(0, x)): equal to
    the op's declared rule bit for bit at ±0, subnormals, huge values, ±inf and NaN; and
    relu's gradient is blocked where x ≤ 0 even for an infinite or NaN upstream gradient."""
    from autograd.rules.ops import OPS as TABLE

    op = TABLE[name]
    n = op.arity or 1
    rows = [r for r in __import__("itertools").product(EDGES, repeat=n)]
    xs = [Value(1.0) for _ in range(n)]
    program = compile([apply(op, *xs)], xs, [])
    out = program(np.array(rows))
    for row, got in zip(rows, out[:, 0]):
        assert same(float(got), op.eval(*row)), (name, row, got)
    if name == "relu":
        x, p = Value(1.0), Value(0.0)
        program = compile([(x + p).relu()], [x], [p])
        X = np.array([[-1.0], [-0.0], [0.0], [2.0], [math.nan], [-math.inf]])
        program(X)
        for seed, want in ((math.inf, math.inf), (math.nan, math.nan), (-2.0, -2.0)):
            p.grad = 0.0
            program.backward(np.array([[seed]] * 6))
            # rows 0-2 and 5 are blocked; rows 3 (x = 2) and 4 (NaN) pass the seed on
            eager = 0.0
            for (v,) in X:
                q = Value(0.0)
                (Value(v) + q).relu().backward(seed)
                eager += q.grad
            assert same(p.grad, eager) and same(p.grad, want * 2 if seed != -2.0 else -4.0)


def _outside(op: Op) -> tuple[float, ...] | None:
    """An edge-value input that one of the op's domains rejects, if there is one."""
    import itertools

    from autograd.rules.maths import FLOATS

    for row in itertools.product(EDGES, repeat=op.arity or 1):
        if any(d.bad(FLOATS, *op.split(list(row))) for d in op.domain):
            return row
    return None


@pytest.mark.parametrize("op", [op for op in all_ops() if op.domain and _outside(op)],
                         ids=lambda op: op.name)
def test_numpy_backend_raises_every_domain_error_where_eager_raises(op):
    """Domains marked ``loud`` are checked only when a result is not finite (the fast pass
    reruns with every check): the error, its message and the batch row are still eager's."""
    row = _outside(op)
    with pytest.raises((ArithmeticError, ValueError)) as eager:
        op.eval(*row)
    n = len(row)
    good = tuple(op.sample[i % len(op.sample)][1] * 0.5 for i in range(n))
    xs = [Value(1.0) for _ in range(n)]
    program = compile([apply(op, *xs)], xs, [])
    with pytest.raises(eager.type, match=r"\(batch row 2\)") as caught:
        program(np.array([good, good, row, good]))
    detail = str(eager.value).split(": ", 1)[-1]
    assert detail in str(caught.value), (str(eager.value), str(caught.value))


def test_numpy_source_reads_slices_and_runs_dense_layers_as_matmuls():
    """The generated NumPy code of an MLP: parameters read as views (no gather), each dense
    layer one matmul forward and its weight gradient written straight into GP."""
    model = MLP(3, [4, 2], activation="relu", seed=1)
    xs = [Value(0.0) for _ in range(3)]
    program = compile(model(xs), xs, model.parameters())
    code = program.source()
    forward, backward = code.split("def backward")
    assert forward.count("np.matmul(P[") == 2 and backward.count("np.matmul(g, XT") == 1
    assert "P[_i" not in code  # no parameter is gathered
    assert code.startswith("def forward(X, P, checked):")
    assert "g_L2_n1_w1 = " in program.source("python")


def test_logsumexp_compiled_equals_eager_at_edge_values():
    """The NumPy namespace folds log(e^a + e^b) over each run: equal to the scalar rule
    (c + log Σ e^(x − c)) to 1e-15 relative on finite rows, and the same inf or NaN where
    an input is ±inf or NaN (as torch.logsumexp)."""
    import itertools

    import autograd

    values = [-1e308, -745.0, -2.0, 0.0, 3.0, 700.0, 1e308, math.inf, -math.inf, math.nan]
    rows = list(itertools.product(values, repeat=3))
    xs = [Value(1.0) for _ in range(3)]
    program = compile([autograd.logsumexp(xs)], xs, [])
    out = program(np.array(rows))[:, 0]
    for row, got in zip(rows, out):
        want = autograd.logsumexp([Value(v) for v in row]).data
        if math.isfinite(want):
            assert abs(got - want) <= 1e-15 * max(1.0, abs(want)), (row, got, want)
        else:
            assert same(float(got), want), (row, got, want)


@given(expr=expressions(ops=list(OPS)), data=st.data())
def test_plans_run_group_by_group_equal_eager(expr, data):
    """Past ``MAX_GENERATED`` groups the NumPy backend runs the plan group by group (CPython
    compiles generated code too slowly for a chain of 10⁶ groups): forced here on every
    graph, it equals eager as the generated code does."""
    from autograd.compiler.backends import numpy_backend

    n = len(expr.inputs)
    rows = [expr.inputs] + [tuple(data.draw(st.floats(-2, 2, allow_nan=False))
                                  for _ in range(n)) for _ in range(data.draw(st.integers(0, 3)))]
    finite = []
    for row in rows:
        try:
            if abs(expr(*[Value(v) for v in row]).data) < 1e6:
                finite.append(row)
        except (ArithmeticError, ValueError):
            pass
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(numpy_backend, "MAX_GENERATED", 0)
        compare(expr, finite, n, "numpy")


def test_a_deep_chain_runs_group_by_group_and_equals_eager():
    from autograd.compiler.backends import numpy_backend

    x, a, b = Value(0.5), Value(0.9), Value(0.1)
    v = x
    for _ in range(numpy_backend.MAX_GENERATED):  # three groups a step
        v = (v * a + b).tanh()
    program = compile([v], [x], [a, b])
    assert program.backend.stepper is not None and not program.backend.own_constants
    out = program(np.array([[0.5], [-0.25]]))
    program.backward(np.ones_like(out))
    total_a = total_b = 0.0
    for k, x0 in enumerate((0.5, -0.25)):
        xe, ae, be = Value(x0), Value(0.9), Value(0.1)
        y = xe
        for _ in range(numpy_backend.MAX_GENERATED):
            y = (y * ae + be).tanh()
        y.backward()
        assert close(out[k, 0], y.data)
        total_a, total_b = total_a + ae.grad, total_b + be.grad
    assert close(a.grad, total_a) and close(b.grad, total_b)
    with pytest.raises(ValueError, match=r"log: input must be positive.*batch row 1"):
        compile([(v * x).log()], [x], [a, b])(np.array([[0.5], [-0.6]]))


def test_a_parameter_read_with_computed_values_and_constants_is_copied_into_V():
    """A run mixing a parameter, a constant and a computed value (dot([w, 2.0], [x·w, x]))
    copies the parameter and the constant into rows of V: equal to eager, gradients too."""
    import autograd

    x, w = Value(0.5), Value(1.5)
    out = autograd.dot([w, x * w], [x, 2.0], 0.25)
    program = compile([out], [x], [w])
    X = np.array([[0.5], [-1.0], [2.0]])
    got = program(X)
    program.backward(np.ones_like(got))
    grad = 0.0
    for (x0,) in X:
        xe, we = Value(x0), Value(1.5)
        ye = autograd.dot([we, xe * we], [xe, 2.0], 0.25)
        ye.backward()
        assert close(float(got[list(X[:, 0]).index(x0), 0]), ye.data)
        grad += we.grad
    assert close(w.grad, grad)
