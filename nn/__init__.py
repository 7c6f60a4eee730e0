"""chainrule's network library: modules, losses and optimizers built from ``Value``s."""

from .losses import binary_cross_entropy, hinge, l2, mse, squared_error
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS",
    "squared_error", "mse", "hinge", "binary_cross_entropy", "l2",
    "Optimizer", "SGD", "Adam",
]
