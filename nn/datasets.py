"""Small data sets and the tutorials' worked networks, ready to use.

* ``seed_003()``: the 2-2-2 sigmoid network of the backpropagation tutorial whose worked
  example is the w5 update (every weight and node labelled as the tutorial names them);
* ``make_moons(n)``: two interleaving half circles, the classic toy classification set.
"""

from __future__ import annotations

import math
import random

from autograd import Value

from .losses import squared_error
from .module import MLP

__all__ = ["seed_003", "make_moons", "X", "THETA1", "THETA2", "TARGETS", "LEARNING_RATE"]

X = [0.85, 0.25]
THETA1 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
THETA2 = [[0.24, 0.4, 0.74],   # output 1: bias, w5 (from hidden 1), w6 (from hidden 2)
          [0.40, 0.1, 0.75]]   # output 2: bias, w7 (from hidden 1), w8 (from hidden 2)
TARGETS = [0.6905, 0.8657]
LEARNING_RATE = 0.1


def seed_003() -> tuple[MLP, Value, Value]:
    """The seed's network with labelled nodes; returns (model, total error, w5)."""
    model = MLP.from_matrices([THETA1, THETA2], activation="sigmoid")
    hidden, output = model.layers
    for i, neuron in enumerate(hidden.neurons, 1):
        neuron.b.label = f"b_h{i}"
        for j, w in enumerate(neuron.w, 1):
            w.label = f"w{2 * (i - 1) + j}"  # h1: w1, w2; h2: w3, w4 (w1, w3 leave input 1)
    names = [["w5", "w6"], ["w7", "w8"]]
    for i, neuron in enumerate(output.neurons):
        neuron.b.label = f"b_o{i + 1}"
        for w, name in zip(neuron.w, names[i]):
            w.label = name
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(X, 1)]
    h = hidden(xs)
    for i, v in enumerate(h, 1):
        v.label = f"out_h{i}"
    outs = output(h)
    for i, v in enumerate(outs, 1):
        v.label = f"out_o{i}"
        v.parents[0].label = f"net_o{i}"
    error = squared_error(outs, TARGETS)
    error.label = "E_total"
    return model, error, output.neurons[0].w[0]



def make_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[list, list]:
    """Two half circles, one shifted under the other (as scikit-learn's make_moons), with
    Gaussian noise; labels -1 and +1."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        upper = i < n // 2
        k = i if upper else i - n // 2
        t = math.pi * k / (n // 2 - 1)
        x, y = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(-1.0 if upper else 1.0)
    return xs, ys
