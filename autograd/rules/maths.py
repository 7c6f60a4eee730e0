"""The maths namespace that every op's rule is written against.

An op's forward and partials take a namespace ``m`` as their first argument and use only
ordinary arithmetic (``+ - * / **``, comparisons) and the functions named in ``FUNCTIONS``::

    partials=lambda m, out, x: (m.cos(x),)          # d sin(x)/dx

The caller picks the interpretation by picking the namespace, so one rule runs on

* ``FLOATS``: Python floats (the fast backward pass);
* ``engine.VALUES``: ``Value`` objects (differentiable gradients, higher order);
* ``ARRAYS``: NumPy arrays, one batch at a time (``compile``);
* ``COMPLEX``: complex numbers (complex-step derivatives);
* ``autograd.symbolic.SYMBOLS``: symbols (the formulas that ``explain`` and drawings show).

n-ary ops (sum, dot, max, min, logsumexp) see their runs of operands as sequences:
``total``, ``dot``, ``largest``, ``smallest``, ``logsumexp`` reduce a run, ``tie_share``
gives each element of a run its share of the gradient of ``largest``/``smallest`` (ties
split evenly, as PyTorch's ``max``), ``softmax(xs, out)`` is e^(x_i − out) for each.
"""

from __future__ import annotations

import cmath
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FUNCTIONS", "TABLE_FUNCTIONS", "STRUCTURE", "Function", "function",
           "MissingInterpretation", "FLOATS", "IEEE_FLOATS", "ARRAYS", "COMPLEX", "IEEE",
           "CStep", "Namespace", "sign", "tie_share"]

_INF = math.inf


# --- maths functions: each declared once, with its implementation for each interpreter ----

class MissingInterpretation(AttributeError):
    """A maths namespace has no implementation of a function (nor a way to derive one)."""


@dataclass(frozen=True)
class Function:
    """An elementwise maths function that rules may call as ``m.<name>(x)``, declared once.

    ``floats``: on Python floats (raising where undefined: the ops' forwards turn that into
    a message naming the op); ``derivative(m, x)``: f′(x) in a maths namespace, which makes
    the function differentiable on ``Value`` objects (an op of its own, ``op``, built from it);
    ``constant``: piecewise constant or a predicate (sign, isnan): on Values it is applied
    to the number. The other fields implement it for one interpreter each; left out, it is
    derived: ``at_error`` (the IEEE value where ``floats`` raises, NaN by default),
    ``complex`` (complex-step checks: no derivation, a check then uses Richardson),
    ``numpy`` and ``torch`` (a ufunc or function name, or a callable; derived from
    ``floats`` elementwise), ``text`` and ``tex`` (how formulas show it).
    """

    name: str
    floats: Callable[[float], float]
    derivative: Callable[..., Any] | None = None
    constant: bool = False
    at_error: Callable[[float], float] = lambda x: math.nan  # noqa: E731
    complex: Callable[[complex], Any] | None = None
    numpy: str | Callable[..., Any] | None = None
    torch: str | Callable[..., Any] | None = None
    text: str | None = None
    tex: str | None = None

    @property
    def shown(self) -> str:
        """The name formulas show (``σ`` for sigmoid)."""
        return self.text or self.name


#: Every elementwise maths function by name (``function`` adds to it).
FUNCTIONS: dict[str, Function] = {}

#: The functions of the op layouts (reductions of n-ary runs, conditions): each namespace
#: implements these itself.
STRUCTURE = ("where", "total", "dot", "largest", "smallest", "tie_share", "ones", "logsumexp",
             "softmax")


def function(name: str, floats: Callable[[float], float], **fields: Any) -> Function:
    """Declare a maths function (see ``Function``): from then on ``m.<name>`` works in every
    maths namespace, by its own implementation or one derived from the others; a namespace
    that can do neither raises ``MissingInterpretation`` naming the function and itself."""
    if not name.isidentifier() or name in STRUCTURE:
        raise ValueError(f"function: name must be a new identifier, got {name!r}")
    if name in FUNCTIONS:
        raise ValueError(f"function: {name!r} is declared already")
    if not callable(floats):
        raise TypeError(f"function: floats must be callable, got {type(floats).__name__}")
    declared = Function(name, floats, **fields)
    FUNCTIONS[name] = declared
    return declared


class Namespace:
    """Base class: a maths namespace. Each function of ``FUNCTIONS`` is looked up on first
    use and interpreted by ``interpret`` (a class may also define it outright); the
    ``STRUCTURE`` functions each namespace defines itself."""

    name = "namespace"

    def __getattr__(self, name: str) -> Any:
        declared = FUNCTIONS.get(name)
        if declared is None:
            raise AttributeError(
                f"maths namespace '{self.name}' has no function {name!r}: rules may call "
                f"{sorted(FUNCTIONS) + list(STRUCTURE)}; declare a new one with "
                "autograd.maths.function(...)")
        impl = self.interpret(declared)
        object.__setattr__(self, name, impl)  # looked up once per namespace object
        return impl

    def interpret(self, f: Function) -> Callable[..., Any]:
        """``f`` in this namespace (``MissingInterpretation`` if it cannot be)."""
        raise MissingInterpretation(f"maths namespace '{self.name}' cannot interpret "
                                    f"function {f.name!r}")

    def __repr__(self) -> str:
        return f"<maths namespace {self.name}>"


# --- floats -------------------------------------------------------------------------------

def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0  # 0 for ±0 and NaN, as torch.sign


def _sigmoid(x: float) -> float:
    # two branches so that exp never overflows: exp(-|x|) lies in (0, 1]
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _largest(xs: Sequence[float]) -> float:
    out = xs[0]
    for x in xs:
        if x != x:  # NaN wins, as in PyTorch (builtin max would depend on the order)
            return x
        if x > out:
            out = x
    return out


def _smallest(xs: Sequence[float]) -> float:
    out = xs[0]
    for x in xs:
        if x != x:
            return x
        if x < out:
            out = x
    return out


def _logsumexp(xs: Sequence[Any], exp: Any = math.exp, log: Any = math.log) -> Any:
    """log Σ e^x_i as c + log Σ e^(x_i − c), c = max x_i (no exp overflows; the sum is at
    least 1). Where c is NaN, +inf or −inf (every x_i −inf), that is the result, as in
    ``torch.logsumexp``."""
    c = _largest(xs)
    if c != c or c == _INF or c == -_INF:
        return c
    return c + log(sum([exp(x - c) for x in xs]))


def _tie_share(xs: Sequence[Any], out: Any) -> list[float]:
    """1/k for each of the k elements equal to ``out`` (or NaN when ``out`` is), else 0."""
    hit = [x != x for x in xs] if out != out else [x == out for x in xs]
    share = 1.0 / sum(hit)
    return [share if h else 0.0 for h in hit]



class _Floats(Namespace):
    """Python floats, with the math module. ``exp`` and ``**`` raise ``OverflowError`` on
    overflow, division by zero raises: the ops' forwards turn these into messages."""

    name = "floats"

    def interpret(self, f: Function) -> Callable[..., Any]:
        return f.floats

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    total = staticmethod(sum)

    @staticmethod
    def dot(a: Sequence[Any], b: Sequence[Any]) -> Any:
        return sum(map(operator.mul, a, b))

    largest = staticmethod(_largest)
    smallest = staticmethod(_smallest)
    tie_share = staticmethod(_tie_share)

    @staticmethod
    def ones(xs: Sequence[Any]) -> list[float]:
        return [1.0] * len(xs)

    logsumexp = staticmethod(_logsumexp)

    @staticmethod
    def softmax(xs: Sequence[Any], out: Any) -> list[float]:
        return [math.exp(x - out) for x in xs]  # x − out ≤ 0, or NaN: never overflows


FLOATS = _Floats()


# --- floats with IEEE semantics (no exceptions): the fallback for local derivatives --------

class IEEE(float):
    """A float whose ``/`` and ``**`` follow IEEE 754 (±inf, NaN) instead of raising.

    The backward pass re-evaluates a local derivative on these when the plain float rule
    raised, so that d sqrt(x)/dx at 0 is inf and d(x**0)/dx at 0 is 0, as in PyTorch.
    """

    def __add__(self, o: Any) -> IEEE:
        return IEEE(float(self) + o)

    __radd__ = __add__

    def __sub__(self, o: Any) -> IEEE:
        return IEEE(float(self) - o)

    def __rsub__(self, o: Any) -> IEEE:
        return IEEE(o - float(self))

    def __mul__(self, o: Any) -> IEEE:
        return IEEE(float(self) * o)

    __rmul__ = __mul__

    def __neg__(self) -> IEEE:
        return IEEE(-float(self))

    def __truediv__(self, o: Any) -> IEEE:
        return IEEE(_ieee_div(float(self), float(o)))

    def __rtruediv__(self, o: Any) -> IEEE:
        return IEEE(_ieee_div(float(o), float(self)))

    def __pow__(self, o: Any) -> IEEE:  # type: ignore[override]
        return IEEE(_ieee_pow(float(self), float(o)))

    def __rpow__(self, o: Any) -> IEEE:  # type: ignore[override]
        return IEEE(_ieee_pow(float(o), float(self)))


def _ieee_div(a: float, b: float) -> float:
    if b != 0.0:
        return a / b  # float division overflows to inf without raising
    if a != a or a == 0.0:
        return math.nan
    return math.copysign(_INF, a) * math.copysign(1.0, b)


def _ieee_pow(a: float, b: float) -> float:
    try:
        out = a**b
    except ZeroDivisionError:  # ±0 to a negative power
        odd = b == int(b) and int(b) % 2 == 1
        return math.copysign(_INF, a) if odd else _INF
    except OverflowError:
        odd = b == int(b) and int(b) % 2 == 1
        return -_INF if a < 0.0 and odd else _INF
    return out if type(out) is float else math.nan  # a negative base to a fraction


def _ieee_fn(fn: Any, at_error: Any) -> Any:
    """``fn`` on floats, its result an ``IEEE`` float; where math raises, ``at_error(x)``."""
    def call(x: Any) -> Any:
        try:
            out = fn(x)
        except (ValueError, OverflowError, ZeroDivisionError):
            return IEEE(at_error(float(x)))
        return IEEE(out) if type(out) is float else out  # (a predicate's bool stays)

    return call


def _log_at_error(x: float) -> float:
    return -_INF if x == 0.0 else math.nan


class _IEEEFloats(_Floats):
    """``FLOATS`` with IEEE semantics: results are ``IEEE`` floats, and where the math
    module raises (log 0, √ of a negative, exp overflow) the function's ``at_error``
    value is returned."""

    name = "ieee floats"

    def interpret(self, f: Function) -> Callable[..., Any]:
        return _ieee_fn(f.floats, f.at_error)


IEEE_FLOATS = _IEEEFloats()


# --- complex numbers (complex-step differentiation) ---------------------------------------

class CStep(complex):
    """A complex number ordered by its real part, for complex-step differentiation.

    f(x + ih) = f(x) + ih f'(x) + O(h²) for analytic f, so Im f(x + ih) / h is f'(x) with
    no cancellation. Comparisons (``where`` conditions) look at the real part only.
    """

    def __add__(self, o: Any) -> CStep:
        return CStep(complex(self) + o)

    __radd__ = __add__

    def __sub__(self, o: Any) -> CStep:
        return CStep(complex(self) - o)

    def __rsub__(self, o: Any) -> CStep:
        return CStep(o - complex(self))

    def __mul__(self, o: Any) -> CStep:
        return CStep(complex(self) * o)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> CStep:
        return CStep(complex(self) / o)

    def __rtruediv__(self, o: Any) -> CStep:
        return CStep(o / complex(self))

    def __neg__(self) -> CStep:
        return CStep(-complex(self))

    def __pow__(self, o: Any) -> CStep:  # type: ignore[override]
        if isinstance(o, (int, float)) and o == int(o):
            return CStep(complex(self) ** int(o))
        return CStep(cmath.exp(o * cmath.log(complex(self))))

    def __rpow__(self, o: Any) -> CStep:  # type: ignore[override]
        return CStep(cmath.exp(complex(self) * cmath.log(o)))

    def __lt__(self, o: Any) -> bool:
        return self.real < _real(o)

    def __le__(self, o: Any) -> bool:
        return self.real <= _real(o)

    def __gt__(self, o: Any) -> bool:
        return self.real > _real(o)

    def __ge__(self, o: Any) -> bool:
        return self.real >= _real(o)

    def __eq__(self, o: Any) -> bool:
        return self.real == _real(o)

    def __ne__(self, o: Any) -> bool:
        return self.real != _real(o)

    __hash__ = complex.__hash__


def _real(x: Any) -> float:
    return x.real if isinstance(x, complex) else x


def _c_log1p(z: complex) -> complex:
    # log(1 + z) loses the tiny imaginary part's precision only when |z| is tiny; there
    # log1p(z) = z - z²/2 + ... is used instead.
    if abs(z) < 1e-4:
        return z - z * z / 2 + z * z * z / 3 - z**4 / 4
    return cmath.log(1 + z)


def _c_sigmoid(z: complex) -> complex:
    if z.real >= 0.0:  # the two branches of the float version: no exp overflows
        return 1.0 / (1.0 + cmath.exp(-z))
    e = cmath.exp(z)
    return e / (1.0 + e)


class _Complex(Namespace):
    """Complex numbers (``CStep``), with cmath."""

    name = "complex"

    def interpret(self, f: Function) -> Callable[..., Any]:
        if f.complex is None:
            raise MissingInterpretation(f"function {f.name!r} has no complex implementation "
                                        "(complex= in its declaration): no complex step")
        fn = f.complex
        if f.constant:  # piecewise constant or a predicate: of the real part
            return lambda z: fn(_real(z))
        return lambda z: CStep(fn(complex(z)))

    where = staticmethod(_Floats.where)

    @staticmethod
    def total(xs: Sequence[Any]) -> CStep:
        return CStep(sum(complex(x) for x in xs))

    @staticmethod
    def dot(a: Sequence[Any], b: Sequence[Any]) -> CStep:
        return CStep(sum(complex(x) * complex(y) for x, y in zip(a, b)))

    @staticmethod
    def largest(xs: Sequence[Any]) -> Any:
        return _largest(xs)

    @staticmethod
    def smallest(xs: Sequence[Any]) -> Any:
        return _smallest(xs)

    @staticmethod
    def tie_share(xs: Sequence[Any], out: Any) -> list[float]:
        return _tie_share([_real(x) for x in xs], _real(out))

    ones = staticmethod(_Floats.ones)

    @staticmethod
    def logsumexp(xs: Sequence[Any]) -> CStep:  # the shift c may be complex: exact anyway
        return CStep(_logsumexp(xs, cmath.exp, cmath.log))

    @staticmethod
    def softmax(xs: Sequence[Any], out: Any) -> list[CStep]:
        return [CStep(cmath.exp(complex(x) - complex(out))) for x in xs]


COMPLEX = _Complex()


# --- NumPy arrays (compile) ---------------------------------------------------------------

class Arrays(Namespace):
    """NumPy arrays, elementwise over a batch. The runs of n-ary ops are stacked arrays cut
    into segments (``offsets``, ``counts``): one segment per node. A function without a
    NumPy implementation runs its float version element by element."""

    name = "arrays"

    def __init__(self, offsets: Any = None, counts: Any = None) -> None:
        import numpy

        self.np = numpy
        self.offsets, self.counts = offsets, counts
        #: the common length of every segment, if they are all equal (else 0)
        self.width = (int(counts[0]) if counts is not None and len(counts)
                      and (numpy.asarray(counts) == counts[0]).all() else 0)
        self.where = numpy.where

    def interpret(self, f: Function) -> Callable[..., Any]:
        if isinstance(f.numpy, str):
            return getattr(self.np, f.numpy)
        if f.numpy is not None:
            return f.numpy
        return self.np.vectorize(f.floats, otypes=[bool if f.constant else float])

    def _per_term(self, out: Any) -> Any:
        return self.np.repeat(out, self.counts, axis=0)

    def total(self, xs: Any) -> Any:
        return self.np.add.reduceat(xs, self.offsets, axis=0)

    def dot(self, a: Any, b: Any) -> Any:
        return self.np.add.reduceat(a * b, self.offsets, axis=0)

    def largest(self, xs: Any) -> Any:
        return self.np.maximum.reduceat(xs, self.offsets, axis=0)  # NaN propagates

    def smallest(self, xs: Any) -> Any:
        return self.np.minimum.reduceat(xs, self.offsets, axis=0)

    def tie_share(self, xs: Any, out: Any) -> Any:
        np = self.np
        if self.width:  # equal segments: reshaped, no repeats
            k, n = len(self.counts), self.width
            x3, o3 = xs.reshape(k, n, -1), out[:, None, :]
            hit = x3 == o3
            if np.isnan(out).any():  # NaN wins: the NaN terms share the gradient
                hit = np.where(np.isnan(o3), np.isnan(x3), hit)
            return (hit / hit.sum(axis=1, keepdims=True)).reshape(k * n, -1)
        o = self._per_term(out)
        hit = np.where(np.isnan(o), np.isnan(xs), xs == o)
        count = np.add.reduceat(hit, self.offsets, axis=0)
        return hit / self._per_term(count)

    def ones(self, xs: Any) -> Any:
        return self.np.ones_like(xs)

    def logsumexp(self, xs: Any) -> Any:
        # log(e^a + e^b) folded over each segment: one ufunc, stable, inf and NaN as torch
        if self.width:  # equal segments: reshaped (reduceat is slow for this ufunc)
            return self.np.logaddexp.reduce(xs.reshape(len(self.counts), self.width, -1),
                                            axis=1)
        return self.np.logaddexp.reduceat(xs, self.offsets, axis=0)

    def softmax(self, xs: Any, out: Any) -> Any:
        if self.width:
            x3 = xs.reshape(len(self.counts), self.width, -1)
            return self.np.exp(x3 - out[:, None, :]).reshape(x3.shape[0] * self.width, -1)
        return self.np.exp(xs - self._per_term(out))


def ARRAYS() -> Arrays:  # noqa: N802 (a namespace, made on demand so NumPy stays optional)
    """The NumPy namespace for elementwise ops."""
    return Arrays()


#: Public names of the float helpers, shared with the core and the checks.
sign = _sign
tie_share = _tie_share
sigmoid = _sigmoid


# --- the functions the op table's rules call ----------------------------------------------

def _np_sigmoid(x: Any) -> Any:
    import numpy as np

    e = np.exp(-np.abs(x))  # the two branches of the float version, elementwise
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _torch_sigmoid(x: Any) -> Any:
    import torch

    e = torch.exp(-torch.abs(x))
    return torch.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


function("exp", math.exp, at_error=lambda x: _INF, complex=cmath.exp, numpy="exp",
         torch="exp", tex="\\exp")
function("log", math.log, at_error=_log_at_error, complex=cmath.log, numpy="log", torch="log",
         tex="\\log")
function("log1p", math.log1p, derivative=lambda m, x: 1.0 / (1.0 + x),
         at_error=lambda x: _log_at_error(x + 1.0), complex=_c_log1p, numpy="log1p",
         torch="log1p", tex="\\operatorname{log1p}")
function("tanh", math.tanh, complex=cmath.tanh, numpy="tanh", torch="tanh", tex="\\tanh")
function("sigmoid", _sigmoid, complex=_c_sigmoid, numpy=_np_sigmoid, torch=_torch_sigmoid,
         text="σ", tex="\\sigma")
function("sin", math.sin, complex=cmath.sin, numpy="sin", torch="sin", tex="\\sin")
function("cos", math.cos, complex=cmath.cos, numpy="cos", torch="cos", tex="\\cos")
function("sqrt", math.sqrt, complex=cmath.sqrt, numpy="sqrt", torch="sqrt")
# |x| continued analytically from the real axis: ±z
function("abs", abs, complex=lambda z: z if z.real >= 0.0 else -z, numpy="abs", torch="abs")
function("sign", _sign, constant=True, complex=_sign, numpy="sign", torch="sign",
         tex="\\operatorname{sign}")
function("isnan", math.isnan, constant=True, complex=math.isnan, numpy="isnan", torch="isnan",
         tex="\\operatorname{isnan}")

#: The functions declared here, which the op table's rules call: every namespace must
#: interpret each one (a test holds each namespace to it).
TABLE_FUNCTIONS = tuple(FUNCTIONS)
