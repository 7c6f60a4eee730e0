"""The house-price blog post and the Udacity backpropagation lecture: predict a house's
price, and learn from the error one example at a time (stochastic gradient descent: after
every example, w <- w - lr * dE/dw).

The data set is small and SYNTHETIC (made here, no download): size in m², rooms and age
in years, with a price from a fixed rule plus noise. Features and prices are scaled to
zero mean and unit variance before training, as one would for real data.

Run:  python examples/house_prices.py
"""

from __future__ import annotations

import random
import statistics

from _common import pyplot, save_figure

from nn import MLP, SGD, evaluate, fit, squared_error


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


def train(epochs: int = 30, lr: float = 0.01, progress: bool = True):
    xs, prices = make_houses()
    features = [list(row) for row in zip(*standardize([list(c) for c in zip(*xs)]))]
    (targets,) = standardize([prices])
    model = MLP(3, [6, 1], activation="tanh", seed=0)
    before = evaluate(model, features, targets, squared_error)
    history = fit(model, features, targets, squared_error, SGD(model.parameters(), lr=lr),
                  epochs=epochs, batch_size=1, progress=progress)  # one example at a time
    return before, history


def plot(before: float, history) -> None:
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(range(len(history.loss) + 1), [before, *history.loss], "o-", color="tab:green",
            markersize=3)
    ax.set_xlabel("epoch (40 single-example updates each)")
    ax.set_ylabel("mean ½(target - prediction)²")
    ax.set_title("House prices: stochastic gradient descent")
    save_figure(fig, "house_prices.png")


if __name__ == "__main__":
    before, history = train()
    for epoch, loss in enumerate(history.loss):
        print(f"epoch {epoch:2d}  mean error ½(target - prediction)² during the epoch = {loss:.5f}")
    print(f"error fell from {before:.5f} before training to {history.loss[-1]:.5f}")
    plot(before, history)
