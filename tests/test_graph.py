"""draw_dot: the DOT it builds, a real SVG rendered by Graphviz, and its errors."""

from __future__ import annotations

import re
import shutil

import graphviz
import pytest

from autograd import GraphTooLargeError, Value, draw_dot
from autograd.graph import ComputationGraph

from support import in_ci, need_dot

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not in_ci(),  # in CI a missing dot fails the test
    reason="Graphviz's dot is not installed (apt-get install graphviz)",
)


def small_graph() -> Value:
    x = Value(0.85, label="x1")
    y = (x * 2 + 1).tanh()
    y.label = "y"
    y.backward()
    return y


def test_dot_source_has_a_record_per_value_and_a_node_per_op():
    g = draw_dot(small_graph())
    assert isinstance(g, graphviz.Digraph)
    src = g.source
    assert "rankdir=LR" in src
    assert src.count("shape=record") == 6  # x1, 2, x1*2, 1, x1*2+1, y
    # 4 significant digits: 2(1 - tanh²(2.7)) = 0.035808, tanh(2.7) = 0.99101
    assert "{ x1 | data 0.85 | grad 0.03581 }" in src
    assert "{ y | data 0.991 | grad 1 }" in src
    # unlabelled nodes are named by their inputs, constants by their value
    assert "{ x1·2 | data 1.7 |" in src and "{ x1·2 + 1 | data 2.7 |" in src
    assert "{ 2 | data 2 |" in src
    for op in ("label=tanh", "label=\"*\"", "label=\"+\""):
        assert op in src
    assert src.count("->") == 5 + 3  # parent->op: 2 (*), 2 (+), 1 (tanh); op->result: 3


def test_labels_are_escaped():
    v = Value(1.0, label="a|b{c}")
    assert r"a\|b\{c\}" in draw_dot(v).source


@needs_dot
def test_render_writes_a_real_svg(tmp_path):
    path = draw_dot(small_graph()).render(str(tmp_path / "graph"), cleanup=True)
    svg = open(path, encoding="utf-8").read()
    assert path.endswith(".svg") and svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("x1", "data 0.85", "grad 0.03581", "tanh", "data 0.991"):
        assert text in svg, text


@needs_dot
def test_png_and_jupyter_display(tmp_path):
    y = small_graph()
    path = draw_dot(y, format="png").render(str(tmp_path / "graph"), cleanup=True)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
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
    with pytest.raises(TypeError, match="expected a Value, got float"):
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
    assert "{ x | data 4.35e-05 | grad 1 }" in src  # not 0.0000


def test_color_by_grad_adds_a_legend_of_the_levels():
    model, loss = small_mlp_loss()
    src = draw_dot(loss, color_by_grad=True).source
    assert "legend" in src and "|grad|" in src
    for level in range(1, 7):
        assert f'bgcolor="/oranges9/{level}"' in src
    assert "legend" not in draw_dot(loss).source


def test_a_neurons_cluster_lists_its_weights_in_order_and_the_bias_last():
    model, loss = small_mlp_loss()
    src = draw_dot(loss, clusters=model).source
    box = src[src.index("label=\"neuron 2\""):]
    box = box[:box.index("}\n")]
    order = [name for name in ("L1.n2.w1", "L1.n2.w2", "L1.n2.b") if name in box]
    assert order == ["L1.n2.w1", "L1.n2.w2", "L1.n2.b"]
    assert box.index("{ L1.n2.w1 |") < box.index("{ L1.n2.w2 |") < box.index("{ L1.n2.b |")


def test_wires_style_puts_value_grad_and_local_derivative_on_each_wire():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    src = draw_dot(c, style="wires").source
    assert "shape=record" not in src
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
    assert src.count("shape=record") == 2  # y and x1·2 + 1
    assert "{ x1 |" not in src


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


def test_clustered_drawing_reads_left_to_right():
    """With clusters=model (rankdir LR) each layer sits to the right of the one before (the
    old drawing stacked the output layer above the hidden one, edges looping back)."""
    import json

    need_dot()
    from autograd import draw_dot
    from nn import MLP, mse

    model = MLP(2, [3, 1])
    loss = mse(model([0.5, -1.0]), [1.0])
    loss.backward()
    layout = json.loads(draw_dot(loss, clusters=model).pipe(format="json"))
    ids = {o["name"]: o for o in layout["objects"] if "pos" in o}
    source = draw_dot(loss, clusters=model).source
    names = {}
    for line in source.splitlines():  # node id -> the name shown first in its record
        m = re.match(r'\s*(n\d+) \[label="\{ ([^|]+?) \|', line)
        if m:
            names[m.group(2).strip()] = m.group(1)

    def pos(name):
        x, y = map(float, ids[names[name]]["pos"].split(","))
        return x, y

    assert min(pos(f"L2.n1.w{i}")[0] for i in (1, 2, 3)) > max(
        pos(f"L1.n{n}.out")[0] for n in (1, 2, 3))
