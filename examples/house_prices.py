"""Seeds 001 and 000: predict a house's price, and learn from the error one example at a
time (stochastic gradient descent: after every example, w <- w - lr * dE/dw).

The data set is small and SYNTHETIC (made here, no download): size in m², rooms and age
in years, with a price from a fixed rule plus noise. Features and prices are scaled to
zero mean and unit variance before training, as one would for real data.

Run:  python examples/house_prices.py
"""

from __future__ import annotations

import random
import statistics

import _common  # noqa: F401

from nn import MLP, SGD, squared_error


def make_houses(n: int = 40, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(seed)
    xs, prices = [], []
    for _ in range(n):
        size = rng.uniform(50, 250)
        rooms = rng.randint(1, 6)
        age = rng.uniform(0, 80)
        price = 1500 * size + 10_000 * rooms - 800 * age + 50_000 + rng.gauss(0, 15_000)
        xs.append([size, float(rooms), age])
        prices.append(price)
    return xs, prices


def standardize(columns: list[list[float]]) -> list[list[float]]:
    out = []
    for col in columns:
        mu, sd = statistics.fmean(col), statistics.pstdev(col)
        out.append([(v - mu) / sd for v in col])
    return out


def train(epochs: int = 30, lr: float = 0.01, verbose: bool = True) -> list[float]:
    xs, prices = make_houses()
    features = [list(row) for row in zip(*standardize([list(c) for c in zip(*xs)]))]
    (targets,) = standardize([prices])
    model = MLP(3, [6, 1], activation="tanh", seed=0)
    optimizer = SGD(model.parameters(), lr=lr)
    order = list(range(len(features)))
    rng = random.Random(0)
    history = []
    for epoch in range(epochs):
        rng.shuffle(order)
        for i in order:  # one example at a time
            error = squared_error(model(features[i]), [targets[i]])
            optimizer.zero_grad()
            error.backward()
            optimizer.step()
        mean_error = sum(squared_error(model(x), [t]).data
                         for x, t in zip(features, targets)) / len(features)
        history.append(mean_error)
        if verbose:
            print(f"epoch {epoch:2d}  mean error ½(target - prediction)² = {mean_error:.5f}")
    return history


if __name__ == "__main__":
    history = train()
    print(f"error fell from {history[0]:.5f} after the first epoch to {history[-1]:.5f}")
