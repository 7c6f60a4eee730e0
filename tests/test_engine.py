"""The backward pass: accumulation, shared nodes, depth, freeing, no_grad, bad input."""

from __future__ import annotations

import gc
import math
import weakref

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
from autograd import Value, no_grad
from autograd.core.backward import adjoints


def test_value_basics():
    x = Value(2, label="x")
    assert x.data == 2.0 and isinstance(x.data, float)
    assert x.grad == 0.0 and x.label == "x" and x.is_leaf and x.op == ""
    assert repr(x) == "Value(data=2.0, grad=0.0, label='x')"
    y = x * 3
    assert y.op == "*" and y.parents[0] is x and y.parents[1].data == 3.0


def test_tanh_example_from_the_issue():
    x = Value(0.85, label="x1")
    y = (x * 2 + 1).tanh()
    y.backward()
    # d/dx tanh(2x + 1) = 2 (1 - tanh²(2x + 1)), by hand.
    assert y.data == pytest.approx(math.tanh(2.7), rel=1e-15)
    assert x.grad == pytest.approx(2 * (1 - math.tanh(2.7) ** 2), rel=1e-14)


def test_numbers_on_either_side():
    x = Value(4.0)
    for expr, value, grad in [
        (lambda: 2 * x, 8.0, 2.0),
        (lambda: 1 - x, -3.0, -1.0),
        (lambda: 1 / x, 0.25, -1 / 16),
        (lambda: x / 2, 2.0, 0.5),
        (lambda: 3 + x, 7.0, 1.0),
        (lambda: x - 1, 3.0, 1.0),
        (lambda: -x, -4.0, -1.0),
        (lambda: 2**x, 16.0, 16 * math.log(2)),
        (lambda: x**0.5, 2.0, 0.25),
        (lambda: x ** Value(2.0), 16.0, 8.0),
    ]:
        x.grad = 0.0
        out = expr()
        out.backward()
        assert out.data == pytest.approx(value, rel=1e-15)
        assert x.grad == pytest.approx(grad, rel=1e-15)


def test_node_used_twice_gets_both_contributions():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0


def test_diamond_graph():
    # a feeds b and c, which meet again in d: d = (2a)(a + 1); dd/da = 4a + 2.
    a = Value(1.5)
    b = a * 2
    c = a + 1
    d = b * c
    d.backward()
    assert a.grad == 8.0
    assert b.grad == c.data and c.grad == b.data


_EDGE = [0.0, -0.0, 1e300, -1e-300, math.inf, -math.inf, math.nan]


@given(st.data())
def test_backward_equals_the_general_pass_bit_for_bit(data):
    """On random graphs whose nodes feed any number of consumers (dot, relu and tanh are
    inlined in the fast pass), ``backward`` gives every node the gradient ``adjoints``
    gives, to the last bit: the same derivatives, added up in the same order."""
    numbers = st.one_of(st.floats(-3.0, 3.0), st.sampled_from(_EDGE))
    nodes = [Value(x) for x in data.draw(st.lists(numbers, min_size=1, max_size=4))]
    pick = st.integers(0, 10**6).map(lambda i: nodes[i % len(nodes)])
    for _ in range(data.draw(st.integers(1, 12))):
        kind = data.draw(st.sampled_from(["dot", "relu", "tanh", "*", "+", "sum", "sin"]))
        if kind == "dot":
            n = data.draw(st.integers(1, 4))
            a = data.draw(st.lists(pick, min_size=n, max_size=n))
            b = data.draw(st.lists(pick, min_size=n, max_size=n))
            nodes.append(autograd.dot(a, b, data.draw(pick)))
        elif kind in ("*", "+"):
            x, y = data.draw(pick), data.draw(pick)
            nodes.append(x * y if kind == "*" else x + y)
        elif kind == "sum":
            nodes.append(autograd.sum(data.draw(st.lists(pick, min_size=1, max_size=4))))
        else:
            x = data.draw(pick)
            if kind != "sin" or math.isfinite(x.data):  # sin(±inf) raises
                nodes.append(getattr(x, kind)())
    root, seed = nodes[-1], data.draw(numbers)
    assume(not root.is_leaf)
    _, adj = adjoints(root, seed)
    for v in nodes:
        v.grad = 0.0
    root.backward(seed)
    for v in nodes:
        want = adj.get(id(v), 0.0)
        assert v.grad == want or (v.grad != v.grad and want != want), (v, want)


def test_backward_adds_up_contributions_in_the_general_pass_order():
    # x gets three contributions (through h twice, and s); both passes take the nodes
    # newest first, as PyTorch's engine does (torch gives 2.6335 here); a depth-first
    # order (h before s) rounds to 2.6334999999999997
    x, y = Value(-0.45), Value(-1.14)
    h = x * x
    s = y + x
    root = s + h * s
    _, adj = adjoints(root)
    root.backward()
    assert x.grad == adj[id(x)] == 2.6335


def test_leaf_gradients_accumulate_across_calls_interior_ones_do_not():
    x = Value(2.0)
    y = x * 3
    z = y * y  # dz/dx = 18x = 36
    z.backward()
    z.backward()
    assert x.grad == 72.0  # accumulated, as in PyTorch
    assert y.grad == 12.0  # interior: the latest pass only
    x.grad = 0.0
    z.backward()
    assert x.grad == 36.0


def test_zero_grad_resets_the_whole_graph():
    x = Value(2.0)
    y = (x * 3).tanh()
    y.backward()
    y.zero_grad()
    assert all(v.grad == 0.0 for v in y.walk())


def test_backward_seed_and_leaf_root():
    x = Value(2.0)
    (x * 5).backward(grad=0.5)
    assert x.grad == 2.5
    x.backward()
    assert x.grad == 3.5


def test_million_deep_chain_has_no_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(1.5, rel=1e-9)
    del y  # freeing a million-deep chain must not overflow the C stack either


def test_dropped_graph_is_freed_without_the_garbage_collector():
    gc.disable()
    try:
        x = Value(1.0)
        y = ((x * 2).tanh() + x.exp() / 3) ** 2
        y.backward()
        refs = [weakref.ref(v) for v in y.walk() if v is not x]
        assert len(refs) >= 5
        del y
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_n_ary_sum_is_one_node():
    xs = [Value(float(i)) for i in range(1000)]
    s = autograd.sum(xs, start=0.5)
    assert s.data == 0.5 + sum(range(1000))
    assert len(s.parents) == 1001 and all(p.is_leaf for p in s.parents)
    s.backward()
    assert all(x.grad == 1.0 for x in xs)
    assert autograd.sum(xs).parents == tuple(xs)  # a zero start adds no node


def test_dot_is_one_node():
    a = [Value(1.0), Value(2.0)]
    b = [Value(3.0), Value(4.0)]
    d = autograd.dot(a, b, start=Value(0.5))
    assert d.data == 11.5 and len(d.parents) == 5
    d.backward()
    assert [v.grad for v in a] == [3.0, 4.0] and [v.grad for v in b] == [1.0, 2.0]
    with pytest.raises(ValueError, match="a and b must have the same length"):
        autograd.dot(a, b[:1])
    with pytest.raises(ValueError, match="a and b must have the same length"):
        autograd.dot(a[:1], b)
    with pytest.raises(ValueError, match="empty"):
        autograd.dot([], [])
    with pytest.raises(TypeError, match=r"dot: start must be a real number or a Value, got '0.5'"):
        autograd.dot(a, b, "0.5")
    with pytest.raises(TypeError, match=r"a\[1\] must be .*got None \(NoneType\)"):
        autograd.dot([Value(1.0), None], b)
    mixed = autograd.dot(iter([1.0, a[1]]), (b[0], 4), 2)  # iterables; numbers become leaves
    assert mixed.data == 13.0 and [p.data for p in mixed.parents] == [2.0, 1.0, 2.0, 3.0, 4.0]


def test_sigmoid_never_overflows():
    for x, expected in [(-1000.0, 0.0), (1000.0, 1.0), (-1e308, 0.0), (1e308, 1.0), (0.0, 0.5)]:
        s = Value(x).sigmoid()
        assert s.data == expected
    v = Value(-1000.0)
    v.sigmoid().backward()
    assert v.grad == 0.0
    assert Value(-40.0).sigmoid().data == pytest.approx(math.exp(-40), rel=1e-15)


def test_no_grad_records_nothing_and_detach_cuts():
    x = Value(2.0)
    with no_grad():
        y = x * 3
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    assert y.is_leaf and y.op == ""
    z = x * x.detach()  # x.detach() is a constant: dz/dx = 2, not 4
    z.backward()
    assert x.grad == 2.0

    @no_grad()
    def f(v):
        return v * 2

    assert f(x).is_leaf


def test_comparisons_use_data():
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1 and b >= 2.0
    assert a != Value(1.0)  # identity, so Values can be dict keys
    assert len({a, b, a}) == 2


# --- bad input: a clear error where it happens, never a wrong number --------------------

@pytest.mark.parametrize("bad", ["a", None, [1.0], 1j])
def test_non_numeric_input_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)
    x = Value(1.0)
    for op in (lambda: x + bad, lambda: bad * x, lambda: x - bad, lambda: x / bad,
               lambda: x ** bad, lambda: autograd.sum([x, bad])):
        with pytest.raises(TypeError, match=type(bad).__name__):
            op()


def test_value_of_a_value_is_refused():
    with pytest.raises(TypeError, match="detach"):
        Value(Value(1.0))


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_non_positive_is_a_value_error(x):
    with pytest.raises(ValueError, match=r"log: input must be positive, got " + repr(x)):
        Value(x).log()


def test_negative_base_with_fractional_exponent_is_a_value_error():
    with pytest.raises(ValueError, match=r"pow: negative base -8.0 with non-integer exponent"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match=r"pow: base -2.0 must be positive"):
        Value(-2.0) ** Value(2.0)
    with pytest.raises(ValueError, match=r"pow: base -2.0 must be positive"):
        (-2) ** Value(0.5)
    assert (Value(-2.0) ** 3).data == -8.0  # an integer exponent is fine


def test_zero_division_names_the_op():
    with pytest.raises(ZeroDivisionError, match=r"pow: 0.0 \*\* -1"):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError, match=r"div: division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match=r"div: division by zero"):
        1 / Value(0.0)


def test_overflow_names_the_op():
    with pytest.raises(OverflowError, match=r"exp: exp\(710.0\) overflows"):
        Value(710.0).exp()
    with pytest.raises(OverflowError, match=r"pow: '\*\*400' of 10.0 overflows"):
        Value(10.0) ** 400


def test_an_infinite_derivative_follows_ieee_and_anomaly_mode_names_the_node():
    """d√x/dx at 0 is +inf (PyTorch: inf), not an exception; detect_anomaly names it."""
    x = Value(0.0, label="x")
    r = x**0.5
    r.label = "root"
    r.backward()
    assert x.grad == math.inf
    x.grad = 0.0
    with autograd.detect_anomaly(), pytest.raises(
            FloatingPointError, match=r"backward produced inf through '\*\*0.5' \(label 'root'\)"):
        r.backward()


def test_engine_and_nn_import_and_train_without_numpy():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import autograd, nn\n"
        "m = nn.MLP(300, [1])\n"  # enough parameters for the optimizers' array path
        "opt = nn.Adam(m.parameters(), lr=0.1)\n"
        "loss = nn.mse(m([0.1] * 300), [1.0]); loss.backward(); opt.step()\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
