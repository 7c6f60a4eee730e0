"""``Value``: a scalar node of a computation graph.

A node stores its float ``data``, its ``grad``, the ``Op`` that made it (``rules/ops.py``)
and its inputs. It holds no closure, so a graph has no reference cycles and is freed by
reference counting as soon as it is dropped. Every op is applied the same way: its
forward on the inputs' data, and a node recording the op and the inputs (``apply``; the
arithmetic operators and the activations inline their forwards, checked by a test).

**The clock** advances at every node made and at every write of ``.data`` (as an optimizer
does); each node is stamped (``_t``) with its time of making or latest write. So a node's
inputs are older than it (the backward passes take nodes newest first: consumers before
their inputs, as PyTorch's engine does), and a node with an input newer than itself belongs
to a stale graph: the backward passes refuse it (``check_fresh``).

``backward`` lives in ``backward.py`` (the chain rule, read that first), ``fast.py`` and
``engine.py``, which gives ``Value`` its ``backward`` method; ``functions.py`` holds the
n-ary ops (sum, dot, max, min, logsumexp) and the maths namespace on Values.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Union

from .. import arguments as _args
from ..rules import ops
from ..rules.maths import FLOATS
from ..rules.maths import sigmoid as _sigmoid
from ..rules.ops import Op
from . import modes

__all__ = ["Value", "apply", "StaleGraphError", "topological_order", "make_node",
           "make_node_in_modes", "record_node", "check_number", "lift", "data_of",
           "op_of", "describe", "local_derivative_error", "stale_error", "check_fresh",
           "check_stand_in", "now", "tick", "last_write"]

Number = int | float
Operand = Union["Value", int, float]  # noqa: UP007 (forward reference)


class StaleGraphError(RuntimeError):
    """``backward`` met a node whose input changed after the node was computed."""


# --- making nodes -------------------------------------------------------------------------
# A node's inputs live in two slots, so that the common one- and two-input nodes need no
# tuple (one object per node for the garbage collector to track, not two):
#     leaf: _x = None            unary: _x = input        binary: _x, _y = the inputs
#     n-ary (sum, dot, max): _x = tuple of inputs, _y = None
# A leaf made by backward(create_graph=True) as a stand-in for a leaf of the original graph
# keeps a weak reference to that leaf in _y (see standins.py).
#
# Stamps (_t) are unique (itertools.count is atomic under the GIL: threads cannot share
# one); _clock holds the stamp of the latest write: a node stamped after it is fresh.

_new = object.__new__
_stamp = itertools.count(1).__next__
_clock = 0


def make_node(data: float, op: Op | None, x: Any = None, y: Value | None = None) -> Value:
    """Make a node without going through ``__init__`` (the hot path of every op)."""
    v = _new(Value)
    v._data = data
    v.grad = 0.0
    v._t = _stamp()
    v._pass = 0
    v._op = op
    v._x = x
    v._y = y
    return v


def make_node_in_modes(data: float, op: Op | None, x: Any = None, y: Value | None = None) -> Value:
    """``make_node`` that honours this context's grad mode and anomaly mode."""
    if op is not None:
        if modes.ANOMALY.get() and not math.isfinite(data):
            v = make_node(data, op, x, y)
            raise FloatingPointError(f"detect_anomaly: forward produced {data!r} in "
                                     f"{describe(v)}")
        if not modes.GRAD.get():
            op = x = y = None
    return make_node(data, op, x, y)


_node = make_node  # swapped while a mode block is open (modes.watch)


def _switch(active: bool) -> None:
    global _node
    _node = make_node_in_modes if active else make_node


modes.watch(_switch)


def record_node(data: float, op: Op | None, x: Any = None, y: Value | None = None) -> Value:
    """Make a node as the ops do: honouring grad and anomaly mode when a block is open."""
    return _node(data, op, x, y)


def now() -> int:
    """The clock's time: later than every node made so far, earlier than every later one."""
    return _stamp()


def tick() -> int:
    """Advance the clock as a write does and return its time: stamp written nodes with it
    (``_t``), and every node made before is older, every node made from now on newer."""
    global _clock
    _clock = _stamp()
    return _clock


def last_write() -> int:
    """The latest write's stamp (``tick``): no node made later has an input newer than it."""
    return _clock


def check_number(x: object, where: str, what: str | None = None) -> float:
    """Return ``x`` as a float (a bool is the number it is), or raise ``TypeError`` naming
    ``where``, the argument ``what`` and what it got."""
    if isinstance(x, (float, int)) or (isinstance(x, numbers.Real) and not isinstance(x, Value)):
        return float(x)
    if what is not None:
        raise _args.type_error(where, what, "a real number", x)
    raise TypeError(f"{where}: expected a real number or a Value, got {_args.got(x)}")


def lift(x: object, where: str, what: str | None = None) -> Value:
    """Wrap a number as a leaf ``Value``; pass ``Value`` objects through (one held in arrays
    by compiled training is released first: ``arrays.py``)."""
    if type(x) is Value or isinstance(x, Value) and x.release():
        return x
    if what is not None and not isinstance(x, numbers.Real):
        raise _args.type_error(where, what, "a real number or a Value", x)
    return _node(check_number(x, where), None)


def _operand(x: object, symbol: str) -> Any:
    """The other operand of a binary op as a Value: numbers become leaves, NumPy arrays
    get ``NotImplemented`` (so they can broadcast), anything else a ``TypeError``."""
    if type(x) is Value or isinstance(x, Value) and x.release():
        return x
    if isinstance(x, (float, int, numbers.Real)):
        return _node(float(x), None)
    if hasattr(x, "__array_ufunc__"):
        return NotImplemented
    hint = "; a network's output is a list: write model(x)[0]" if isinstance(x, list) else ""
    raise TypeError(f"unsupported operand for {symbol}: Value and {type(x).__name__} "
                    f"(operands must be real numbers or Values){hint}")


def apply(op: Op, *inputs: Operand) -> Value:
    """Run ``op`` on ``inputs`` (Values or numbers, flat as the op's layout says) and
    record the result's node: the one generic way every op is applied."""
    if not isinstance(op, Op):
        raise _args.type_error("apply", "op", "an Op (from autograd.OPS or custom_op)", op)
    args = [lift(x, "apply", f"inputs[{i}]") for i, x in enumerate(inputs)]
    if not op.layout.valid(len(args)):
        raise TypeError(f"apply: op '{op.name}' takes {op.layout.words()}, got "
                        f"{len(args)} inputs")
    data = op.eval(*[a._data for a in args])
    if op.layout.nary or (op.masks and len(args) > 1):  # tuple: the generic backward path
        return _node(data, op, tuple(args))
    return _node(data, op, *args)  # one or two inputs


class Value:
    """A scalar in a computation graph.

    ``data`` is the float value; ``grad`` is ∂root/∂self after ``root.backward()``.
    ``==`` compares identity (so Values can be dict keys); ``<``, ``>``, ``<=``, ``>=``
    compare ``data`` and return a ``bool``. ``float(v)`` raises (it would silently drop
    the graph): read ``v.data``. Every op of ``ops.OPS`` with a ``method`` is a method
    (``v.exp()``, ``v.sin()``, ``v.leaky_relu(0.1)``, ...).
    """

    __slots__ = ("_data", "grad", "_label", "_op", "_x", "_y", "_pass", "_t", "__weakref__")

    grad: Any  # float, or a Value after backward(create_graph=True)
    _data: float
    _label: str
    _op: Op | None  # None for a leaf
    _x: Any  # None, one input, or a tuple of inputs (see "making nodes")
    _y: Any  # the second input, or for a stand-in leaf a weak reference to the original
    _pass: int
    _t: int

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float:
            if isinstance(data, Value):
                raise _args.type_error("Value", "data", "a real number", data,
                                       "; use v.detach() to copy one")
            data = check_number(data, "Value", "data")
        self._data = data
        self.grad = 0.0
        self.label = label
        self._op = None
        self._x = None
        self._y = None
        self._pass = 0  # the mark of the backward pass that last walked it: see fast.py
        self._t = _stamp()

    # --- data, with the clock that finds stale graphs ----------------------------------
    @property
    def data(self) -> float:
        """The float value. Setting it (as an optimizer does) makes every graph already
        built from this node stale: ``backward`` on one of them raises."""
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        global _clock
        self._data = check_number(value, "Value.data", "the new value")
        self._t = _clock = _stamp()

    @property
    def label(self) -> str:
        """A name for drawings, explanations and error messages ('' if none)."""
        try:
            return self._label
        except AttributeError:  # nodes made by ops leave the slot empty (one store less)
            return ""

    @label.setter
    def label(self, text: str) -> None:
        if not isinstance(text, str):
            raise _args.type_error("Value", "label", "a str", text)
        self._label = text

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
        return f"Value(data={self._data!r}, grad={self.grad!r}{label})"

    def __format__(self, spec: str) -> str:
        """``f"{v:.4f}"`` formats ``data`` like a float."""
        return format(self._data, spec) if spec else repr(self)

    def __float__(self) -> float:
        raise TypeError(
            "float(Value) would drop the graph silently (math.exp(v) gives a float with no "
            "gradient): read v.data for the number, or use v.exp(), autograd.maths "
            "functions and the Value methods to stay differentiable"
        )

    def __bool__(self) -> bool:
        """``bool(v)`` is ``v.data != 0`` (like ``<``, it reads data and records nothing)."""
        return self._data != 0.0

    def __reduce__(self) -> Any:
        """Pickle and deepcopy: a leaf as its data, grad and label; a graph as a flat list
        of nodes (no recursion, so any depth works) whose leaves are pickled as objects
        (so a model's parameters keep their identity)."""
        if self._x is None:
            return (_leaf, (self._data, data_of(self.grad), self.label))
        return (_rebuild, (_records(self),))

    # --- arithmetic (binary ops accept Values and numbers on either side) ------------------
    # The forwards of + - * and neg are inlined here (the hottest path); a test checks each
    # against its op's declared forward.
    def __add__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _operand(other, "+")
            if other is NotImplemented:
                return other
        return _node(self._data + other._data, ops.ADD, self, other)  # type: ignore[arg-type,union-attr]

    def __radd__(self, other: Operand) -> Value:
        other = _operand(other, "+")
        if other is NotImplemented:
            return other
        return _node(other._data + self._data, ops.ADD, other, self)  # type: ignore[union-attr]

    def __sub__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _operand(other, "-")
            if other is NotImplemented:
                return other
        return _node(self._data - other._data, ops.SUB, self, other)  # type: ignore[arg-type,union-attr]

    def __rsub__(self, other: Operand) -> Value:
        other = _operand(other, "-")
        if other is NotImplemented:
            return other
        return _node(other._data - self._data, ops.SUB, other, self)  # type: ignore[union-attr]

    def __mul__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _operand(other, "*")
            if other is NotImplemented:
                return other
        return _node(self._data * other._data, ops.MUL, self, other)  # type: ignore[arg-type,union-attr]

    def __rmul__(self, other: Operand) -> Value:
        other = _operand(other, "*")
        if other is NotImplemented:
            return other
        return _node(other._data * self._data, ops.MUL, other, self)  # type: ignore[union-attr]

    def __truediv__(self, other: Operand) -> Value:
        other = _operand(other, "/")
        if other is NotImplemented:
            return other
        # div's zero rule lives in the generic path: its inputs go in a tuple
        return _node(ops.DIV.eval(self._data, other._data), ops.DIV, (self, other))  # type: ignore[union-attr]

    def __rtruediv__(self, other: Operand) -> Value:
        other = _operand(other, "/")
        if other is NotImplemented:
            return other
        return _node(ops.DIV.eval(other._data, self._data), ops.DIV, (other, self))  # type: ignore[union-attr]

    def __neg__(self) -> Value:
        return _node(-self._data, ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _node(ops.ABS.eval(self._data), ops.ABS, self)

    def __pow__(self, other: Operand) -> Value:
        if type(other) is Value:  # pow masks: its inputs go in a tuple (the generic path)
            return _node(ops.POW.eval(self._data, other._data), ops.POW, (self, other))
        if not isinstance(other, (int, float, numbers.Real)):
            return _operand(other, "**")  # NotImplemented, or a TypeError
        op = ops.pow_const(float(other))
        return _node(op.eval(self._data), op, self)

    def __rpow__(self, other: Operand) -> Value:
        other = _operand(other, "**")
        if other is NotImplemented:
            return other
        return _node(ops.POW.eval(other._data, self._data), ops.POW, (other, self))  # type: ignore[union-attr]

    # --- comparisons on data (for control flow such as accuracy; they record no graph) ---
    def __lt__(self, other: Operand) -> bool:
        return self._data < _data(other)

    def __le__(self, other: Operand) -> bool:
        return self._data <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return self._data > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return self._data >= _data(other)

    __hash__ = object.__hash__

    # --- functions: every op with a ``method`` in ops.py becomes one (see _attach) ------
    # The activations are written out here, forward inlined (the hot path of a network);
    # a test checks each against its op's declared forward.
    def tanh(self) -> Value:
        """tanh(x); derivative 1 − tanh²(x)."""
        return _node(math.tanh(self._data), ops.TANH, self)

    def relu(self) -> Value:
        """max(x, 0) (NaN stays NaN); derivative 1 for x > 0, else 0."""
        x = self._data
        return _node(0.0 if x <= 0.0 else x, ops.RELU, self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^−x), computed without overflow; derivative σ(1 − σ)."""
        return _node(_sigmoid(self._data), ops.SIGMOID, self)

    def leaky_relu(self, slope: float | None = 0.01) -> Value:
        """x for x > 0, else slope·x; derivative 1 for x > 0, else slope."""
        if slope is None:
            raise TypeError("leaky_relu() needs its parameter")
        op = ops.FAMILIES["leaky_relu"](check_number(slope, "leaky_relu", "its parameter"))
        return _node(op.eval(self._data), op, self)

    def item(self) -> float:
        """The float ``data``, as PyTorch's ``tensor.item()``."""
        return self._data

    if TYPE_CHECKING:
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def __getattr__(self, name: str) -> Callable[..., Value]: ...  # ops added later

    def detach(self) -> Value:
        """A new leaf with the same data (and label): gradients do not flow through it."""
        return Value(self._data, self.label)

    # --- the backward pass: engine.py gives Value its backward method -------------------
    if TYPE_CHECKING:
        def backward(self, grad: float = 1.0, create_graph: bool = False) -> None: ...

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


def _method(op: Op) -> Callable[..., Value]:
    evaluate = op.eval
    if not (op.domain or op.overflows):  # nothing to check: call the rule directly
        forward, F = op.forward, FLOATS

        def fast(self: Value) -> Value:
            return _node(forward(F, self._data), op, self)

        fast.__name__ = fast.__qualname__ = op.method or op.name
        fast.__doc__ = op.doc
        return fast

    def method(self: Value) -> Value:
        return _node(evaluate(self._data), op, self)

    method.__name__ = method.__qualname__ = op.method or op.name
    method.__doc__ = op.doc
    return method


def _family_method(family: ops.Family) -> Callable[..., Value]:
    def method(self: Value, param: float | None = family.default) -> Value:
        if param is None:
            raise TypeError(f"{family.method}() needs its parameter")
        op = family(check_number(param, family.method or "op", "its parameter"))
        return _node(op.eval(self._data), op, self)

    method.__name__ = method.__qualname__ = family.method or ""
    method.__doc__ = family(family.default or 0.0).doc if family.default is not None else ""
    return method


def _attach() -> None:
    """Give ``Value`` a method for every op of the table that names one."""
    for op in ops.OPS.values():
        if op.method and not op.layout.nary and op.method not in Value.__dict__:
            setattr(Value, op.method, _method(op))
    for family in ops.FAMILIES.values():
        if family.method and family.method not in Value.__dict__:
            setattr(Value, family.method, _family_method(family))


_attach()
_args.VALUE_TYPE = Value  # arguments.value() checks against it


def _data(x: Operand) -> float:
    return x._data if isinstance(x, Value) else check_number(x, "comparison")


# --- pickling -----------------------------------------------------------------------------

def _leaf(data: float, grad: float, label: str) -> Value:
    v = Value(data, label)
    v.grad = grad
    return v


def _records(root: Value) -> list[Any]:
    """Interior nodes in topological order, each ``(data, grad, label, op, inputs)`` with
    inputs as leaf objects or ``int`` positions of earlier records."""
    position: dict[int, int] = {}
    out: list[Any] = []
    for node in topological_order(root):
        if node._x is None:
            continue
        inputs = [p if p._x is None else position[id(p)] for p in node.parents]
        position[id(node)] = len(out)
        out.append((node._data, data_of(node.grad), node.label, node._op, inputs))
    return out


def _rebuild(records: list[Any]) -> Value:
    made: list[Value] = []
    for data, grad, label, op, inputs in records:
        args = [made[p] if type(p) is int else p for p in inputs]
        if op.layout.nary or (op.masks and len(args) > 1):
            v = _node(data, op, tuple(args))
        else:
            v = _node(data, op, *args)
        v.grad, v.label = grad, label
        made.append(v)
    return made[-1]


# --- walking the graph --------------------------------------------------------------------

def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each once and after all of its inputs (root last)."""
    if type(root) is not Value:
        raise _args.type_error("topological_order", "root", "a Value", root)
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


def stale_error(node: Value, p: Value) -> StaleGraphError:
    what = f"input {p.label!r}" if p.label else "an input"
    return StaleGraphError(
        f"backward: {what} of {describe(node)} changed after the node was computed (its "
        ".data was set, e.g. by optimizer.step() or load_state_dict()): this graph holds "
        "old values. Run the forward pass again, then backward."
    )


def check_fresh(order: list[Value]) -> None:
    """Raise ``StaleGraphError`` if a node of ``order`` has an input newer than itself (or
    is a stand-in whose original changed since: see standins.py)."""
    for node in order:
        t = node._t
        for p in node.parents:
            if p._t > t:
                raise stale_error(node, p)
        if node._x is None and node._y is not None:
            check_stand_in(node)


def check_stand_in(leaf: Value) -> None:
    """A stand-in leaf is stale once its original's ``.data`` changed after it was made."""
    original = leaf._y()
    if original is not None and original._t > leaf._t:
        what = f"leaf {original.label!r}" if original.label else "a leaf"
        raise StaleGraphError(
            f"backward: {what} changed after backward(create_graph=True) made the gradient "
            "graph built on it (its .data was set, e.g. by optimizer.step()): that gradient "
            "holds old values. Run the forward pass and backward again."
        )


def data_of(x: Any) -> float:
    """The number of a Value (a gradient or partial after create_graph), or ``x`` itself."""
    return x._data if type(x) is Value else x


def op_of(node: Value) -> Op:
    """The op that made ``node`` (a leaf has none: ``ValueError``)."""
    op = node._op
    if op is None:
        raise ValueError("a leaf was made by no op")
    return op


def describe(node: Value) -> str:
    """'op' (label 'name') with its inputs' labels and data: for error messages."""
    where = f" (label {node.label!r})" if node.label else ""
    inputs = ", ".join(
        f"{p.label}={p._data!r}" if p.label else repr(p._data) for p in node.parents
    )
    return f"'{node.op}'{where} at inputs ({inputs})"


def local_derivative_error(node: Value, exc: Exception) -> Exception:
    """The error for a local derivative that failed: the same type, naming the node."""
    return type(exc)(f"backward: local derivative of {describe(node)}: {exc}")
