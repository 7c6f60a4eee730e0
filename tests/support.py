"""Helpers shared by the tests."""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

# The extra of pyproject.toml that installs each optional module.
EXTRAS = {
    "torch": "torch", "numpy": "fast", "sklearn": "data", "matplotlib": "plots",
    "tqdm": "plots", "micrograd": "bench", "hypothesis": "test",
}


def in_ci() -> bool:
    """CI sets CI=true; there an optional tool that is missing is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str, hint: str) -> None:
    """Skip the current test (or module) because ``what`` is missing; under CI fail instead."""
    message = f"{what} is missing: {hint}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing optional dependency fails)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def need(module: str) -> ModuleType:
    """Import and return ``module``; if it is not installed, skip (in CI: fail).

    Works inside a test and at module level (``torch = need("torch")``).
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module.partition(".")[0], "test")
        missing(f"Python module {module!r}",
                f'from the clone, ./install.sh test,{extra} (or pip install -e ".[{extra}]")')
        raise  # not reached: skip and fail raise


def need_dot() -> str:
    """The path of Graphviz's ``dot`` program; if it is not on PATH, skip (in CI: fail)."""
    path = shutil.which("dot")
    if path is None:
        missing("Graphviz's dot program", "./install.sh installs it (apt-get install graphviz)")
    return str(path)
