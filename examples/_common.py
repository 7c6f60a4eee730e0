"""Shared by the examples: run from a checkout without installing, and save figures."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Where examples write their output unless given a folder as their first argument.
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "output"


def output_dir() -> Path:
    """The folder named by the first command-line argument, else examples/output."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    path = Path(args[0]) if args else DEFAULT_OUTPUT
    path.mkdir(parents=True, exist_ok=True)
    return path


def need_extra(module: str, extra: str) -> None:
    """Stop with a one-line hint, not a traceback, when ``module`` (of the project's extra
    ``extra``) is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise SystemExit(f"This example needs {module!r}, from chainrule's extra {extra!r}: "
                         f"./install.sh {extra} (or pip install -e '.[{extra}]' in the clone)")


def pyplot():
    """matplotlib.pyplot with a file-only backend, or None (with a note) if not installed."""
    try:
        import matplotlib
    except ImportError:
        print("(matplotlib is not installed: no figure; ./install.sh plots, or "
              "pip install -e '.[plots]' in the clone)")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, name: str) -> Path:
    path = output_dir() / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"figure written to {path}")
    return path
