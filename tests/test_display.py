"""Rich displays for notebooks: Value, MLP, History and explanations; fit's progress bar."""

from __future__ import annotations

import importlib.util
import math
import warnings
import xml.dom.minidom

import pytest

from autograd import Value, explain
from nn import MLP, SGD, fit, mse
from nn.train import History, loss_svg

from support import need_dot


def test_value_html_shows_name_data_grad_op_and_its_neighbourhood():
    need_dot()
    x = Value(0.5, label="x")
    y = (x * 3).tanh()
    y.label = "y"
    y.backward()
    page = y._repr_html_()
    assert "<th style=\"text-align:left\">op</th><td>tanh</td>" in page
    assert "<td>y</td>" in page and "<td>0.9051</td>" in page  # tanh(1.5) = 0.905148
    assert "<svg" in page and "x·3" in page  # the drawing, two steps down
    xml.dom.minidom.parseString(page[page.index("<svg"):page.rindex("</svg>") + 6])


def test_an_mlp_displays_as_its_network():
    need_dot()
    svg = MLP(2, [3, 1])._repr_svg_()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "L1.n3" in svg and "L2.n1" in svg and "x2" in svg


def test_history_draws_its_loss_curve():
    svg = History(loss=[1.0, 0.1, 0.01])._repr_svg_()
    xml.dom.minidom.parseString(svg)
    assert svg.count("<polyline") == 1 and "(log scale)" in svg
    # log scale: 0.1 sits half way between 1 and 0.01, vertically, and half way across
    points = svg.split('points="')[1].split('"')[0].split()
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[1] - ys[0] == pytest.approx(ys[2] - ys[1], abs=0.11)
    two = loss_svg([3.0, 2.0], [2.5, -1.0])  # a negative loss: a linear scale
    assert two.count("<polyline") == 2 and "log scale" not in two
    assert "no epochs" in loss_svg([])


def test_explanation_displays_as_markdown_and_html_with_the_same_numbers():
    a = Value(1.5, label="a")
    b = a * a
    b.label = "b"
    b.backward()
    e = explain(b, a)
    text, md, page = str(e), e._repr_markdown_(), e._repr_html_()
    assert repr(e) == text
    # db/da = 2a = 3: the two routes b → a (each input of a·a) fold into one factor a + a
    for content in ("a + a", "= 3", "2 paths", "matches"):
        assert content in text and content in md and content in page, content
    assert text.count("Path 1") == md.count("**Path 1") == page.count("Path 1") == 1


def test_fit_uses_the_plain_tqdm_bar_without_ipywidgets(monkeypatch, capsys):
    tqdm = pytest.importorskip("tqdm")  # the plots extra
    assert tqdm
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    model = MLP(1, [1], output_activation="linear")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a TqdmWarning would fail here
        fit(model, [[0.0], [1.0]], [0.0, 1.0], mse, SGD(model.parameters(), lr=0.1),
            epochs=3)
    assert "3/3" in capsys.readouterr().err
    assert math.isfinite(model.parameters()[0].data)
