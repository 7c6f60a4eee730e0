"""Issue 23: habits from micrograd and PyTorch either work or fail at once naming the fix."""

from __future__ import annotations

import json
import random

import pytest

from autograd import Value, no_grad
from nn import MLP, SGD, Adam, hinge, l2, mse

from support import need


def moons(n: int = 8) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(1)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    return xs, [1 if x[0] * x[1] > 0 else -1 for x in xs]


# --- 1. micrograd's demo loop ----------------------------------------------------------

def test_micrograd_demo_loop_with_numpy_labels_names_the_fix():
    np = need("numpy")
    xs, ys = moons()
    model = MLP(2, [4, 1])
    yb = np.array(ys)
    scores = list(map(model, xs))
    with pytest.raises(TypeError, match=r"model\(x\)\[0\]"):
        [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]


@pytest.mark.parametrize("expr", [
    lambda s: -1 * s, lambda s: s * 2.0, lambda s: 1 + s, lambda s: s + 1, lambda s: s - 1,
    lambda s: 1 - s, lambda s: -s, lambda s: s / 2, lambda s: s ** 2,
])
def test_arithmetic_on_a_model_output_names_the_fix(expr):
    out = MLP(2, [3, 1])([0.5, -0.5])
    with pytest.raises(TypeError, match=r"list of 1 Value, not a Value.*model\(x\)\[0\]"):
        expr(out)
    with pytest.raises(TypeError, match=r"output is a list.*model\(x\)\[0\]"):
        Value(2.0) * out


def test_numpy_scalars_defer_to_the_hint():
    np = need("numpy")
    out = MLP(2, [3, 1])([0.5, -0.5])
    for k in (np.int64(-1), np.float64(2.0)):
        with pytest.raises(TypeError, match=r"model\(x\)\[0\]"):
            k * out


def test_value_methods_on_a_model_output_name_the_fix():
    out = MLP(2, [3, 1])([0.5, -0.5])
    with pytest.raises(AttributeError, match=r"model\(x\)\[0\]\.backward\(\)"):
        out.backward()


def test_model_outputs_stay_lists():
    model = MLP(2, [3, 2])
    out = model([0.5, -0.5])
    assert isinstance(out, list) and len(out) == 2
    both = out + model([0.1, 0.2])  # list concatenation still works
    assert len(both) == 4
    assert mse(out, [0.0, 1.0]).data >= 0.0
    assert hinge(model([0.5, 0.5])[:1], [1]).data >= 0.0


def test_micrograd_demo_loop_with_index_trains():
    xs, ys = moons()
    model = MLP(2, [4, 1])
    scores = [model(x)[0] for x in xs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    loss = sum(losses) * (1.0 / len(losses))
    loss.backward()
    assert any(p.grad != 0.0 for p in model.parameters())


# --- 2. l2 ------------------------------------------------------------------------------

def test_l2_of_a_model_is_l2_of_its_parameters_and_alpha_is_applied_once():
    model = MLP(2, [2, 1])
    params = model.parameters()
    expected = 1e-4 * sum(p.data * p.data for p in params)  # α·Σp², by hand
    assert l2(params, 1e-4).data == pytest.approx(expected, rel=1e-15)
    assert l2(model, 1e-4).data == pytest.approx(expected, rel=1e-15)
    assert "alpha" in (l2.__doc__ or "") and "already" in (l2.__doc__ or "")


# --- 3. PyTorch's names -----------------------------------------------------------------

def test_zero_grad_set_to_none_sets_zero():
    model = MLP(2, [2, 1])
    model([1.0, 2.0])[0].backward()
    opt = SGD(model.parameters(), lr=0.1)
    opt.zero_grad(set_to_none=True)
    assert all(p.grad == 0.0 for p in model.parameters())
    model([1.0, 2.0])[0].backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad == 0.0 for p in model.parameters())
    with pytest.raises(TypeError, match="set_to_none must be True or False"):
        model.zero_grad(set_to_none="yes")


def test_bare_no_grad_decorates_as_with_parentheses():
    from autograd import is_grad_enabled

    @no_grad
    def f(v):
        assert not is_grad_enabled()
        return v * 2

    x = Value(1.5)
    y = f(x)
    assert y.data == 3.0 and y.is_leaf  # recorded no graph
    assert is_grad_enabled()


def test_load_state_dict_strict_false_returns_missing_and_unexpected():
    a, b = MLP(2, [2, 1], seed=1), MLP(2, [2, 1], seed=2)
    state = a.state_dict()
    dropped = next(iter(state))
    del state[dropped]
    state["extra"] = 1.0
    with pytest.raises(KeyError):
        b.load_state_dict(state)
    before = b.state_dict()[dropped]
    missing, unexpected = b.load_state_dict(state, strict=False)
    assert missing == [dropped] and unexpected == ["extra"]
    assert b.state_dict()[dropped] == before
    assert all(b.state_dict()[k] == v for k, v in state.items() if k != "extra")
    assert b.load_state_dict(a.state_dict()) == ([], [])
    with pytest.raises(TypeError, match="strict must be True or False"):
        b.load_state_dict(state, strict=None)


def test_item_and_leaky_relu_slope():
    v = Value(-1.0)
    assert Value(2.5).item() == 2.5 and type(Value(2).item()) is float
    assert v.leaky_relu(slope=0.1).data == pytest.approx(-0.1)
    assert v.leaky_relu(0.1).data == pytest.approx(-0.1)
    assert v.leaky_relu().data == pytest.approx(-0.01)
    y = v.leaky_relu(slope=0.2)
    y.backward()
    assert v.grad == pytest.approx(0.2)


# --- 4. optimizer state -----------------------------------------------------------------

def _train(model, opt, xs, ys, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = mse([model(x)[0] for x in xs], ys)
        loss.backward()
        opt.step()


MAKERS = {
    "sgd": lambda m: SGD(m.parameters(), lr=0.05),
    "sgd momentum": lambda m: SGD(m.parameters(), lr=0.05, momentum=0.9),
    "adam": lambda m: Adam(m.parameters(), lr=0.01),
}


@pytest.mark.parametrize("sizes", [[4, 1], [16, 16, 1]], ids=["lists", "arrays"])
@pytest.mark.parametrize("kind", list(MAKERS))
def test_optimizer_resume_matches_uninterrupted_training_bit_for_bit(kind, sizes):
    if sizes != [4, 1]:
        need("numpy")
    xs, ys = moons(4)
    make = MAKERS[kind]
    whole = MLP(2, sizes, seed=3)
    _train(whole, make(whole), xs, ys, 10)
    first = MLP(2, sizes, seed=3)
    opt = make(first)
    _train(first, opt, xs, ys, 5)
    saved = json.loads(json.dumps({"model": first.state_dict(), "opt": opt.state_dict()}))
    fresh = MLP(2, sizes, seed=7)
    fresh_opt = make(fresh)
    fresh.load_state_dict(saved["model"])
    fresh_opt.load_state_dict(saved["opt"])
    _train(fresh, fresh_opt, xs, ys, 5)
    assert fresh.state_dict() == whole.state_dict()


def test_optimizer_load_state_dict_checks_before_setting():
    model = MLP(2, [2, 1])
    opt = Adam(model.parameters(), lr=0.01)
    state = opt.state_dict()
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: state must come from "
                       r"SGD.state_dict\(\).*'Adam'"):
        SGD(model.parameters(), lr=0.1).load_state_dict(state)
    bad = json.loads(json.dumps(state))
    bad["state"]["m"] = bad["state"]["m"][:-1]
    bad["t"] = 3
    with pytest.raises(ValueError, match="m"):
        opt.load_state_dict(bad)
    assert opt.t == 0
    with pytest.raises(TypeError, match="load_state_dict: state must be a dict"):
        opt.load_state_dict([1.0])


# --- 5. a PyTorch user's loop -----------------------------------------------------------

def test_a_pytorch_users_loop():
    xs, ys = moons()
    model = MLP(2, [8, 1], activation="tanh")
    opt = Adam(model.parameters(), lr=0.05)
    history = []
    for _ in range(20):
        model.zero_grad()
        opt.zero_grad(set_to_none=True)
        out = [model(x)[0] for x in xs]
        loss = mse(out, ys) + l2(model.parameters(), 1e-4)
        loss.backward()
        opt.step()
        with no_grad():
            history.append(mse([model(x)[0] for x in xs], ys).item())
    assert history[-1] < history[0]
    checkpoint = json.dumps({"model": model.state_dict(), "optimizer": opt.state_dict()})
    restored = MLP(2, [8, 1], activation="tanh", seed=5)
    restored_opt = Adam(restored.parameters(), lr=0.05)
    saved = json.loads(checkpoint)
    restored.load_state_dict(saved["model"])
    restored_opt.load_state_dict(saved["optimizer"])
    assert restored_opt.t == opt.t == 20
    for m, o in ((model, opt), (restored, restored_opt)):
        o.zero_grad()
        mse([m(x)[0] for x in xs], ys).backward()
        o.step()
    assert restored.state_dict() == model.state_dict()


def test_public_objects_have_readable_reprs():
    need("numpy")  # compile needs it
    from autograd import Value, compile, detect_anomaly, draw_html, enable_grad, no_grad
    from nn import SGD, Adam

    model = MLP(2, [3, 1])
    xs = [Value(0.0), Value(0.0)]
    objects = [SGD(model.parameters(), lr=0.1, momentum=0.9), Adam(model.parameters()),
               no_grad(), enable_grad(), detect_anomaly(),
               compile(outputs=model(xs), inputs=xs, params=model.parameters())]
    shown = [repr(o) for o in objects]
    assert shown[:2] == ["SGD(13 parameters, lr=0.1, momentum=0.9)",
                         "Adam(13 parameters, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"]
    assert shown[2:5] == ["no_grad()", "enable_grad()", "detect_anomaly()"]
    assert shown[5] == "Program(2 inputs, 13 parameters, 1 outputs, 3 groups, backend='numpy')"
    try:
        page = draw_html(model([0.5, -1.0])[0])
    except RuntimeError:  # no Graphviz: the page needs its layout
        return
    assert repr(page).startswith("BackpropPage(") and " object at 0x" not in repr(page)
