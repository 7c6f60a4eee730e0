"""Handwritten digits with a network built from scalars, trained at array speed.

scikit-learn's bundled 8x8 digits (1,797 images, no download), a scalar-built
MLP(64, [32, 10]) with ReLU and softmax cross-entropy, trained with mini-batches of 32
through the compiled path (``nn.fit(..., compiled=True)``): the graph of one example is
traced once and replayed over every batch with NumPy. 80% of the images train it, the
held-out 20% test it.

Run:  python examples/digits.py
It needs numpy (the extra "fast") and scikit-learn (the extra "data"): ./install.sh fast,data
(or pip install -e ".[fast,data]" in the clone). Without them it says so and stops.
"""

from __future__ import annotations

import random
import time

from _common import need_extra

from autograd import Value, compile
from nn import MLP, Adam, cross_entropy, fit


def load(seed: int = 0):
    from sklearn.datasets import load_digits

    digits = load_digits()
    xs = [[float(v) / 16.0 for v in row] for row in digits.data]
    ys = [[1.0 if k == label else 0.0 for k in range(10)] for label in digits.target]
    order = list(range(len(xs)))
    random.Random(seed).shuffle(order)
    cut = int(0.8 * len(order))
    train, test = order[:cut], order[cut:]
    return ([xs[i] for i in train], [ys[i] for i in train],
            [xs[i] for i in test], [int(digits.target[i]) for i in test])


def accuracy(model: MLP, xs, labels) -> float:
    """Test accuracy through a compiled forward program (argmax of the logits)."""
    import numpy as np

    placeholders = [Value(0.0) for _ in range(64)]
    program = compile(model(placeholders), placeholders, model.parameters())
    predicted = program(np.array(xs)).argmax(axis=1)
    return float((predicted == np.array(labels)).mean())


def train(epochs: int = 30, progress: bool = True):
    x_train, y_train, x_test, y_test = load()
    model = MLP(64, [32, 10], activation="relu", seed=0)
    start = time.perf_counter()
    history = fit(model, x_train, y_train, cross_entropy, Adam(model.parameters(), lr=0.01),
                  epochs=epochs, batch_size=32, compiled=True, progress=progress)
    seconds = time.perf_counter() - start
    return model, history, accuracy(model, x_test, y_test), seconds, len(x_train), len(x_test)


if __name__ == "__main__":
    need_extra("numpy", "fast")
    need_extra("sklearn", "data")
    model, history, acc, seconds, n_train, n_test = train()
    print(f"trained on {n_train} images for {len(history.loss)} epochs in {seconds:.1f} s "
          f"({seconds / len(history.loss) * 1000:.0f} ms per epoch); "
          f"final training loss {history.loss[-1]:.4f}")
    print(f"test accuracy on {n_test} held-out images: {acc:.1%}")
