"""The package layers stay clean: importing loads nothing optional, no module imports
another that imports it back (even inside a function), no module is named like a function
it exports, ``import *`` shadows no builtin, and the README's names come from the top."""

from __future__ import annotations

import ast
import builtins
import re
import subprocess
import sys
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent


def test_import_loads_nothing_optional():
    code = ("import sys, autograd, nn\n"
            "print(sorted(m for m in ('numpy', 'graphviz', 'hypothesis', 'torch', 'tqdm', "
            "'matplotlib', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def _imports(package: str) -> dict[str, set[str]]:
    """module -> modules of the same two packages it imports (anywhere in its body)."""
    graph: dict[str, set[str]] = {}
    for pkg in ("autograd", "nn"):
        for path in (ROOT / pkg).glob("*.py"):
            name = f"{pkg}.{path.stem}" if path.stem != "__init__" else pkg
            deps: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom):
                    if node.level:  # relative: from . import x / from .x import y
                        base = pkg if node.module is None else f"{pkg}.{node.module}"
                        if node.module is None:
                            deps.update(f"{pkg}.{a.name}" for a in node.names)
                        else:
                            deps.add(base)
                    elif node.module and node.module.split(".")[0] in ("autograd", "nn"):
                        deps.add(node.module)
                elif isinstance(node, ast.Import):
                    deps.update(a.name for a in node.names
                                if a.name.split(".")[0] in ("autograd", "nn"))
            graph[name] = {d for d in deps if d != name}
    return graph


def test_no_import_cycles_even_inside_functions():
    graph = _imports("autograd")
    # a package's __init__ re-exports its modules: leave those edges out. One lazy import
    # is allowed and listed here: Value's notebook display (_repr_html_) draws through
    # graph.py, inside the method, so importing the engine never loads drawing code.
    allowed = {("autograd.core.engine", "autograd.display.graph")}
    edges = {m: {d for d in deps if d not in ("autograd", "nn") and (m, d) not in allowed}
             for m, deps in graph.items()}

    def reach(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for d in edges.get(stack.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    stack.append(d)
        return seen

    cycles = [m for m in edges if m in reach(m)]
    assert cycles == []


def test_nn_does_not_import_drawing_at_import():
    code = "import sys, nn\nprint('nn.draw' in sys.modules, 'graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.split() == ["False", "False"]


def test_no_module_is_named_like_a_function_it_exports():
    for path in (ROOT / "autograd").glob("*.py"):
        text = path.read_text()
        m = re.search(r"__all__ = \[(.*?)\]", text, flags=re.S)
        names = re.findall(r'"(\w+)"', m.group(1)) if m else []
        assert path.stem not in names, path


def test_star_import_shadows_no_builtin():
    assert not set(autograd.__all__) & set(dir(builtins))
    namespace: dict[str, object] = {}
    exec("from autograd import *", namespace)
    assert not set(namespace) & (set(dir(builtins)) - {"__builtins__"})


def test_top_level_gives_every_function_the_readme_uses():
    assert callable(autograd.explain) and callable(autograd.compile)
    assert callable(autograd.draw_dot) and callable(autograd.sum) and callable(autograd.max)
    readme = (ROOT / "README.md").read_text()
    used = set()
    for line in re.findall(r"^from autograd import (.+)$", readme, flags=re.M):
        used.update(n.strip() for n in line.split(","))
    assert used and all(hasattr(autograd, n) for n in used), used


def test_tests_import_no_example_script():
    """Examples are run as scripts, as a user runs them; tests never import them."""
    for path in (ROOT / "tests").glob("*.py"):
        if path.name == "test_layers.py":  # this file names what it looks for
            continue
        text = path.read_text()
        assert "sys.path.insert" not in text and "spec_from_file_location" not in text, path
        assert not re.search(r"^\s*(import|from) (w5_update|moons|digits|newton|gradient_descent"
                             r"|teacher_student|house_prices|make_figures|_common)\b", text,
                             flags=re.M), path
