"""Derivatives as functions: ``grad``, ``hessian``, ``jvp`` and ``grad_of``.

All of them run the derivative rules of ``ops.py``: on floats, or on ``Value`` objects when
the derivative must itself be differentiable (``create_graph=True``), which is what makes
``grad(grad(f))`` work.

**One rule for every mix of these APIs** (what ``torch.autograd`` and HIPS autograd give):

1. *A stand-in is its original.* ``backward(create_graph=True)`` builds each ``.grad`` on
   stand-ins of the graph's nodes (so that no node's ``.grad`` refers back to the node).
   ``grad_of``, ``jvp``, ``hessian`` and ``backward`` credit an original with its
   stand-ins' shares: after ``(x**3).backward(create_graph=True)``, ``grad_of(x.grad, [x])``
   is 6x, as ``torch.autograd.grad(x.grad, x)``. A stand-in is stale once its original's
   ``.data`` changes: ``backward`` or ``grad_of`` on that gradient raises
   ``StaleGraphError``.
2. *Values a function closes over are variables, not constants.* ``grad(f)``, ``hessian(f)``
   and ``jvp(f, ...)`` called with numbers return floats when the result depends only on
   the arguments (and on constants made inside ``f``); when it also depends on a Value made
   before the call (a closed-over weight, an outer ``grad``'s argument), they return Values
   differentiable with respect to it, as HIPS autograd returns a boxed value inside an
   outer ``grad``. So ``grad(lambda x: x * grad(lambda y: x * y)(2.0))(1.0)`` is 2.0.
   Called with Values, they always return Values.
3. *An argument is a fresh variable.* Called with a Value ``a``, ``grad(f)`` differentiates
   with respect to its argument only, not to the uses of ``a`` that ``f`` closes over:
   ``grad(lambda y: a * y)(a)`` is ``a`` (as ``torch.func.grad``), and the result is still
   a function of ``a``.
4. *``no_grad`` does not switch derivatives off.* ``grad``, ``hessian``, ``jvp`` and
   ``backward`` compute inside ``no_grad`` what they compute outside it (as
   ``torch.func`` and PyTorch's ``backward`` do); a ``.grad`` that is a Value keeps its
   graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

from .. import arguments as _args
from .backward import adjoints, settle
from .functions import VALUES
from .modes import enable_grad
from .standins import credit_originals, stands_for
from .value import Value, check_number, op_of, tick, topological_order

__all__ = ["grad_of", "grad", "hessian", "jvp"]


def grad_of(
    output: Value, inputs: Sequence[Value], create_graph: bool = False
) -> tuple[Any, ...]:
    """The gradients of ``output`` with respect to each of ``inputs`` (as
    ``torch.autograd.grad``): floats, or Values with ``create_graph=True``. An input that
    ``output`` does not depend on gets 0; a stand-in's share goes to its original (see the
    module doc)."""
    _args.value(output, "grad_of", "output")
    if not isinstance(inputs, (list, tuple)):
        hint = "; put one Value in a list: [x]" if isinstance(inputs, Value) else ""
        raise _args.type_error("grad_of", "inputs", "a list or tuple of Values", inputs, hint)
    _args.each(inputs, _args.value, "grad_of", "inputs")
    _args.flag(create_graph, "grad_of", "create_graph")
    with enable_grad() if create_graph else nullcontext():  # (Values sum even in no_grad)
        order, adj = adjoints(output, 1.0, create_graph)
        adj = credit_originals(order, adj)
    grads = tuple(adj.get(id(x), 0.0) for x in inputs)
    if create_graph:  # a constant gradient (say of x + 1) is a float: make it a Value too
        grads = tuple(g if isinstance(g, Value) else Value(g) for g in grads)
    return grads


def _as_values(args: Sequence[Any], where: str) -> list[Value]:
    """The arguments as fresh variables: a number as a new leaf, a Value ``a`` as the node
    ``a · 1`` (its data exactly, -0.0 and NaN too), so that ∂f/∂argument counts only the
    uses through the argument, not those of ``a`` that ``f`` closes over (as
    ``torch.func.grad`` and HIPS autograd), while the result stays a function of ``a``."""
    return [a * 1.0 if isinstance(a, Value) else Value(check_number(a, where)) for a in args]


def _closes_over(out: Value, own: Sequence[Value], start: int) -> bool:
    """Does ``out`` depend on a leaf made before the clock read ``start`` (a Value from
    outside the function) other than the function's own arguments ``own``?"""
    mine = {id(v) for v in own}
    return any(node._x is None and id(node) not in mine and stands_for(node)._t < start
               for node in out.walk())


def _call(f: Callable[..., Value], args: Sequence[Any], where: str
          ) -> tuple[list[Value], Value, bool]:
    """Run ``f`` on ``args`` as Values: (the arguments, the output, whether the results
    must be Values: rule 2 of the module doc)."""
    start = tick()
    with enable_grad():  # the transforms record their graph even inside no_grad
        values = _as_values(args, where)
        out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"{where}: f must return a Value, got {type(out).__name__}")
    live = any(isinstance(a, Value) for a in args) or _closes_over(out, values, start)
    return values, out, live


def grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function computing ∂f/∂(args[argnums]) for scalar arguments.

    Called with numbers, it returns floats; called with Values (as when nested:
    ``grad(grad(f))``), or when ``f`` closes over Values made outside it, it returns Values
    that can be differentiated again (module doc, rule 2). For a tuple ``argnums`` it
    returns a tuple.
    """
    _args.function(f, "grad", "f")
    expected = "an int or a list of ints"
    if isinstance(argnums, (list, tuple)):
        nums = tuple(_args.integer(i, "grad", "argnums", expected=expected) for i in argnums)
    else:
        nums = (_args.integer(argnums, "grad", "argnums", expected=expected),)

    def df(*args: Any) -> Any:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(f"grad: argnums {i} out of range for {len(args)} arguments")
        values, out, live = _call(f, args, "grad")
        with enable_grad():
            grads = grad_of(out, [values[i] for i in nums], create_graph=live)
        return grads[0] if isinstance(argnums, int) else grads

    return df


def hessian(f: Callable[..., Value]) -> Callable[..., list[list[Any]]]:
    """A function computing the matrix of second derivatives ∂²f/∂x_i∂x_j: floats, or
    Values when ``f`` closes over Values made outside it (module doc, rule 2)."""
    _args.function(f, "hessian", "f")

    def h(*args: Any) -> list[list[Any]]:
        values, out, live = _call(f, args, "hessian")
        with enable_grad():
            first = grad_of(out, values, create_graph=True)
            return [list(grad_of(g, values, create_graph=live)) for g in first]

    return h


def jvp(
    f: Callable[..., Value], primals: Sequence[float], tangents: Sequence[float]
) -> tuple[Any, Any]:
    """Forward mode: ``(f(primals), Σ_i ∂f/∂x_i · tangents[i])``, pushing tangents from the
    inputs forward through the same derivative rules, one pass, no backward. Floats, or
    Values when ``f`` closes over Values made outside it (module doc, rule 2)."""
    _args.function(f, "jvp", "f")
    primals = _args.sequence(primals, "jvp", "primals", "a list of numbers")
    tangents = _args.sequence(tangents, "jvp", "tangents", "a list of numbers")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    values, out, live = _call(f, primals, "jvp")
    tangent: dict[int, Any] = {id(v): check_number(t, "jvp")
                               for v, t in zip(values, tangents)}
    seeds = set(tangent)
    with enable_grad():
        for node in topological_order(out):  # inputs before the nodes made from them
            if node._x is None or id(node) in seeds:  # a leaf, or an argument (a · 1)
                continue
            tangent[id(node)] = _push(node, tangent, live)
    slope = tangent.get(id(out), 0.0)
    if live:  # Values, differentiable in what f closes over (a constant slope too)
        return out, slope if isinstance(slope, Value) else Value(slope)
    return out._data, slope


def _push(node: Value, tangent: dict[int, Any], live: bool) -> Any:
    """The tangent of ``node``: Σ_i ∂node/∂input_i · tangent of input_i (a stand-in's
    tangent is its original's), on floats or (``live``) on Values."""
    inputs = node.parents
    op = op_of(node)
    if live:
        partials: Sequence[Any] = op.flat(op.partials(VALUES, node, *op.split(inputs)))
    else:
        partials = op.local(node._data, *[p._data for p in inputs])
    total: Any = 0.0
    for i, (p, d) in enumerate(zip(inputs, partials)):
        t = tangent.get(id(p))
        if t is None:
            t = tangent.get(id(stands_for(p)), 0.0)
        c = d * t
        value = c._data if type(c) is Value else c
        if op.masks and value - value != 0.0:  # ±inf or NaN: a mask or vjp rule settles it
            c = settle(op, node, i, d, t, c, live)
        total = total + c
    return total
