"""The network library: seed 003's worked numbers, modules, state dicts, losses, optimizers."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn import MLP, SGD, Adam, Layer, Neuron, binary_cross_entropy, hinge, l2, mse, squared_error

from support import need

# Seed 003's network, as examples/w5_update.py builds it.
X = [0.85, 0.25]
THETA1 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
THETA2 = [[0.24, 0.4, 0.74], [0.40, 0.1, 0.75]]
TARGETS = [0.6905, 0.8657]


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_seed_003_forward_pass_numbers():
    model = MLP.from_matrices([THETA1, THETA2], activation="sigmoid")
    hidden = model.layers[0]([Value(x) for x in X])
    assert [round(h.data, 4) for h in hidden] == [0.5854, 0.7261]  # the tutorial's
    out = model(X)
    assert [round(o.data, 4) for o in out] == [0.7333, 0.7317]  # the tutorial's a³


def test_seed_003_w5_gradient_and_update():
    model = MLP.from_matrices([THETA1, THETA2], activation="sigmoid")
    out = model(X)
    error = squared_error(out, TARGETS)
    error.backward()
    w5 = model.layers[1].neurons[0].w[0]
    assert w5.data == 0.4
    # The chain rule by hand, from the forward values in plain floats.
    h1 = sigmoid(0.1 + 0.2 * 0.85 + 0.3 * 0.25)
    h2 = sigmoid(0.4 + 0.5 * 0.85 + 0.6 * 0.25)
    o1 = sigmoid(0.24 + 0.4 * h1 + 0.74 * h2)
    by_hand = (o1 - 0.6905) * o1 * (1 - o1) * h1
    assert w5.grad == pytest.approx(by_hand, rel=1e-12)
    # The tutorial's factors, each to its four printed digits.
    assert round(o1 - 0.6905, 4) == 0.0428 and round(h1, 4) == 0.5854
    assert round(0.7333 * (1 - 0.7333), 5) == 0.19557  # the tutorial printed 0.1958
    assert w5.grad == pytest.approx(0.0428 * 0.19557 * 0.5854, rel=5e-4)
    SGD([w5], lr=0.1).step()
    assert round(w5.data, 4) == 0.3995
    assert round(0.4 - 0.1 * 0.00490579, 4) == 0.3995  # the tutorial's own update


def test_seed_003_total_error_convention():
    # E = ½ Σ (t - o)²: with the tutorial's rounded outputs, its 0.009895 (to 4 digits).
    e = squared_error([Value(0.7333), Value(0.7317)], TARGETS)
    assert e.data == pytest.approx(0.5 * (0.0428**2 + 0.1340**2), rel=1e-12)
    assert round(e.data, 5) == round(0.009895, 5)


def test_seed_003_updated_weights_forward_pass():
    # The tutorial's "after training" matrices. It prints z² = [1.13, 1.03] (0.4 + 0.6·0.85
    # + 0.9·0.25 is 1.135, rounded down), a² = σ(z²) = [0.756, 0.737], and a³ = [0.7975,
    # 0.8178] from those rounded hidden values.
    hidden = Layer.from_matrix([[0.4, 0.6, 0.9], [0.3, 0.8, 0.2]], activation="sigmoid")
    z = [n.parents[0] for n in hidden([Value(x) for x in X])]
    assert [round(v.data, 3) for v in z] == [1.135, 1.03]
    output = Layer.from_matrix([[0.7, 0.4, 0.5], [0.6, 0.9, 0.3]], activation="sigmoid")
    a3 = output([Value(round(sigmoid(1.13), 3)), Value(round(sigmoid(1.03), 3))])
    assert [round(sigmoid(1.13), 3), round(sigmoid(1.03), 3)] == [0.756, 0.737]
    assert [round(v.data, 4) for v in a3] == [0.7975, 0.8178]


def test_layers_always_return_lists():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), list)
    model = MLP(2, [16, 1, 1])  # micrograd's MLP breaks on a middle layer of one neuron
    out = model([0.5, -0.5])
    assert isinstance(out, list) and len(out) == 1


def test_parameters_and_seeded_init():
    model = MLP(3, [4, 2])
    assert len(model.parameters()) == (3 + 1) * 4 + (4 + 1) * 2
    assert MLP(3, [4, 2], seed=7).state_dict() == MLP(3, [4, 2], seed=7).state_dict()
    assert MLP(3, [4, 2], seed=7).state_dict() != MLP(3, [4, 2], seed=8).state_dict()
    bound = 1 / math.sqrt(3)
    assert all(abs(p.data) <= bound for p in model.layers[0].parameters())
    with pytest.raises(ValueError, match="activation must be one of .*got 'softplus'"):
        Neuron(2, activation="softplus")
    with pytest.raises(ValueError, match="init must be"):
        Neuron(2, init="zeros")


def test_zero_grad():
    model = MLP(2, [3, 1])
    mse(model([1.0, 2.0]), [0.5]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_state_dict_round_trip_and_errors():
    a, b = MLP(2, [3, 1], seed=1), MLP(2, [3, 1], seed=2)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    state = a.state_dict()
    assert state["layers.0.neurons.0.w"] == [p.data for p in a.layers[0].neurons[0].w]

    before = b.state_dict()
    bad = dict(state)
    del bad["layers.1.neurons.0.b"]
    with pytest.raises(KeyError, match="missing keys \\['layers.1.neurons.0.b'\\]"):
        b.load_state_dict(bad)
    bad = dict(state, extra=1.0)
    with pytest.raises(KeyError, match="unexpected keys \\['extra'\\]"):
        b.load_state_dict(bad)
    bad = dict(state)
    bad["layers.1.neurons.0.w"] = [1.0, 2.0]
    with pytest.raises(ValueError, match="has 3 entries in the model but 2"):
        b.load_state_dict(bad)
    bad = dict(state)
    bad["layers.0.neurons.2.w"] = [1.0, "x"]
    with pytest.raises(TypeError, match=r"neurons.2.w\[1\]' must be a number, got 'x' \(str\)"):
        b.load_state_dict(bad)
    assert b.state_dict() == before  # a refused load changes nothing


def test_set_weights_checks_shape():
    layer = Layer(2, 2)
    with pytest.raises(ValueError, match="expected 2 rows"):
        layer.set_weights([[0.1, 0.2, 0.3]])
    with pytest.raises(ValueError, match="every row needs 3 numbers"):
        layer.set_weights([[0.1, 0.2, 0.3], [0.1, 0.2]])
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        layer([1.0, 2.0, 3.0])


def test_losses_by_hand():
    o, t = [Value(0.2), Value(0.9)], [0.0, 1.0]
    assert squared_error(o, t).data == pytest.approx(0.5 * (0.04 + 0.01))
    assert mse(o, t).data == pytest.approx((0.04 + 0.01) / 2)
    # hinge: mean of relu(1 - y s): s = 0.2, y = -1 -> 1.2; s = 0.9, y = +1 -> 0.1
    assert hinge(o, [-1, 1]).data == pytest.approx((1.2 + 0.1) / 2)
    bce = binary_cross_entropy(o, t)
    assert bce.data == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2)
    bce.backward()
    assert o[0].grad == pytest.approx(0.5 / 0.8)  # d/dp -log(1 - p) / 2
    assert l2(o, 1e-4).data == pytest.approx(1e-4 * (0.04 + 0.81))
    with pytest.raises(ValueError, match="2 outputs but 1 targets"):
        mse(o, [1.0])
    with pytest.raises(ValueError, match=r"labels\[0\] must be -1 or \+1"):
        hinge(o, [0, 1])


def test_sgd_momentum_and_adam_match_torch():
    torch = need("torch")

    def run(make_ours, make_theirs):
        x = Value(1.5)
        xt = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
        ours, theirs = make_ours([x]), make_theirs([xt])
        for _ in range(5):
            ours.zero_grad()
            (x * x * x - 2 * x).backward()
            ours.step()
            theirs.zero_grad()
            (xt * xt * xt - 2 * xt).backward()
            theirs.step()
        assert x.data == pytest.approx(xt.item(), rel=1e-12)

    run(lambda p: SGD(p, lr=0.05, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9))
    run(lambda p: Adam(p, lr=0.1), lambda p: torch.optim.Adam(p, lr=0.1))
