"""The LaTeX that formulas and explanations give renders without error in KaTeX and in
MathJax, both run for real by Node.js (tests/js: ``npm install`` there, as .ci/run does)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from autograd import Value, explain
from autograd.core.value import topological_order
from autograd.rules.ops import all_ops
from nn import MLP, mse, squared_error
from nn.datasets import seed_003

from support import missing, need

JS = Path(__file__).parent / "js"
MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


def render_errors(texts: list[str]) -> list[tuple[str, str]]:
    """(tex, error) for each string that KaTeX or MathJax refuses."""
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "katex").is_dir() \
            or not (JS / "node_modules" / "mathjax-full").is_dir():
        missing("Node.js with katex and mathjax-full",
                "cd tests/js && npm install --no-audit --no-fund (as .ci/run does)")
    run = subprocess.run([node, str(JS / "check_tex.js")], input=json.dumps(texts),
                         capture_output=True, text=True, timeout=300, check=True)
    return [(t, e) for t, e in zip(texts, json.loads(run.stdout)) if e is not None]


def math_of(markdown: str) -> list[str]:
    return [a or b for a, b in MATH.findall(markdown)]


def test_the_checker_catches_bad_latex():
    bad = render_errors(["\\frac{a}{b}", "\\frac{a}{", "\\undefinedmacro x"])
    assert [t for t, _ in bad] == ["\\frac{a}{", "\\undefinedmacro x"]


def test_every_op_formula_renders():
    texts = []
    for op in all_ops():
        n = len(op.formulas())
        names = ["L1.n2.w1", "x1", "out_o1", "E_total", "b", "t − L2.n1.out"][:n]
        names += [f"w{i}" for i in range(len(names), n)]
        for formula in op.formulas() + op.formulas("L1.n2.out", names):
            texts.append(formula.tex())
    assert len(texts) > 2 * len(all_ops())
    assert render_errors(texts) == []


def test_explanations_render():
    model, error, w5 = seed_003()
    error.backward()
    texts = math_of(explain(error, w5).to_markdown())
    mlp = MLP(2, [3, 3, 1], activation="tanh")
    loss = squared_error(mlp([0.5, -1.0]), [0.25])
    loss.backward()
    for w in (mlp.layers[0].neurons[0].w[0], mlp.layers[2].neurons[0].b):
        texts += math_of(explain(loss, w).to_markdown())
        texts += math_of(explain(loss, w, max_paths=1).to_markdown())
    odd = Value(2.0, label="a_b^c{d}%#&~\\")
    y = (odd * 3).tanh()
    y.backward()
    texts += math_of(explain(y, odd).to_markdown())
    assert any("aligned" in t for t in texts) and any("\\sum_c" in t for t in texts)
    assert render_errors(texts) == []


def test_teacher_explanations_render():
    """numbers=True and style="delta": numbers put in (negative ones in parentheses), δ."""
    model, error, w5 = seed_003()
    error.backward()
    texts = []
    for w in model.parameters():
        for style in ("chain", "delta"):
            texts += math_of(explain(error, w, numbers=True, style=style).to_markdown())
    mlp = MLP(2, [3, 3, 1], activation="tanh")
    loss = squared_error(mlp([0.5, -1.0]), [0.25])
    loss.backward()
    for w in (mlp.layers[0].neurons[0].w[0], mlp.layers[1].neurons[2].b):
        texts += math_of(explain(loss, w, numbers=True, style="delta").to_markdown())
    assert any("\\delta_{" in t for t in texts) and any("\\left(-" in t for t in texts)
    assert render_errors(texts) == []


def test_explanations_of_random_graphs_render():
    need("hypothesis")
    from hypothesis import HealthCheck, given, settings

    from autograd.testing import OPS, expressions

    texts: list[str] = []

    @settings(max_examples=40, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(expressions(ops=tuple(OPS), max_depth=3))
    def collect(expr):
        xs = [Value(x) for x in expr.inputs]
        root = expr(*xs)
        for x in xs:
            texts.extend(math_of(explain(root, x, max_paths=3).to_markdown()))
            texts.extend(math_of(explain(root, x, numbers=True, style="delta").to_markdown()))
        inner = topological_order(root)[len(topological_order(root)) // 2]
        texts.extend(math_of(explain(root, inner).to_markdown()))

    collect()
    assert len(texts) > 40
    assert render_errors(texts) == []


def test_mse_explanation_renders_with_numbers_in_scientific_form():
    mlp = MLP(1, [1], output_activation="linear")
    loss = mse(mlp([1e-7]), [0.0])
    loss.backward()
    md = explain(loss, mlp.layers[0].neurons[0].w[0]).to_markdown()
    assert "\\times 10^{-" in md
    assert render_errors(math_of(md)) == []
