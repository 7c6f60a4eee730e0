"""Argument checks shared by the public functions of ``autograd`` and ``nn``.

A bad argument is refused where it is given, by a message of one form::

    <function>: <argument> must be <expected>, got <what> (<type>)

``TypeError`` for a wrong type, ``ValueError`` for a wrong value of the right type.

Booleans: Python treats ``True`` as the int 1. Where a number is *data* (``Value(True)``,
``x * True``, an input or a target) a bool is accepted as that number, as Python
arithmetic accepts it (a comparison used as a 0/1 mask is common). Where a number is a
*setting* (a size, a count, a rate, a tolerance, a penalty, a seed) a bool is refused: it
is almost always an argument in the wrong place (``MLP(2, [3], True)``). Flags
(``compiled``, ``shuffle``, ``create_graph``, ...) must be real bools (``True`` or
``False``; NumPy's bool too): a string such as ``"no"`` would be true.

Standard library only, below every other module: the core tells it the ``Value`` class
(``VALUE_TYPE``) when it defines it.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
import reprlib
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

__all__ = ["got", "type_error", "value_error", "real", "finite", "positive", "nonnegative",
           "fraction", "integer", "flag", "choice", "function", "value", "sequence", "path",
           "each"]

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4


def got(x: Any) -> str:
    """``x`` as the messages show what they got: a short repr and the type's name."""
    try:
        shown = _SHORT.repr(x)
    except Exception:  # a repr that fails must not hide the real error
        shown = "<unprintable>"
    return f"{shown} ({type(x).__name__})"


def type_error(who: str, what: str, expected: str, x: Any, hint: str = "") -> TypeError:
    return TypeError(f"{who}: {what} must be {expected}, got {got(x)}{hint}")


def value_error(who: str, what: str, expected: str, x: Any, hint: str = "") -> ValueError:
    return ValueError(f"{who}: {what} must be {expected}, got {got(x)}{hint}")


#: The ``Value`` class, set by the core when it defines it (this module lies below it)
VALUE_TYPE: type | None = None


def _is_value(x: Any) -> bool:
    return VALUE_TYPE is not None and isinstance(x, VALUE_TYPE)


def real(x: Any, who: str, what: str, expected: str = "a number", data: bool = False) -> float:
    """``x`` as a float: any real number (NumPy's too), a bool only if ``data``."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and (data or not isinstance(x, bool)) and not _is_value(x):
        return float(x)
    if _is_value(x):
        raise type_error(who, what, expected, x, "; pass a number (v.data), not a Value")
    raise type_error(who, what, expected, x)


def finite(x: Any, who: str, what: str, data: bool = False) -> float:
    """``x`` as a finite float."""
    value = real(x, who, what, "a finite number", data)
    if not math.isfinite(value):
        raise value_error(who, what, "a finite number", x)
    return value


def positive(x: Any, who: str, what: str) -> float:
    """``x`` as a float > 0 and finite."""
    value = real(x, who, what, "a positive number")
    if not (math.isfinite(value) and value > 0):
        raise value_error(who, what, "positive and finite", x)
    return value


def nonnegative(x: Any, who: str, what: str) -> float:
    """``x`` as a float >= 0 and finite."""
    value = real(x, who, what, "a number >= 0")
    if not (math.isfinite(value) and value >= 0):
        raise value_error(who, what, ">= 0 and finite", x)
    return value


def fraction(x: Any, who: str, what: str) -> float:
    """``x`` as a float in [0, 1)."""
    value = real(x, who, what, "a number in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise value_error(who, what, "in [0, 1)", x)
    return value


def integer(x: Any, who: str, what: str, least: int | None = None,
            expected: str | None = None) -> int:
    """``x`` as an int (NumPy's too; not a bool, not a float such as 2.0) >= ``least``.
    ``expected`` words both errors (default: "an int", "at least <least>")."""
    if isinstance(x, bool):
        raise type_error(who, what, expected or "an int", x)
    try:
        n = operator.index(x)
    except TypeError:
        raise type_error(who, what, expected or "an int", x) from None
    if least is not None and n < least:
        raise value_error(who, what, expected or f"at least {least}", x)
    return n


def flag(x: Any, who: str, what: str) -> bool:
    """``x`` as a bool: True or False (NumPy's bool too), nothing that merely has a truth
    value."""
    if x is True or x is False:
        return x
    if type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_"):
        return bool(x)
    raise type_error(who, what, "True or False", x)


def choice(x: Any, who: str, what: str, options: Collection[str], fold: bool = False) -> str:
    """``x``, one of the strings ``options`` (``fold``: in any case)."""
    listed = ", ".join(repr(o) for o in options)
    if not isinstance(x, str):
        raise type_error(who, what, f"one of {listed}", x)
    if (x.upper() if fold else x) not in options:
        raise value_error(who, what, f"one of {listed}", x)
    return x


def function(x: Any, who: str, what: str, expected: str = "callable (a function)") -> Any:
    if not callable(x):
        raise type_error(who, what, expected, x)
    return x


def value(x: Any, who: str, what: str) -> Any:
    """``x``, a ``Value``."""
    if not _is_value(x):
        raise type_error(who, what, "a Value", x)
    return x


def sequence(x: Any, who: str, what: str, expected: str = "a list") -> list[Any]:
    """``x`` as a new list: a list, tuple, array or any other iterable that is not a
    string, a mapping, a single ``Value`` or a number (an iterator is read once, here)."""
    if isinstance(x, (str, bytes, bytearray, dict)) or _is_value(x) \
            or getattr(x, "ndim", 1) == 0 or not isinstance(x, Iterable):
        hint = "; put one Value in a list: [v]" if _is_value(x) else ""
        raise type_error(who, what, expected, x, hint)
    return list(x)


def path(x: Any, who: str, what: str = "path") -> Path:
    """``x`` as a ``Path``: a str or an ``os.PathLike``."""
    if not isinstance(x, (str, os.PathLike)):
        raise type_error(who, what, "a str or a pathlib.Path", x)
    return Path(x)


def each(xs: Iterable[Any], check: Callable[..., Any], who: str, what: str) -> list[Any]:
    """``check(x, who, f"{what}[i]")`` of every element."""
    return [check(x, who, f"{what}[{i}]") for i, x in enumerate(xs)]
