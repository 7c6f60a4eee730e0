"""``Outputs``: the list a ``Layer`` or an ``MLP`` returns, which refuses arithmetic."""

from __future__ import annotations

import numbers
from typing import Any

from autograd import Value
from autograd import arguments as _args

__all__ = ["Outputs"]


class Outputs(list):  # of Values
    """What calling a ``Layer`` or an ``MLP`` returns: a list of Values, one per output.

    micrograd's ``MLP`` returns a bare Value for one output, so its loops write
    ``1 + -y * model(x)``; here ``-y * [v]`` would be list repetition (and with a NumPy
    int label it silently gives ``[]`` or ``[v]``). So arithmetic with a number or a Value
    raises ``TypeError`` naming the fix, ``model(x)[0]``, and so does a Value method such
    as ``model(x).backward()``; list operations (indexing, ``len``, ``+`` with a list)
    work as on any list.
    """

    __slots__ = ()
    #: NumPy scalars and arrays defer to the methods below instead of repeating the list
    __array_priority__ = 1000.0

    def _refuse(self, op: str, *other: Any) -> Any:
        n = len(self)
        what = f"a list of {n} Value{'' if n == 1 else 's'}"
        fix = ("use model(x)[0], the Value" if n == 1
               else "index it (model(x)[i]) or loop over it")
        operand = f"{op} with {_args.got(other[0])}" if other else f"unary {op}"
        raise TypeError(f"a Layer's or MLP's output is {what}, not a Value ({operand}): "
                        f"{fix}, e.g. 1 + -y * model(x)[0]. micrograd's MLP returns a bare "
                        f"Value for one output; every Layer and MLP here returns a list")

    def __add__(self, other: Any) -> Any:
        if isinstance(other, list):
            return list(self) + other
        return self._refuse("+", other)

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, list):
            return other + list(self)
        return self._refuse("+", other)

    def __iadd__(self, other: Any) -> Any:
        if isinstance(other, (Value, numbers.Number)):
            return self._refuse("+=", other)
        return super().__iadd__(other)

    def __mul__(self, other: Any) -> Any:
        return self._refuse("*", other)

    __rmul__ = __imul__ = __mul__

    def __sub__(self, other: Any) -> Any:
        return self._refuse("-", other)

    __rsub__ = __sub__

    def __truediv__(self, other: Any) -> Any:
        return self._refuse("/", other)

    __rtruediv__ = __truediv__

    def __pow__(self, other: Any) -> Any:
        return self._refuse("**", other)

    __rpow__ = __pow__

    def __neg__(self) -> Any:
        return self._refuse("-")

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and hasattr(Value, name):
            call = "()" if callable(getattr(Value, name)) else ""
            s = "" if len(self) == 1 else "s"
            raise AttributeError(f"a Layer's or MLP's output is a list of {len(self)} "
                                 f"Value{s}, not a Value, so it has no .{name}: use "
                                 f"model(x)[0].{name}{call}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
