"""The classic demo: a scalar MLP separates two interleaving half-moons.

MLP(2, [16, 16, 1]) with ReLU, max-margin (hinge) loss plus 1e-4 L2, 100 steps of
full-batch SGD with learning rate 1.0 - 0.9·k/100: it reaches 100% training accuracy.
Saves moons.png: the decision boundary and the loss curve.

Run:  python examples/moons.py [output-dir]
"""

from __future__ import annotations

from _common import pyplot, save_figure

from nn import MLP, SGD, fit, hinge, l2
from nn.datasets import make_moons


def accuracy(model: MLP, xs: list, ys: list) -> float:
    return sum((model(x)[0].data > 0) == (y > 0) for x, y in zip(xs, ys)) / len(ys)


def train(steps: int = 100, seed: int = 0, progress: bool = True):
    xs, ys = make_moons()
    # micrograd's initialisation (weights uniform in ±1, biases 0), as in its demo.
    model = MLP(2, [16, 16, 1], activation="relu", seed=seed, init="micrograd")
    history = fit(
        model, xs, ys, hinge, SGD(model.parameters(), lr=1.0), epochs=steps,
        batch_size=None, shuffle=False,  # full batch: one step per epoch
        regularization=lambda m: l2(m.parameters(), 1e-4),
        lr_schedule=lambda k: 1.0 - 0.9 * k / steps, progress=progress,
    )
    return model, history, accuracy(model, xs, ys)


def plot(model: MLP, history) -> None:
    plt = pyplot()
    if plt is None:
        return
    xs, ys = make_moons()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    n = 60
    gx = [-1.6 + 4.2 * i / (n - 1) for i in range(n)]
    gy = [-1.1 + 2.7 * j / (n - 1) for j in range(n)]
    z = [[model([x, y])[0].data for x in gx] for y in gy]
    left.contourf(gx, gy, z, levels=[-1e9, 0, 1e9], colors=["#cfe2f3", "#f9cb9c"])
    left.contour(gx, gy, z, levels=[0], colors="black", linewidths=1)
    for label, color in ((-1.0, "tab:blue"), (1.0, "tab:orange")):
        pts = [x for x, y in zip(xs, ys) if y == label]
        left.scatter([p[0] for p in pts], [p[1] for p in pts], c=color, s=18, edgecolors="k",
                     linewidths=0.4)
    left.set_title("decision boundary of MLP(2, [16, 16, 1])")
    right.plot(history.loss, color="tab:red")
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_ylabel("hinge loss + L2")
    right.set_title("training loss")
    save_figure(fig, "moons.png")


if __name__ == "__main__":
    model, history, acc = train()
    print(f"loss {history.loss[0]:.4f} at step 0, {history.loss[-1]:.4f} at step "
          f"{len(history.loss) - 1}")
    print(f"final training accuracy: {acc:.0%} with {len(model.parameters())} parameters")
    plot(model, history)
