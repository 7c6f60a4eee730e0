"""The 'Back Propagation' worked example: the gradient of the total error with respect to
w5, and the gradient-descent update w5 = 0.4 - 0.1 * dE/dw5 = 0.3995.

The network has 2 inputs, 2 hidden and 2 output neurons, all sigmoid, each with a bias.
Weights are given as Theta matrices with the bias first: row [b, w, w] per neuron.

The tutorial's forward-pass document is not available. Its numbers are reproduced by the
input X = [1, 0.85, 0.25] (bias first) and Theta1 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]],
which give hidden outputs 0.58540 and 0.72611. The output layer's weights other than
w5 = 0.4 were CHOSEN (not taken from the tutorial) so that the outputs are 0.7333 and
0.7317 to four decimals, as in the tutorial.

Run:  python examples/w5_update.py [output-dir]
It writes there: w5_graph.svg (the computation graph), w5_path.svg (the path from the
error to w5 highlighted, nodes boxed by layer and neuron and shaded by |grad|) and
w5_network.svg (the network as the tutorial draws it).
"""

from __future__ import annotations

from _common import output_dir

from autograd import draw_dot, explain
from nn import SGD, draw_network
from nn.datasets import LEARNING_RATE, seed_003

build = seed_003


def main() -> None:
    model, error, w5 = build()
    error.backward()
    node = {v.label: v for v in error.walk() if v.label}
    o1, net1, h1 = node["out_o1"], node["net_o1"], node["out_h1"]

    print("Forward pass")
    print(f"  hidden outputs   out_h1 = {h1.data:.5f}   out_h2 = "
          f"{node['out_h2'].data:.5f}")
    print(f"  outputs          out_o1 = {o1.data:.5f}   out_o2 = "
          f"{node['out_o2'].data:.5f}")
    print(f"  total error      E = {error.data:.6f}   (tutorial, from rounded errors: 0.009895)")
    print()
    print("Chain rule, factor by factor:  dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5")
    f1, f2, f3 = o1.grad, net1.grad / o1.grad, w5.grad / net1.grad
    print(f"  dE/dout_o1       = out_o1 - target     = {f1:.6f}   (tutorial 0.0428)")
    print(f"  dout_o1/dnet_o1  = out_o1 (1 - out_o1) = {f2:.6f}   (tutorial 0.1958)")
    print(f"  dnet_o1/dw5      = out_h1              = {f3:.6f}   (tutorial 0.5854)")
    print()
    hand = 0.0428 * 0.1958 * 0.5854
    print(f"  engine's dE/dw5             = {w5.grad:.8f}")
    print(f"  tutorial's 0.0428 x 0.1958 x 0.5854 = {hand:.8f}")
    print("  They differ because the tutorial rounded 0.7333 x (1 - 0.7333) = 0.19557 up to "
          "0.1958\n  (and the other factors to four digits); the engine carries full "
          "float64 precision.")
    print()
    print("The engine's own account of it, explain(E_total, wrt=w5):")
    print()
    print(explain(error, w5))
    print()
    out = output_dir()
    for name, graph in (
        ("w5_graph", draw_dot(error)),
        ("w5_path", draw_dot(error, highlight=w5, clusters=model, color_by_grad=True)),
        ("w5_network", draw_network(model, input_names=["x1", "x2"], show_grad=True)),
    ):
        print(f"Graph written to {graph.render(str(out / name), cleanup=True)}")
    print()

    w5_before = w5.data
    SGD([w5], lr=LEARNING_RATE).step()
    print(f"Update: w5 = {w5_before} - {LEARNING_RATE} x {w5.grad:.8f} = {w5.data:.8f} "
          f"-> {w5.data:.4f}")
    print(f"  with the tutorial's gradient: {w5_before - LEARNING_RATE * hand:.8f} "
          f"-> {w5_before - LEARNING_RATE * hand:.4f}")


if __name__ == "__main__":
    main()
