"""Parameters held in arrays while compiled training runs.

A ``Binding`` keeps the data and the gradients of a list of parameters in two float64
arrays, ``theta`` and ``grad``, so that a compiled program, an optimizer and ``zero_grad``
update all of them with a few NumPy calls per step, with no Python work per parameter.
While the binding lives, each of its parameters has its class switched to a subclass of
``Value`` (made for that binding, no slots of its own) whose properties read and write
the arrays: ``data``, ``grad`` and the private ``_data`` and ``_t`` that the eager engine
reads. So a parameter read at any moment is true, an eager ``backward`` adds into the
array, and setting ``.data`` writes the array. (The ``_data`` slot itself holds the
parameter's position in the arrays meanwhile.) Plain ``Value`` objects pay nothing.

**The clock.** Writing all of a binding's parameters at once (``View.write``) advances the
clock once: the binding's time ``t``. A bound parameter's time is the later of its own
(set when ``.data`` is set on it alone) and the binding's, so a graph built before the
write is stale, as after an eager optimizer step.

**Release.** ``release`` writes the arrays back into the parameters' own slots and gives
them back their class ``Value``. An eager op whose fast path checks ``type(x) is Value``
(``lift``, ``_operand`` in ``value.py``) calls a bound parameter's ``release`` first; a ``.grad``
that is set to something other than a number (a Value, after ``create_graph``) does the
same. Binding a parameter that another binding holds releases that one. A program binds
its parameters again at its next call: mixing eager and compiled steps is right, and costs
one pass over the parameters each time the two meet.

NumPy is imported when the first binding is made: the engine imports without it.
"""

from __future__ import annotations

import numbers
import operator
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any

from .value import Value, check_number, tick

__all__ = ["Binding", "Bound", "View", "view", "covering", "release"]

_DATA = Value.__dict__["_data"]  # the slots under the properties of Bound
_GRAD = Value.__dict__["grad"]
_T = Value.__dict__["_t"]
_SET_CLASS = setattr  # (Value has no __setattr__ of its own)


def _run(calls: Iterable[Any]) -> None:
    """Exhaust an iterator of calls (a ``map``): a loop in C, for one pass over many
    parameters."""
    deque(calls, maxlen=0)


class Bound(Value):
    """A parameter whose ``data`` and ``grad`` live in a ``Binding``'s arrays. Each binding
    makes its own subclass, whose class attribute ``binding`` is that binding."""

    __slots__ = ()
    binding: Binding

    def _get_data(self) -> float:
        return self.binding.theta.item(_DATA.__get__(self))

    def _set_data(self, value: float) -> None:
        self.binding.theta[_DATA.__get__(self)] = check_number(value, "Value.data",
                                                               "the new value")
        _T.__set__(self, tick())

    data = property(_get_data, _set_data, doc=Value.data.__doc__)
    _data = property(_get_data, _set_data)

    @property
    def grad(self) -> Any:
        return self.binding.grad.item(_DATA.__get__(self))

    @grad.setter
    def grad(self, value: Any) -> None:
        if type(value) is float or (isinstance(value, numbers.Real)
                                    and not isinstance(value, Value)):
            self.binding.grad[_DATA.__get__(self)] = value
            return
        self.binding.release()  # a Value or anything else: the slot holds it
        self.grad = value

    @property
    def _t(self) -> int:
        own, shared = _T.__get__(self), self.binding.t
        return own if own > shared else shared

    @_t.setter
    def _t(self, value: int) -> None:
        _T.__set__(self, value)

    def release(self) -> bool:
        """Give this parameter (and every other of its binding) its own slots back; True
        (``value.lift`` and ``_operand`` call it in a condition)."""
        self.binding.release()
        return True


class Binding:
    """The data and gradients of ``params`` (Values, each once) in two arrays, ``theta``
    and ``grad``, in the order of ``params``. Made by ``view``; see the module doc."""

    def __init__(self, params: Sequence[Value]) -> None:
        import numpy as np

        release(params)
        self.params = list(params)
        n = len(self.params)
        self.theta = np.fromiter(map(_DATA.__get__, self.params), dtype=float, count=n)
        grads = list(map(_GRAD.__get__, self.params))
        if set(map(type, grads)) <= {float}:
            self.grad = np.array(grads, dtype=float)
        else:
            self.grad = np.array([_number(g) for g in grads], dtype=float)
        self.t = 0  # the clock's time when the arrays were last written as a whole
        self.live = True
        self.cls = type("Bound", (Bound,), {"__slots__": (), "binding": self})
        # (C loops: binding many parameters costs a pass, not Python work per parameter)
        _run(map(_DATA.__set__, self.params, range(n)))
        _run(map(_SET_CLASS, self.params, repeat("__class__", n), repeat(self.cls, n)))

    def release(self) -> None:
        """Write the arrays back into the parameters' slots and give them back their class
        ``Value``; the binding is dead from then on (its views say so)."""
        if not self.live:
            return
        self.live = False
        t, params, n = self.t, self.params, len(self.params)
        if t:  # each parameter's time: the later of its own and the binding's
            import numpy as np

            own = np.fromiter(map(_T.__get__, params), dtype=np.int64, count=n)
            _run(map(_T.__set__, params, np.maximum(own, t).tolist()))
        _run(map(_SET_CLASS, params, repeat("__class__", n), repeat(Value, n)))
        _run(map(_DATA.__set__, params, self.theta.tolist()))
        _run(map(_GRAD.__set__, params, self.grad.tolist()))


def _number(g: Any) -> float:
    """A gradient as a float: a Value (after ``create_graph``) counts as its number."""
    return g._data if isinstance(g, Value) else float(g)


class View:
    """Some of a binding's parameters, in an order of their own (``index`` into its
    arrays, or None for all of them in its order): what a program or an optimizer reads
    and writes."""

    def __init__(self, binding: Binding, index: Any) -> None:
        self.binding, self.index = binding, index

    @property
    def live(self) -> bool:
        return self.binding.live

    def data(self, copy: bool = False) -> Any:
        """The parameters' data: the binding's array itself (``copy=False``, all of them)
        or a copy."""
        theta = self.binding.theta
        if self.index is None:
            return theta.copy() if copy else theta
        return theta[self.index]

    def grads(self) -> Any:
        """The parameters' gradients (the binding's array itself when all of them)."""
        g = self.binding.grad
        return g if self.index is None else g[self.index]

    def write(self, values: Any) -> None:
        """Set every parameter's data from ``values``: one tick of the clock."""
        if self.index is None:
            self.binding.theta[...] = values
        else:
            self.binding.theta[self.index] = values
        self.binding.t = tick()

    def add_grads(self, values: Any) -> None:
        """Add ``values`` to the gradients (as ``p.grad += g`` for each)."""
        if self.index is None:
            self.binding.grad += values
        else:
            self.binding.grad[self.index] += values

    def zero_grad(self) -> None:
        if self.index is None:
            self.binding.grad.fill(0.0)
        else:
            self.binding.grad[self.index] = 0.0


def covering(params: Sequence[Value]) -> View | None:
    """A view of ``params`` if one live binding holds all of them, else None (quick when
    the first is not bound)."""
    if not params or not isinstance(params[0], Bound):
        return None
    binding = params[0].binding
    if len(params) == len(binding.params) and all(map(operator.is_, params, binding.params)):
        return View(binding, None)  # (the common case, checked in C)
    cls = binding.cls
    index = []
    for p in params:
        if type(p) is not cls:
            return None
        index.append(_DATA.__get__(p))
    if len(index) == len(binding.params) and index == list(range(len(index))):
        return View(binding, None)
    import numpy as np

    return View(binding, np.array(index, dtype=np.intp))


def view(params: Sequence[Value]) -> View:
    """A view of ``params`` (Values, each once) in a live binding: the one that holds them
    all, or a new one (releasing any binding that holds some of them)."""
    found = covering(params)
    return found if found is not None else View(Binding(params), None)


def release(params: Sequence[Value]) -> None:
    """Release every binding that holds one of ``params``."""
    for cls in set(map(type, params)):  # (one pass in C; then a few bindings at most)
        if issubclass(cls, Bound):
            cls.binding.release()
