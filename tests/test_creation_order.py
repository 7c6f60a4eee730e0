"""The backward passes take nodes newest first, by the stamps of value.py's clock: the fast
pass (no ordering walk, a sort by stamp) must agree with the reference pass
(``core/backward.py``) to the last bit on tricky graphs, and the stamps must order every
graph: unique, inputs older than their consumers, a write newer than every node."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
from autograd import StaleGraphError, Value, detect_anomaly, no_grad
from autograd.core.backward import adjoints
from autograd.core.functions import neuron
from autograd.core.value import last_write, now, tick, topological_order

_EDGE = [0.0, -0.0, 1e300, -1e-300, math.inf, math.nan]
numbers = st.one_of(st.floats(-3.0, 3.0), st.sampled_from(_EDGE))


def _grow(data, nodes, steps):
    """Add ``steps`` random nodes on ``nodes`` (any node may feed many consumers)."""
    pick = st.integers(0, 10**6).map(lambda i: nodes[i % len(nodes)])
    for _ in range(steps):
        kind = data.draw(st.sampled_from(["dot", "neuron", "relu", "tanh", "*", "+", "sum",
                                          "max", "/", "sin"]))
        if kind in ("dot", "neuron"):
            n = data.draw(st.integers(1, 3))
            a = data.draw(st.lists(pick, min_size=n, max_size=n))
            b = data.draw(st.lists(pick, min_size=n, max_size=n))
            start = data.draw(pick)
            nodes.append(autograd.dot(a, b, start) if kind == "dot"
                         else neuron(a, b, start, Value.relu))
        elif kind in ("*", "+", "/"):
            x, y = data.draw(pick), data.draw(pick)
            if kind == "/" and y.data == 0.0:
                continue
            nodes.append(x * y if kind == "*" else x + y if kind == "+" else x / y)
        elif kind in ("sum", "max"):
            xs = data.draw(st.lists(pick, min_size=1, max_size=4))
            nodes.append(autograd.sum(xs) if kind == "sum" else autograd.max(xs))
        else:
            x = data.draw(pick)
            if kind != "sin" or math.isfinite(x.data):
                nodes.append(getattr(x, kind)())


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _check_against_reference(root: Value, seed: float, nodes: list[Value]) -> None:
    """``root.backward(seed)`` fills every node as ``adjoints`` says, bit for bit, or both
    refuse a stale graph."""
    try:
        _, adj = adjoints(root, seed)
    except StaleGraphError:
        with pytest.raises(StaleGraphError):
            root.backward(seed)
        return
    for v in nodes:
        v.grad = 0.0
    root.backward(seed)
    for v in nodes:
        if id(v) in adj:
            assert _same(v.grad, adj[id(v)]), (v, adj[id(v)])


@given(st.data())
def test_fast_pass_equals_reference_on_tricky_graphs(data):
    """Shared subgraphs, two roots on one graph, nodes made before and after a write of
    .data (on a leaf some of them read), backward twice: the fast pass's order by stamp
    gives what the reference pass gives, to the last bit."""
    nodes = [Value(x) for x in data.draw(st.lists(numbers, min_size=1, max_size=4))]
    _grow(data, nodes, data.draw(st.integers(1, 8)))
    if data.draw(st.booleans()):  # a write in the middle: older consumers go stale
        leaf = data.draw(st.sampled_from([v for v in nodes if v.is_leaf]))
        leaf.data = data.draw(numbers)
    _grow(data, nodes, data.draw(st.integers(1, 8)))
    roots = [v for v in nodes if not v.is_leaf]
    assume(roots)
    first = roots[-1]
    second = data.draw(st.sampled_from(roots))
    seed = data.draw(numbers)
    _check_against_reference(first, seed, nodes)
    _check_against_reference(second, 1.0, nodes)  # a second root sharing nodes
    _check_against_reference(first, seed, nodes)  # backward again on the same graph


def test_stamps_are_unique_and_order_every_graph():
    x, y = Value(1.0), Value(2.0)
    z = (x * y + x).tanh()
    w = autograd.dot([x, y], [z, z], 0.5)
    order = topological_order(w)
    stamps = [v._t for v in order]
    assert len(set(stamps)) == len(stamps)
    for v in order:
        assert all(p._t < v._t for p in v.parents)


def test_a_write_is_newer_than_every_node_and_tick_marks_it():
    x = Value(1.0)
    y = x * 2.0
    x.data = 3.0
    assert x._t > y._t and last_write() == x._t
    t = tick()
    assert t > x._t and last_write() == t
    assert now() > t
    z = x * 2.0
    assert z._t > t
    with pytest.raises(StaleGraphError):
        y.backward()
    z.backward()
    assert x.grad == 2.0


def test_nodes_made_after_a_write_on_nodes_made_before_are_fresh():
    a, b = Value(1.5), Value(-2.0)
    h = a * b  # made before the write, does not read c
    c = Value(0.5)
    c.data = 4.0
    out = h * c + h
    out.backward()
    assert (a.grad, b.grad, c.grad) == (-2.0 * 5.0, 1.5 * 5.0, -3.0)


def test_contributions_add_up_newest_consumer_first_as_pytorch():
    torch = pytest.importorskip("torch")
    x, y = Value(-0.45), Value(-1.14)
    h = x * x
    s = y + x
    root = s + h * s
    root.backward()
    tx = torch.tensor(-0.45, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(-1.14, dtype=torch.float64, requires_grad=True)
    th = tx * tx
    ts = ty + tx
    (ts + th * ts).backward()
    assert x.grad == tx.grad.item() and y.grad == ty.grad.item()


def test_an_interrupted_pass_leaves_no_trap():
    x, y = Value(1.5), Value(2.0)
    shared = (y * y).tanh()
    bad = shared * x + shared
    x.grad = "s"  # the pass raises half way, at x
    with pytest.raises(TypeError, match="must be a number"):
        bad.backward()
    x.grad = y.grad = 0.0
    bad.backward()  # the same graph again, its marks left by the broken pass
    t = math.tanh(4.0)
    assert x.grad == t and y.grad == (x.data + 1.0) * (1.0 - t * t) * 4.0


def test_threads_backward_on_their_own_graphs_and_shared_leaves():
    w = [Value(0.1 * i) for i in range(8)]
    errors: list[BaseException] = []
    results: list[list[float]] = []

    def work() -> None:
        try:
            for _ in range(50):
                xs = [Value(1.0 + i) for i in range(8)]
                out = neuron(w, xs, Value(0.3), Value.tanh)
                out.backward()
                results.append([x.grad for x in xs])
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    xs = [Value(1.0 + i) for i in range(8)]
    neuron(w, xs, Value(0.3), Value.tanh).backward()
    assert all(r == [x.grad for x in xs] for r in results)


# --- neuron: a dot and its activation in one call --------------------------------------------

def _custom(v: Value) -> Value:
    return v * 2.0


@pytest.mark.parametrize("act", [Value.relu, Value.tanh, Value.sigmoid, None, _custom])
@pytest.mark.parametrize("start", [0.25, -3.0, math.nan, 1e308])
def test_neuron_is_dot_then_its_activation(act, start):
    w = [Value(1.5), Value(-0.5)]
    x = [Value(2.0), Value(1e308)]
    got = neuron(w, x, Value(start), act)
    d = autograd.dot(w, x, Value(start))
    want = d if act is None else act(d)
    assert _same(got.data, want.data)
    assert [v.op for v in topological_order(got) if not v.is_leaf] == \
        [v.op for v in topological_order(want) if not v.is_leaf]
    if math.isfinite(got.data):
        got.backward()
        gw = [v.grad for v in w]
        for v in w:
            v.grad = 0.0
        want.backward()
        assert gw == [v.grad for v in w]


def test_neuron_lifts_numbers_and_refuses_what_dot_refuses():
    out = neuron([2.0, Value(3.0)], [Value(1.0), Value(2.0)], 0.5, Value.relu)
    assert out.data == 8.5 and out.op == "relu"
    with pytest.raises(ValueError, match="same length"):
        neuron([Value(1.0)], [Value(1.0), Value(2.0)], Value(0.0))
    with pytest.raises(TypeError, match="dot"):
        neuron(["a"], [Value(1.0)], Value(0.0))


def test_neuron_honours_no_grad_and_anomaly_mode():
    w, x = [Value(1.0)], [Value(2.0)]
    with no_grad():
        out = neuron(w, x, Value(0.5), Value.relu)
    assert out.is_leaf and out.data == 2.5
    with detect_anomaly(), pytest.raises(FloatingPointError, match="dot"):
        neuron([Value(math.inf)], x, Value(0.5), Value.tanh)


def test_layer_and_mlp_build_the_graph_of_their_neurons():
    from nn import MLP, Layer

    layer = Layer(3, 2, activation="tanh")
    x = [0.5, -1.0, 2.0]
    outs = layer(x)
    for n, o in zip(layer.neurons, outs):
        assert o.data == n(x).data and o.op == "tanh"
    model = MLP(2, [4, 1])
    y = model([0.3, -0.7])[0]
    h = [n([0.3, -0.7]) for n in model.layers[0].neurons]
    want = model.layers[1].neurons[0](h)
    assert y.data == want.data and y.op == "dot"
    model.layers[0].neurons[1].activation = "nope"
    with pytest.raises(ValueError, match="nope"):
        model([0.3, -0.7])
