"""The API reference cannot drift from the code: its op table is what
``docs/reference/op_table.py`` prints from the rules, it names every public name of
``autograd`` and ``nn``, and keeps the internals on their own page; the release number and
the type marker ship as pyproject.toml says."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import autograd
import nn
from autograd.rules.ops import FAMILIES, OPS, Op

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
AUTOGRAD_PAGE = (REFERENCE / "autograd.md").read_text(encoding="utf-8")
NN_PAGE = (REFERENCE / "nn.md").read_text(encoding="utf-8")
INTERNALS_PAGE = (REFERENCE / "internals.md").read_text(encoding="utf-8")


def _op_table_module():
    spec = importlib.util.spec_from_file_location("op_table", REFERENCE / "op_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OP_TABLE = _op_table_module()


def _table_in_page() -> str:
    start = AUTOGRAD_PAGE.index(OP_TABLE.BEGIN)
    end = AUTOGRAD_PAGE.index(OP_TABLE.END) + len(OP_TABLE.END)
    return AUTOGRAD_PAGE[start:end] + "\n"


def test_the_op_table_is_what_the_script_prints():
    assert _table_in_page() == OP_TABLE.table(), (
        "docs/reference/autograd.md's op table is out of date: run "
        "./run docs/reference/op_table.py and paste its output between the markers")


@pytest.mark.parametrize("op", [*OPS.values(), *(f(f.examples[0]) for f in FAMILIES.values())],
                         ids=lambda op: op.name)
def test_every_op_has_a_row_with_the_formulas_of_its_rule(op: Op):
    rows = [line for line in _table_in_page().splitlines() if line.startswith("| ")]
    formulas = [str(f) for f in op.formulas()]
    matching = [row for row in rows if all(f in row for f in formulas)
                and f"`{OP_TABLE.forward(op)}`" in row]
    assert matching, f"no row of the op table shows {op.name!r} with {formulas}"


def test_every_op_method_of_value_is_in_the_table():
    methods = {op.method for op in OPS.values() if op.method}
    methods |= {f.method for f in FAMILIES.values() if f.method}
    for method in methods:
        assert hasattr(autograd.Value, method)
        assert f"`x.{method}(" in _table_in_page(), method


def _documented(page: str) -> set[str]:
    """The names a page renders (``::: a.b.name``) or mentions in backticks."""
    rendered = {m.rsplit(".", 1)[-1] for m in re.findall(r"^::: ([\w.]+)", page, re.M)}
    mentioned = set(re.findall(r"`(?:\w+\.)*(\w+)", page))
    return rendered | mentioned


def test_the_autograd_page_names_every_public_name():
    public = {*autograd.__all__, *autograd._LAZY, "sum", "max", "min", "compile"}
    missing = public - _documented(AUTOGRAD_PAGE)
    assert not missing, f"docs/reference/autograd.md does not list {sorted(missing)}"


def test_the_nn_page_names_every_public_name():
    missing = set(nn.__all__) - _documented(NN_PAGE)
    assert not missing, f"docs/reference/nn.md does not list {sorted(missing)}"


def test_internals_live_on_the_contributors_page():
    for module in ("autograd.rules.maths", "autograd.rules.symbolic", "autograd.core.backward"):
        assert f"::: {module}\n" not in AUTOGRAD_PAGE
        assert f"::: {module}\n" in INTERNALS_PAGE
    assert "IEEE" not in AUTOGRAD_PAGE and "CStep" not in AUTOGRAD_PAGE
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "reference/internals.md" in nav


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_read_from_autograd():
    pyproject = _pyproject()
    assert "version" in pyproject["project"]["dynamic"]
    assert "version" not in pyproject["project"]
    source = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert source == {"attr": "autograd.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|(a|b|rc)\d+)?", autograd.__version__)


def test_the_version_is_in_the_changelog():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {autograd.__version__}" in changelog


def test_py_typed_ships_in_the_wheel():
    pyproject = _pyproject()
    assert (ROOT / "autograd" / "py.typed").is_file()
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["autograd"]
    assert "autograd" in pyproject["tool"]["setuptools"]["packages"]


def test_a_drawing_reads_as_what_it_draws():
    from autograd import Value, draw_dot

    a, b = Value(2.0, "a"), Value(3.0, "b")
    y = (a * b).tanh() + a
    assert repr(draw_dot(y)) == "ComputationGraph(5 nodes, format='svg')"
    assert repr(draw_dot(y, style="wires")) == "ComputationGraph(5 nodes, format='svg')"
    assert repr(draw_dot(a, format="png")) == "ComputationGraph(1 node, format='png')"
    assert repr(nn.draw_network(nn.MLP(2, [3, 1]))) == "ComputationGraph(6 nodes, format='svg')"
