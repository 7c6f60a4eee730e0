"""Derivatives as functions: ``grad``, ``hessian``, ``jvp`` and ``grad_of``.

All of them run the derivative rules of ``ops.py``: on floats, or on ``Value`` objects when
the derivative must itself be differentiable (``create_graph=True``), which is what makes
``grad(grad(f))`` work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import engine
from .engine import Value, adjoints, op_of, topological_order

__all__ = ["grad_of", "grad", "hessian", "jvp"]


def grad_of(
    output: Value, inputs: Sequence[Value], create_graph: bool = False
) -> tuple[Any, ...]:
    """The gradients of ``output`` with respect to each of ``inputs`` (as
    ``torch.autograd.grad``): floats, or Values with ``create_graph=True``. An input that
    ``output`` does not depend on gets 0."""
    if not isinstance(output, Value):
        raise TypeError(f"grad_of: output must be a Value, got {type(output).__name__}")
    _, adj = adjoints(output, 1.0, create_graph)
    grads = tuple(adj.get(id(x), 0.0) for x in inputs)
    if create_graph:  # a constant gradient (say of x + 1) is a float: make it a Value too
        grads = tuple(g if isinstance(g, Value) else Value(g) for g in grads)
    return grads


def _as_values(args: Sequence[Any], where: str) -> list[Value]:
    return [a if isinstance(a, Value) else Value(engine._check_number(a, where)) for a in args]


def grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function computing ∂f/∂(args[argnums]) for scalar arguments.

    Called with numbers, it returns floats; called with Values (as when nested:
    ``grad(grad(f))``), it returns Values that can be differentiated again. For a tuple
    ``argnums`` it returns a tuple.
    """
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def df(*args: Any) -> Any:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(f"grad: argnums {i} out of range for {len(args)} arguments")
        nested = any(isinstance(a, Value) for a in args)
        values = _as_values(args, "grad")
        out = f(*values)
        if not isinstance(out, Value):
            raise TypeError(f"grad: f must return a Value, got {type(out).__name__}")
        grads = grad_of(out, [values[i] for i in nums], create_graph=nested)
        return grads[0] if isinstance(argnums, int) else grads

    return df


def hessian(f: Callable[..., Value]) -> Callable[..., list[list[float]]]:
    """A function computing the matrix of second derivatives ∂²f/∂x_i∂x_j (floats)."""

    def h(*args: float) -> list[list[float]]:
        values = _as_values(args, "hessian")
        out = f(*values)
        if not isinstance(out, Value):
            raise TypeError(f"hessian: f must return a Value, got {type(out).__name__}")
        first = grad_of(out, values, create_graph=True)
        return [list(grad_of(g, values)) for g in first]

    return h


def jvp(
    f: Callable[..., Value], primals: Sequence[float], tangents: Sequence[float]
) -> tuple[float, float]:
    """Forward mode: ``(f(primals), Σ_i ∂f/∂x_i · tangents[i])``, pushing tangents from the
    inputs forward through the same derivative rules, one pass, no backward."""
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    values = _as_values(primals, "jvp")
    tangent = {id(v): engine._check_number(t, "jvp") for v, t in zip(values, tangents)}
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"jvp: f must return a Value, got {type(out).__name__}")
    for node in topological_order(out):  # inputs before the nodes made from them
        if node._x is None:
            continue
        inputs = node.parents
        op = op_of(node)
        partials = op.local(node._data, *[p._data for p in inputs])
        tangent[id(node)] = sum(d * tangent.get(id(p), 0.0)
                                for i, (p, d) in enumerate(zip(inputs, partials))
                                if not (op.masks and op.exact_zero(i, len(inputs), d,
                                                                   tangent.get(id(p), 0.0))))
    return out._data, tangent.get(id(out), 0.0)
