"""The network of the 'Back Propagation' worked example as a page you can step through:
the forward pass op by op (a neuron's sum written out with its numbers), then the backward
pass edge by edge, ending at the tutorial's dE/dw5 = 0.0049; Back (or ←) undoes any step.

Run:  python examples/w5_page.py [output-dir]
It writes there w5_backprop.html (open it in a browser: no server, no network needed),
w5_training.html (the same network trained on its one example, with a slider that moves
the whole graph through the steps) and moons_neurons.html (the classic learner's
MLP(2, [16, 16, 1]), which opens in the neuron view: one box per neuron with its
activation, ∂E/∂activation and δ; the layer view writes δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀδ⁽ˡ⁺¹⁾ ⊙ f′(z⁽ˡ⁾)).
"""

from __future__ import annotations

from _common import output_dir

from autograd import Value
from autograd.display.stepper import draw_html
from nn import MLP, SGD, fit, mse, squared_error
from nn.datasets import TARGETS, X
from nn.datasets import seed_003 as build


def main() -> None:
    model, error, w5 = build()
    error.backward()  # not needed by the page; it makes explain's texts say "(matches)"
    out = output_dir()
    path = draw_html(error, title="Back Propagation, worked example: w5").save(
        out / "w5_backprop.html")
    print(f"Page written to {path}  (dE/dw5 = {w5.grad:.4f})")

    history = fit(model, [X], [TARGETS], squared_error, SGD(model.parameters(), lr=0.5),
                  epochs=200, progress=False, record=True)
    after = squared_error(model([Value(x, label=f"x{i}") for i, x in enumerate(X, 1)]), TARGETS)
    after.label = "E_total"
    after.backward()
    path = draw_html(after, history=history,
                     title="Back Propagation, worked example: after 200 steps").save(
        out / "w5_training.html")
    print(f"Page written to {path}  (error {history.steps[0].loss:.6f} -> {after.data:.6f})")

    moons = MLP(2, [16, 16, 1], activation="tanh", seed=1)
    loss = mse(moons([0.5, -0.25]), [1.0])
    path = draw_html(loss, title="MLP(2, [16, 16, 1]): one example, neuron by neuron").save(
        out / "moons_neurons.html")
    print(f"Page written to {path}  (the neuron view; 'values' and 'layers' switch)")


if __name__ == "__main__":
    main()
