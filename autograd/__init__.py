"""chainrule's engine: scalar reverse-mode automatic differentiation.

Where things are:

* ``ops.py``        the primitive ops, each with its forward and its local derivatives;
* ``engine.py``     ``Value`` (a graph node), the backward pass, ``detect_anomaly``;
* ``functional.py`` ``grad``, ``hessian``, ``jvp``, ``grad_of``;
* ``check.py``      ``gradcheck``: gradients against finite differences;
* ``testing.py``    Hypothesis strategies for random expressions (needs hypothesis);
* ``graph.py``      ``draw_dot``, the picture of a graph.

Note: the PyPI package ``autograd`` (HIPS) uses the same import name.
"""

from . import _distribution  # noqa: F401  (first: fails clearly if another package owns the name)
from .check import GradcheckError, gradcheck
from .engine import (
    Value,
    detect_anomaly,
    dot,
    is_grad_enabled,
    no_grad,
    sum,
    topological_order,
)
from .functional import grad, grad_of, hessian, jvp
from .graph import GraphTooLargeError, draw_dot
from .ops import PRIMITIVES, Op

__all__ = [
    "Value",
    "sum",
    "dot",
    "no_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "topological_order",
    "grad",
    "grad_of",
    "hessian",
    "jvp",
    "gradcheck",
    "GradcheckError",
    "draw_dot",
    "GraphTooLargeError",
    "Op",
    "PRIMITIVES",
]
