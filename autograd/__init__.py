"""chainrule's engine: scalar reverse-mode automatic differentiation.

Where things are:

* ``ops.py``    the primitive ops, each with its forward and its local derivatives;
* ``engine.py`` ``Value`` (a graph node) and the backward pass;
* ``graph.py``  ``draw_dot``, the picture of a graph.

Note: the PyPI package ``autograd`` (HIPS) uses the same import name.
"""

from .engine import Value, dot, is_grad_enabled, no_grad, sum
from .graph import GraphTooLargeError, draw_dot
from .ops import PRIMITIVES, Op

__all__ = [
    "Value",
    "sum",
    "dot",
    "no_grad",
    "is_grad_enabled",
    "draw_dot",
    "GraphTooLargeError",
    "Op",
    "PRIMITIVES",
]
