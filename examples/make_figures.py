"""Regenerate every figure the README shows, into docs/images/ (needs matplotlib and dot).

The plots come from the example scripts; the graph pictures are drawn here, top to bottom
and cut below the output layer, so that they stay readable at the README's width. Running
it twice changes no byte (a test checks).

Run:  python examples/make_figures.py
      python examples/make_figures.py --graphs-only DIR   (only the graph pictures, into DIR)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = ROOT / "docs" / "images"
SCRIPTS = ["w5_update.py", "gradient_descent.py", "moons.py", "teacher_student.py",
           "house_prices.py"]


def draw_graphs(target: Path) -> None:
    """The w5 pictures: the graph near the error (path to w5 highlighted, shaded by
    |grad|, boxed by neuron) and the network as the tutorial draws it; the neuron view of
    the two-moons network, MLP(2, [16, 16, 1]), on its first example."""
    sys.path.insert(0, str(ROOT))
    from autograd import draw_dot
    from nn import MLP, draw_network, hinge
    from nn.datasets import make_moons, seed_003

    xs, ys = make_moons()
    moons = MLP(2, [16, 16, 1], activation="relu", seed=0, init="micrograd")
    moons_loss = hinge(moons(xs[0]), [ys[0]])
    moons_loss.backward()

    model, error, w5 = seed_003()
    error.backward()
    pictures = {
        "w5_graph": draw_dot(error, rankdir="TB"),
        "w5_path": draw_dot(error, highlight=w5, clusters=model, color_by_grad=True,
                            rankdir="TB", depth=6),
        "w5_network": draw_network(model, input_names=["x1", "x2"], show_grad=True),
        "moons_neurons": draw_dot(moons_loss),  # over 48 Values: the neuron view
    }
    for name, graph in pictures.items():
        graph.render(str(target / name), format="svg", cleanup=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--graphs-only"]:
        draw_graphs(Path(sys.argv[2]))
        sys.exit(0)
    TARGET.mkdir(parents=True, exist_ok=True)
    for script in SCRIPTS:
        print(f"== {script}")
        subprocess.run([sys.executable, str(HERE / script), str(TARGET)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    draw_graphs(TARGET)
    for path in sorted(TARGET.iterdir()):
        print(f"  {path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")
