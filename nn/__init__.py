"""chainrule's network library: modules, losses and optimizers built from ``Value``s."""

from __future__ import annotations

from typing import Any

import autograd._distribution  # noqa: F401  (first: fails clearly if another package owns the name)

from .losses import binary_cross_entropy, cross_entropy, hinge, l2, mse, squared_error
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer
from .serialize import load, save
from .train import History, evaluate, fit

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS",
    "squared_error", "mse", "hinge", "binary_cross_entropy", "cross_entropy", "l2",
    "Optimizer", "SGD", "Adam",
    "fit", "evaluate", "History", "save", "load", "draw_network",
]


def __getattr__(name: str) -> Any:
    """``draw_network`` is imported on first use, so ``import nn`` needs no drawing code."""
    if name == "draw_network":
        from .draw import draw_network

        return draw_network
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"draw_network"})
