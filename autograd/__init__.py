"""chainrule's engine: scalar reverse-mode automatic differentiation.

Where things are:

* ``ops.py``          the op table: every primitive op declared once (forward, partials,
                      domain); **to add an op, add one entry there**;
* ``maths.py``        the maths namespace the rules are written in (floats, Values, arrays,
                      complex numbers); ``symbolic.py`` runs the same rules on symbols;
* ``engine.py``       ``Value`` (a graph node), the backward pass, ``no_grad``,
                      ``detect_anomaly``;
* ``functional.py``   ``grad``, ``hessian``, ``jvp``, ``grad_of``;
* ``check.py``        ``gradcheck``: gradients against finite differences;
* ``testing.py``      Hypothesis strategies for random expressions (needs hypothesis);
* ``compiler.py``     ``compile``: a traced graph replayed over batches (needs NumPy);
* ``explanation.py``  ``explain``: a gradient written out by the chain rule;
* ``graph.py``        ``draw_dot``, the picture of a graph (imports graphviz when used).

Every public function and constructor checks its arguments at the call, with messages of
one form (``<function>: <argument> must be <expected>, got <what> (<type>)``), from the
helpers of ``_args.py``, whose doc also says where a bool counts as a number.

``import autograd`` loads nothing optional. ``from autograd import *`` does not shadow
Python's builtins: the n-ary ``sum``, ``max``, ``min`` and ``compile`` are reached as
``autograd.sum`` and so on.

Note: the PyPI package ``autograd`` (HIPS) uses the same import name.
"""

from typing import Any

from . import _distribution  # noqa: F401  (first: fails clearly if another package owns the name)
from .core import engine  # noqa: F401  (gives Value its backward method)
from .core.functional import grad, grad_of, hessian, jvp
from .core.functions import (
    dot,
    logsumexp,
    max,  # noqa: F401 (autograd.max, not in __all__: it would shadow the builtin)
    min,  # noqa: F401
    sum,  # noqa: F401
)
from .core.modes import detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from .core.value import StaleGraphError, Value, apply, topological_order
from .rules.ops import FAMILIES, OPS, Op

#: The release (pyproject.toml reads it from here: one place to change).
__version__ = "0.1.0"

__all__ = [
    "Value",
    "apply",
    "dot",
    "logsumexp",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "is_anomaly_enabled",
    "StaleGraphError",
    "topological_order",
    "grad",
    "grad_of",
    "hessian",
    "jvp",
    "gradcheck",
    "gradcheck_report",
    "GradcheckError",
    "custom_op",
    "check_op",
    "explain",
    "Explanation",
    "draw_dot",
    "draw_html",
    "GraphTooLargeError",
    "Op",
    "OPS",
    "FAMILIES",
]

# Loaded on first use: graph.py imports graphviz, compiler.py imports NumPy, and the
# checking and explaining tools are large: a training loop that never calls them keeps
# a smaller heap for the garbage collector to scan.
_LAZY = {
    "gradcheck": ("check", "gradcheck"),
    "gradcheck_report": ("check", "gradcheck_report"),
    "GradcheckError": ("check", "GradcheckError"),
    "custom_op": ("core.extend", "custom_op"),
    "check_op": ("check", "check_op"),
    "explain": ("display.explanation", "explain"),
    "Explanation": ("display.explanation", "Explanation"),
    "draw_dot": ("display.graph", "draw_dot"),
    "GraphTooLargeError": ("display.graph", "GraphTooLargeError"),
    "DotNotFoundError": ("display.graph", "DotNotFoundError"),
    "draw_html": ("display.stepper", "draw_html"),
    "BackpropPage": ("display.stepper", "BackpropPage"),
    "compile": ("compiler", "compile"),
    "Program": ("compiler", "Program"),
}


def _value_html(value: Value) -> str:
    """Jupyter's view of a Value (data, grad, op and a drawing around it): the display
    wing, loaded on first use."""
    from .display.graph import value_html

    return value_html(value)


Value._repr_html_ = _value_html  # type: ignore[attr-defined]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
