"""The gradient-descent article's experiment: a data set made by a network with random
weights (the teacher) is learned by a network with a different number of layers and neurons
(the student).

Teacher: MLP(3, [5, 1]), tanh, random weights (seed 1). Student: MLP(3, [8, 8, 1]), tanh,
other random weights (seed 2). Full-batch Adam on the mean squared error; the loss falls by
far more than 10x.

Run:  python examples/teacher_student.py
"""

from __future__ import annotations

import random

from _common import pyplot, save_figure

from nn import MLP, Adam, fit, mse


def make_data(n: int = 64, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Inputs uniform in [-1, 1]³; targets from the teacher network."""
    teacher = MLP(3, [5, 1], activation="tanh", seed=1, init="micrograd")
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(n)]
    ys = [teacher(x)[0].data for x in xs]
    return xs, ys


def train(epochs: int = 300, progress: bool = True):
    xs, ys = make_data()
    student = MLP(3, [8, 8, 1], activation="tanh", seed=2)
    history = fit(student, xs, ys, mse, Adam(student.parameters(), lr=0.02), epochs=epochs,
                  batch_size=None, progress=progress)  # full batch
    return student, history


def plot(student: MLP, history) -> None:
    plt = pyplot()
    if plt is None:
        return
    xs, ys = make_data()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(history.loss, color="tab:red")
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("mean squared error")
    left.set_title("student learning the teacher's data")
    predicted = [student(x)[0].data for x in xs]
    limits = (min(ys) - 0.1, max(ys) + 0.1)
    right.plot(limits, limits, color="gray", lw=1)
    right.scatter(ys, predicted, s=16, color="tab:blue")
    right.set_xlabel("teacher MLP(3, [5, 1]) output")
    right.set_ylabel("student MLP(3, [8, 8, 1]) output")
    right.set_title("after training: student vs teacher")
    save_figure(fig, "teacher_student.png")


if __name__ == "__main__":
    student, history = train()
    losses = history.loss
    print(f"loss fell from {losses[0]:.6f} to {losses[-1]:.6f}: "
          f"{losses[0] / losses[-1]:.0f}x smaller")
    plot(student, history)
