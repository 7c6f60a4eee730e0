"""The network of the 'Back Propagation' worked example as a page you can step through:
the forward pass op by op, then the backward pass edge by edge, ending at the tutorial's
dE/dw5 = 0.0049.

Run:  python examples/w5_page.py [output-dir]
It writes there w5_backprop.html (open it in a browser: no server, no network needed) and
w5_training.html (the same network trained on its one example, with a slider over the
steps).
"""

from __future__ import annotations

from _common import output_dir

from autograd import Value
from autograd.display.stepper import draw_html
from nn import SGD, fit, squared_error
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


if __name__ == "__main__":
    main()
