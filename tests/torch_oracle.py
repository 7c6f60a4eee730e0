"""The PyTorch oracle: each op of the table written with PyTorch's own functions (flat
inputs). ``tests/test_torch.py`` checks that every op of the table has an entry here."""

from __future__ import annotations

from autograd.rules.ops import Op

from support import need

torch = need("torch")


#: The oracle: each op of the table written with PyTorch's own functions (flat inputs).
#: A test below fails if an op of the table has no entry here.
TORCH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "neg": lambda x: -x,
    "**": lambda a, b: a**b,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "sin": torch.sin,
    "cos": torch.cos,
    "abs": torch.abs,
    "softplus": torch.nn.functional.softplus,
    "sum": lambda *xs: torch.stack(xs).sum(),
    "dot": lambda start, *ab: start + torch.dot(torch.stack(ab[: len(ab) // 2]),
                                                torch.stack(ab[len(ab) // 2:])),
    "max": lambda *xs: torch.stack(xs).max(),
    "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
    "min": lambda *xs: torch.stack(xs).min(),
}
FAMILY_TORCH = {
    "**c": lambda c: (lambda x: x**c),
    "leaky_relu": lambda s: (lambda x: torch.nn.functional.leaky_relu(x, s)),
}


def torch_fn(op: Op):
    return FAMILY_TORCH[op.family](*op.params) if op.params else TORCH[op.name]


