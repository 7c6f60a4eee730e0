"""Every op's value and gradients against PyTorch in float64 (CI installs torch); the oracle,
each op written with PyTorch's own functions, is ``TORCH`` in ``tests/oracles.py``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from autograd import Value
from autograd.core.value import apply
from autograd.rules.ops import FAMILIES, OPS, Op, all_ops
from autograd.testing import op_inputs

from support import need

torch = need("torch")


from oracles import FAMILY_TORCH, TORCH, torch_fn  # noqa: E402


def test_every_op_has_a_torch_oracle():
    assert set(TORCH) == set(OPS), set(OPS) ^ set(TORCH)
    assert set(FAMILY_TORCH) == set(FAMILIES)


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("op", all_ops(), ids=lambda op: op.name)
def test_value_and_gradient_match_torch(op: Op):
    fn = torch_fn(op)

    @given(op_inputs(op, margin=0.0))
    def check(xs):
        values = [Value(x) for x in xs]
        out = apply(op, *values)
        out.backward()
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        expected = fn(*tensors)
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
