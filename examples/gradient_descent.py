"""The gradient-descent article's first example: gradient descent on y = (x + 2)², starting
at x = 0, converges to x = -2.

At x = 0 the slope dy/dx = 2(x + 2) is 4 (positive: move left); at x = -4 it is -4.
Each step moves x against the slope: x <- x - lr * dy/dx.

Run:  python examples/gradient_descent.py
"""

from __future__ import annotations

from _common import pyplot, save_figure

from autograd import Value


def descend(x0: float = 0.0, lr: float = 0.1, steps: int = 100) -> list[tuple[float, float, float]]:
    """(x, y, dy/dx) at every step of gradient descent on y = (x + 2)²."""
    x = Value(x0, label="x")
    history = []
    for _ in range(steps):
        x.grad = 0.0
        y = (x + 2) ** 2
        y.backward()
        history.append((x.data, y.data, x.grad))
        x.data -= lr * x.grad
    return history


def main() -> None:
    for x0 in (0.0, -4.0):
        x = Value(x0)
        y = (x + 2) ** 2
        y.backward()
        print(f"at x = {x0:+.0f}: y = {y.data:.0f}, dy/dx = {x.grad:+.0f}")
    history = descend()
    for k in (0, 1, 2, 5, 10, 20, 50, 99):
        x, y, g = history[k]
        print(f"step {k:3d}: x = {x:+.6f}   y = {y:.3e}   dy/dx = {g:+.6f}")
    print(f"x converges to -2: after {len(history)} steps x = {history[-1][0]:+.9f}")
    plot(history[:12])


def plot(steps: list[tuple[float, float, float]]) -> None:
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6, 3.6))
    grid = [-4.5 + 5 * i / 200 for i in range(201)]
    ax.plot(grid, [(x + 2) ** 2 for x in grid], color="gray", label="y = (x + 2)²")
    xs, ys = [s[0] for s in steps], [s[1] for s in steps]
    ax.plot(xs, ys, "o-", color="tab:orange", label="gradient descent, lr = 0.1")
    for k in (0, 1, 2):
        x, y, g = steps[k]
        ax.annotate(f"dy/dx = {g:.2f}", (x, y), textcoords="offset points", xytext=(8, 4))
    ax.axvline(-2, ls=":", color="gray")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("The gradient-descent article: descending y = (x + 2)² from x = 0")
    ax.legend()
    save_figure(fig, "gradient_descent.png")


if __name__ == "__main__":
    main()
