"""Bad arguments are refused where they are given, with a message naming what is wrong."""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pytest

from autograd import Value
from nn import MLP, SGD, Adam, Layer, Neuron, evaluate, fit, mse, squared_error

np = pytest.importorskip("numpy")

XS = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
YS = [1.0, -1.0, 0.0]


def model() -> MLP:
    return MLP(2, [3, 1], seed=0)


def p() -> Value:
    return Value(1.0)


def fit_with(**options):
    """fit on a fresh model with ``options``; returns a thunk for the case table."""
    def run():
        m = model()
        before = m.state_dict()
        args = {"model": m, "xs": XS, "ys": YS, "loss_fn": mse,
                "optimizer": SGD(m.parameters(), lr=0.1), "epochs": 2, "progress": False}
        args.update(options)
        try:
            fit(**args)
        finally:
            assert m.state_dict() == before  # refused before any step
    return run


def adam(**options):
    return lambda: Adam([p()], **options)


def sgd(**options):
    return lambda: SGD([p()], **options)


def set_lr(value):
    def run():
        opt = SGD([p()], lr=0.1)
        opt.lr = value
    return run


two = Value(1.0)
CASES = [
    # optimizers: what they are given
    ("SGD(model)", lambda: SGD(model(), lr=0.1), TypeError, "pass model.parameters\\(\\)"),
    ("Adam(model)", lambda: Adam(model()), TypeError, "Adam: pass model.parameters\\(\\)"),
    ("SGD(Value)", lambda: SGD(p(), lr=0.1), TypeError, "got one Value: pass \\[value\\]"),
    ("SGD(5)", lambda: SGD(5, lr=0.1), TypeError, "expected a list of Values"),
    ("SGD([])", lambda: SGD([], lr=0.1), ValueError, "got no parameters"),
    ("SGD([p, 1.0])", lambda: SGD([p(), 1.0], lr=0.1), TypeError,
     "got float at position 1"),
    ("SGD([p, p])", lambda: SGD([two, p(), two], lr=0.1), ValueError,
     "same Value is at positions 0 and 2"),
    ("lr=inf", sgd(lr=math.inf), ValueError, "SGD: lr must be positive and finite, got inf"),
    ("lr=nan", sgd(lr=math.nan), ValueError, "lr must be positive and finite, got nan"),
    ("lr=0", sgd(lr=0), ValueError, "lr must be positive"),
    ("lr=-0.1", sgd(lr=-0.1), ValueError, "lr must be positive"),
    ("lr='0.1'", sgd(lr="0.1"), TypeError, "lr must be a number, got str"),
    ("lr=True", sgd(lr=True), TypeError, "lr must be a number, got bool"),
    ("Adam lr=inf", adam(lr=math.inf), ValueError, "Adam: lr must be positive and finite"),
    ("opt.lr = nan", set_lr(math.nan), ValueError, "SGD: lr must be positive and finite"),
    ("momentum=1", sgd(lr=0.1, momentum=1.0), ValueError, "momentum must be in \\[0, 1\\)"),
    ("momentum=-0.1", sgd(lr=0.1, momentum=-0.1), ValueError, "momentum must be in"),
    ("momentum=nan", sgd(lr=0.1, momentum=math.nan), ValueError, "momentum must be in"),
    ("betas=(1, .999)", adam(betas=(1.0, 0.999)), ValueError, "betas\\[0\\] must be in \\[0, 1\\)"),
    ("betas=(.9, 1)", adam(betas=(0.9, 1.0)), ValueError, "betas\\[1\\] must be in \\[0, 1\\)"),
    ("betas=(-.1, .9)", adam(betas=(-0.1, 0.9)), ValueError, "betas\\[0\\] must be in"),
    ("betas=(nan, .9)", adam(betas=(math.nan, 0.9)), ValueError, "betas\\[0\\] must be in"),
    ("betas=0.9", adam(betas=0.9), TypeError, "betas must be a pair"),
    ("betas=(0.9,)", adam(betas=(0.9,)), TypeError, "betas must be a pair"),
    ("betas=('a', .9)", adam(betas=("a", 0.9)), TypeError, "betas\\[0\\] must be a number"),
    ("eps=0", adam(eps=0.0), ValueError, "eps must be positive and finite, got 0.0"),
    ("eps=-1e-8", adam(eps=-1e-8), ValueError, "eps must be positive and finite"),
    ("eps=inf", adam(eps=math.inf), ValueError, "eps must be positive and finite"),
    ("eps=nan", adam(eps=math.nan), ValueError, "eps must be positive and finite"),
    # modules: sizes and activations
    ("MLP(2, 3)", lambda: MLP(2, 3), TypeError, "nouts must be a list of layer sizes"),
    ("MLP(2, '31')", lambda: MLP(2, "31"), TypeError, "nouts must be a list"),
    ("MLP(2, [])", lambda: MLP(2, []), ValueError, "at least one layer size"),
    ("MLP(2, [0, 1])", lambda: MLP(2, [0, 1]), ValueError,
     "MLP: nouts\\[0\\] must be a positive int, got 0"),
    ("MLP(2, [3, -1])", lambda: MLP(2, [3, -1]), ValueError, "nouts\\[1\\] must be a positive"),
    ("MLP(2, [1.5])", lambda: MLP(2, [1.5]), TypeError, "nouts\\[0\\] must be a positive int"),
    ("MLP(2, [True])", lambda: MLP(2, [True]), TypeError, "nouts\\[0\\] must be a positive int"),
    ("MLP(0, [1])", lambda: MLP(0, [1]), ValueError, "MLP: nin must be a positive int, got 0"),
    ("MLP(2.0, [1])", lambda: MLP(2.0, [1]), TypeError, "MLP: nin must be a positive int"),
    ("MLP(True, [1])", lambda: MLP(True, [1]), TypeError, "MLP: nin must be a positive int"),
    ("MLP unused bad activation", lambda: MLP(2, [1], activation="swish"), ValueError,
     "unknown activation 'swish'"),
    ("MLP bad output_activation", lambda: MLP(2, [1], output_activation="soft"), ValueError,
     "unknown activation 'soft'"),
    ("Neuron(0)", lambda: Neuron(0), ValueError, "Neuron: nin must be a positive int, got 0"),
    ("Neuron(-1)", lambda: Neuron(-1), ValueError, "Neuron: nin must be a positive int"),
    ("Layer(2, 0)", lambda: Layer(2, 0), ValueError, "Layer: nout must be a positive int, got 0"),
    ("Layer(0, 2)", lambda: Layer(0, 2), ValueError, "Layer: nin must be a positive int"),
    ("from_matrices([])", lambda: MLP.from_matrices([]), ValueError, "at least one"),
    # calling a model: one example
    ("model(1.0)", lambda: model()(1.0), TypeError,
     "MLP: expected a list of 2 inputs \\(one example\\), got float 1.0"),
    ("model(Value)", lambda: model()(Value(1.0)), TypeError, "expected a list of 2 inputs"),
    ("model('ab')", lambda: model()("ab"), TypeError, "expected a list of 2 inputs"),
    ("model(generator)", lambda: model()(x for x in [1.0, 2.0]), TypeError,
     "expected a list of 2 inputs"),
    ("model([1.0])", lambda: model()([1.0]), ValueError, "MLP: expected 2 inputs, got 1"),
    ("model(2-D array)", lambda: model()(np.zeros((5, 2))), TypeError,
     "takes one example .* shape \\(5, 2\\); for a batch use autograd.compile or "
     "fit\\(..., compiled=True\\)"),
    ("model(0-d array)", lambda: model()(np.float64(1.0)), TypeError, "got a 0-d array"),
    ("model(list of lists)", lambda: model()([[1.0, 2.0], [3.0, 4.0]]), TypeError,
     "got a list of lists"),
    ("Layer(1.0)", lambda: Layer(2, 2)(1.0), TypeError, "Layer: expected a list of 2 inputs"),
    ("Neuron(1.0)", lambda: Neuron(2)(1.0), TypeError, "Neuron: expected a list of 2 inputs"),
    # losses: a list against a number
    ("mse(list, 1.0)", lambda: mse(MLP(2, [2])([1.0, 2.0]), 1.0), TypeError,
     "mse: one target but a list of 2 outputs"),
    ("mse(list of 1, 1.0)", lambda: mse(model()([1.0, 2.0]), 1.0), TypeError,
     "mse: one target but a list of 1 outputs.*mse\\(model\\(x\\), \\[y\\]\\)"),
    ("mse(Value, list)", lambda: mse(Value(1.0), [1.0, 2.0]), TypeError,
     "mse: one output but a list of 2 targets"),
    ("squared_error(list, 1)", lambda: squared_error([Value(1.0)], 1), TypeError,
     "squared_error: one target"),
    ("mse lengths", lambda: mse([Value(1.0)] * 2, [1.0]), ValueError, "2 outputs but 1 targets"),
    # fit: numbers of things
    ("batch_size=0", fit_with(batch_size=0), ValueError, "batch_size must be at least 1, got 0"),
    ("batch_size=-2", fit_with(batch_size=-2), ValueError, "batch_size must be at least 1"),
    ("batch_size=1.5", fit_with(batch_size=1.5), TypeError, "batch_size must be an int"),
    ("batch_size=True", fit_with(batch_size=True), TypeError, "batch_size must be an int"),
    ("epochs=-1", fit_with(epochs=-1), ValueError, "epochs must be at least 0, got -1"),
    ("epochs=2.0", fit_with(epochs=2.0), TypeError, "epochs must be an int, got float"),
    ("epochs='3'", fit_with(epochs="3"), TypeError, "epochs must be an int, got str"),
    ("patience=0", fit_with(patience=0, validation=(XS, YS)), ValueError,
     "patience must be at least 1, got 0"),
    ("patience=-3", fit_with(patience=-3, validation=(XS, YS)), ValueError,
     "patience must be at least 1"),
    ("patience=1.5", fit_with(patience=1.5, validation=(XS, YS)), TypeError,
     "patience must be an int"),
    ("patience, no validation", fit_with(patience=2), ValueError, "needs a validation set"),
    # fit: data
    ("validation lengths", fit_with(validation=(XS, YS[:2])), ValueError,
     "fit: validation: 3 inputs but 2 targets"),
    ("validation empty", fit_with(validation=([], [])), ValueError, "fit: validation: no examples"),
    ("validation=(xs,)", fit_with(validation=(XS,)), TypeError,
     "validation must be a pair \\(xs_val, ys_val\\)"),
    ("validation=xs", fit_with(validation=5), TypeError, "validation must be a pair"),
    ("xs/ys lengths", fit_with(ys=YS[:2]), ValueError, "fit: 3 inputs but 2 targets"),
    ("no data", fit_with(xs=[], ys=[]), ValueError, "fit: no examples"),
    ("ys a number", fit_with(ys=1.0), TypeError, "the targets must be a list"),
    ("optimizer=params", fit_with(optimizer=[Value(1.0)]), TypeError,
     "optimizer must be an Optimizer such as SGD\\(model.parameters\\(\\), lr=0.1\\)"),
    ("lr_schedule -> 0", fit_with(lr_schedule=lambda epoch: 0.0), ValueError,
     "fit: lr_schedule\\(0\\) returned 0.0: SGD: lr must be positive"),
    ("evaluate lengths", lambda: evaluate(model(), XS, YS[:1], mse), ValueError,
     "evaluate: 3 inputs but 1 targets"),
    ("save(path=3)", lambda: model().save(3), TypeError,
     "save: path must be a str or a pathlib.Path, got int"),
    ("load(path=None)", lambda: MLP.load(None), TypeError,
     "load: path must be a str or a pathlib.Path, got NoneType"),
    ("evaluate empty", lambda: evaluate(model(), [], [], mse), ValueError,
     "evaluate: no examples"),
]


@pytest.mark.parametrize("call, error, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_argument_is_refused_where_it_is_given(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error  # not a subclass raised by accident
    assert re.search(message, str(info.value)), str(info.value)


def test_the_case_table_is_what_the_report_counts():
    assert len(CASES) == 85
    assert len({c[0] for c in CASES}) == len(CASES)


def test_good_arguments_still_work():
    m = model()
    fit(m, XS, YS, mse, Adam(m.parameters(), lr=0.01, betas=(0.0, 0.0), eps=1e-12), epochs=0,
        progress=False)
    fit(m, XS, YS, mse, SGD(m.parameters(), lr=1e-3, momentum=0.0), epochs=1, batch_size=10,
        patience=1, validation=(XS[:1], YS[:1]), progress=False)
    assert MLP(np.int64(2), (np.int64(3), 1))(np.array([0.5, -1.0]))[0].data == pytest.approx(
        MLP(2, [3, 1])([0.5, -1.0])[0].data, rel=0, abs=0)
    assert mse(Value(3.0), 1.0).data == 4.0  # two numbers: one pair
    assert SGD((q for q in m.parameters()), lr=0.1).params == m.parameters()


def test_fit_without_tqdm_prints_one_line_per_epoch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    m = model()
    fit(m, XS, YS, mse, SGD(m.parameters(), lr=0.1), epochs=2)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]


def test_compiled_fit_without_numpy_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ImportError
    m = model()
    with pytest.raises(ImportError) as info:
        fit(m, XS, YS, mse, SGD(m.parameters(), lr=0.1), epochs=1, progress=False,
            compiled=True)
    message = str(info.value)
    assert "fit(compiled=True) needs NumPy" in message
    assert 'pip install -e ".[fast]"' in message and "chainrule[" not in message


def test_no_install_hint_in_nn_names_a_package_that_is_not_on_pypi():
    nn = Path(__file__).resolve().parent.parent / "nn"
    for path in nn.glob("*.py"):
        assert "install chainrule" not in path.read_text(), path
