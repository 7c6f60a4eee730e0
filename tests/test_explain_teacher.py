"""explain as a teacher writes it: numbers put into each formula, the factored δ form, the
tutorial's factors on a graph built by hand, constants named by their value.

Expected numbers are Matt Mazur's, "A Step by Step Backpropagation Example" (a 2-2-2 sigmoid
network: inputs 0.05, 0.10; targets 0.01, 0.99; w1..w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45,
0.50, 0.55; b1 = 0.35 shared by h1 and h2, b2 = 0.60 shared by o1 and o2), as published
there, and the seed tutorial's (/work/shared/seeds/003), never our own output."""

from __future__ import annotations

import math
import re

import pytest

from autograd import Value, draw_dot, explain
from autograd.core.value import topological_order
from autograd.display.naming import names
from nn import MLP, mse, squared_error
from nn.datasets import seed_003

# Mazur's published numbers
E_TOTAL = 0.298371109
OUT_H1, OUT_O1, OUT_O2 = 0.593269992, 0.75136507, 0.772928465
DE_DW5, DE_DW1 = 0.082167041, 0.000438568
DE_DOUT_O1, DOUT_DNET_O1 = 0.74136507, 0.186815602
DELTA_O1 = 0.138498562
DEO1_DOUT_H1, DEO2_DOUT_H1, DE_DOUT_H1 = 0.055399425, -0.019049119, 0.036350306
DOUT_H1_DNET_H1, DNET_H1_DW1 = 0.241300709, 0.05
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def mazur_nn() -> tuple[Value, dict[str, Value]]:
    """Mazur's network as an nn.MLP, its weights named w1..w8 as the tutorial (nn gives each
    neuron its own bias: b_h1 and b_h2 both hold Mazur's b1)."""
    model = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    model.name_parameters("flat")
    model.load_state_dict({
        "layers.0.neurons.0.w": [0.15, 0.20], "layers.0.neurons.0.b": 0.35,
        "layers.0.neurons.1.w": [0.25, 0.30], "layers.0.neurons.1.b": 0.35,
        "layers.1.neurons.0.w": [0.40, 0.45], "layers.1.neurons.0.b": 0.60,
        "layers.1.neurons.1.w": [0.50, 0.55], "layers.1.neurons.1.b": 0.60})
    error = squared_error(model([0.05, 0.10]), [0.01, 0.99])
    error.label = "E_total"
    error.backward()
    return error, {p.label: p for p in model.parameters()}


def mazur_by_hand(inputs_labelled: bool = True) -> tuple[Value, dict[str, Value]]:
    """Mazur's network written out by hand, only the leaves labelled (b1 and b2 shared)."""
    w = {f"w{k}": Value(v, label=f"w{k}")
         for k, v in enumerate([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55], 1)}
    i1, i2 = ((Value(0.05, label="i1"), Value(0.10, label="i2")) if inputs_labelled
              else (Value(0.05), Value(0.10)))
    b1, b2 = Value(0.35, label="b1"), Value(0.60, label="b2")
    t1, t2 = Value(0.01, label="t_o1"), Value(0.99, label="t_o2")
    h1 = (w["w1"] * i1 + w["w2"] * i2 + b1).sigmoid()
    h2 = (w["w3"] * i1 + w["w4"] * i2 + b1).sigmoid()
    o1 = (w["w5"] * h1 + w["w6"] * h2 + b2).sigmoid()
    o2 = (w["w7"] * h1 + w["w8"] * h2 + b2).sigmoid()
    error = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
    error.backward()
    return error, w


BUILDS = {"nn": mazur_nn, "by hand": mazur_by_hand}


def rows(text: str) -> dict[str, list[str]]:
    """Each line ``∂a/∂b = formula = … = value`` of a text, by its ``∂a/∂b``."""
    out = {}
    for line in text.splitlines():
        parts = [p.strip() for p in line.strip().split(" = ")]
        if parts[0].startswith(("∂", "product")) and len(parts) > 1:
            out.setdefault(parts[0], parts[1:])
    return out


def numbers_in(line: str) -> list[float]:
    """The numbers of a line, after its first ``=`` (the left side holds names)."""
    right = line.split(" = ", 1)[-1]
    return [float(x) for x in NUMBER.findall(right.replace("−", "-"))]


@pytest.mark.parametrize("build", BUILDS)
def test_the_forward_pass_is_mazurs(build):
    error, w = BUILDS[build]()
    assert error.data == pytest.approx(E_TOTAL, abs=1e-9)
    assert w["w5"].grad == pytest.approx(DE_DW5, abs=1e-9)
    assert w["w1"].grad == pytest.approx(DE_DW1, abs=1e-9)


@pytest.mark.parametrize("build", BUILDS)
def test_numbers_are_put_into_each_formula_as_mazur_writes_them(build):
    error, w = BUILDS[build]()
    e = explain(error, w["w5"], numbers=True)
    root = e.root
    target = "0.01" if build == "nn" else "t_o1"
    table = rows(str(e))
    # ∂E/∂out_o1 = −(t_o1 − out_o1) = −(0.01 − 0.75136507) = 0.74136507 (Mazur)
    formula, substituted, value = table[f"∂{root}/∂out_o1"]
    assert formula == f"out_o1 − {target}" and substituted == "0.75136507 − 0.01"
    assert float(value) == pytest.approx(DE_DOUT_O1, abs=1e-9)
    # ∂out_o1/∂net_o1 = out_o1(1 − out_o1) = 0.75136507(1 − 0.75136507) = 0.186815602
    assert table["∂out_o1/∂net_o1"][:2] == ["out_o1·(1 − out_o1)", "0.75136507·(1 − 0.75136507)"]
    assert float(table["∂out_o1/∂net_o1"][2]) == pytest.approx(DOUT_DNET_O1, abs=1e-9)
    # ∂net_o1/∂w5 = out_h1 = 0.593269992: nothing to put in, so no middle
    assert table["∂net_o1/∂w5"][0] == "out_h1"
    assert float(table["∂net_o1/∂w5"][1]) == pytest.approx(OUT_H1, abs=1e-9)
    assert float(table["product"][0]) == pytest.approx(DE_DW5, abs=1e-9)
    # without numbers=True: as before, formula = value
    assert rows(str(explain(error, w["w5"])))["∂out_o1/∂net_o1"][0] == "out_o1·(1 − out_o1)"
    assert len(rows(str(explain(error, w["w5"])))["∂out_o1/∂net_o1"]) == 2


@pytest.mark.parametrize("build", BUILDS)
def test_the_paths_of_a_hidden_weight_come_in_the_order_of_the_outputs(build):
    error, w = BUILDS[build]()
    text = str(explain(error, w["w1"]))
    r = "E_total" if build == "nn" else "loss"
    first = text.index(f"Path 1: {r} → out_o1 → net_o1 → out_h1 → net_h1 → w1")
    assert first < text.index(f"Path 2: {r} → out_o2 → net_o2 → out_h1 → net_h1 → w1")


@pytest.mark.parametrize("build", BUILDS)
def test_the_delta_form_of_w1_factors_the_shared_tail_as_mazur_does(build):
    error, w = BUILDS[build]()
    e = explain(error, w["w1"], style="delta", numbers=True)
    text = str(e)
    r = e.root
    lines = text.splitlines()

    def at(start: str) -> int:
        return next(i for i, ln in enumerate(lines) if ln.strip().startswith(start))

    # each part written once, from the output down: δ_o1, δ_o2, then their sum at out_h1
    top = [at(f"δ_o1 = ∂{r}/∂net_o1 = ∂{r}/∂out_o1 · ∂out_o1/∂net_o1"),
           at(f"δ_o2 = ∂{r}/∂net_o2"),
           at(f"∂{r}/∂out_h1 = δ_o1 · ∂net_o1/∂out_h1 + δ_o2 · ∂net_o2/∂out_h1"),
           at(f"∂{r}/∂w1 = ∂{r}/∂out_h1 · ∂out_h1/∂net_h1 · ∂net_h1/∂w1")]
    assert top == sorted(top)
    assert len(re.findall(f"∂{r}/∂out_o1 +=", text)) == 1  # the shared tail is not repeated
    assert "δ_o1 = 0.74136507 · 0.186815602 = 0.138498562" in text  # Mazur's line
    assert "= δ_o1 · w5 + δ_o2 · w7" in text
    # ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1 = 0.055399425 + −0.019049119 = 0.036350306
    terms = numbers_in(lines[top[2] + 3])
    assert terms == pytest.approx([DEO1_DOUT_H1, DEO2_DOUT_H1, DE_DOUT_H1], abs=2e-9)
    assert numbers_in(lines[top[2] + 2])[0] == pytest.approx(DELTA_O1, abs=1e-9)
    table = rows("\n".join(lines[top[3]:]))
    assert table["∂out_h1/∂net_h1"][1] == "0.593269992·(1 − 0.593269992)"
    assert float(table["∂out_h1/∂net_h1"][2]) == pytest.approx(DOUT_H1_DNET_H1, abs=1e-9)
    assert float(table["∂net_h1/∂w1"][-1]) == pytest.approx(DNET_H1_DW1, abs=1e-12)
    final = numbers_in(lines[top[3] + 3])
    assert final == pytest.approx([DE_DOUT_H1, DOUT_H1_DNET_H1, DNET_H1_DW1, DE_DW1],
                                  abs=2e-9)
    # and in δ form: δ_h1 = ∂E/∂out_h1 · ∂out_h1/∂net_h1, ∂E/∂w1 = δ_h1 · i1
    x = "x1" if build == "nn" else "i1"
    assert f"∂{r}/∂w1 = δ_h1 · ∂net_h1/∂w1 = δ_h1 · {x} = " in text
    delta_h1 = next(ln for ln in lines if "in δ form: δ_h1 = " in ln)
    assert numbers_in(delta_h1)[-1] == pytest.approx(DE_DOUT_H1 * DOUT_H1_DNET_H1, rel=1e-7)
    assert e.gradient == pytest.approx(DE_DW1, abs=1e-9) and "(matches)" in text


def test_the_delta_form_of_an_output_weight_is_one_chain():
    error, w = mazur_nn()
    text = str(explain(error, w["w5"], style="delta"))
    assert "∂E_total/∂w5 = ∂E_total/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5" in text
    assert "∂E_total/∂w5 = δ_o1 · ∂net_o1/∂w5 = δ_o1 · out_h1 = " in text


def test_a_graph_built_by_hand_stops_at_each_activation_and_weighted_sum():
    error, w = mazur_by_hand()
    node = {names(error)[id(v)]: v for v in topological_order(error)}
    for k in ("h1", "h2", "o1", "o2"):
        assert node[f"out_{k}"].op == "sigmoid" and node[f"out_{k}"].parents[0] is node[f"net_{k}"]
    assert [p.label for p in node["net_h1"].parents] == ["", "b1"]  # (w1·i1 + w2·i2) + b1
    e = explain(error, w["w5"])
    assert [(f.upper, f.lower) for f in e.paths[0]] == \
        [("loss", "out_o1"), ("out_o1", "net_o1"), ("net_o1", "w5")]
    assert [f.formula_text() for f in e.paths[0]] == \
        ["out_o1 − t_o1", "out_o1·(1 − out_o1)", "out_h1"]
    # inputs given as unlabelled Values are named by their place, as an MLP's
    error, w = mazur_by_hand(inputs_labelled=False)
    e = explain(error, w["w1"])
    assert e.paths[0][-1].formula_text() == "x1" and e.paths[0][-1].value == 0.05


def test_inputs_given_as_plain_numbers_are_named_by_place_without_primes():
    w = [Value(v, label=f"w{k}") for k, v in enumerate([0.15, 0.20, 0.25, 0.30], 1)]
    b1 = Value(0.35, label="b1")
    h1 = (w[0] * 0.05 + w[1] * 0.10 + b1).sigmoid()  # each float makes a leaf of its own
    h2 = (w[2] * 0.05 + w[3] * 0.10 + b1).sigmoid()
    error = 0.5 * (0.01 - h1) ** 2 + 0.5 * (0.99 - h2) ** 2
    table = names(error)
    leaves = sorted(table[id(v)] for v in topological_order(error) if v.is_leaf and not v.label)
    assert leaves == ["0.01", "0.5", "0.5", "0.99", "x1", "x1", "x2", "x2"]
    e = explain(error, w[2])
    assert [f.formula_text() for f in e.paths[0]][-1] == "x1"


def test_sums_that_are_not_neurons_keep_their_expression():
    x, a = Value(0.85, label="x1"), Value(0.9, label="a")
    y = (x * 2 + 1).tanh()  # a constant bias: no neuron's
    z = (x * a).tanh()  # one product, no bias
    for root, inner in ((y, "x1·2 + 1"), (z, "x1·a")):
        table = names(root)
        assert table[id(root.parents[0])] == inner


def test_several_layers_by_hand_are_numbered_by_layer():
    ws = [Value(0.1 * k, label=f"w{k}") for k in range(1, 6)]
    b = Value(0.1, label="b")
    x = Value(0.5, label="x")
    h1 = (ws[0] * x + b).tanh()
    h2 = (ws[1] * h1 + b).tanh()
    o = ws[2] * h2 + ws[3] * h1 + b  # a linear output reading neurons
    node = {n: v for v, n in ((v, names(o)[id(v)]) for v in topological_order(o))}
    assert node["out_h1_1"] is h1 and node["out_h2_1"] is h2
    assert "net_o1" not in node  # the root keeps its own name
    loss = (o - 1.0) ** 2
    table = names(loss)
    assert table[id(o)] == "net_o1" and table[id(h2.parents[0])] == "net_h2_1"


def test_the_seed_w5_tutorial_with_numbers():
    model, error, w5 = seed_003()
    error.backward()
    table = rows(str(explain(error, w5, numbers=True)))
    formula, substituted, value = table["∂out_o1/∂net_o1"]
    assert formula == "out_o1·(1 − out_o1)"
    assert re.fullmatch(r"0\.733\d+·\(1 − 0\.733\d+\)", substituted)  # o1 = 0.7333
    assert float(value) == pytest.approx(0.1958, abs=5e-4)  # tutorial: 0.1958
    assert table["∂E_total/∂out_o1"][1].endswith(" − 0.6905")
    assert float(table["∂E_total/∂out_o1"][2]) == pytest.approx(0.0428, abs=5e-4)
    assert float(table["∂net_o1/∂w5"][1]) == pytest.approx(0.5854, abs=5e-5)


def test_a_negative_number_is_put_in_in_parentheses():
    x = Value(-0.5, label="x")
    y = (x * Value(1.0, label="w") + Value(0.0, label="b")).tanh()
    y.backward()
    table = rows(str(explain(y, x, numbers=True)))
    out = math.tanh(-0.5)
    formula, substituted, value = table["∂loss/∂net_o1"]
    assert formula == "1 − loss²"
    assert substituted == f"1 − ({out:.9g})²"
    assert float(value) == pytest.approx(1 - out**2, rel=1e-8)


def test_the_delta_form_of_a_weight_used_twice_is_a_sum():
    a = Value(1.5, label="a")
    b = a * 2
    b.label = "b"
    c = a + 1
    c.label = "c"
    d = b * c
    d.label = "d"
    e = explain(d, a, style="delta", numbers=True)
    text = str(e)
    assert "∂d/∂a = ∂d/∂b · ∂b/∂a + ∂d/∂c · ∂c/∂a" in text
    assert e.gradient == 4 * 1.5 + 2  # dd/da = 4a + 2, by hand
    assert "δ" not in text.replace("δ recurrence", "")  # no neurons, no δ
    last = next(ln for ln in text.splitlines() if ln.startswith("  = ") and " = 8" in ln)
    assert numbers_in(last) == [5.0, 3.0, 8.0]  # c·2 = 2.5·2 and b·1 = 3


def test_constants_are_named_by_their_value_never_primed():
    x = Value(0.8, label="x")
    y = x / 1 + (x + 1) / 1  # the constant 1, three times: no 1′ (a derivative to a student)
    table = names(y)
    constants = [table[id(v)] for v in topological_order(y) if v.is_leaf and not v.label]
    assert constants == ["1", "1", "1"]
    assert "′" not in draw_dot(y).source
    model = MLP(2, [2, 2])
    loss = mse(model([0.5, -1.0]), [0.5, 0.5])
    table = names(loss)
    assert all("′" not in table[id(v)] for v in topological_order(loss) if v.is_leaf)


def test_markdown_and_html_carry_the_numbers_and_the_deltas():
    error, w = mazur_nn()
    md = explain(error, w["w1"], style="delta", numbers=True).to_markdown()
    assert ("\\delta_{\\mathrm{o1}} = \\frac{\\partial E_{total}}"
            "{\\partial \\mathrm{net}_{o1}}") in md
    assert "= 0.75136507 \\cdot \\left(1 - 0.75136507\\right) = 0.186815602" in md
    assert "\\left(-0.217071535\\right) \\cdot 0.175510053" in md
    assert "\\delta_{\\mathrm{o1}} \\cdot w_{5} + \\delta_{\\mathrm{o2}} \\cdot w_{7}" in md
    md = explain(error, w["w5"], numbers=True).to_markdown()
    assert "\\mathrm{out}_{o1} - 0.01 = 0.75136507 - 0.01 = 0.74136507" in md
    page = explain(error, w["w5"], numbers=True).to_html()
    assert "<td>0.75136507·(1 − 0.75136507)</td>" in page
    page = explain(error, w["w1"], style="delta", numbers=True).to_html()
    assert "δ_o1 = 0.74136507 · 0.186815602 = 0.138498562" in page


def test_the_delta_form_of_a_deep_network_writes_each_delta_once():
    model = MLP(2, [4, 4, 1], activation="tanh", seed=3)
    loss = squared_error(model([0.5, -1.0]), [0.25])
    loss.backward()
    w = model.layers[0].neurons[1].w[0]
    e = explain(loss, w, style="delta")
    text = str(e)
    assert e.n_paths == 4 and text.count("δ_L3.n1 = ") == 1
    for k in range(1, 5):
        assert text.count(f"δ_L2.n{k} = ∂loss/∂L2.n{k}.net = δ_L3.n1 · ") == 1
    sums = [ln for ln in e.lines if ln.terms]
    assert [s.node for s in sums] == ["L1.n2.out"]
    assert sums[0].value == pytest.approx(sum(g * f.value for _, g, f in sums[0].terms))
    assert e.lines[-1].value == pytest.approx(w.grad, rel=1e-12)
