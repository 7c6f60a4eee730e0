"""Every op's value and gradients against PyTorch in float64 (CI installs torch)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from autograd import Value

from cases import CASES, Case
from support import in_ci

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch, so this only skips locally
    if in_ci():
        raise
    pytest.skip("torch is not installed (pip install -e .[torch])", allow_module_level=True)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_value_and_gradient_match_torch(case: Case):
    torch_fn = case.torch_fn or case.fn

    @given(case.inputs)
    def check(xs):
        values = [Value(x) for x in xs]
        out = case.fn(*values)
        out.backward()
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        expected = torch_fn(*tensors)
        expected.backward()
        assert close(out.data, expected.item()), (out.data, expected.item())
        for v, t in zip(values, tensors):
            assert close(v.grad, t.grad.item()), (v.grad, t.grad.item())

    check()


def test_mlp_gradients_match_torch():
    """A whole network: every parameter's gradient equals PyTorch's."""
    from nn import MLP, mse

    model = MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    x = [0.5, -1.2, 2.0]
    target = [0.2, 0.9]
    loss = mse(model(x), target)
    loss.backward()

    layers = [[[n.b.data, *[w.data for w in n.w]] for n in layer.neurons]
              for layer in model.layers]
    params = [torch.tensor(theta, dtype=torch.float64, requires_grad=True) for theta in layers]
    h = torch.tensor(x, dtype=torch.float64)
    for i, theta in enumerate(params):
        z = theta[:, 0] + theta[:, 1:] @ h
        h = torch.tanh(z) if i < len(params) - 1 else torch.sigmoid(z)
    expected = ((h - torch.tensor(target, dtype=torch.float64)) ** 2).mean()
    expected.backward()
    assert close(loss.data, expected.item())
    for layer, theta in zip(model.layers, params):
        for n, row in zip(layer.neurons, theta.grad):
            assert close(n.b.grad, row[0].item())
            for w, g in zip(n.w, row[1:]):
                assert close(w.grad, g.item())
