"""draw_dot: the DOT it builds, a real SVG rendered by Graphviz, and its errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import graphviz
import pytest

from autograd import GraphTooLargeError, Value, draw_dot
from autograd.display.graph import ComputationGraph

from support import example_network, in_ci, need_dot, svg_shapes

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not in_ci(),  # in CI a missing dot fails the test
    reason="Graphviz's dot is not installed (apt-get install graphviz)",
)


def fields(source: str) -> list[list[str]]:
    """The fields (name, data, grad) of each box in draw_dot's DOT source, in order."""
    rows = re.findall(r"label=<<table[^\n]*?</table>>", source)
    return [re.findall(r"<td>([^<]*)</td>", row) for row in rows]


def small_graph() -> Value:
    x = Value(0.85, label="x1")
    y = (x * 2 + 1).tanh()
    y.label = "y"
    y.backward()
    return y


def test_dot_source_has_a_box_per_value_and_a_node_per_op():
    g = draw_dot(small_graph())
    assert isinstance(g, graphviz.Digraph)
    src = g.source
    assert "rankdir=LR" in src
    boxes = {row[0]: row[1:] for row in fields(src)}
    assert len(boxes) == src.count("shape=box") == 6  # x1, 2, x1*2, 1, x1*2+1, y
    # 4 significant digits: 2(1 - tanh²(2.7)) = 0.035808, tanh(2.7) = 0.99101
    assert boxes["x1"] == ["data 0.85", "grad 0.03581"]
    assert boxes["y"] == ["data 0.991", "grad 1"]
    # unlabelled nodes are named by their inputs, constants by their value
    assert boxes["x1·2"][0] == "data 1.7" and boxes["x1·2 + 1"][0] == "data 2.7"
    assert boxes["2"][0] == "data 2"
    for op in ("label=tanh", "label=\"*\"", "label=\"+\""):
        assert op in src
    assert src.count("->") == 5 + 3  # parent->op: 2 (*), 2 (+), 1 (tanh); op->result: 3


def test_labels_are_escaped():
    v = Value(1.0, label="a<b & c>|{d}")
    assert fields(draw_dot(v).source)[0][0] == "a&lt;b &amp; c&gt;|{d}"


@needs_dot
def test_render_writes_a_real_svg(tmp_path):
    path = draw_dot(small_graph()).render(str(tmp_path / "graph"), cleanup=True)
    svg = Path(path).read_text(encoding="utf-8")
    assert path.endswith(".svg") and svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("x1", "data 0.85", "grad 0.03581", "tanh", "data 0.991"):
        assert text in svg, text


@needs_dot
def test_png_and_jupyter_display(tmp_path):
    y = small_graph()
    path = draw_dot(y, format="png").render(str(tmp_path / "graph"), cleanup=True)
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bundle = draw_dot(y)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_too_large_graph_says_how_to_raise_the_limit():
    x = Value(0.0)
    for _ in range(2001):
        x = x + 1
    with pytest.raises(GraphTooLargeError, match=r"pass draw_dot\(root, max_nodes=4003\)"):
        draw_dot(x)
    assert isinstance(draw_dot(x, max_nodes=5000), ComputationGraph)


def test_missing_dot_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere on PATH
    with pytest.raises(graphviz.ExecutableNotFound, match="apt-get install graphviz"):
        draw_dot(small_graph()).render(str(tmp_path / "g"))
    with pytest.raises(graphviz.ExecutableNotFound, match="brew install graphviz"):
        draw_dot(small_graph()).pipe()


def test_draw_dot_refuses_non_values():
    with pytest.raises(TypeError, match=r"root must be a Value, got 1.0 \(float\)"):
        draw_dot(1.0)


def small_mlp_loss():
    from nn import MLP, mse

    model = MLP(2, [3, 1], activation="tanh", seed=3)
    loss = mse(model([0.5, -1.0]), [1.0])
    loss.backward()
    return model, loss


@needs_dot
def test_the_same_graph_gives_byte_identical_svg(tmp_path):
    model, loss = small_mlp_loss()
    for style in ("records", "wires"):
        first = draw_dot(loss, style=style, clusters=model, color_by_grad=True).pipe()
        model2, loss2 = small_mlp_loss()  # a new graph with new ids, the same numbers
        second = draw_dot(loss2, style=style, clusters=model2, color_by_grad=True).pipe()
        assert first == second and first.startswith(b"<?xml")


def test_small_gradients_keep_their_significant_digits():
    x = Value(4.35e-5, label="x")
    y = x * 1.0
    y.backward()
    src = draw_dot(y).source
    assert ["x", "data 4.35e-05", "grad 1"] in fields(src)  # not 0.0000


def test_color_by_grad_adds_a_legend_of_the_signed_decades():
    model, loss = small_mlp_loss()
    src = draw_dot(loss, color_by_grad=True).source
    assert "legend" in src and "|grad|" in src and "each step ×10" in src
    # ColorBrewer RdBu: the 5 reds and the 5 blues, one pair per decade, and white for ≈ 0
    for colour in ("#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7",
                   "#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0"):
        assert f'bgcolor="{colour}"' in src
    assert "legend" not in draw_dot(loss).source


def test_wires_style_puts_value_grad_and_local_derivative_on_each_wire():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    src = draw_dot(c, style="wires").source
    assert "shape=box" not in src and not fields(src)
    # the wire a → (*): data 2, grad ∂c/∂a = b = -3, local derivative b = -3
    wire = next(line for line in src.splitlines() if line.strip().startswith("n0 -> n2"))
    assert ">2<" in wire and ">-3<" in wire and "local b = -3" in wire
    wire = next(line for line in src.splitlines() if line.strip().startswith("n1 -> n2"))
    assert ">-3<" in wire and ">2<" in wire and "local a = 2" in wire  # ∂c/∂b = a = 2
    with pytest.raises(ValueError, match="style"):
        draw_dot(c, style="cs231n")


def test_depth_draws_only_the_neighbourhood():
    y = small_graph()  # tanh(x1·2 + 1)
    src = draw_dot(y, depth=1).source
    assert [row[0] for row in fields(src)] == ["x1·2 + 1", "y"]


@needs_dot
def test_make_figures_draws_the_same_bytes_twice(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    path = Path(__file__).parent.parent / "examples" / "make_figures.py"
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):  # run as a user would, in its own process
        folder.mkdir()
        subprocess.run([sys.executable, str(path), "--graphs-only", str(folder)], check=True,
                       capture_output=True, timeout=120)
    names = sorted(p.name for p in first.iterdir())
    assert names == ["w5_graph.svg", "w5_network.svg", "w5_path.svg"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    committed = (path.parent.parent / "docs" / "images" / "w5_path.svg").read_bytes()
    fresh = (first / "w5_path.svg").read_bytes()
    version = [svg.split(b"Generated by", 1)[1].split(b"\n", 1)[0] for svg in (committed, fresh)]
    if version[0] == version[1]:  # the same Graphviz: the committed picture is not stale
        assert fresh == committed


def rendered(loss, **options):
    """The node shapes, those by the name each shows first, the clusters by label, and the
    root's shape (None in the wires view), of ``draw_dot(loss, **options)`` laid out by dot."""
    from autograd.display.naming import names

    need_dot()
    svg = draw_dot(loss, **{"view": "values", **options}).pipe(format="svg")
    nodes = svg_shapes(svg, "node")
    by_name = {s.texts[0].text: s for s in nodes if s.texts}
    clusters = {s.texts[0].text: s for s in svg_shapes(svg, "cluster")}
    return nodes, by_name, clusters, by_name.get(names(loss)[id(loss)])


def parameter_names(neuron) -> list[str]:
    return [w.label for w in neuron.w] + [neuron.b.label]


@pytest.mark.parametrize("name", ["2-3-1", "3-4-4-1", "2-16-16-1", "seed"])
def test_clustered_drawing_lists_the_weights_in_order_and_reads_left_to_right(name):
    """rankdir LR, clusters=model: in each neuron's box w1, w2, …, wn and then b from the top
    down; each layer's box wholly left of the next; the loss right of everything."""
    model, loss = example_network(name)
    nodes, by_name, clusters, root = rendered(loss, clusters=model)
    for layer in model.layers:
        for neuron in layer.neurons:
            heights = [by_name[n].centre[1] for n in parameter_names(neuron)]
            assert all(a < b for a, b in zip(heights, heights[1:])), (
                parameter_names(neuron), heights)
    layers = [clusters[c.label] for c in model.clusters()]
    assert len(layers) == len(model.layers)
    for before, after in zip(layers, layers[1:]):
        assert before.right < after.left, (before.texts[0].text, after.texts[0].text)
    assert root.left > layers[-1].right
    assert root.left > max(s.right for s in nodes if s is not root)


@pytest.mark.parametrize("options", [{"rankdir": "TB"}, {"style": "wires"},
                                     {"rankdir": "TB", "depth": 6, "color_by_grad": True},
                                     {"clusters": None}, {"clusters": None, "rankdir": "TB"}])
@pytest.mark.parametrize("name", ["3-4-4-1", "seed"])
def test_the_weights_keep_their_order_top_down_unboxed_and_in_the_wires_view(name, options):
    """Top to bottom (the README's pictures) the weights read w1 … wn, b from the left;
    left to right, in the wires view or without boxes, from the top."""
    model, loss = example_network(name)
    nodes, by_name, clusters, root = rendered(loss, **{"clusters": model, **options})
    axis = 0 if options.get("rankdir") == "TB" else 1
    for layer in model.layers:
        for neuron in layer.neurons:
            shown = [n for n in parameter_names(neuron) if n in by_name]
            places = [by_name[n].centre[axis] for n in shown]
            assert all(a < b for a, b in zip(places, places[1:])), (shown, places)
    if "depth" not in options and options.get("clusters", model):
        layer_boxes = [clusters[c.label] for c in model.clusters()]
        edge = "bottom" if axis == 0 else "right"
        start = "top" if axis == 0 else "left"
        assert getattr(layer_boxes[0], edge) < getattr(layer_boxes[1], start)
