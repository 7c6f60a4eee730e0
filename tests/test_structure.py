"""The house keeps its shape: layers import only downward, no import cycles (imports inside
functions count), no private name crosses a module, and modules and functions stay short
enough to read (or their module doc says why not)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")

#: Each layer imports only layers below it (a lower number); a layer's own modules may
#: import each other (without cycles). The wings (compiler, display) do not import each
#: other. nn and the top package sit above everything.
LAYERS = {
    "autograd._distribution": 0, "autograd.arguments": 0,
    "autograd.rules": 1,
    "autograd.core": 2,
    "autograd.compiler": 3, "autograd.display": 3,
    "autograd.check": 4,
    "autograd.testing": 5, "autograd.tutor": 5,
    "autograd": 6,
    "nn": 7,
}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = modules()


def layer_of(module: str) -> tuple[str, int]:
    """The layer a module belongs to: the longest prefix in LAYERS."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports(module: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or '', line) for every import of ``module``,
    including imports inside functions; ``from pkg import submodule`` counts as the
    submodule."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    found.append((sub, "", node.lineno))
                elif target in MODULES:
                    found.append((target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    found.append((alias.name, "", node.lineno))
    return found


def edges() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports(m) if t != m} for m in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_checker_finds_a_cycle_and_a_private_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(edges()) == []


def test_layers_import_only_downward():
    upward = []
    for module in MODULES:
        layer, rank = layer_of(module)
        for target, _, line in imports(module):
            other, other_rank = layer_of(target)
            if other != layer and other_rank >= rank:
                upward.append(f"{module}:{line} imports {target} ({other}, layer {other_rank} "
                              f">= {rank})")
    assert not upward, "\n".join(upward)


def test_no_private_name_crosses_a_module():
    private = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}  # local name of an imported module of ours -> that module
        for target, name, line in imports(module):
            if name.startswith("_") and name != "__all__":
                private.append(f"{module}:{line} imports {target}.{name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    aliases[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                target = aliases[node.value.id]
                if any(m == target or m.endswith("." + target) for m in MODULES):
                    private.append(f"{module}:{node.lineno} reads {node.value.id}.{node.attr}")
    assert not private, "\n".join(private)


def _length(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function, its docstring not counted (documentation, not code to read)."""
    lines = function.end_lineno - function.lineno + 1  # type: ignore[operator]
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return lines


def _long(path: Path) -> tuple[int, list[tuple[str, int]]]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    functions = [(n.name, _length(n)) for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and _length(n) > MAX_FUNCTION_LINES]
    return len(text.splitlines()), functions


def test_modules_and_functions_are_short_or_say_why():
    """A module over 600 lines, or a function over 60 (its docstring not counted), needs its
    module doc to say why (naming the function)."""
    unexplained = []
    for module, path in MODULES.items():
        lines, functions = _long(path)
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if lines > MAX_MODULE_LINES and "600 lines" not in doc:
            unexplained.append(f"{module}: {lines} lines")
        for name, length in functions:
            if f"{name}" not in doc or "60 lines" not in doc:
                unexplained.append(f"{module}.{name}: {length} lines")
    assert not unexplained, "\n".join(unexplained)


def test_the_reference_backward_pass_is_short():
    """What a student reads first: the chain rule in about fifty lines of code."""
    path = MODULES["autograd.core.backward"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    code = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    lines = sum(n.end_lineno - n.lineno + 1 for n in code)
    assert lines <= 90, lines


def test_every_package_is_packaged():
    """pyproject.toml lists every package folder (a wheel without one fails at import)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for package in PACKAGES
               for p in (ROOT / package).rglob("__init__.py")}
    assert listed == folders
