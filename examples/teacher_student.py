"""Seed 002's experiment: a data set made by a network with random weights (the teacher)
is learned by a network with a different number of layers and neurons (the student).

Teacher: MLP(3, [5, 1]), tanh, random weights (seed 1). Student: MLP(3, [8, 8, 1]), tanh,
other random weights (seed 2). Full-batch Adam on the mean squared error; the loss falls by
far more than 10x.

Run:  python examples/teacher_student.py
"""

from __future__ import annotations

import random

import _common  # noqa: F401

from nn import MLP, Adam, mse


def make_data(n: int = 64, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Inputs uniform in [-1, 1]³; targets from the teacher network."""
    teacher = MLP(3, [5, 1], activation="tanh", seed=1, init="micrograd")
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(n)]
    ys = [teacher(x)[0].data for x in xs]
    return xs, ys


def train(epochs: int = 300, verbose: bool = True) -> list[float]:
    xs, ys = make_data()
    student = MLP(3, [8, 8, 1], activation="tanh", seed=2)
    optimizer = Adam(student.parameters(), lr=0.02)
    losses = []
    for epoch in range(epochs):
        loss = mse([student(x)[0] for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
        if verbose and (epoch % 50 == 0 or epoch == epochs - 1):
            print(f"epoch {epoch:3d}  mse {loss.data:.6f}")
    return losses


if __name__ == "__main__":
    losses = train()
    print(f"loss fell from {losses[0]:.6f} to {losses[-1]:.6f}: "
          f"{losses[0] / losses[-1]:.0f}x smaller")
