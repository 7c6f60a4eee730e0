"""The example notebooks: committed without outputs, and each one runs without an error
(executed by nbclient on a fresh kernel, in examples/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import missing

EXAMPLES = Path(__file__).parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
STORIES = {"w5_update", "gradient_descent", "teacher_student", "house_prices", "two_moons",
           "mazur"}
#: What a notebook imports beyond the notebook tools (the install extra that brings it).
NEEDS = {"two_moons": ("matplotlib", "plots"), "mazur": ("numpy", "fast")}


def need_notebook_tools():
    try:
        import ipykernel  # noqa: F401
        import nbclient
        import nbformat
    except ImportError:
        missing("nbclient, nbformat and ipykernel",
                'from the clone, ./install.sh notebooks (or pip install -e ".[notebooks]")')
    return nbformat, nbclient


def test_every_story_has_a_notebook():
    assert {p.stem for p in NOTEBOOKS} >= STORIES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_carry_no_outputs(path):
    nbformat, _ = need_notebook_tools()
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_error(path, monkeypatch):
    nbformat, nbclient = need_notebook_tools()
    if path.stem in NEEDS:
        module, extra = NEEDS[path.stem]
        try:
            __import__(module)
        except ImportError:
            missing(module, f"from the clone, ./install.sh {extra}")
    # the kernel imports this tree's autograd and nn, whatever else is installed
    root = str(EXAMPLES.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = [o.text for o in outputs if o.get("name") == "stderr"]
    assert stderr == []  # no progress bar (fit(..., progress=False)), no warning of any kind
    rich = [o for o in outputs if o.output_type in ("display_data", "execute_result")]
    assert rich  # each notebook shows something richer than text
