"""explain, the teaching pictures (highlighted paths, gradient colours, clusters, the
network view), fit, and saving models."""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest

from autograd import Value, draw_dot, explain
from nn import MLP, SGD, Adam, draw_network, fit, load, mse, squared_error
from nn.datasets import seed_003

from support import distance_to_line, example_network, in_ci, need_dot, svg_shapes

needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not in_ci(),
                               reason="Graphviz's dot is not installed")
RED = "#d62728"


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# --- explain ----------------------------------------------------------------------------

def test_explain_seed_003_reads_like_the_tutorial():
    model, error, w5 = seed_003()
    error.backward()
    text = str(explain(error, w5))
    assert "Path 1: E_total → out_o1 → net_o1 → w5" in text
    h1 = sigmoid(0.1 + 0.2 * 0.85 + 0.3 * 0.25)
    h2 = sigmoid(0.4 + 0.5 * 0.85 + 0.6 * 0.25)
    o1 = sigmoid(0.24 + 0.4 * h1 + 0.74 * h2)
    # each factor: its formula, simplified as the tutorial writes it, then its number
    for name, formula, value in [
            ("∂E_total/∂out_o1", "out_o1 − 0.6905", o1 - 0.6905),  # ½(t − o)² folded
            ("∂out_o1/∂net_o1", "out_o1·(1 − out_o1)", o1 * (1 - o1)),  # σ′ = σ(1 − σ)
            ("∂net_o1/∂w5", "out_h1", h1)]:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(name))
        parts = [p.strip() for p in line.split(" = ")]
        assert parts[1] == formula
        assert float(parts[2]) == pytest.approx(value, rel=1e-5)
    assert "(matches)" in text
    md = explain(error, w5).to_markdown()
    assert "\\frac{\\partial E_{total}}{\\partial w_{5}}" in md
    assert "\\mathrm{out}_{o1} - 0.6905" in md


def test_explain_an_unlabelled_mlp_through_each_layer():
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    loss = squared_error(model([0.5, -1.0]), [0.25])
    loss.backward()
    w = model.layers[0].neurons[1].w[0]
    e = explain(loss, w)
    text = str(e)
    assert "Path 1: loss → L2.n1.net → L1.n2.out → L1.n2.net → L1.n2.w1" in text
    n2 = model.layers[0].neurons[1]
    out = math.tanh(n2.b.data + n2.w[0].data * 0.5 + n2.w[1].data * -1.0)
    o = model.layers[1].neurons[0]
    net = o.b.data + sum(wi.data * math.tanh(n.b.data + n.w[0].data * 0.5 - n.w[1].data)
                         for wi, n in zip(o.w, model.layers[0].neurons))
    expected = [("∂loss/∂L2.n1.net", "L2.n1.net − 0.25", net - 0.25),
                ("∂L2.n1.net/∂L1.n2.out", "L2.n1.w2", o.w[1].data),
                ("∂L1.n2.out/∂L1.n2.net", "1 − L1.n2.out²", 1 - out * out),
                ("∂L1.n2.net/∂L1.n2.w1", "x1", 0.5)]
    assert [(f"∂{f.upper}/∂{f.lower}", f.formula_text()) for f in e.paths[0]] == \
        [row[:2] for row in expected]
    for f, (_, _, value) in zip(e.paths[0], expected):
        assert f.value == pytest.approx(value, rel=1e-12)
    assert e.gradient == pytest.approx(math.prod(v for *_, v in expected), rel=1e-12)


def test_many_paths_are_grouped_by_the_recurrence_with_counts():
    model = MLP(2, [3, 3, 1], activation="tanh", seed=2)
    loss = squared_error(model([0.5, -1.0]), [0.25])
    loss.backward()
    w = model.layers[0].neurons[0].w[1]
    e = explain(loss, w, max_paths=2)
    assert e.n_paths == 3 and not e.paths  # through each of the 3 second-layer neurons
    step = {s.node: s for s in e.steps}
    assert step["L1.n1.out"].paths == 3 and len(step["L1.n1.out"].terms) == 3
    assert step["L2.n2.out"].paths == 1
    for s in e.steps:  # each step's number is the sum of its terms, and is the node's grad
        assert s.value == pytest.approx(sum(g * f.value for _, g, f in s.terms), rel=1e-12)
    assert step["L1.n1.w2"].value == pytest.approx(w.grad, rel=1e-12)
    text = str(e)
    assert "∂loss/∂L1.n1.out = ∂loss/∂L2.n1.net · L2.n1.w1 + ∂loss/∂L2.n2.net · L2.n2.w1 + " \
        "∂loss/∂L2.n3.net · L2.n3.w1 = " in text
    assert "[3 paths]" in text and text.count("\n") < 30


def test_explain_lists_both_paths_of_a_diamond():
    a = Value(1.5, label="a")
    b = a * 2
    b.label = "b"
    c = a + 1
    c.label = "c"
    d = b * c
    d.label = "d"
    e = explain(d, a)
    assert e.n_paths == 2 and e.gradient == 4 * 1.5 + 2  # dd/da = 4a + 2, by hand
    products = sorted(f[0].value * f[1].value for f in e.paths)
    assert products == [3.0 * 1, 2.5 * 2]  # through c: b·1 = 3; through b: c·2 = 2.5·2
    assert "d.grad" not in str(e) and "a.grad is 0.0: call backward()" in str(e)


def test_explain_summarises_very_many_paths_by_the_adjoint_recurrence():
    a = Value(1.5, label="a")
    y = a
    for _ in range(12):
        y = y * a + y  # y_{k+1} = y_k (a + 1): 2^13 - 1 paths to a
    y.backward()
    e = explain(y, a)
    assert e.n_paths == 2**13 - 1 and not e.paths
    text = str(e)
    assert "Too many paths to list" in text and "adjoint recurrence" in text
    assert e.steps[-1].node == "a" and e.steps[-1].paths == 2**13 - 1
    assert sum(g * local for _, g, local, _ in e.contributions) == pytest.approx(a.grad)
    # y = a(a + 1)^12, so dy/da = (a + 1)^12 + 12a(a + 1)^11 = 2.5^11 (2.5 + 18), by hand
    assert a.grad == pytest.approx(2.5**11 * 20.5, rel=1e-12)
    assert "(matches)" in text


def test_explain_when_there_is_no_path():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    assert "does not depend on x" in str(explain(y * 3, x))


# --- pictures -----------------------------------------------------------------------------

def node_line(source: str, label: str) -> str:
    return next(line for line in source.splitlines() if f"<td>{label}</td>" in line)


def test_highlight_marks_the_path_to_w5_only():
    model, error, w5 = seed_003()
    error.backward()
    src = draw_dot(error, highlight=w5).source
    for label in ("w5", "net_o1", "out_o1", "E_total"):
        assert RED in node_line(src, label), label
    for label in ("w6", "w7", "out_o2", "out_h1"):
        assert RED not in node_line(src, label), label


def test_color_by_grad_and_clusters():
    model, error, w5 = seed_003()
    error.backward()
    src = draw_dot(error, color_by_grad=True, clusters=model).source
    # signed decades (ColorBrewer RdBu): grad 1 is in the top decade [1, 10), darkest red
    assert 'fillcolor="#67001f"' in node_line(src, "E_total")
    # w2's grad 4.35e-5 is below the last of the 5 decades (1e-4 … 10): neutral, ≈ 0
    assert 'fillcolor="#f7f7f7"' in node_line(src, "w2")
    assert src.count("subgraph cluster_") == 2 + 4  # two layers of two neurons each
    assert "hidden layer 1 (2 × sigmoid)" in src and "output layer (2 × sigmoid)" in src


@needs_dot
def test_pictures_render_to_svg(tmp_path):
    model, error, w5 = seed_003()
    error.backward()
    path = draw_dot(error, highlight=w5, clusters=model, color_by_grad=True).render(
        str(tmp_path / "g"), cleanup=True)
    svg = Path(path).read_text()
    assert "output layer (2 × sigmoid)" in svg and "neuron 1" in svg and RED in svg
    net = Path(draw_network(model, show_grad=True).render(str(tmp_path / "n"), cleanup=True))
    svg = net.read_text()
    assert "w5=0.4" in svg and ">o1<" in svg and ">h2<" in svg and "grad 0.0049" in svg


# The seed's wiring, as the tutorial draws it: weight -> (the input it reads, its neuron).
SEED_WIRING = {"w1": ("x1", "h1"), "w2": ("x2", "h1"), "w3": ("x1", "h2"), "w4": ("x2", "h2"),
               "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2")}


def wiring(weight: str) -> tuple[str, str]:
    """(tail, head) that a weight's edge joins: ``L2.n1.w3`` from ``L1.n3`` to ``L2.n1``."""
    if weight in SEED_WIRING:
        return SEED_WIRING[weight]
    k, j, i = map(int, re.fullmatch(r"L(\d+)\.n(\d+)\.w(\d+)", weight).groups())
    return (f"x{i}" if k == 1 else f"L{k - 1}.n{i}"), f"L{k}.n{j}"


@pytest.mark.parametrize("show_grad", [False, True])
@pytest.mark.parametrize("name", ["2-3-1", "3-4-4-1", "seed"])
def test_network_edge_labels_stay_apart_each_on_its_own_edge(name, show_grad):
    """In draw_network's SVG no two edge labels' text boxes overlap, each label's centre is
    nearer its own edge than any other, and each names its weight, on the right edge."""
    need_dot()
    model, _ = example_network(name)
    svg = draw_network(model, show_grad=show_grad).pipe(format="svg")
    shown = {s.title: s.texts[0].text for s in svg_shapes(svg, "node")}  # id -> first line
    edges = svg_shapes(svg, "edge")
    boxes = []
    for edge in edges:
        lines = [t.box() for t in edge.texts]
        boxes.append((min(b[0] for b in lines), max(b[1] for b in lines),
                      min(b[2] for b in lines), max(b[3] for b in lines)))
    for (e, a), (f, b) in itertools.combinations(zip(edges, boxes), 2):
        apart = a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]
        assert apart, (e.texts[0].text, f.texts[0].text)
    for edge, box in zip(edges, boxes):
        centre = ((box[0] + box[1]) / 2, (box[2] + box[3]) / 2)
        own = distance_to_line(centre, edge.line)
        nearest = min(distance_to_line(centre, other.line) for other in edges if other is not edge)
        assert own < nearest, (edge.texts[0].text, own, nearest)
    weights = {w.label: w for layer in model.layers for n in layer.neurons for w in n.w}
    for edge in edges:
        weight, value = edge.texts[0].text.split("=")
        assert float(value) == pytest.approx(weights.pop(weight).data, rel=1e-3), weight
        tail, head = edge.title.split("->")
        assert (shown[tail], shown[head]) == wiring(weight)
        assert ("grad" in edge.texts[-1].text) is show_grad
    assert not weights  # every weight has its label


# --- fit ----------------------------------------------------------------------------------

def line_data():
    xs = [[i / 10] for i in range(-10, 11)]
    return xs, [2 * x[0] - 0.5 for x in xs]


def test_fit_one_example_at_a_time_matches_a_hand_written_loop():
    xs, ys = line_data()
    a, b = MLP(1, [1], output_activation="linear", seed=4), MLP(1, [1], seed=4)
    fit(a, xs, ys, mse, SGD(a.parameters(), lr=0.05), epochs=3, batch_size=1, shuffle=False,
        progress=False)
    opt = SGD(b.parameters(), lr=0.05)
    for _ in range(3):
        for x, y in zip(xs, ys):
            loss = mse(b(x), [y])
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert a.state_dict() == b.state_dict()


def test_fit_history_and_early_stopping_restores_the_best_weights():
    xs, ys = line_data()
    model = MLP(1, [4, 1], activation="tanh", seed=0)
    val = (xs[::3], [y + 0.3 for y in ys[::3]])  # a shifted validation set: it stops improving
    history = fit(model, xs, ys, mse, Adam(model.parameters(), lr=0.05), epochs=200,
                  batch_size=7, validation=val, patience=5, progress=False)
    assert history.stopped_early and len(history.loss) < 200
    assert len(history.val_loss) == len(history.loss)
    best = min(history.val_loss)
    assert history.val_loss[history.best_epoch] == best
    current = sum(mse(model(x), [y]).data for x, y in zip(*val)) / len(val[0])
    assert current == pytest.approx(best, rel=1e-12)  # the best weights are back
    with pytest.raises(ValueError, match="needs a validation set"):
        fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.1), patience=3)
    with pytest.raises(ValueError, match="21 inputs but 2 targets"):
        fit(model, xs, ys[:2], mse, SGD(model.parameters(), lr=0.1))


# --- saving -------------------------------------------------------------------------------

def test_save_and_load_round_trip_every_bit(tmp_path):
    model = MLP(3, [5, 2], activation="tanh", output_activation="sigmoid", seed=11)
    model.layers[0].neurons[0].w[0].data = 0.1 + 0.2  # a float with no short decimal form
    path = tmp_path / "model.json"
    model.save(path)
    back = MLP.load(path)
    assert back.config == model.config
    assert [p.data.hex() for p in back.parameters()] == [p.data.hex() for p in model.parameters()]
    x = [0.3, -0.7, 1.1]
    assert [v.data for v in back(x)] == [v.data for v in model(x)]
    assert json.loads(path.read_text())["format"] == "chainrule.MLP"


def test_a_crash_mid_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    MLP(2, [2], seed=1).save(path)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [2], seed=2).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary left


def test_bad_files_get_clear_errors(tmp_path):
    good = tmp_path / "good.json"
    MLP(2, [3, 1], seed=0).save(good)
    doc = json.loads(good.read_text())

    def write(name, content):
        p = tmp_path / name
        p.write_text(content if isinstance(content, str) else json.dumps(content))
        return p

    cases = [
        (write("trunc.json", good.read_text()[:50]), "invalid JSON"),
        (write("other.json", {"hello": 1}), "not a chainrule model file"),
        (write("v2.json", dict(doc, version=2)), "unsupported version 2"),
        (write("cfg.json", dict(doc, config={"nin": 2})), "\"config\" must have exactly"),
        (write("act.json", dict(doc, config=dict(doc["config"], activation="swish"))),
         "unknown activation 'swish'"),
    ]
    state = dict(doc["state"])
    state["layers.0.neurons.0.w"] = [1.0, 2.0, 3.0]
    cases.append((write("shape.json", dict(doc, state=state)),
                  "weights do not match the architecture: load_state_dict: "
                  "'layers.0.neurons.0.w' has 2 entries in the model but 3"))
    state = dict(doc["state"])
    del state["layers.1.neurons.0.b"]
    cases.append((write("missing.json", dict(doc, state=state)), "missing keys"))
    (tmp_path / "bytes.json").write_bytes(b"\xff\xfe\x00")
    cases.append((tmp_path / "bytes.json", "not UTF-8"))
    for path, message in cases:
        with pytest.raises(ValueError, match=message):
            load(path)
        with pytest.raises(ValueError, match=str(path.name)):
            load(path)


def test_non_finite_weights_are_refused_not_saved(tmp_path):
    model = MLP(2, [1])
    model.layers[0].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match="'layers.0.neurons.0.b' is not finite"):
        model.save(tmp_path / "m.json")
    assert not list(tmp_path.iterdir())


def test_explain_the_root_itself_and_an_unnamed_intermediate():
    x = Value(0.5, label="x")
    y = (x * 3).tanh()
    y.backward()
    assert "is the root itself: the gradient is 1" in str(explain(y, y))
    inner = y.parents[0]  # x·3, named by its inputs
    e = explain(y, inner)
    assert e.wrt == "x·3" and e.gradient == pytest.approx(1 - math.tanh(1.5) ** 2)
    assert "∂loss/∂(x·3)" in str(e)  # a compound name is parenthesised


def test_explain_is_linear_in_graph_size():
    """A 64,000-node chain explains in about 8 times the time of an 8,000-node one (the old
    explain copied the path at every step: quadratic), and never recurses too deep."""
    import time

    def seconds(n: int) -> float:
        x, a = Value(0.5, label="x"), Value(0.9, label="a")
        y = x
        for _ in range(n // 2):
            y = (y * a).tanh()
        t = time.perf_counter()
        text = str(explain(y, x))
        elapsed = time.perf_counter() - t
        assert "chain too long to write out" in text
        return elapsed

    small, large = min(seconds(8_000) for _ in range(2)), seconds(64_000)
    assert large < 20 * small  # linear: ~8x; quadratic would be ~64x
