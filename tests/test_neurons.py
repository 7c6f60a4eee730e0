"""The neuron-level model read back from a graph (autograd/display/neurons.py).

Expected numbers are Matt Mazur's "A Step by Step Backpropagation Example" (a 2-2-2
sigmoid network), published to 9 digits: δ_o1 = ∂E/∂net_o1 = 0.74136507 · 0.186815602,
δ_h1 = ∂E_total/∂out_h1 · ∂out_h1/∂net_h1 = 0.036350306 · 0.241300709.
"""

from __future__ import annotations

import pytest

from autograd import Value
from autograd.display.neurons import NeuronGraph
from nn import MLP


def mazur() -> tuple[MLP, Value]:
    model = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    model.layers[0].set_weights([[0.35, 0.15, 0.20], [0.35, 0.25, 0.30]])
    model.layers[1].set_weights([[0.60, 0.40, 0.45], [0.60, 0.50, 0.55]])
    out = model([0.05, 0.10])
    loss = 0.5 * (0.01 - out[0]) ** 2 + 0.5 * (0.99 - out[1]) ** 2
    loss.backward()
    return model, loss


def test_mazur_layers_names_and_published_numbers() -> None:
    model, loss = mazur()
    g = NeuronGraph(loss)
    assert g.found and g.examples == 1
    assert [[n.name for n in layer] for layer in g.layers] == [["L1.n1", "L1.n2"],
                                                               ["L2.n1", "L2.n2"]]
    h1, o1 = g.layers[0][0], g.layers[1][0]
    assert h1.activation == "sigmoid" and h1.layer == 1 and o1.layer == 2
    assert h1.data == pytest.approx(0.593269992, abs=1e-9)      # out_h1
    assert o1.data == pytest.approx(0.75136507, abs=1e-8)       # out_o1
    assert o1.grad == pytest.approx(0.74136507, abs=1e-8)       # ∂E/∂out_o1
    assert o1.delta == pytest.approx(0.74136507 * 0.186815602, abs=1e-9)
    assert h1.grad == pytest.approx(0.036350306, abs=1e-9)      # ∂E_total/∂out_h1
    assert h1.delta == pytest.approx(0.036350306 * 0.241300709, abs=1e-9)
    assert [w.data for w in o1.weights] == [0.40, 0.45]
    assert o1.sources == (h1.out, g.layers[0][1].out)
    assert [x.data for x in g.inputs] == [0.05, 0.10]
    assert g.of(o1.net) is o1 and g.of(o1.out) is o1 and g.of(loss) is None


def test_a_batch_is_one_network_per_example_and_shows_the_chosen_one() -> None:
    model = MLP(2, [16, 16, 1])
    xs = [[0.1 * i, -0.2 * i] for i in range(1, 4)]
    loss = sum((model(x)[0] - 1.0) ** 2 for x in xs)
    assert isinstance(loss, Value)
    g = NeuronGraph(loss, example=2)
    assert g.examples == 3
    assert [len(layer) for layer in g.layers] == [16, 16, 1]
    assert [x.data for x in g.inputs] == pytest.approx(xs[2])
    last = g.layers[2][0]
    assert last.activation == "" and last.out is last.net  # a linear output neuron
    with pytest.raises(ValueError, match="example must be in"):
        NeuronGraph(loss, example=3)


def test_a_graph_without_neurons_has_none() -> None:
    a = Value(2.0, label="a")
    g = NeuronGraph(a * a + 1.0)
    assert not g.found and g.layers == [] and g.inputs == [] and g.examples == 0
