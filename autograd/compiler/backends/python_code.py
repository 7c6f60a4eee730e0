"""Python expressions from the op table's rules: the maths namespace of ``backend="python"``.

Running an op's rules (``forward``, ``partials``, ``vjp``, a domain's ``bad``) on ``Code``
operands, through the namespace ``PythonCode``, writes each as a Python expression in the
operands' names: ``partials`` of sigmoid gives ``out_h1 * (1 - out_h1)``. So the generated
backward pass is derived from the very rules the engine runs, and a new op gets its lines
with no table to extend. Expressions are simplified only where the result is the same
float (``1 * x`` is ``x``; ``0 * x`` stays, it is NaN for an infinite x), and grouping is
kept as the rule wrote it (``a + (b + c)`` keeps its parentheses: floats do not
reassociate). Maths functions are written as ``math.exp`` and so on; the ones ``math`` lacks
(sigmoid, sign, the reductions of n-ary runs) are defined by ``HELPERS``, plain Python
that a test holds equal to the engine's float versions.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

from ...rules.maths import Function, MissingInterpretation, Namespace

__all__ = ["Code", "PythonCode", "HELPERS", "number"]

# Python's precedences, higher binds tighter.
_COND, _OR, _AND, _NOT, _CMP, _ADD, _MUL, _UNARY, _POW, _ATOM = range(1, 11)
_BINARY = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "**": _POW}


def number(v: float, operand: bool = False) -> str:
    """A float as Python source: ``1.0`` (``1`` as an ``operand`` of arithmetic), ``0.5``,
    ``math.inf``, ``math.nan``; exact (``repr``) otherwise."""
    if v != v:
        return "math.nan"
    if v in (math.inf, -math.inf):
        return "math.inf" if v > 0 else "-math.inf"
    if operand and v == int(v) and abs(v) < 1e15 and (v != 0.0 or math.copysign(1.0, v) > 0):
        return str(int(v))
    return repr(float(v))


class Code:
    """A Python expression: its text, its precedence and, for a number, its value.
    Arithmetic and comparisons on Codes build Codes; ``&``, ``|`` and ``~`` are ``and``,
    ``or`` and ``not``. It has no truth value (a rule must use ``m.where``)."""

    __slots__ = ("text", "prec", "value", "where", "item", "negated")

    def __init__(self, text: str, prec: int = _ATOM, value: float | None = None) -> None:
        self.text, self.prec, self.value = text, prec, value
        #: for ``a if cond else b``: (cond, a, b)
        self.where: tuple[Code, Code, Code] | None = None
        #: for ``call[i]`` of a list-valued helper call: (call, i)
        self.item: tuple[Code, int] | None = None
        #: for ``-x``: x
        self.negated: Code | None = None

    def __repr__(self) -> str:
        return f"Code({self.text!r})"

    def __bool__(self) -> bool:
        raise TypeError("a generated condition has no truth value: use m.where(cond, a, b)")

    def is_number(self, v: float | None = None) -> bool:
        return self.value is not None and (v is None or self.value == v)

    def operand(self) -> str:
        """The text as an operand of arithmetic (integers without ``.0``)."""
        return number(self.value, operand=True) if self.value is not None else self.text

    # --- arithmetic, simplified where the float result is the same -------------------------
    def __add__(self, o: Any) -> Code:
        return _add(self, code(o))

    def __radd__(self, o: Any) -> Code:
        return _add(code(o), self)

    def __sub__(self, o: Any) -> Code:
        return _sub(self, code(o))

    def __rsub__(self, o: Any) -> Code:
        return _sub(code(o), self)

    def __mul__(self, o: Any) -> Code:
        return _mul(self, code(o))

    def __rmul__(self, o: Any) -> Code:
        return _mul(code(o), self)

    def __truediv__(self, o: Any) -> Code:
        return _div(self, code(o))

    def __rtruediv__(self, o: Any) -> Code:
        return _div(code(o), self)

    def __pow__(self, o: Any) -> Code:
        return _pow(self, code(o))

    def __rpow__(self, o: Any) -> Code:
        return _pow(code(o), self)

    def __neg__(self) -> Code:
        if self.value is not None:
            return code(-self.value)
        if self.negated is not None:  # -(-x) is x
            return self.negated
        out = Code("-" + _wrap(self, _UNARY), _UNARY)
        out.negated = self
        return out

    # --- conditions ---------------------------------------------------------------------
    def _cmp(self, op: str, o: Any) -> Code:
        o = code(o)
        return Code(f"{_wrap(self, _CMP + 1)} {op} {_wrap(o, _CMP + 1)}", _CMP)

    def __lt__(self, o: Any) -> Code:
        return self._cmp("<", o)

    def __le__(self, o: Any) -> Code:
        return self._cmp("<=", o)

    def __gt__(self, o: Any) -> Code:
        return self._cmp(">", o)

    def __ge__(self, o: Any) -> Code:
        return self._cmp(">=", o)

    def __eq__(self, o: Any) -> Code:  # type: ignore[override]
        return self._cmp("==", o)

    def __ne__(self, o: Any) -> Code:  # type: ignore[override]
        return self._cmp("!=", o)

    __hash__ = object.__hash__

    def __and__(self, o: Any) -> Any:
        return _logic(self, o, "and")

    __rand__ = __and__

    def __or__(self, o: Any) -> Any:
        return _logic(self, o, "or")

    __ror__ = __or__

    def __invert__(self) -> Code:
        return Code(f"not {_wrap(self, _NOT)}", _NOT)


# --- building ---------------------------------------------------------------------------

def code(x: Any) -> Code:
    """``x`` as a Code: a Code, or a number."""
    if isinstance(x, Code):
        return x
    if isinstance(x, bool):
        return Code("True" if x else "False", _ATOM)
    if isinstance(x, (int, float)):
        v = float(x)
        return Code(number(v), _UNARY if v < 0 or str(v).startswith("-") else _ATOM, v)
    raise TypeError(f"python backend: cannot write {type(x).__name__} into generated code")


def _wrap(c: Code, least: int) -> str:
    """The text of ``c`` as an operand that must bind at least as tightly as ``least``."""
    text = c.operand()
    prec = _UNARY if text.startswith("-") else c.prec
    return f"({text})" if prec < least else text


def _branch(c: Code, least: int) -> str:
    """A branch of ``a if cond else b``: a number stays a float (``0.0``, not ``0``)."""
    return c.text if c.value is not None and c.value >= 0.0 else _wrap(c, least)


def _binary(a: Code, b: Code, op: str) -> Code:
    p = _BINARY[op]
    if op == "**":  # right-associative; a negative base needs its parentheses
        return Code(f"{_wrap(a, p + 1)} ** {_wrap(b, _ATOM)}", p)
    return Code(f"{_wrap(a, p)} {op} {_wrap(b, p + 1)}", p)


def _fold(a: Code, b: Code, f: Callable[[float, float], float]) -> Code | None:
    if a.value is None or b.value is None:
        return None
    try:
        return code(f(a.value, b.value))
    except (ArithmeticError, ValueError):
        return None


def _add(a: Code, b: Code) -> Code:
    folded = _fold(a, b, lambda x, y: x + y)
    if folded is not None:
        return folded
    if a.is_number(0.0):
        return b
    if b.is_number(0.0):
        return a
    if b.negated is not None:  # a + (-b) is a - b, exactly
        return _binary(a, b.negated, "-")
    if b.value is not None and b.value < 0.0:
        return _binary(a, code(-b.value), "-")
    return _binary(a, b, "+")


def _sub(a: Code, b: Code) -> Code:
    folded = _fold(a, b, lambda x, y: x - y)
    if folded is not None:
        return folded
    if b.is_number(0.0):
        return a
    if b.negated is not None:  # a - (-b) is a + b, exactly
        return _binary(a, b.negated, "+")
    if b.value is not None and b.value < 0.0:
        return _binary(a, code(-b.value), "+")
    return _binary(a, b, "-")


def _mul(a: Code, b: Code) -> Code:
    folded = _fold(a, b, lambda x, y: x * y)
    if folded is not None:
        return folded
    for one, other in ((a, b), (b, a)):
        if one.is_number(1.0):
            return other
        if one.is_number(-1.0):
            return -other
    if b.value is not None:  # constants first: 2 * x (a product commutes exactly)
        a, b = b, a
    return _binary(a, b, "*")


def _div(a: Code, b: Code) -> Code:
    folded = _fold(a, b, lambda x, y: x / y)
    if folded is not None:
        return folded
    if b.is_number(1.0):
        return a
    return _binary(a, b, "/")


def _pow(a: Code, b: Code) -> Code:
    folded = _fold(a, b, lambda x, y: float(x**y))
    if folded is not None and not isinstance(a.value, complex):
        return folded
    if b.is_number(1.0):
        return a
    return _binary(a, b, "**")


def _logic(a: Any, b: Any, word: str) -> Any:
    """``a and b`` / ``a or b``, folding a Python bool (a rule's constant condition)."""
    for known, other in ((a, b), (b, a)):
        if isinstance(known, bool):
            if word == "and":
                return other if known else False
            return True if known else other
    p = _AND if word == "and" else _OR
    return Code(f"{_wrap(code(a), p)} {word} {_wrap(code(b), p + 1)}", p)


def call(name: str, *args: Code) -> Code:
    return Code(f"{name}({', '.join(a.text for a in args)})", _ATOM)


def listing(xs: Sequence[Any]) -> Code:
    return Code("[" + ", ".join(code(x).text for x in xs) + "]", _ATOM)


# --- helpers: plain Python for what math lacks ------------------------------------------

#: Each helper's source and the helpers it calls. A test holds each equal to the float
#: version the engine runs (``autograd.rules.maths.FLOATS``), NaN and ties included.
HELPERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sigmoid": ('''def sigmoid(x):
    """1 / (1 + e^-x), in two branches so that exp never overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)''', ()),
    "sign": ('''def sign(x):
    """1, -1 or 0 (0 for NaN too)."""
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0''', ()),
    "largest": ('''def largest(xs):
    """The largest of xs; NaN if one is NaN."""
    out = xs[0]
    for x in xs:
        if x != x:
            return x
        if x > out:
            out = x
    return out''', ()),
    "smallest": ('''def smallest(xs):
    """The smallest of xs; NaN if one is NaN."""
    out = xs[0]
    for x in xs:
        if x != x:
            return x
        if x < out:
            out = x
    return out''', ()),
    "tie_share": ('''def tie_share(xs, out):
    """d out / d x_i for out = largest(xs) or smallest(xs): 1/k for each of the k x_i
    equal to out (or NaN where out is NaN), 0 for the others."""
    hit = [x != x for x in xs] if out != out else [x == out for x in xs]
    share = 1.0 / sum(hit)
    return [share if h else 0.0 for h in hit]''', ()),
    "logsumexp": ('''def logsumexp(xs):
    """log(sum of e^x) as c + log(sum of e^(x - c)), c = largest(xs): no exp overflows."""
    c = largest(xs)
    if c != c or c == math.inf or c == -math.inf:
        return c
    return c + math.log(sum([math.exp(x - c) for x in xs]))''', ("largest",)),
}


class PythonCode(Namespace):
    """The maths namespace that writes Python: each function call becomes its text.
    ``used`` collects the helpers the code needs; ``external`` the maths functions with
    no plain-Python text (a user's), which the code calls by name."""

    name = "python code"

    def __init__(self) -> None:
        self.used: dict[str, None] = {}
        self.external: dict[str, Callable[..., Any]] = {}

    def helper(self, name: str) -> str:
        for dep in HELPERS[name][1]:
            self.helper(dep)
        self.used[name] = None
        return name

    def interpret(self, f: Function) -> Callable[..., Any]:
        fn = f.floats
        if getattr(math, getattr(fn, "__name__", ""), None) is fn:
            name = f"math.{fn.__name__}"
        elif getattr(builtins, getattr(fn, "__name__", ""), None) is fn:
            name = fn.__name__
        elif f.name in HELPERS:
            name = self.helper(f.name)
        elif f.name.isidentifier():
            name = f.name
            self.external[name] = fn
        else:  # pragma: no cover (function() refuses such names)
            raise MissingInterpretation(f"python backend: cannot write function {f.name!r}")
        return lambda x: call(name, code(x))

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        if isinstance(cond, bool):
            return a if cond else b
        a, b = code(a), code(b)
        if a.value is not None and a.value == b.value:
            return a
        out = Code(f"{_branch(a, _COND + 1)} if {_wrap(cond, _COND + 1)} else "
                   f"{_branch(b, _COND)}", _COND)
        out.where = (cond, a, b)
        return out

    @staticmethod
    def total(xs: Sequence[Any]) -> Code:
        out = code(xs[0])
        for x in xs[1:]:
            out = out + x
        return out

    @staticmethod
    def dot(a: Sequence[Any], b: Sequence[Any]) -> Code:
        return PythonCode.total([code(x) * y for x, y in zip(a, b)])

    def largest(self, xs: Sequence[Any]) -> Code:
        return call(self.helper("largest"), listing(xs))

    def smallest(self, xs: Sequence[Any]) -> Code:
        return call(self.helper("smallest"), listing(xs))

    def tie_share(self, xs: Sequence[Any], out: Any) -> list[Code]:
        shares = call(self.helper("tie_share"), listing(xs), code(out))
        items = []
        for i in range(len(xs)):
            item = Code(f"{shares.text}[{i}]", _ATOM)
            item.item = (shares, i)
            items.append(item)
        return items

    @staticmethod
    def ones(xs: Sequence[Any]) -> list[Code]:
        return [code(1.0) for _ in xs]

    def logsumexp(self, xs: Sequence[Any]) -> Code:
        return call(self.helper("logsumexp"), listing(xs))

    def softmax(self, xs: Sequence[Any], out: Any) -> list[Code]:
        exp = self.exp
        return [exp(code(x) - out) for x in xs]
