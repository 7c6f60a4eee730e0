"""Grad mode and anomaly mode, per thread and per async context.

Each ``no_grad`` / ``enable_grad`` / ``detect_anomaly`` block sets only its own context's
variable (``GRAD``, ``ANOMALY``). While any block is open anywhere, ``value.py`` makes its
nodes with a maker that reads these variables; otherwise with one that reads nothing, so
the common case pays nothing for modes. ``watch`` tells it when to switch.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any

from .. import arguments as _args

__all__ = ["no_grad", "enable_grad", "detect_anomaly", "is_grad_enabled",
           "is_anomaly_enabled", "GRAD", "ANOMALY", "watch"]

GRAD = contextvars.ContextVar("chainrule_grad_enabled", default=True)
ANOMALY = contextvars.ContextVar("chainrule_anomaly", default=False)
_active = 0
_lock = threading.Lock()
_watchers: list[Callable[[bool], None]] = []


def watch(callback: Callable[[bool], None]) -> None:
    """Call ``callback(True)`` when the first mode block anywhere opens and
    ``callback(False)`` when the last one closes."""
    _watchers.append(callback)


def _enter_mode() -> None:
    global _active
    with _lock:
        _active += 1
        if _active == 1:
            for callback in _watchers:
                callback(True)


def _leave_mode() -> None:
    global _active
    with _lock:
        _active -= 1
        if not _active:
            for callback in _watchers:
                callback(False)


class _Mode:
    """A context manager (and decorator) that sets a context variable for its block."""

    _var: contextvars.ContextVar[bool]
    _value: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """``@no_grad`` without the parentheses decorates as ``@no_grad()`` does (as
        PyTorch's does)."""
        if len(args) == 1 and not kwargs and callable(args[0]) \
                and not isinstance(args[0], _Mode):
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            name = type(self).__name__
            x = args[0] if args else next(iter(kwargs.values()))
            hint = (f": as a decorator write @{name}() with the parentheses" if callable(x)
                    else f": use it as `with {name}():`")
            raise TypeError(f"{name}() takes no arguments, got {_args.got(x)}{hint}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

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

    _var, _value = GRAD, False


class enable_grad(_Mode):
    """Context manager (and decorator): record graphs again, inside a ``no_grad`` block."""

    _var, _value = GRAD, True


class detect_anomaly(_Mode):
    """Context manager: in this thread, the first NaN or infinity made by an op, in the
    forward pass or in ``backward``, raises ``FloatingPointError`` naming the op, the
    node's label and its inputs; a stale graph is checked as always. Slower (every node is
    checked); outside it, and in other threads, nothing is checked."""

    _var, _value = ANOMALY, True


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return GRAD.get()


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` in this thread."""
    return ANOMALY.get()
