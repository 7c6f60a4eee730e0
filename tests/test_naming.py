"""autograd.display.naming: every node of a model gets a readable, unique name with no labelling."""

from __future__ import annotations

import pytest

from autograd import Value, detect_anomaly, draw_dot, explain
from autograd.core.value import topological_order
from autograd.display.naming import names
from nn import MLP, Layer, Neuron, mse, squared_error
from nn.datasets import seed_003


def named(root: Value) -> dict[str, Value]:
    table = names(root)
    return {table[id(v)]: v for v in topological_order(root)}


def test_an_mlp_labels_its_parameters_by_place():
    model = MLP(2, [3, 1])
    assert [p.label for p in model.layers[0].neurons[1].parameters()] == \
        ["L1.n2.w1", "L1.n2.w2", "L1.n2.b"]
    assert [p.label for p in model.layers[1].neurons[0].parameters()] == \
        ["L2.n1.w1", "L2.n1.w2", "L2.n1.w3", "L2.n1.b"]
    assert [p.label for p in Neuron(2).parameters()] == ["w1", "w2", "b"]
    assert [p.label for p in Layer(1, 2).parameters()] == ["n1.w1", "n1.b", "n2.w1", "n2.b"]


def test_flat_names_number_the_weights_across_the_model_as_the_tutorial():
    model = MLP(2, [2, 2], activation="sigmoid").name_parameters("flat")
    h1, h2 = model.layers[0].neurons
    o1, o2 = model.layers[1].neurons
    assert [w.label for w in h1.w + h2.w + o1.w + o2.w] == [f"w{i}" for i in range(1, 9)]
    assert [n.b.label for n in (h1, h2, o1, o2)] == ["b_h1", "b_h2", "b_o1", "b_o2"]
    with pytest.raises(ValueError, match="style"):
        model.name_parameters("tutorial")


def test_every_node_of_an_unlabelled_model_gets_a_name_by_its_place():
    model = MLP(2, [3, 1], activation="tanh")
    loss = squared_error(model([0.5, -1.0]), [0.25])
    node = named(loss)
    for name in ("x1", "x2", "L1.n2.net", "L1.n2.out", "L2.n1.net", "loss", "L1.n3.w2"):
        assert name in node, name
    assert node["L1.n2.out"].op == "tanh" and node["L1.n2.out"].parents[0] is node["L1.n2.net"]
    assert node["x1"].data == 0.5 and node["x2"].data == -1.0
    # the loss ½ Σ (t − o)²: each intermediate by a short expression of its neighbours
    assert node["0.25 − L2.n1.net"].op == "-"
    assert node["(0.25 − L2.n1.net)²"].op == "**2"
    assert node["0.5"].is_leaf  # a constant shows its value
    assert not any("#" in n or "[" in n for n in node)  # no op-and-counter names


def test_names_are_unique_but_constants_keep_their_value_and_the_graph_is_unchanged():
    a = Value(3.0)
    y = a * 2 + a * 2  # two constants 2, two products 3·2 (an unlabelled leaf shows its value)
    table = names(y)
    assert len(table) == len(topological_order(y)) == 6
    # a constant is named by its value, repeated as it is (2′ would read as a derivative)
    assert sorted(table.values()) == sorted(["3", "2", "3·2", "2", "3·2′", "loss"])
    assert a.label == ""  # names are derived for display, never stored on the nodes


def test_names_accept_a_topological_order_and_labels_win():
    x = Value(1.0, label="input")
    y = (x * 3).tanh()
    y.label = "y"
    order = topological_order(y)
    assert names(order) == names(y)
    assert names(y)[id(x)] == "input" and names(y)[id(y)] == "y"
    assert names(y)[id(order[2])] == "input·3"


def test_tutorial_labels_name_the_nets_and_outs_of_seed_003():
    model, error, w5 = seed_003()
    node = named(error)
    for name in ("w5", "net_o1", "out_o1", "out_h2", "x1", "E_total"):
        assert name in node
    # seed_003 labels no hidden net: it is named from its bias b_h1, as the tutorial does
    assert node["net_h1"].op == "dot" and node["net_h1"].parents[0].label == "b_h1"
    flat = MLP(2, [2, 1], activation="sigmoid").name_parameters("flat")
    node = named(squared_error(flat([0.1, 0.2]), [0.0]))
    assert {"net_h2", "out_h2", "net_o1", "w6", "b_o1"} <= set(node)


def test_floats_passed_to_a_model_appear_once_in_the_graph():
    model = MLP(2, [4, 4, 1])
    loss = mse(model([0.5, -1.0]), [1.0])
    inputs = [v for v in topological_order(loss) if v.is_leaf and v.data in (0.5, -1.0)
              and not v.label]
    assert sorted(v.data for v in inputs) == [-1.0, 0.5]  # one node each, not one per neuron
    assert {names(loss)[id(v)] for v in inputs} == {"x1", "x2"}


def test_error_messages_name_the_parameter_by_place():
    model = MLP(1, [1], output_activation="linear")
    model.layers[0].neurons[0].w[0].data = 1e308
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"L1\.n1\.w1=1e\+308"):
        model([10.0])  # 1e308 · 10 overflows to inf


def test_the_same_names_in_explain_and_draw_dot():
    model = MLP(2, [3, 1])
    loss = mse(model([0.5, -1.0]), [1.0])
    loss.backward()
    w = model.layers[0].neurons[1].w[0]
    text = str(explain(loss, w))
    assert "loss → L2.n1.net → L1.n2.out → L1.n2.net → L1.n2.w1" in text
    src = draw_dot(loss).source
    for name in ("L1.n2.w1", "L1.n2.net", "L1.n2.out", "x1", "loss"):
        assert f"<td>{name}</td>" in src, name
