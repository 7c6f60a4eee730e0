"""The classic demo: a scalar MLP separates two interleaving half-moons.

MLP(2, [16, 16, 1]) with ReLU, max-margin (hinge) loss plus 1e-4 L2, 100 steps of
full-batch SGD with learning rate 1.0 - 0.9·k/100: it reaches 100% training accuracy.

Run:  python examples/moons.py
"""

from __future__ import annotations

import math
import random

import _common  # noqa: F401

from autograd import Value
from nn import MLP, SGD, hinge, l2


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


def loss_and_accuracy(model: MLP, xs: list, ys: list, alpha: float = 1e-4) -> tuple[Value, float]:
    scores = [model(x)[0] for x in xs]
    loss = hinge(scores, ys) + l2(model.parameters(), alpha)
    accuracy = sum((s.data > 0) == (y > 0) for s, y in zip(scores, ys)) / len(ys)
    return loss, accuracy


def train(steps: int = 100, seed: int = 0, verbose: bool = True) -> tuple[MLP, float]:
    xs, ys = make_moons()
    # micrograd's initialisation (weights uniform in ±1, biases 0), as in its demo.
    model = MLP(2, [16, 16, 1], activation="relu", seed=seed, init="micrograd")
    optimizer = SGD(model.parameters(), lr=1.0)
    accuracy = 0.0
    for k in range(steps):
        loss, accuracy = loss_and_accuracy(model, xs, ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = 1.0 - 0.9 * k / steps
        optimizer.step()
        if verbose and (k % 10 == 0 or k == steps - 1):
            print(f"step {k:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
    _, accuracy = loss_and_accuracy(model, xs, ys)
    return model, accuracy


if __name__ == "__main__":
    model, accuracy = train()
    print(f"final training accuracy: {accuracy:.0%} with {len(model.parameters())} parameters")
