"""Levels of detail: draw_dot's neuron and layer views, draw_network at scale, the signed
colour scale, and the size of every picture of MLP(2, [16, 16, 1]) fitted to a window.

Expected numbers: PyTorch (the same network, its z.grad), Matt Mazur's "A Step by Step
Backpropagation Example" (published to 9 digits: δ_o1 = 0.74136507 · 0.186815602,
δ_h1 = 0.036350306 · 0.241300709), the recurrence δ = (Wᵀδ) ⊙ f′(z) worked by hand from
the weights, and ColorBrewer's RdBu palette for the colours.
"""

from __future__ import annotations

import re

import pytest

from autograd import Value, draw_dot
from autograd.core.value import topological_order
from autograd.display.colours import Scale
from autograd.display.neurons import NeuronGraph
from nn import MLP, draw_network, hinge

from support import need, need_dot, svg_shapes

WINDOW = (1400, 900)  # px
PX_PER_PT = 96 / 72  # Graphviz writes points; a browser draws 4/3 px per point


def fitted(svg: bytes) -> tuple[float, float, float]:
    """(width, height) in px at 100 %, and the smallest text's height in px once the
    picture is scaled down to fit WINDOW (never up)."""
    text = svg.decode()
    w, h = (float(n) for n in re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"',
                                        text).groups())
    smallest = min(float(s) for s in re.findall(r'font-size="([\d.]+)"', text))
    width, height = w * PX_PER_PT, h * PX_PER_PT
    scale = min(WINDOW[0] / width, WINDOW[1] / height, 1.0)
    return width, height, smallest * PX_PER_PT * scale


def moons_net() -> tuple[MLP, Value]:
    """The learner's MLP(2, [16, 16, 1]) on one example with a hinge loss, after backward."""
    model = MLP(2, [16, 16, 1], seed=0)
    loss = hinge(model([0.5, -1.0]), [1.0])
    loss.backward()
    return model, loss


def mazur() -> tuple[MLP, Value]:
    model = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    model.layers[0].set_weights([[0.35, 0.15, 0.20], [0.35, 0.25, 0.30]])
    model.layers[1].set_weights([[0.60, 0.40, 0.45], [0.60, 0.50, 0.55]])
    out = model([0.05, 0.10])
    loss = 0.5 * (0.01 - out[0]) ** 2 + 0.5 * (0.99 - out[1]) ** 2
    loss.backward()
    return model, loss


def shown_deltas(svg: bytes) -> dict[str, float]:
    """Node id -> the δ its text shows, in a rendered neuron view."""
    out = {}
    for node in svg_shapes(svg, "node"):
        for t in node.texts:
            if t.text.startswith("δ "):
                out[node.title] = float(t.text[2:])
    return out


# --- the neuron view -----------------------------------------------------------------------
def test_neuron_view_shows_the_deltas_pytorch_computes():
    torch = need("torch")
    need_dot()
    model, loss = moons_net()
    svg = draw_dot(loss, view="neurons").pipe(format="svg")
    shown = shown_deltas(svg)
    # the same network in PyTorch: δ⁽ˡ⁾ = ∂loss/∂z⁽ˡ⁾
    a = torch.tensor([0.5, -1.0], dtype=torch.float64)
    zs = []
    for k, layer in enumerate(model.layers):
        w = torch.tensor([[x.data for x in n.w] for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        z = w @ a + b
        z.retain_grad()
        zs.append(z)
        a = torch.relu(z) if k < len(model.layers) - 1 else z
    torch.relu(1 - 1.0 * a[0]).backward()
    assert len(shown) == 16 + 16 + 1
    for k, z in enumerate(zs):
        for i, expected in enumerate(z.grad.tolist()):
            got = shown[f"L{k + 1}N{i}"]
            assert got == pytest.approx(expected, rel=5e-4, abs=1e-12), (k, i)
    g = NeuronGraph(loss)  # and they are the engine's net.grad
    for n in g.neurons:
        assert shown[f"L{n.layer}N{n.index}"] == pytest.approx(n.net.grad, rel=5e-4)


def test_neuron_view_of_mazurs_network_shows_the_published_numbers():
    need_dot()
    model, loss = mazur()
    svg = draw_dot(loss, view="neurons").pipe(format="svg")
    shown = shown_deltas(svg)
    assert shown["L2N0"] == pytest.approx(0.74136507 * 0.186815602, rel=5e-4)  # δ_o1
    assert shown["L1N0"] == pytest.approx(0.036350306 * 0.241300709, rel=5e-4)  # δ_h1
    texts = {t.text for node in svg_shapes(svg, "node") for t in node.texts}
    assert "out 0.7514" in texts and "out 0.5933" in texts  # out_o1, out_h1
    # 8 weights: each labelled on its own edge; the constants of the loss named by value
    edges = [t.text for e in svg_shapes(svg, "edge") for t in e.texts]
    for label in ("L2.n1.w1 = 0.4", "L1.n1.w1 = 0.15", "L1.n2.w2 = 0.3"):
        assert label in edges
    assert any("0.01 − L2.n1.out" in t for t in texts)


def test_neuron_view_marks_dead_relus_and_colours_each_edge_by_its_weights_sign():
    model, loss = moons_net()
    src = draw_dot(loss, view="neurons").source
    g = NeuronGraph(loss)
    for n in g.neurons:
        line = next(ln for ln in src.splitlines() if ln.strip().startswith(
            f"L{n.layer}N{n.index} [label="))
        assert ("(dead)" in line) == (n.activation == "relu" and n.out.data == 0.0), n.name
    w = model.layers[1].neurons[0].w[0]  # L1.n1 → L2.n1
    edge = next(ln for ln in src.splitlines() if ln.strip().startswith("L1N0 -> L2N0"))
    scale = Scale([v.data for n in g.neurons for v in n.weights])
    assert f'color="{scale.colour(w.data)}"' in edge
    assert scale.colour(w.data) in (("#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0")
                                    if w.data < 0 else
                                    ("#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7"))
    assert "label=" not in edge  # 290 weights: no labels unless asked
    assert "L1.n1.w1 = " in draw_dot(loss, view="neurons", edge_labels=True).source


# --- the layer view ------------------------------------------------------------------------
ROW = re.compile(r"<tr><td>(\d+)(?: dead| sat\.)?</td><td>([^<]*)</td><td>([^<]*)</td>"
                 r"<td>([^<]*)</td><td>([^<]*)</td><td[^>]*><font[^>]*>([^<]*)</font>")


def layer_rows(src: str, layer: int) -> list[tuple[float, ...]]:
    """(z, a, ∂loss/∂a, f′(z), δ) of each row of a layer's table in the DOT source."""
    line = next(ln for ln in src.splitlines() if ln.strip().startswith(f"L{layer} [label="))
    return [tuple(float(x) for x in m.groups()[1:]) for m in ROW.finditer(line)]


def test_layer_view_rows_obey_the_recurrence_worked_by_hand():
    model, loss = moons_net()
    src = draw_dot(loss, view="layers").source
    rows = [layer_rows(src, k) for k in (1, 2, 3)]
    assert [len(r) for r in rows] == [16, 16, 1]
    assert "δ⁽¹⁾ = (W⁽²⁾)ᵀδ⁽²⁾ ⊙ f′(z⁽¹⁾)" in src and "δ⁽³⁾ = ∂loss/∂a⁽³⁾ ⊙ f′(z⁽³⁾)" in src
    # loss = relu(1 − out): ∂loss/∂a⁽³⁾ = −1 where 1 − out > 0
    assert rows[2][0][2] == -1.0 and rows[2][0][4] == -1.0
    for k in (0, 1):
        above = model.layers[k + 1].neurons
        for i, (z, a, da, fprime, delta) in enumerate(rows[k]):
            back = sum(n.w[i].data * rows[k + 1][j][4] for j, n in enumerate(above))
            assert da == pytest.approx(back, rel=2e-3, abs=1e-4), (k, i)
            assert fprime == (1.0 if z > 0 else 0.0)  # relu′
            assert a == max(z, 0.0)
            assert delta == pytest.approx(da * fprime, rel=1e-3, abs=1e-12)


def test_layer_view_of_mazurs_network_shows_the_published_numbers():
    model, loss = mazur()
    src = draw_dot(loss, view="layers").source
    (h1, h2), (o1, o2) = layer_rows(src, 1), layer_rows(src, 2)
    assert o1[1] == pytest.approx(0.75136507, abs=5e-5)  # out_o1
    assert o1[2] == pytest.approx(0.74136507, rel=5e-4)  # ∂E/∂out_o1
    assert o1[3] == pytest.approx(0.186815602, rel=5e-4)  # ∂out_o1/∂net_o1
    assert h1[2] == pytest.approx(0.036350306, rel=5e-4)  # ∂E_total/∂out_h1
    assert h1[3] == pytest.approx(0.241300709, rel=5e-4)  # ∂out_h1/∂net_h1
    assert h2[1] == pytest.approx(0.596884378, abs=5e-5)  # out_h2
    assert o2[1] == pytest.approx(0.772928465, abs=5e-5)  # out_o2
    assert o2[2] == pytest.approx(-(0.99 - 0.772928465), rel=5e-4)  # ∂E/∂out_o2


def test_a_layer_wider_than_sixteen_is_cut_with_a_row_that_says_how_many():
    model = MLP(2, [20, 1], seed=1)
    loss = hinge(model([0.3, 0.2]), [1.0])
    loss.backward()
    src = draw_dot(loss, view="layers").source
    assert len(layer_rows(src, 1)) == 14 and "⋮ (6 more)" in src


# --- which view ----------------------------------------------------------------------------
def test_view_none_picks_neurons_for_a_big_network_and_values_otherwise():
    from nn.datasets import seed_003

    model, loss = moons_net()
    assert "neuron view of a 2-16-16-1 network" in draw_dot(loss).source
    assert "neuron view" not in draw_dot(loss, view="values", max_nodes=5000).source
    assert "neuron view" not in draw_dot(loss, depth=2).source  # a value view's option
    assert "neuron view" not in draw_dot(loss, clusters=model, max_nodes=5000).source
    _, error, _ = seed_003()  # Mazur-sized: 31 Values, the value view
    error.backward()
    assert len(topological_order(error)) <= 48 and "view of" not in draw_dot(error).source
    x = Value(1.0, label="x")
    y = x
    for _ in range(60):  # a long graph without neurons: the value view
        y = y * 1.01
    assert "view of" not in draw_dot(y).source
    with pytest.raises(ValueError, match="needs a graph with neurons"):
        draw_dot(y, view="layers")


def test_a_network_too_large_for_the_value_view_points_to_the_neuron_view():
    from autograd import GraphTooLargeError

    _, loss = moons_net()
    with pytest.raises(GraphTooLargeError, match=r"max_nodes=\d+.*view='neurons'"):
        draw_dot(loss, view="values", max_nodes=100)


# --- the signed colour scale ---------------------------------------------------------------
def test_the_grad_colours_are_signed_and_a_decade_apart():
    s = Scale([3.0, 0.08, -0.08, 0.0])
    # ColorBrewer RdBu, 11 classes: red for positive, blue for negative, white at 0
    assert s.colour(3.0) == "#67001f" and s.colour(-3.0) == "#053061"
    assert s.colour(0.08) == "#d6604d" and s.colour(-0.08) == "#4393c3"  # 2 decades down
    assert s.colour(0.0) == "#f7f7f7" and s.colour(1e-9) == "#f7f7f7"
    assert s.step(3.0) == 1 and s.step(0.9) == 2 and s.step(0.08) == 3 and s.step(0) == 0
    assert "each step ×10" in s.legend_html() and "1–10" in s.legend_html()


def test_draw_dot_colours_each_box_by_its_signed_grad():
    a, b, c = Value(1.5, label="a"), Value(2.0, label="b"), Value(1.0, label="c")
    y = a * 3.0 + b * 0.08 - c * 0.08  # ∂y/∂a = 3, ∂y/∂b = 0.08, ∂y/∂c = -0.08
    y.label = "y"
    y.backward()
    src = draw_dot(y, color_by_grad=True).source

    def fill(name: str) -> str:
        line = next(ln for ln in src.splitlines() if f"<td>{name}</td>" in ln)
        return re.search(r'fillcolor="(#\w+)"', line).group(1)

    assert fill("a") == "#67001f" and fill("y") == "#67001f"  # 3 and 1: in [1, 10)
    assert fill("b") == "#d6604d" and fill("c") == "#4393c3"  # ±0.08: two decades down
    assert "each step ×10" in src


# --- draw_network at scale -----------------------------------------------------------------
def test_draw_network_at_scale_draws_no_labels_unless_asked_and_marks_dead_neurons():
    model, _ = moons_net()
    src = draw_network(model).source
    assert "headlabel" not in src and src.count(" -> ") == 2 * 16 + 16 * 16 + 16
    assert draw_network(model, labels=True).source.count("headlabel") == 2 * 16 + 16 * 16 + 16
    small = MLP(2, [3, 1], seed=0)
    assert draw_network(small).source.count("headlabel") == 2 * 3 + 3
    assert draw_network(small, labels=False).source.count("headlabel") == 0
    # dead: a ReLU at 0 on every example given
    layer = model.layers[0].neurons[0]
    layer.set_weights([-5.0, 0.1, 0.1])  # b = -5: net < 0 for these inputs
    src = draw_network(model, examples=[[0.5, -1.0], [1.0, 1.0]]).source
    line = next(ln for ln in src.splitlines() if ln.strip().startswith("L0N0 "))
    assert "dead" in line and "gray80" in line and "ReLU at 0 on every example" in src


def test_draw_network_marks_saturated_tanh_neurons():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    model.layers[0].neurons[1].set_weights([4.0, 2.0, 2.0])  # tanh(≥ 4) > 0.999
    src = draw_network(model, examples=[[0.5, 0.5], [1.0, 0.0]]).source
    line = next(ln for ln in src.splitlines() if ln.strip().startswith("L0N1 "))
    assert "saturated" in line and "saturated" in src.split("legend", 1)[1]
    assert "saturated" not in next(ln for ln in src.splitlines()
                                   if ln.strip().startswith("L0N0 "))


def test_draw_network_colours_edges_by_weight_or_by_gradient():
    model, _ = moons_net()
    w = model.layers[2].neurons[0].w[0]
    by_weight = draw_network(model).source
    by_grad = draw_network(model, color_by="grad").source

    def colour(src: str) -> str:
        line = next(ln for ln in src.splitlines() if ln.strip().startswith("L1N0 -> L2N0"))
        return re.search(r'color="(#\w{6})', line).group(1)

    assert colour(by_weight) == Scale([w.data]).colour(w.data)
    assert colour(by_grad) == Scale([w.grad]).colour(w.grad)
    assert "∂loss/∂w" in by_grad and "layer 2: 16 × relu" in draw_network(
        model, view="layers").source


# --- every view fits a lecture window --------------------------------------------------------
@pytest.mark.parametrize("picture", ["neurons", "layers", "network", "network grad",
                                     "network layers"])
def test_every_view_of_the_moons_network_fits_1400_by_900_with_10px_text(picture):
    need_dot()
    model, loss = moons_net()
    graph = {
        "neurons": lambda: draw_dot(loss),  # the default for this network
        "layers": lambda: draw_dot(loss, view="layers"),
        "network": lambda: draw_network(model, examples=[[0.5, -1.0]]),
        "network grad": lambda: draw_network(model, color_by="grad"),
        "network layers": lambda: draw_network(model, view="layers"),
    }[picture]()
    width, height, text = fitted(graph.pipe(format="svg"))
    assert text >= 10.0, (picture, width, height, text)


def test_the_value_view_of_the_moons_network_cannot_fit_and_says_so_by_its_size():
    """Documented, not hidden: ~400 boxes cannot be read at 1400 × 900 (text < 2 px)."""
    need_dot()
    model, loss = moons_net()
    width, height, text = fitted(draw_dot(loss, view="values").pipe(format="svg"))
    assert text < 10.0 and max(width, height) > 5000
