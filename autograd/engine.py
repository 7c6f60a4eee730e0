"""``Value``: a scalar node of a computation graph, and the reverse-mode backward pass.

A node stores its float ``data``, its ``grad``, the ``Op`` that made it and its inputs.
It holds no closure, so a graph has no reference cycles and is freed by reference counting
as soon as it is dropped. ``backward`` walks the graph without recursion and asks each
node's op for its local derivatives (see ``ops.py``); it knows nothing about particular ops.
"""

from __future__ import annotations

import builtins
import functools
import itertools
import math
import numbers
from collections.abc import Iterable, Iterator
from typing import Any, Union

from . import ops
from .ops import Op

__all__ = ["Value", "apply", "sum", "dot", "no_grad", "is_grad_enabled", "detect_anomaly",
           "topological_order", "adjoints"]

Number = int | float
Operand = Union["Value", int, float]  # noqa: UP007 (forward reference)

_grad_enabled = True
_anomaly = False  # inside detect_anomaly(): see that class


class no_grad:
    """Context manager (and decorator) in which operations record no graph.

    Results made inside are leaves: ``backward`` does not reach past them.
    """

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _grad_enabled


# --- making nodes -------------------------------------------------------------------------
# A node's inputs live in two slots, so that the common one- and two-input nodes need no
# tuple (one object per node for the garbage collector to track, not two):
#     leaf: _x = None            unary: _x = input        binary: _x, _y = the inputs
#     n-ary (sum, dot): _x = tuple of inputs, _y = None

_new = object.__new__


def _node(data: float, op: Op | None, x: Any = None, y: Value | None = None) -> Value:
    """Make a node without going through ``__init__`` (the hot path of every op)."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    if _grad_enabled:
        v._op = op
        v._x = x
        v._y = y
    else:
        v._op = v._x = v._y = None
    v._pending = 0
    return v


def _node_checked(data: float, op: Op | None, x: Any = None, y: Value | None = None) -> Value:
    """``_node`` plus a check that the result is finite: used inside ``detect_anomaly()``."""
    v = _make_node(data, op, x, y)
    if op is not None and not math.isfinite(data):  # leaves are inputs, not results
        raise FloatingPointError(f"detect_anomaly: forward produced {data!r} in {describe(v)}")
    return v


_make_node = _node


class detect_anomaly:
    """Context manager: the first NaN or infinity made by an op, in the forward pass or in
    ``backward``, raises ``FloatingPointError`` naming the op, the node's label and its
    inputs. Slower (every node is checked); outside it nothing is checked."""

    def __enter__(self) -> None:
        global _node, _anomaly
        self._previous = (_node, _anomaly)
        # Every op makes its node through the module-level name _node: swapping it here
        # checks every op without a test on the fast path.
        _node, _anomaly = _node_checked, True

    def __exit__(self, *exc: object) -> None:
        global _node, _anomaly
        _node, _anomaly = self._previous


def _check_number(x: object, where: str) -> float:
    """Return ``x`` as a float, or raise ``TypeError`` naming its type."""
    if isinstance(x, (float, int)) or (isinstance(x, numbers.Real) and not isinstance(x, Value)):
        return float(x)  # type: ignore[arg-type]
    raise TypeError(f"{where}: expected a real number or a Value, got {type(x).__name__}")


def _lift(x: object, where: str) -> Value:
    """Wrap a number as a leaf ``Value``; pass ``Value`` objects through."""
    if type(x) is Value:
        return x
    return _node(_check_number(x, where), None)


def _operand(x: object, symbol: str) -> Any:
    """The other operand of a binary op as a Value: numbers become leaves, NumPy arrays
    get ``NotImplemented`` (so they can broadcast), anything else a ``TypeError``."""
    if type(x) is Value:
        return x
    if isinstance(x, (float, int, numbers.Real)):
        return _node(float(x), None)  # type: ignore[arg-type]
    if hasattr(x, "__array_ufunc__"):
        return NotImplemented
    raise TypeError(
        f"unsupported operand for {symbol}: Value and {type(x).__name__} "
        "(operands must be real numbers or Values)"
    )


def apply(op: Op, *inputs: Operand) -> Value:
    """Run ``op`` on ``inputs`` (Values or numbers) and record the result's node."""
    args = [_lift(x, op.name) for x in inputs]
    data = op.forward(*[a.data for a in args])
    if len(args) == 1:
        return _node(data, op, args[0])
    if len(args) == 2:
        return _node(data, op, args[0], args[1])
    return _node(data, op, tuple(args))


class Value:
    """A scalar in a computation graph.

    ``data`` is the float value; ``grad`` is ∂root/∂self after ``root.backward()``.
    ``==`` compares identity (so Values can be dict keys); ``<``, ``>``, ``<=``, ``>=``
    compare ``data`` and return a ``bool``.
    """

    __slots__ = ("data", "grad", "label", "_op", "_x", "_y", "_pending", "__weakref__")

    data: float
    grad: Any  # float, or a Value after backward(create_graph=True)
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        if isinstance(data, Value):
            raise TypeError("Value(...) takes a number, got a Value (use v.detach() to copy one)")
        self.data = _check_number(data, "Value")
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._x: Any = None
        self._y: Value | None = None
        self._pending = 0  # backward's count of unprocessed consumers; 0 outside backward

    # --- introspection ---------------------------------------------------------------------
    @property
    def op(self) -> str:
        """Name of the op that made this node ('' for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def parents(self) -> tuple[Value, ...]:
        """The nodes this one was computed from, in the op's argument order (() for a leaf)."""
        x = self._x
        if x is None:
            return ()
        if self._y is not None:
            return (x, self._y)
        return x if type(x) is tuple else (x,)

    @property
    def is_leaf(self) -> bool:
        return self._x is None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # --- arithmetic (binary ops accept Values and numbers on either side) ------------------
    def __add__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _operand(other, "+")
            if other is NotImplemented:
                return other
        return _node(self.data + other.data, ops.ADD, self, other)

    def __radd__(self, other: Operand) -> Value:
        other = _operand(other, "+")
        if other is NotImplemented:
            return other
        return _node(other.data + self.data, ops.ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _operand(other, "-")
            if other is NotImplemented:
                return other
        return _node(self.data - other.data, ops.SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        other = _operand(other, "-")
        if other is NotImplemented:
            return other
        return _node(other.data - self.data, ops.SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _operand(other, "*")
            if other is NotImplemented:
                return other
        return _node(self.data * other.data, ops.MUL, self, other)

    def __rmul__(self, other: Operand) -> Value:
        other = _operand(other, "*")
        if other is NotImplemented:
            return other
        return _node(other.data * self.data, ops.MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        other = _operand(other, "/")
        if other is NotImplemented:
            return other
        return _node(ops.DIV.forward(self.data, other.data), ops.DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        other = _operand(other, "/")
        if other is NotImplemented:
            return other
        return _node(ops.DIV.forward(other.data, self.data), ops.DIV, other, self)

    def __neg__(self) -> Value:
        return _node(-self.data, ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _node(ops.POW.forward(self.data, other.data), ops.POW, self, other)
        if not isinstance(other, (int, float, numbers.Real)):
            return _operand(other, "**")  # NotImplemented, or a TypeError
        op = ops.pow_const(float(other))
        return _node(op.forward(self.data), op, self)

    def __rpow__(self, other: Operand) -> Value:
        other = _operand(other, "**")
        if other is NotImplemented:
            return other
        return _node(ops.POW.forward(other.data, self.data), ops.POW, other, self)

    # --- comparisons on data (for control flow such as accuracy; they record no graph) ---
    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other)

    __hash__ = object.__hash__

    # --- functions -------------------------------------------------------------------------
    def exp(self) -> Value:
        """e^x; ``OverflowError`` above x ≈ 709.78."""
        return _node(ops.EXP.forward(self.data), ops.EXP, self)

    def log(self) -> Value:
        """Natural log; ``ValueError`` for x <= 0."""
        return _node(ops.LOG.forward(self.data), ops.LOG, self)

    def tanh(self) -> Value:
        """tanh(x); derivative 1 - tanh²(x)."""
        return _node(math.tanh(self.data), ops.TANH, self)

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^-x), computed without overflow; derivative σ(1 - σ)."""
        return _node(ops.SIGMOID.forward(self.data), ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(x, 0); derivative 1 for x > 0, else 0."""
        x = self.data
        return _node(x if x > 0.0 else 0.0, ops.RELU, self)

    def sqrt(self) -> Value:
        """x ** 0.5."""
        return self**0.5

    def detach(self) -> Value:
        """A new leaf with the same data (and label): gradients do not flow through it."""
        return Value(self.data, self.label)

    # --- the backward pass -----------------------------------------------------------------
    def backward(self, grad: float = 1.0, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node.

        The pass is seeded with ``grad`` (1.0 by default). As in PyTorch, gradients of
        leaves *accumulate* across calls (``x.grad += ...``): reset them with
        ``zero_grad()`` between steps. Each interior node's ``.grad`` holds the gradient of
        the latest pass. The walk is iterative, so graphs of any depth work.

        With ``create_graph=True`` every ``.grad`` is a ``Value`` whose graph can be
        differentiated again (higher-order derivatives); by default they are floats.
        """
        seed = _check_number(grad, "backward")
        if not (create_graph or _anomaly):
            _backward(self, seed)
            return
        order, adj = adjoints(self, seed, create_graph)
        for node in order:
            g = adj[id(node)]
            if create_graph and type(g) is not Value:  # a constant gradient: a Value too
                g = Value(g)
            node.grad = node.grad + g if node._x is None else g

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on this node and every node it depends on."""
        for node in self.walk():
            node.grad = 0.0

    def walk(self) -> Iterator[Value]:
        """Every node this one depends on, itself included, each once (no order promised)."""
        seen = {id(self)}
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            for p in node.parents:
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)


def _data(x: Operand) -> float:
    return x.data if type(x) is Value else _check_number(x, "comparison")


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each once and after all of its inputs (root last)."""
    order: list[Value] = []
    visited = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, inputs = stack[-1]
        for p in inputs:
            if id(p) not in visited:
                visited.add(id(p))
                stack.append((p, iter(p.parents)))
                break
        else:  # every input is placed: place the node
            stack.pop()
            order.append(node)
    return order


def adjoints(
    root: Value, seed: Any = 1.0, create_graph: bool = False
) -> tuple[list[Value], dict[int, Any]]:
    """The general backward pass: ``(topological order, {id(node): ∂root/∂node})``, no
    ``.grad`` touched. With ``create_graph`` the partials are computed on the Values
    themselves, so the results are Values that can be differentiated again. Checks every
    gradient for NaN and infinity inside ``detect_anomaly()``."""
    global _grad_enabled
    order = topological_order(root)
    adj: dict[int, Any] = {id(root): seed}
    previous = _grad_enabled
    _grad_enabled = create_graph  # derivative nodes are recorded only when asked for
    try:
        for node in reversed(order):  # consumers before their inputs
            if node._x is None:
                continue
            g = adj[id(node)]
            inputs = node.parents
            try:
                if create_graph:
                    partials = node._op.partials(node, *inputs)
                else:
                    partials = node._op.partials(node.data, *[p.data for p in inputs])
            except (ArithmeticError, ValueError) as exc:
                raise local_derivative_error(node, exc) from exc
            for p, d in zip(inputs, partials):
                contribution = d * g
                if _anomaly and not math.isfinite(contribution):
                    raise FloatingPointError(
                        f"detect_anomaly: backward produced {float(contribution)!r} "
                        f"through {describe(node)}: local derivative {float(d)!r} "
                        f"times gradient {float(g)!r}"
                    )
                adj[id(p)] = adj.get(id(p), 0.0) + contribution
    finally:
        _grad_enabled = previous
    return order, adj


def describe(node: Value) -> str:
    """'op' (label 'name') with its inputs' labels and data: for error messages."""
    where = f" (label {node.label!r})" if node.label else ""
    inputs = ", ".join(
        f"{p.label}={p.data!r}" if p.label else repr(p.data) for p in node.parents
    )
    return f"'{node.op}'{where} at inputs ({inputs})"


def local_derivative_error(node: Value, exc: Exception) -> Exception:
    """The error for a local derivative that failed: the same type, naming the node."""
    return type(exc)(f"backward: local derivative of {describe(node)}: {exc}")


def _backward(root: Value, seed: float) -> None:
    if root._x is None:  # a leaf: nothing to propagate
        root.grad += seed
        return
    # Pass 1: count in _pending, for each interior node below root, how many of its
    # consumers lie below root; reset interior grads (they hold only this pass's gradient).
    stack = [root]
    while stack:
        node = stack.pop()
        x, y = node._x, node._y
        for p in (x, y) if y is not None else x if type(x) is tuple else (x,):
            if p._x is not None:  # leaves need no count: they are never made ready
                if not p._pending:  # first visit
                    p.grad = 0.0
                    stack.append(p)
                p._pending += 1

    # Pass 2: a node is ready once every consumer has added its share to node.grad; then
    # it passes grad × (local derivative) on to each input, and an interior input whose
    # consumers are all done becomes ready in turn. (One and two inputs are unrolled:
    # this is the engine's hottest loop.)
    root.grad = seed
    ready = [root]
    node = root
    try:
        while ready:
            node = ready.pop()
            g = node.grad
            x, y = node._x, node._y
            if y is not None:  # two inputs
                dx, dy = node._op.partials(node.data, x.data, y.data)
                x.grad += dx * g
                if x._x is not None:
                    x._pending -= 1
                    if not x._pending:
                        ready.append(x)
                y.grad += dy * g
                if y._x is not None:
                    y._pending -= 1
                    if not y._pending:
                        ready.append(y)
            elif type(x) is not tuple:  # one input
                (dx,) = node._op.partials(node.data, x.data)
                x.grad += dx * g
                if x._x is not None:
                    x._pending -= 1
                    if not x._pending:
                        ready.append(x)
            else:  # n inputs
                op = node._op
                partials = (itertools.repeat(1.0) if op.unit_partials
                            else op.partials(node.data, *[p.data for p in x]))
                for p, d in zip(x, partials):
                    p.grad += d * g
                    if p._x is not None:
                        p._pending -= 1
                        if not p._pending:
                            ready.append(p)
    except (ArithmeticError, ValueError) as exc:
        _reset_pending(root)
        raise local_derivative_error(node, exc) from exc
    except BaseException:
        _reset_pending(root)
        raise


def _reset_pending(root: Value) -> None:
    for node in root.walk():
        node._pending = 0


def sum(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + Σ values`` as **one** node (a 1,000-term sum is not a 1,000-deep chain)."""
    inputs = tuple(_lift(v, "sum") for v in values)
    if type(start) is Value or start != 0:  # a zero start adds nothing to the graph
        inputs = (_lift(start, "sum"), *inputs)
    if not inputs:
        return _node(0.0, None)
    return _node(builtins.sum([p.data for p in inputs]), ops.SUM, inputs)


def dot(a: Iterable[Operand], b: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + Σ a_i·b_i`` as one node: a neuron's weighted sum plus its bias."""
    a = [_lift(x, "dot") for x in a]
    b = [_lift(x, "dot") for x in b]
    if len(a) != len(b):
        raise ValueError(f"dot: the two sequences differ in length ({len(a)} and {len(b)})")
    inputs = (_lift(start, "dot"), *a, *b)
    return _node(ops.DOT.forward(*[p.data for p in inputs]), ops.DOT, inputs)
