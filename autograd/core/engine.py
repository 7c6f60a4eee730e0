"""``Value``: a scalar node of a computation graph, and the reverse-mode backward pass.

A node stores its float ``data``, its ``grad``, the ``Op`` that made it (``ops.py``) and
its inputs. It holds no closure, so a graph has no reference cycles and is freed by
reference counting as soon as it is dropped. ``backward`` walks the graph without
recursion and asks each node's op for its local derivatives (dot's, relu's and tanh's,
the hot path of a network, are written out there; tests check them against the ops).

Rules the engine keeps, as PyTorch does:

* grad mode (``no_grad``) and anomaly mode (``detect_anomaly``) belong to the thread (and
  the async context) that set them, never to the whole process;
* NaN propagates; local derivatives follow IEEE arithmetic (±inf, NaN) where the plain
  float rule would raise; masks (relu, max) block a gradient exactly, and a zero gradient
  through a quotient (log: grad/x) stays 0, as PyTorch's rules do;
* a graph whose leaves changed after it was built (``x.data = ...``, ``optimizer.step()``)
  is stale: ``backward`` on it raises instead of mixing old and new values;
* an interrupted ``backward`` (Ctrl-C) leaves no state behind: each pass marks the nodes
  it walks with its own number, so the next pass cannot read a stale mark.
"""

from __future__ import annotations

import builtins
import contextvars
import functools
import itertools
import math
import numbers
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import countOf
from typing import TYPE_CHECKING, Any, Union

from .. import arguments as _args
from ..rules import maths, ops
from ..rules.maths import FLOATS, _sigmoid
from ..rules.ops import DOT, RELU, TANH, Op

__all__ = ["Value", "apply", "sum", "dot", "max", "min", "logsumexp", "no_grad", "enable_grad",
           "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled", "topological_order",
           "adjoints", "StaleGraphError"]

Number = int | float
Operand = Union["Value", int, float]  # noqa: UP007 (forward reference)


class StaleGraphError(RuntimeError):
    """``backward`` met a node whose input changed after the node was computed."""


# --- modes: per thread and per async context ----------------------------------------------
# Each no_grad / enable_grad / detect_anomaly block sets only its own context's variable.
# While any block is open anywhere (_modes_active > 0), ops make their nodes with
# _node_in_modes, which reads the context variables; otherwise with _node_fast, which
# reads nothing: the common case pays nothing for modes.

_GRAD = contextvars.ContextVar("chainrule_grad_enabled", default=True)
_ANOMALY = contextvars.ContextVar("chainrule_anomaly", default=False)
_modes_active = 0
_modes_lock = threading.Lock()


def _enter_mode() -> None:
    global _modes_active, _node
    with _modes_lock:
        _modes_active += 1
        _node = _node_in_modes


def _leave_mode() -> None:
    global _modes_active, _node
    with _modes_lock:
        _modes_active -= 1
        if not _modes_active:
            _node = _node_fast


class _Mode:
    """A context manager (and decorator) that sets a context variable for its block."""

    _var: contextvars.ContextVar[bool]
    _value: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            name = type(self).__name__
            x = args[0] if args else next(iter(kwargs.values()))
            hint = (f": as a decorator write @{name}() with the parentheses" if callable(x)
                    else f": use it as `with {name}():`")
            raise TypeError(f"{name}() takes no arguments, got {_args.got(x)}{hint}")

    def __enter__(self) -> None:
        _enter_mode()
        self._tokens = getattr(self, "_tokens", [])
        self._tokens.append(self._var.set(self._value))

    def __exit__(self, *exc: object) -> None:
        self._var.reset(self._tokens.pop())
        _leave_mode()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        _args.function(fn, f"{type(self).__name__}()", "the decorated object",
                       "a function")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Mode):
    """Context manager (and decorator): operations in this thread record no graph.

    Results made inside are leaves: ``backward`` does not reach past them. Other threads
    are not affected."""

    _var, _value = _GRAD, False


class enable_grad(_Mode):
    """Context manager (and decorator): record graphs again, inside a ``no_grad`` block."""

    _var, _value = _GRAD, True


class detect_anomaly(_Mode):
    """Context manager: in this thread, the first NaN or infinity made by an op, in the
    forward pass or in ``backward``, raises ``FloatingPointError`` naming the op, the
    node's label and its inputs; a stale graph is checked as always. Slower (every node is
    checked); outside it, and in other threads, nothing is checked."""

    _var, _value = _ANOMALY, True


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return _GRAD.get()


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` in this thread."""
    return _ANOMALY.get()


# --- making nodes -------------------------------------------------------------------------
# A node's inputs live in two slots, so that the common one- and two-input nodes need no
# tuple (one object per node for the garbage collector to track, not two):
#     leaf: _x = None            unary: _x = input        binary: _x, _y = the inputs
#     n-ary (sum, dot, max): _x = tuple of inputs, _y = None
# A leaf made by backward(create_graph=True) as a stand-in for a leaf of the original graph
# keeps a weak reference to that leaf in _y (see _twin).
#
# _t is the node's time stamp on the clock that setting ``.data`` advances: a node made
# from an input whose _t is later than its own is stale.

_new = object.__new__
_clock = 0


def _node_fast(data: float, op: Op | None, x: Any = None, y: Value | None = None) -> Value:
    """Make a node without going through ``__init__`` (the hot path of every op)."""
    v = _new(Value)
    v._data = data
    v.grad = 0.0
    v._t = _clock
    v._pass = 0
    v._op = op
    v._x = x
    v._y = y
    return v


def _node_in_modes(data: float, op: Op | None, x: Any = None, y: Value | None = None) -> Value:
    """``_node_fast`` that honours this context's grad mode and anomaly mode."""
    if op is not None:
        if _ANOMALY.get() and not math.isfinite(data):
            v = _node_fast(data, op, x, y)
            raise FloatingPointError(f"detect_anomaly: forward produced {data!r} in "
                                     f"{describe(v)}")
        if not _GRAD.get():
            op = x = y = None
    return _node_fast(data, op, x, y)


_node = _node_fast  # swapped by _enter_mode / _leave_mode


def _check_number(x: object, where: str, what: str | None = None) -> float:
    """Return ``x`` as a float (a bool is the number it is), or raise ``TypeError`` naming
    ``where``, the argument ``what`` and what it got."""
    if isinstance(x, (float, int)) or (isinstance(x, numbers.Real) and not isinstance(x, Value)):
        return float(x)
    if what is not None:
        raise _args.type_error(where, what, "a real number", x)
    raise TypeError(f"{where}: expected a real number or a Value, got {_args.got(x)}")


def _lift(x: object, where: str, what: str | None = None) -> Value:
    """Wrap a number as a leaf ``Value``; pass ``Value`` objects through."""
    if type(x) is Value:
        return x
    if what is not None and not isinstance(x, numbers.Real):
        raise _args.type_error(where, what, "a real number or a Value", x)
    return _node(_check_number(x, where), None)


def _lift_all(values: Any, where: str, what: str) -> tuple[Value, ...]:
    """Every element of the iterable ``values`` as a Value; a string, a single Value, a
    number or anything else that is not a collection of numbers raises, naming ``what``
    (and the position of a bad element)."""
    if isinstance(values, (str, bytes, bytearray)) or type(values) is Value:
        hint = "; put one Value in a list: [v]" if type(values) is Value else ""
        raise _args.type_error(where, what, "a list of numbers or Values", values, hint)
    try:
        return tuple([_lift(v, where) for v in values])
    except TypeError:
        if not isinstance(values, Iterable):
            raise _args.type_error(where, what, "a list of numbers or Values", values) from None
        if iter(values) is not values:  # a collection, not an iterator: read it again to
            for i, v in enumerate(values):  # name the bad element
                _lift(v, where, f"{what}[{i}]")
        raise


def _operand(x: object, symbol: str) -> Any:
    """The other operand of a binary op as a Value: numbers become leaves, NumPy arrays
    get ``NotImplemented`` (so they can broadcast), anything else a ``TypeError``."""
    if type(x) is Value:
        return x
    if isinstance(x, (float, int, numbers.Real)):
        return _node(float(x), None)
    if hasattr(x, "__array_ufunc__"):
        return NotImplemented
    raise TypeError(
        f"unsupported operand for {symbol}: Value and {type(x).__name__} "
        "(operands must be real numbers or Values)"
    )


def apply(op: Op, *inputs: Operand) -> Value:
    """Run ``op`` on ``inputs`` (Values or numbers, flat as the op's layout says) and
    record the result's node: the one generic way every op is applied."""
    if not isinstance(op, Op):
        raise _args.type_error("apply", "op", "an Op (from autograd.OPS or custom_op)", op)
    args = [_lift(x, "apply", f"inputs[{i}]") for i, x in enumerate(inputs)]
    if not op.layout.valid(len(args)):
        raise TypeError(f"apply: op '{op.name}' takes {_takes(op.layout)}, got "
                        f"{len(args)} inputs")
    data = op.eval(*[a._data for a in args])
    if op.layout.nary or (op.masks and len(args) > 1):  # tuple: the generic backward path
        return _node(data, op, tuple(args))
    if len(args) == 1:
        return _node(data, op, args[0])
    return _node(data, op, args[0], args[1])


def _takes(layout: ops.Layout) -> str:
    """How many inputs an op of ``layout`` takes, in words."""
    if not layout.nary:
        return f"{layout.heads} input{'s' if layout.heads != 1 else ''}"
    runs = f"{layout.runs} run{'s' if layout.runs != 1 else ''} of equal length"
    return f"{layout.heads} input{'s' if layout.heads != 1 else ''} and {runs}" \
        if layout.heads else runs


def _checked_backward(method: Callable[..., None]) -> Callable[..., None]:
    """``Value.backward`` with its arguments checked, and a gradient that cannot be added
    to (``x.grad = "s"``) named: the pass itself reads ``.grad`` as a plain attribute
    (a property would slow every node), so its error is translated here, after the fact."""

    @functools.wraps(method)
    def backward(self: Value, grad: float = 1.0, create_graph: bool = False) -> None:
        if type(grad) is not float:
            _check_number(grad, "backward", "grad")
        if create_graph is not False and create_graph is not True:
            _args.flag(create_graph, "backward", "create_graph")
        try:
            method(self, grad, create_graph)
        except TypeError as exc:
            bad = _bad_grad(self)
            if bad is None:
                raise
            kind = "leaf" if bad._x is None else "node"
            what = f"{kind} {bad.label!r}" if bad.label else f"the {kind} of data {bad._data!r}"
            raise TypeError(
                f"backward: the .grad of {what} must be a number (backward adds to it), got "
                f"{_args.got(bad.grad)}; reset it with .grad = 0.0 (or zero_grad())"
            ) from exc

    return backward


def _bad_grad(root: Value) -> Value | None:
    """A node of ``root``'s graph whose ``.grad`` is not a number or a Value, if any."""
    for node in root.walk():
        g = node.grad
        if not (type(g) is float or type(g) is Value or isinstance(g, numbers.Real)):
            return node
    return None


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
            data = _check_number(data, "Value", "data")
        self._data = data
        self.grad = 0.0
        self.label = label
        self._op = None
        self._x = None
        self._y = None
        self._pass = 0  # the mark of the backward pass that last walked it: see _backward
        self._t = _clock

    # --- data, with the clock that finds stale graphs ----------------------------------
    @property
    def data(self) -> float:
        """The float value. Setting it (as an optimizer does) makes every graph already
        built from this node stale: ``backward`` on one of them raises."""
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        global _clock
        self._data = _check_number(value, "Value.data", "the new value")
        _clock += 1
        self._t = _clock

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

    def _repr_html_(self) -> str:  # Jupyter: data, grad, op and a drawing around it
        from ..display.graph import value_html

        return value_html(self)

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
            return (_leaf, (self._data, _data_of(self.grad), self.label))
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

    if TYPE_CHECKING:
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def leaky_relu(self, slope: float = 0.01) -> Value: ...
        def __getattr__(self, name: str) -> Callable[..., Value]: ...  # ops added later

    def detach(self) -> Value:
        """A new leaf with the same data (and label): gradients do not flow through it."""
        return Value(self._data, self.label)

    # --- the backward pass -----------------------------------------------------------------
    @_checked_backward
    def backward(self, grad: float = 1.0, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node.

        The pass is seeded with ``grad`` (1.0 by default). As in PyTorch, gradients of
        leaves *accumulate* across calls (``x.grad += ...``): reset them with
        ``zero_grad()`` between steps. Each interior node's ``.grad`` holds the gradient of
        the latest pass. The walk is iterative, so graphs of any depth work. Raises
        ``StaleGraphError`` if a node's input changed after the node was computed.

        With ``create_graph=True`` every ``.grad`` is a ``Value`` whose graph can be
        differentiated again (higher-order derivatives); that graph is built on stand-ins
        for this graph's nodes, so no node's ``.grad`` refers back to the node (no
        reference cycles), and its gradients flow back to the original leaves.
        """
        seed = _check_number(grad, "backward")
        if not (create_graph or _ANOMALY.get()):
            _backward(self, seed)
            return
        if not create_graph:
            order, adj = adjoints(self, seed)
            for node in order:
                g = adj[id(node)]
                if node._x is None:
                    _accumulate_leaf(node, g)
                else:
                    node.grad = g
            return
        twins = _twin_graph(self)
        order, adj = adjoints(twins[id(self)], seed, create_graph=True)
        for node in topological_order(self):
            g = adj.get(id(twins[id(node)]), 0.0)
            if type(g) is not Value:  # a constant gradient: a Value too
                g = Value(g)
            if node._x is None:
                target = _original(node)
                if target is not None:
                    target.grad = target.grad + g
            else:
                node.grad = g

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
        op = family(_check_number(param, family.method or "op", "its parameter"))
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
        if family.method:
            setattr(Value, family.method, _family_method(family))


_attach()
_args.VALUE_TYPE = Value


def _data(x: Operand) -> float:
    return x._data if type(x) is Value else _check_number(x, "comparison")


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
        out.append((node._data, _data_of(node.grad), node.label, node._op, inputs))
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


def _stale(node: Value, p: Value) -> StaleGraphError:
    what = f"input {p.label!r}" if p.label else "an input"
    return StaleGraphError(
        f"backward: {what} of {describe(node)} changed after the node was computed (its "
        ".data was set, e.g. by optimizer.step() or load_state_dict()): this graph holds "
        "old values. Run the forward pass again, then backward."
    )


def _check_fresh(order: list[Value]) -> None:
    for node in order:
        t = node._t
        for p in node.parents:
            if p._t > t:
                raise _stale(node, p)
        if node._x is None and node._y is not None:
            _check_stand_in(node)


def _check_stand_in(leaf: Value) -> None:
    """A stand-in leaf is stale once its original's ``.data`` changed after it was made."""
    original = leaf._y()
    if original is not None and original._t > leaf._t:
        what = f"leaf {original.label!r}" if original.label else "a leaf"
        raise StaleGraphError(
            f"backward: {what} changed after backward(create_graph=True) made the gradient "
            "graph built on it (its .data was set, e.g. by optimizer.step()): that gradient "
            "holds old values. Run the forward pass and backward again."
        )


# --- stand-ins: the nodes of a gradient graph made by backward(create_graph=True) ----------
# One rule for every API: a stand-in *is* its original. grad_of, jvp and backward credit
# the original with a stand-in's share, and a stand-in goes stale with its original. A
# stand-in leaf finds its original through _y (a weak reference); an interior stand-in
# through _STANDS_FOR (weak on both sides, so neither keeps the other alive).

_STANDS_FOR: weakref.WeakKeyDictionary[Value, weakref.ref[Value]] = weakref.WeakKeyDictionary()


def stands_for(node: Value) -> Value:
    """The node a stand-in stands for (alive), or ``node`` itself."""
    if node._x is None:
        ref = node._y
    else:
        ref = _STANDS_FOR.get(node) if _stand_ins_made else None
    original = ref() if ref is not None else None
    return node if original is None else original


def credit_originals(order: Sequence[Value], adj: dict[int, Any]) -> dict[int, Any]:
    """``adj`` with every stand-in's entry added to its original's (a new dict when any
    stand-in is among ``order``)."""
    if not _stand_ins_made:
        return adj
    out = adj
    for node in order:
        original = stands_for(node)
        if original is not node and id(node) in adj:
            if out is adj:
                out = dict(adj)
            out[id(original)] = out.get(id(original), 0.0) + adj[id(node)]
    return out


def _tick() -> int:
    """Advance the clock: every node made from now on is newer than every node before."""
    global _clock
    _clock += 1
    return _clock


def _twin_graph(root: Value) -> dict[int, Value]:
    """A stand-in for every node of ``root``'s graph: leaves become new leaves that point
    back (weakly) to the original, interior nodes repeat the op on the stand-ins. Built so
    that the gradient graph of ``backward(create_graph=True)`` never refers to the nodes
    whose ``.grad`` holds it."""
    global _stand_ins_made
    _stand_ins_made = True
    order = topological_order(root)
    _check_fresh(order)
    twin: dict[int, Value] = {}
    for node in order:
        if node._x is None:
            t = _node(node._data, None)
            t._y = node._y if node._y is not None else weakref.ref(node)
        else:
            if type(node._x) is tuple:
                t = _node(node._data, node._op, tuple(twin[id(p)] for p in node._x))
            else:
                t = _node(node._data, node._op, *[twin[id(p)] for p in node.parents])
            _STANDS_FOR[t] = weakref.ref(stands_for(node))
        t.label = node.label
        twin[id(node)] = t
    return twin


def adjoints(
    root: Value, seed: Any = 1.0, create_graph: bool = False
) -> tuple[list[Value], dict[int, Any]]:
    """The general backward pass: ``(topological order, {id(node): ∂root/∂node})``, no
    ``.grad`` touched. With ``create_graph`` the partials are computed on the Values
    themselves (the ``VALUES`` namespace), so the results are Values that can be
    differentiated again. Checks every gradient for NaN and infinity inside
    ``detect_anomaly()``."""
    order = topological_order(root)
    _check_fresh(order)
    adj: dict[int, Any] = {id(root): seed}
    anomaly = _ANOMALY.get()
    mode = enable_grad() if create_graph else None
    if mode is not None:
        mode.__enter__()
    try:
        for node in reversed(order):  # consumers before their inputs
            if node._x is None or id(node) not in adj:  # a leaf, or masked off: no gradient
                continue
            g = adj[id(node)]
            inputs = node.parents
            op = op_of(node)
            partials: Sequence[Any]
            try:
                if create_graph:
                    partials = op._flat(op.partials(VALUES, node, *op._split(inputs)))
                else:
                    partials = op.local(node._data, *[p._data for p in inputs])
            except (ArithmeticError, ValueError) as exc:
                raise local_derivative_error(node, exc) from exc
            for i, (p, d) in enumerate(zip(inputs, partials)):
                contribution: Any = d * g  # (a Value under create_graph: d's derivative counts)
                c = _data_of(contribution)
                if op.masks and c - c != 0.0:  # ±inf or NaN: a mask or a vjp rule settles it
                    contribution = _settle(op, node, i, d, g, contribution, create_graph)
                if anomaly and not math.isfinite(_data_of(contribution)):
                    raise FloatingPointError(
                        f"detect_anomaly: backward produced {_data_of(contribution)!r} "
                        f"through {describe(node)}: local derivative {_data_of(d)!r} "
                        f"times gradient {_data_of(g)!r}"
                    )
                adj[id(p)] = adj.get(id(p), 0.0) + contribution
    finally:
        if mode is not None:
            mode.__exit__(None, None, None)
    return order, adj


def _settle(op: Op, node: Value, i: int, d: Any, g: Any, contribution: Any, values: bool
            ) -> Any:
    """``Op.settle`` for the general passes, on floats or (``values``) on Values: there the
    ``vjp`` rule records nodes of its own, so that its derivative counts."""
    if not values:
        xs = [p._data for p in node.parents]
        return op.settle(i, xs, node._data, d, g, contribution)
    dv, gv = _data_of(d), _data_of(g)
    if op.exact_zero(i, len(node.parents), dv, gv):
        return 0.0
    if op.vjp is not None and gv - gv == 0.0:
        return op._flatten(op.vjp(VALUES, g, node, *op._split(node.parents)))[i]
    return contribution


def _data_of(x: Any) -> float:
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


# --- the fast backward pass ---------------------------------------------------------------
# Each pass takes a new number, this, and marks in _pass the interior nodes it walks: -this
# while a node waits for its inputs to be placed, this once it is placed. A mark left by an
# earlier pass (finished or interrupted) never equals this pass's, so an interrupted pass
# cannot leave a trap for the next one. A lock keeps two threads' passes over shared nodes
# from interleaving.

_pass_numbers = itertools.count(1)
_stand_ins_made = False  # has backward(create_graph=True) made any stand-in leaf yet?
_backward_lock = threading.RLock()


def _backward(root: Value, seed: float) -> None:
    if root._x is None:  # a leaf: nothing to propagate
        _accumulate_leaf(root, seed)
        return
    with _backward_lock:
        this = next(_pass_numbers)
        opened = -this
        # Pass 1: place the interior nodes below root in topological order (inputs first)
        # by a depth-first walk that enters inputs in their order, as topological_order
        # does, so that gradients add up in the same order as in adjoints. A node popped
        # for the first time is entered: its grad is reset (it holds only this pass's
        # gradient), its inputs are checked (none changed after the node was made), and it
        # goes back on the stack under the inputs it waits for; popped again, it is placed.
        # (A node pushed by two consumers before it was entered is popped once more, and
        # skipped. An input set later than its consumer advanced the clock past the
        # consumer's _t: a node stamped with the clock's current time needs no check.)
        clock = _clock
        order: list[Value] = []
        stack = [root]
        while stack:
            node = stack.pop()
            mark = node._pass
            if mark is opened:  # its inputs are placed: place it
                node._pass = this
                order.append(node)
                continue
            if mark is this:  # placed already
                continue
            t = node._t
            if t != clock:
                for p in node.parents:
                    if p._t > t:
                        raise _stale(node, p)
            node.grad = 0.0
            x, y = node._x, node._y
            waits = False  # for an input to be placed
            # the inputs last to first, so that the first is on top: entered first
            for p in (y, x) if y is not None else x[::-1] if type(x) is tuple else (x,):
                if p._x is not None and p._pass is not this:
                    if not waits:
                        waits = True
                        stack.append(node)
                    stack.append(p)
            if waits:
                node._pass = opened
            else:
                node._pass = this
                order.append(node)

        # stand-ins among the leaves: their gradients go back to the originals (at the end);
        # a stand-in whose original changed since it was made is stale like any input
        twins = [p for node in order for p in node.parents
                 if p._x is None and p._y is not None] if _stand_ins_made else []
        for stand_in in twins:
            _check_stand_in(stand_in)

        # Pass 2: consumers before their inputs, each node passes grad × (local
        # derivative) on to each input. (One and two inputs, dot, relu and tanh are written
        # out: this is the engine's hottest loop. A product that is NaN is checked against
        # the op's mask: 0 × inf through relu is 0, as in PyTorch.)
        root.grad = seed
        node = root
        F = FLOATS
        try:
            for node in reversed(order):
                g = node.grad
                op: Op = node._op  # type: ignore[assignment]  # interior: never None
                x, y = node._x, node._y
                if y is not None:  # two inputs
                    try:
                        dx, dy = op.partials(F, node._data, x._data, y._data)
                    except ArithmeticError:
                        dx, dy = op.local(node._data, x._data, y._data)
                    x.grad += dx * g  # (an op that masks keeps its inputs in a tuple)
                    y.grad += dy * g
                elif type(x) is not tuple:  # one input
                    if op is RELU:  # d = 0 for x ≤ 0 (a mask: 0·inf is 0), else 1
                        if x._data <= 0.0:
                            c = 0.0 * g
                            if c != c:
                                c = 0.0
                        else:
                            c = g
                    elif op is TANH:  # d = 1 − out²
                        c = (1.0 - node._data * node._data) * g
                    else:
                        try:
                            (dx,) = op.partials(F, node._data, x._data)
                        except ArithmeticError:
                            (dx,) = op.local(node._data, x._data)
                        c = dx * g
                        if op.masks and c - c != 0.0:  # ±inf or NaN: a rule may settle it
                            c = op.settle(0, (x._data,), node._data, dx, g, c)
                    x.grad += c
                elif op is DOT:  # start + Σ a_i·b_i: ∂/∂start = 1, ∂/∂a_i = b_i, ∂/∂b_i = a_i
                    x[0].grad += g  # (1.0·g is g, NaN and ±0 included)
                    n = len(x) >> 1
                    a, b = x[1:n + 1], x[n + 1:]
                    for p, q in zip(a, b):  # a then b: the generic path's order
                        p.grad += q._data * g
                    for p, q in zip(b, a):
                        p.grad += q._data * g
                elif not op.masks:  # n inputs
                    if op.unit:  # sums: every partial is 1 (1.0·g is g)
                        for p in x:
                            p.grad += g
                    else:
                        for p, d in zip(x, op.local_flat(node._data, [p._data for p in x])):
                            p.grad += d * g
                else:  # ops with an exact-zero or vjp rule (max, div, pow, ...: see apply)
                    xs = [p._data for p in x]
                    partials = op.local_flat(node._data, xs)
                    for i, (p, d) in enumerate(zip(x, partials)):
                        c = d * g
                        if c - c != 0.0:  # ±inf or NaN: a rule may settle it
                            c = op.settle(i, xs, node._data, d, g, c)
                        p.grad += c
        except (ArithmeticError, ValueError) as exc:
            raise local_derivative_error(node, exc) from exc
        for stand_in in twins:
            _accumulate_leaf(stand_in, 0.0)


def _original(leaf: Value) -> Value | None:
    """The leaf whose gradient a leaf receives: itself, or for a stand-in the original
    (None once the original is gone)."""
    ref = leaf._y
    return leaf if ref is None else ref()


def _accumulate_leaf(leaf: Value, extra: Any) -> None:
    """Add ``extra`` to a leaf's grad; a stand-in leaf passes its gradient to the original."""
    ref = leaf._y
    if ref is None:
        leaf.grad += extra
        return
    original = ref()
    g, leaf.grad = leaf.grad + extra, 0.0
    if original is not None:
        original.grad += g


# --- n-ary ops as functions ---------------------------------------------------------------

def sum(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + Σ values`` as **one** node (a 1,000-term sum is not a 1,000-deep chain)."""
    inputs = _lift_all(values, "sum", "values")
    if type(start) is not Value and (not isinstance(start, numbers.Real) or start != 0):
        start = _lift(start, "sum", "start")
    if type(start) is Value or start != 0:  # a zero start adds nothing to the graph
        inputs = (_lift(start, "sum"), *inputs)
    if not inputs:
        return _node(0.0, None)
    return _node(builtins.sum([p._data for p in inputs]), ops.SUM, inputs)


def dot(a: Iterable[Operand], b: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + Σ a_i·b_i`` as one node: a neuron's weighted sum plus its bias."""
    av = a if type(a) is list else _sequence(a, "a")
    bv = b if type(b) is list else _sequence(b, "b")
    if countOf(map(type, bv), Value) != len(bv):  # numbers among them
        return _dot_lifting(av, bv, start)
    return _dot(av, bv, start)


def _sequence(x: Any, what: str) -> list[Any]:
    return _args.sequence(x, "dot", what, "a list of numbers or Values")


def _dot(av: list[Any], bv: list[Any], start: Operand) -> Value:
    """``dot`` of two lists, ``bv`` all Values (a layer's inputs, checked once for all of
    its neurons): one C-level type check of ``av`` instead of a ``_lift`` call each."""
    if type(start) is float:  # lifting a float cannot fail: no error changes order
        start = _node(start, None)
    n = len(av)
    if type(start) is not Value or countOf(map(type, av), Value) != n or n != len(bv) or not n:
        return _dot_lifting(av, bv, start)  # lifts numbers, or raises
    # inlined forward of ops.DOT (checked against it by a test)
    data = start._data + builtins.sum([x._data * y._data for x, y in zip(av, bv)])
    return _node(data, ops.DOT, (start, *av, *bv))


def _dot_lifting(av: list[Any], bv: list[Any], start: Operand) -> Value:
    """``dot`` with numbers among its inputs (each becomes a leaf), or an error."""
    av = [_lift(x, "dot", f"a[{i}]") for i, x in enumerate(av)]
    bv = [_lift(x, "dot", f"b[{i}]") for i, x in enumerate(bv)]
    if len(av) != len(bv):
        raise ValueError(f"dot: a and b must have the same length, got {len(av)} and "
                         f"{len(bv)}")
    if not av:
        raise ValueError("dot: a and b must hold at least one number each, got empty sequences")
    return _dot(av, bv, _lift(start, "dot", "start"))


def _extreme(op: Op, values: Iterable[Operand], where: str) -> Value:
    inputs = _lift_all(values, where, "values")
    if not inputs:
        raise ValueError(f"{where}: values must hold at least one value, got "
                         f"{_args.got(values)}")
    return _node(op.eval(*[p._data for p in inputs]), op, inputs)


def max(values: Iterable[Operand]) -> Value:
    """The largest of ``values`` as one node; its gradient goes to the largest (split
    evenly between ties, as ``torch.max``); NaN if any value is NaN."""
    return _extreme(ops.MAX, values, "max")


def min(values: Iterable[Operand]) -> Value:
    """The smallest of ``values`` as one node (gradient as for ``max``)."""
    return _extreme(ops.MIN, values, "min")


def logsumexp(values: Iterable[Operand]) -> Value:
    """log Σ e^x_i as one node, without overflow (shifted by the largest x_i); its
    gradient is softmax: ∂/∂x_i = e^(x_i − out)."""
    return _extreme(ops.LOGSUMEXP, values, "logsumexp")


# --- the maths namespace on Values (higher order) ------------------------------------------

def _value_function(f: maths.Function) -> Callable[..., Any]:
    """``f`` on Values: the op of the table named after it (``exp`` is ``Value.exp``), or
    one made from its declared derivative (``ops.function_op``); numbers stay numbers."""
    plain = f.floats
    if f.constant:  # piecewise constant or a predicate: of the number, derivative 0
        return lambda x: plain(_data_of(x))
    op = ops.function_op(f)

    def call(x: Any) -> Any:
        if type(x) is not Value:  # a constant partial such as 1.0
            return plain(x)
        return _node(op.eval(x._data), op, x)

    call.__name__ = f.name
    return call


class _Values(maths.Namespace):
    """``Value`` objects: every function records a node, so results are differentiable."""

    name = "values"

    def interpret(self, f: maths.Function) -> Callable[..., Any]:
        return _value_function(f)

    where = staticmethod(FLOATS.where)

    @staticmethod
    def total(xs: Sequence[Any]) -> Any:
        return sum(xs)

    @staticmethod
    def dot(a: Sequence[Any], b: Sequence[Any]) -> Any:
        return dot(a, b)

    @staticmethod
    def largest(xs: Sequence[Any]) -> Any:
        return max(xs)

    @staticmethod
    def smallest(xs: Sequence[Any]) -> Any:
        return min(xs)

    @staticmethod
    def tie_share(xs: Sequence[Any], out: Any) -> list[float]:
        return maths.tie_share([_data_of(x) for x in xs], _data_of(out))

    ones = staticmethod(FLOATS.ones)

    @staticmethod
    def logsumexp(xs: Sequence[Any]) -> Any:
        return logsumexp(xs)

    @staticmethod
    def softmax(xs: Sequence[Any], out: Any) -> list[Any]:
        return [(x - out).exp() for x in xs]



VALUES = _Values()
