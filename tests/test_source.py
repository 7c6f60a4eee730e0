"""``program.source("python")``: a backward pass that reads as written by hand and runs on
its own. Each test executes the generated text in a namespace of its own (nothing from
chainrule in it) and compares with the engine, on the tutorial's graph (and its published
numbers), on random graphs over every op, at the ops' edges (right or loud) and for a
custom op."""

from __future__ import annotations

import builtins
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import need

np = need("numpy")

import autograd  # noqa: E402
from autograd import Value, apply  # noqa: E402
from autograd.compiler.backends.python_code import HELPERS  # noqa: E402
from autograd.compiler.program import compile  # noqa: E402
from autograd.core.extend import custom_op  # noqa: E402
from autograd.display.naming import names  # noqa: E402
from autograd.rules import maths  # noqa: E402
from autograd.rules.ops import all_ops  # noqa: E402
from autograd.testing import OPS, expressions, op_inputs  # noqa: E402
from nn import MLP, squared_error  # noqa: E402
from nn.datasets import LEARNING_RATE, seed_003  # noqa: E402


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), scale)


def run_alone(source: str) -> dict[str, Any]:
    """The generated module, executed with nothing but Python's builtins."""
    assert "autograd" not in source and "chainrule" not in source.split('"""')[2]
    assert not re.search(r"_op\d|local_flat|\.eval\(|settle", source)
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile_text(source), namespace)  # noqa: S102
    return namespace


def compile_text(source: str) -> Any:
    return builtins.compile(source, "<generated>", "exec")


def engine_and_source(out: Value, inputs: list[Value], params: list[Value],
                      named: bool = False) -> tuple[list[float], list[float], float]:
    """(the source's gradients, the engine's, the source's output) for one example."""
    program = compile([out], inputs, params, backend="python")
    module = run_alone(program.source(names=names(out) if named else None))
    xs, ps = [v.data for v in inputs], [p.data for p in params]
    outs, tape = module["forward"](xs, ps)
    grads = module["backward"](xs, ps, tape, [1.0])
    for p in params:
        p.grad = 0.0
    out.backward()
    return list(grads), [p.grad for p in params], outs[0]


# --- the tutorial's graph ----------------------------------------------------------------

def tutorial() -> tuple[Any, Value, Value, list[Value], list[Value]]:
    model, error, w5 = seed_003()
    xs = sorted((v for v in error.walk() if v.label in ("x1", "x2")), key=lambda v: v.label)
    return model, error, w5, xs, model.parameters()


def test_the_w5_graph_reads_as_a_hand_written_backward_pass():
    _, error, _, xs, params = tutorial()
    program = compile([error], xs, params, backend="python")
    text = program.source(names=names(error))
    for line in ("net_h1 = b_h1 + (w1 * x1 + w2 * x2)",
                 "out_h1 = sigmoid(net_h1)",
                 "g_net_h1 = out_h1 * (1 - out_h1) * g_out_h1",
                 "g_w5 = out_h1 * g_net_o1",
                 "g_out_h1 += w5 * g_net_o1",
                 "g_out_o1 = -g_t1",
                 "t1 = 0.6905 - out_o1",
                 "import math"):
        assert f"    {line}\n" in text or f"{line}\n" in text, (line, text)
    # the labels alone (no names=): labelled nodes keep their names, the others are t1, ...
    plain = program.source()
    assert "g_w5 = out_h1 * g_net_o1" in plain and "g_net_h1" not in plain


def test_the_w5_graph_runs_alone_and_gives_the_tutorials_numbers():
    _, error, w5, xs, params = tutorial()
    grads, engine, e = engine_and_source(error, xs, params, named=True)
    assert close(e, error.data)
    for a, b in zip(grads, engine):
        assert close(a, b), (a, b)
    g5 = grads[params.index(w5)]
    # the tutorial: dE/dw5 = 0.0428 · 0.1958 · 0.5854 = 0.00490579 (factors to 4 digits)
    assert g5 == pytest.approx(0.00490579, rel=2e-3)
    assert round(w5.data - LEARNING_RATE * g5, 4) == 0.3995
    # by hand, unrounded: (out_o1 − t)·out_o1(1 − out_o1)·out_h1 with σ of the sums
    h1 = 1 / (1 + math.exp(-(0.1 + 0.2 * 0.85 + 0.3 * 0.25)))
    h2 = 1 / (1 + math.exp(-(0.4 + 0.5 * 0.85 + 0.6 * 0.25)))
    o1 = 1 / (1 + math.exp(-(0.24 + 0.4 * h1 + 0.74 * h2)))
    assert close(g5, (o1 - 0.6905) * o1 * (1 - o1) * h1)


def test_mlp_source_uses_the_explained_names_and_equals_the_engine():
    model = MLP(3, [4, 4, 1], activation="tanh", seed=2)
    xs = [Value(v) for v in (0.3, -1.2, 0.7)]
    out = model(xs)[0]
    text = compile([out], xs, model.parameters(), backend="python").source(names=names(out))
    assert "L1_n3_net = L1_n3_b + (L1_n3_w1 * x1 + L1_n3_w2 * x2 + L1_n3_w3 * x3)" in text
    assert "g_L1_n3_net = (1 - L1_n3_out * L1_n3_out) * g_L1_n3_out" in text
    grads, engine, y = engine_and_source(out, xs, model.parameters(), named=True)
    assert close(y, out.data)
    for a, b in zip(grads, engine):
        assert close(a, b), (a, b)


def test_dotted_and_clashing_names_become_distinct_identifiers():
    a, b, c = Value(1.0, "L1.n1.w1"), Value(2.0, "L1.n1.w1"), Value(3.0, "lambda")
    d = Value(4.0, "g_L1_n1_w1")
    y = a * b + c * d
    text = compile([y], [], [a, b, c, d], backend="python").source()
    assert "L1_n1_w1, L1_n1_w1_2, lambda_2, g_L1_n1_w1_3 = params" in text
    grads, engine, _ = engine_and_source(y, [], [a, b, c, d])
    assert grads == engine


# --- every op, random graphs -------------------------------------------------------------

@pytest.mark.parametrize("op", all_ops(), ids=lambda op: op.name)
def test_every_op_has_its_lines_and_equals_the_engine(op):
    @settings(max_examples=20, deadline=None)
    @given(op_inputs(op))
    def check(row):
        ps = [Value(v) for v in row]
        out = apply(op, *ps)
        grads, engine, y = engine_and_source(out, [], ps)
        assert close(y, out.data), (y, out.data)
        scale = max([1.0, *map(abs, engine)])
        for a, b in zip(grads, engine):
            assert close(a, b, scale), (op, row, a, b)

    check()


@settings(max_examples=60, deadline=None)
@given(expr=expressions(ops=list(OPS)), data=st.data())
def test_random_graphs_run_alone_and_equal_the_engine(expr, data):
    ps = [Value(v) for v in expr.inputs]
    out = expr(*ps)
    if out.is_leaf:  # folded to a constant: nothing to differentiate
        return
    grads, engine, y = engine_and_source(out, [], ps, named=data.draw(st.booleans()))
    assert close(y, out.data)
    scale = max([1.0, *map(abs, engine)])
    for a, b in zip(grads, engine):
        assert close(a, b, scale), (expr, a, b)


def test_a_custom_op_gets_its_line_from_its_rules():
    cube = custom_op("cube", lambda m, x: x * x * x, lambda m, out, x: (3 * x * x,))
    soft = custom_op("soft", lambda m, x: m.log1p(m.exp(x)), lambda m, out, x: (m.sigmoid(x),))
    x = Value(0.7, "x")
    y = soft(cube(x))
    text = compile([y], [], [x], backend="python").source()
    assert "t1 = x * x * x" in text and "g_x = 3 * x * x * g_t1" in text
    assert "out = math.log1p(math.exp(t1))" in text and "g_t1 = sigmoid(t1) * g_out" in text
    grads, engine, _ = engine_and_source(y, [], [x])
    assert close(grads[0], engine[0])


# --- right or loud ------------------------------------------------------------------------

def program_alone(build: Any, n: int) -> tuple[Any, list[Value]]:
    ps = [Value(1.0) for _ in range(n)]
    module = run_alone(compile([build(*ps)], [], ps, backend="python").source())
    return module, ps


@pytest.mark.parametrize("build, values, error, message", [
    (lambda x: x.log(), [-0.5], ValueError, "log: input must be positive, got -0.5"),
    (lambda x: x.sin(), [math.inf], ValueError, "sin: input must be finite, got inf"),
    (lambda x: x.sqrt(), [-1.0], ValueError, "sqrt: input must be ≥ 0, got -1.0"),
    (lambda x: x.exp(), [710.0], OverflowError, r"exp: exp\(710.0\) overflows"),
    (lambda a, b: a / b, [1.0, 0.0], ZeroDivisionError, r"div: division by zero \(1.0 / 0.0\)"),
    (lambda x: x ** -1, [0.0], ZeroDivisionError, "zero to a negative power"),
    (lambda x: x ** 0.5, [-4.0], ValueError, "negative base -4.0 with non-integer exponent"),
])
def test_the_generated_forward_raises_as_the_engine(build, values, error, message):
    with pytest.raises(error, match=message):
        build(*[Value(v) for v in values])  # the engine
    module, _ = program_alone(build, len(values))
    with pytest.raises(error, match=message):
        module["forward"]([], values)


@pytest.mark.parametrize("build, values", [
    (lambda x: x.sqrt().relu(), [0.0]),              # relu's mask: 0, not 0·inf
    (lambda x, p: (x * p).log().exp(), [1e-310, 1.0]),  # log's vjp: g/x, finite
    (lambda q, r: q * (r / q), [2e-310, 3e-310]),     # div's vjp at subnormals
    (lambda a, b: autograd.max([a, b, a]), [2.0, 1.0]),  # a tie: shared, 1/2 each
    (lambda a: autograd.max([a, a * 0.0 + math.inf]), [2.0]),
    (lambda x: (x ** 0.0) * x, [0.0]),               # d(x**0)/dx is exactly 0
])
def test_the_generated_backward_settles_edges_as_the_engine(build, values):
    ps = [Value(v) for v in values]
    out = build(*ps)
    out.backward()
    module = run_alone(compile([out], [], ps, backend="python").source())
    outs, tape = module["forward"]([], values)
    grads = module["backward"]([], values, tape, [1.0])
    for a, p in zip(grads, ps):
        assert a == pytest.approx(p.grad, rel=1e-12, abs=1e-300) or (math.isnan(a)
                                                                   and math.isnan(p.grad))


def test_the_helpers_equal_the_engines_float_versions():
    module = run_alone("import math\n\n" + "\n\n".join(text for text, _ in HELPERS.values()))
    values = [-2.0, -0.0, 0.0, 0.5, 3.0, math.inf, -math.inf, math.nan, 1e-310, 800.0]
    same = lambda a, b: a == b or (math.isnan(a) and math.isnan(b))  # noqa: E731
    for x in values:
        assert same(module["sigmoid"](x), maths.sigmoid(x)) and same(module["sign"](x),
                                                                      maths.sign(x))
    F = maths.FLOATS
    for xs in ([1.0, 3.0, 3.0], [math.nan, 1.0], [1.0, math.nan], [-math.inf, -math.inf],
               [2.0], [math.inf, 1.0], [-1.0, -5.0, 0.5]):
        assert same(module["largest"](xs), F.largest(xs))
        assert same(module["smallest"](xs), F.smallest(xs))
        assert same(module["logsumexp"](xs), F.logsumexp(xs))
        out = F.largest(xs)
        assert all(map(same, module["tie_share"](xs, out), F.tie_share(xs, out)))


# --- batches, the other backends ----------------------------------------------------------

def test_the_python_backend_runs_the_batch_one_example_at_a_time():
    _, error, _, xs, params = tutorial()
    program = compile([error], xs, params, backend="python")
    batch = np.array([[0.85, 0.25], [0.1, -0.3], [2.0, 0.5]])
    out = program(batch)
    grads = program.backward(np.ones_like(out), accumulate=False)
    reference = compile([error], xs, params)  # numpy
    assert np.allclose(out, reference(batch), rtol=1e-12, atol=0)
    assert np.allclose(grads, reference.backward(np.ones_like(out), accumulate=False),
                       rtol=1e-12, atol=1e-15)
    assert program.source("numpy").startswith("def forward(X, P, checked):")


def test_an_op_whose_rules_branch_on_values_is_called_and_said_so():
    """Rules with a Python ``if`` cannot be written as code: the program calls the op's own
    rules (from its globals) and the source says so in its header; the numbers are the
    engine's."""
    clip = custom_op("clip", lambda m, x: x if x < 1.0 else 1.0 + 0.0 * x,
                     lambda m, out, x: (1.0 if x < 1.0 else 0.0,))
    x, w = Value(0.0), Value(0.5, "w")
    y = clip(x * w).tanh()
    program = compile([y], [x], [w], backend="python")
    text = program.source()
    assert "t2 = rule_clip_1(t1)" in text and "d = rule_clip_1_vjp(g_t2, t2, t1)" in text
    assert "# rule_clip_1: op 'clip', whose rules branch on values" in text
    batch = np.array([[0.5], [3.0], [-1.0]])
    out = program(batch)
    grad = program.backward(np.ones_like(out), accumulate=False)[0]
    expected = 0.0
    for row in batch[:, 0]:
        xe, we = Value(row), Value(0.5)
        ye = clip(xe * we).tanh()
        ye.backward()
        expected += we.grad
        assert close(out[list(batch[:, 0]).index(row), 0], ye.data)
    assert close(grad, expected)


def test_mazurs_network_as_code_gives_his_published_numbers():
    """Matt Mazur's 2-2-2 sigmoid network (inputs 0.05, 0.10; targets 0.01, 0.99): the
    generated code, run alone, gives his E and ∂E/∂w5, ∂E/∂w1 to his nine digits."""
    model = MLP.from_matrices([[[0.35, 0.15, 0.20], [0.35, 0.25, 0.30]],
                               [[0.60, 0.40, 0.45], [0.60, 0.50, 0.55]]], activation="sigmoid")
    i1, i2 = Value(0.05, "i1"), Value(0.10, "i2")
    E = squared_error(model([i1, i2]), [0.01, 0.99])
    params = model.parameters()
    module = run_alone(compile([E], [i1, i2], params, backend="python").source(names=names(E)))
    (e,), tape = module["forward"]([0.05, 0.10], [p.data for p in params])
    grads = module["backward"]([0.05, 0.10], [p.data for p in params], tape, [1.0])
    w5, w1 = model.layers[1].neurons[0].w[0], model.layers[0].neurons[0].w[0]
    assert abs(e - 0.298371109) < 5e-10
    assert abs(grads[params.index(w5)] - 0.082167041) < 5e-10
    assert abs(grads[params.index(w1)] - 0.000438568) < 5e-10
