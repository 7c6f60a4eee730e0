"""Symbols: the interpretation of op rules that gives formulas for display.

Running an op's partials on ``Symbol`` inputs (``SYMBOLS`` namespace) gives each local
derivative as an expression, so the formulas that ``explain`` and the drawings show are
derived from the very rule the engine runs, never written a second time. Expressions are
simplified as they are built (``1·x → x``, ``x + 0 → x``, constants folded) and render as
plain text (``str``) or LaTeX (``.tex()``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from .maths import FUNCTIONS, Function, Namespace

__all__ = ["Symbol", "SYMBOLS", "symbol", "tex_name", "number_text"]

# Precedence: higher binds tighter.
_PREC = {"where": 0, "cmp": 0, "add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4,
         "fn": 5, "num": 5, "var": 5}
_TEXT_OP = {"add": " + ", "sub": " − ", "mul": "·", "div": "/"}
#: TeX of the reductions; the maths functions' come from their declarations (FUNCTIONS)
_TEX_FN = {"max": "\\max", "min": "\\min", "logsumexp": "\\operatorname{logsumexp}"}


def _tex_function(shown: str) -> str:
    for f in FUNCTIONS.values():
        if f.shown == shown and f.tex:
            return f.tex
    return _TEX_FN.get(shown, f"\\operatorname{{{shown}}}")
_TEX_CMP = {"<": "<", "<=": "\\le", ">": ">", ">=": "\\ge", "==": "=", "!=": "\\ne"}
_TEXT_CMP = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


def number_text(v: float) -> str:
    """A number as a short literal: ``1`` for 1.0, ``0.5``, ``1e-08``."""
    if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def tex_name(name: str) -> str:
    """A name as LaTeX: ``w5 → w_{5}``, ``out_o1 → \\mathrm{out}_{o1}``, ``L1.n2.w1 →
    \\mathrm{L1.n2.w1}``. Characters TeX treats specially are escaped."""
    m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name) or re.fullmatch(r"([A-Za-z]+)_(\w+)", name)
    if m:
        base, sub = m.group(1), m.group(2)
        base_tex = base if len(base) == 1 else f"\\mathrm{{{base}}}"
        return f"{base_tex}_{{{_tex_escape(sub)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    return f"\\mathrm{{{_tex_escape(name)}}}"


#: Characters that names may hold, as LaTeX that KaTeX and MathJax both accept.
_TEX_CHARS = {"\\": "\\backslash ", "^": "\\wedge ", "~": "\\sim ", "\u2032": "'",
              "\u2033": "''", "\u2034": "'''", "\u2057": "''''", "\u00b7": "\\cdot ",
              "\u2212": "-", "\u00b2": "^{2}", "\u00b3": "^{3}", "\u221a": "\\surd ",
              "\u03c3": "\\sigma ", "\u2264": "\\le ", "\u2265": "\\ge ", "\u2260": "\\ne ",
              "\u2026": "\\ldots ", "|": "\\vert "}


def _tex_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "#$%&_{}":
            out.append("\\" + ch)
        elif ch in _TEX_CHARS:
            out.append(_TEX_CHARS[ch])
        elif ord(ch) > 127:  # anything else outside ASCII: spelled out, never an error
            out.append(f"\\text{{U+{ord(ch):04X}}}")
        else:
            out.append(ch)
    return "".join(out)


class Symbol:
    """An expression node: a number, a named variable, or an operation on expressions."""

    __slots__ = ("kind", "args", "value")

    def __init__(self, kind: str, args: tuple[Any, ...] = (), value: Any = None) -> None:
        self.kind, self.args, self.value = kind, args, value

    # --- construction with simplification -------------------------------------------------
    def __add__(self, o: Any) -> Symbol:
        return _add(self, _s(o))

    def __radd__(self, o: Any) -> Symbol:
        return _add(_s(o), self)

    def __sub__(self, o: Any) -> Symbol:
        return _sub(self, _s(o))

    def __rsub__(self, o: Any) -> Symbol:
        return _sub(_s(o), self)

    def __mul__(self, o: Any) -> Symbol:
        return _mul(self, _s(o))

    def __rmul__(self, o: Any) -> Symbol:
        return _mul(_s(o), self)

    def __truediv__(self, o: Any) -> Symbol:
        return _div(self, _s(o))

    def __rtruediv__(self, o: Any) -> Symbol:
        return _div(_s(o), self)

    def __pow__(self, o: Any) -> Symbol:
        return _pow(self, _s(o))

    def __rpow__(self, o: Any) -> Symbol:
        return _pow(_s(o), self)

    def __neg__(self) -> Symbol:
        return _neg(self)

    def _cmp(self, op: str, o: Any) -> Symbol:
        return Symbol("cmp", (self, _s(o)), op)

    def __lt__(self, o: Any) -> Symbol:
        return self._cmp("<", o)

    def __le__(self, o: Any) -> Symbol:
        return self._cmp("<=", o)

    def __gt__(self, o: Any) -> Symbol:
        return self._cmp(">", o)

    def __ge__(self, o: Any) -> Symbol:
        return self._cmp(">=", o)

    def __eq__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._cmp("==", o)

    def __ne__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._cmp("!=", o)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError("a symbolic condition has no truth value: use m.where(cond, a, b)")

    def is_number(self, v: float | None = None) -> bool:
        return self.kind == "num" and (v is None or self.value == v)

    # --- rendering ------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Symbol({self.text()!r})"

    def text(self) -> str:
        """Plain text, with Unicode operators: ``1 − out²``, ``cos(x)``."""
        k, a = self.kind, self.args
        if k == "num":
            return number_text(self.value)
        if k == "var":
            return str(self.value)
        if k in _TEXT_OP:
            right_prec = _PREC[k] + (1 if k in ("sub", "div") else 0)
            return f"{_wrap(a[0], _PREC[k], 'text')}{_TEXT_OP[k]}{_wrap(a[1], right_prec, 'text')}"
        if k == "neg":
            return f"−{_wrap(a[0], 2, 'text')}"
        if k == "pow":
            if a[1].is_number(2):
                return f"{_wrap(a[0], 5, 'text')}²"
            return f"{_wrap(a[0], 5, 'text')}^{_wrap(a[1], 5, 'text')}"
        if k == "fn":
            if self.value == "abs":
                return f"|{a[0].text()}|"
            return f"{self.value}({', '.join(x.text() for x in a)})"
        if k == "cmp":
            return f"{a[0].text()} {_TEXT_CMP[self.value]} {a[1].text()}"
        if k == "where":
            if a[1].is_number(1) and a[2].is_number(0):
                return f"[{a[0].text()}]"
            return f"({a[1].text()} if {a[0].text()} else {a[2].text()})"
        raise AssertionError(k)

    def tex(self) -> str:
        """LaTeX (valid in KaTeX and MathJax): ``1 - \\mathrm{out}^{2}``, ``\\cos(x)``."""
        k, a = self.kind, self.args
        if k == "num":
            return number_text(self.value).replace("e", "\\mathrm{e}")
        if k == "var":
            return tex_name(str(self.value))
        if k == "add":
            return f"{_wrap(a[0], 1, 'tex')} + {_wrap(a[1], 1, 'tex')}"
        if k == "sub":
            return f"{_wrap(a[0], 1, 'tex')} - {_wrap(a[1], 2, 'tex')}"
        if k == "mul":
            return f"{_wrap(a[0], 2, 'tex')} \\cdot {_wrap(a[1], 2, 'tex')}"
        if k == "div":
            return f"\\frac{{{a[0].tex()}}}{{{a[1].tex()}}}"
        if k == "neg":
            return f"-{_wrap(a[0], 2, 'tex')}"
        if k == "pow":
            return f"{{{_wrap(a[0], 5, 'tex')}}}^{{{a[1].tex()}}}"
        if k == "fn":
            if self.value == "abs":
                return f"\\left|{a[0].tex()}\\right|"
            if self.value == "sqrt":
                return f"\\sqrt{{{a[0].tex()}}}"
            name = _tex_function(self.value)
            return f"{name}\\left({', '.join(x.tex() for x in a)}\\right)"
        if k == "cmp":
            return f"{a[0].tex()} {_TEX_CMP[self.value]} {a[1].tex()}"
        if k == "where":
            if a[1].is_number(1) and a[2].is_number(0):
                return f"[{a[0].tex()}]"
            return (f"\\begin{{cases}} {a[1].tex()} & \\text{{if }} {a[0].tex()} \\\\ "
                    f"{a[2].tex()} & \\text{{otherwise}} \\end{{cases}}")
        raise AssertionError(k)


def _wrap(s: Symbol, prec: int, how: str) -> str:
    body = s.text() if how == "text" else s.tex()
    if _PREC[s.kind] < prec or (s.kind == "num" and s.value < 0 and prec > 1):
        return f"({body})" if how == "text" else f"\\left({body}\\right)"
    return body


def symbol(name: str) -> Symbol:
    """A named variable."""
    return Symbol("var", (), name)


def _s(x: Any) -> Symbol:
    if isinstance(x, Symbol):
        return x
    if isinstance(x, bool):
        return Symbol("num", (), 1.0 if x else 0.0)
    if isinstance(x, (int, float)):
        return Symbol("num", (), float(x))
    raise TypeError(f"symbolic: cannot use {type(x).__name__} in a formula")


def _add(a: Symbol, b: Symbol) -> Symbol:
    if a.is_number() and b.is_number():
        return _s(a.value + b.value)
    if a.is_number(0):
        return b
    if b.is_number(0):
        return a
    if b.kind == "neg":
        return _sub(a, b.args[0])
    return Symbol("add", (a, b))


def _sub(a: Symbol, b: Symbol) -> Symbol:
    if a.is_number() and b.is_number():
        return _s(a.value - b.value)
    if b.is_number(0):
        return a
    if a.is_number(0):
        return _neg(b)
    return Symbol("sub", (a, b))


def _mul(a: Symbol, b: Symbol) -> Symbol:
    if a.is_number() and b.is_number():
        return _s(a.value * b.value)
    if a.is_number(0) or b.is_number(0):
        return _s(0.0)
    if a.is_number(1):
        return b
    if b.is_number(1):
        return a
    if a.is_number(-1):
        return _neg(b)
    if b.is_number(-1):
        return _neg(a)
    if b.is_number():  # constants first: 2·x, not x·2
        return _mul(b, a)
    if a.kind == "neg":
        return _neg(_mul(a.args[0], b))
    if b.kind == "neg":
        return _neg(_mul(a, b.args[0]))
    return Symbol("mul", (a, b))


def _div(a: Symbol, b: Symbol) -> Symbol:
    if a.is_number() and b.is_number() and b.value != 0:
        return _s(a.value / b.value)
    if b.is_number(1):
        return a
    if a.is_number(0):
        return a
    if a.kind == "neg":
        return _neg(_div(a.args[0], b))
    return Symbol("div", (a, b))


def _pow(a: Symbol, b: Symbol) -> Symbol:
    if a.is_number() and b.is_number():
        try:
            return _s(a.value**b.value)
        except (ZeroDivisionError, OverflowError):
            pass
    if b.is_number(1):
        return a
    if b.is_number(0):
        return _s(1.0)
    return Symbol("pow", (a, b))


def _neg(a: Symbol) -> Symbol:
    if a.is_number():
        return _s(-a.value)
    if a.kind == "neg":
        return a.args[0]
    if a.kind == "sub":
        return Symbol("sub", (a.args[1], a.args[0]))
    return Symbol("neg", (a,))


def _fn(name: str) -> Any:
    def call(*xs: Any) -> Symbol:
        return Symbol("fn", tuple(_s(x) for x in xs), name)

    call.__name__ = name
    return call


class _Symbols(Namespace):
    """Symbols: each function builds an expression."""

    name = "symbols"

    def interpret(self, f: Function) -> Callable[..., Any]:
        return _fn(f.shown)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Symbol:
        if isinstance(cond, bool):
            return _s(a if cond else b)
        a, b = _s(a), _s(b)
        if a.is_number() and b.is_number() and a.value == b.value:
            return a
        return Symbol("where", (cond, a, b))

    @staticmethod
    def total(xs: Sequence[Any]) -> Symbol:
        out = _s(0.0)
        for x in xs:
            out = out + x
        return out

    @staticmethod
    def dot(a: Sequence[Any], b: Sequence[Any]) -> Symbol:
        return _Symbols.total([x * y for x, y in zip(a, b)])

    @staticmethod
    def largest(xs: Sequence[Any]) -> Symbol:
        return Symbol("fn", tuple(_s(x) for x in xs), "max")

    @staticmethod
    def smallest(xs: Sequence[Any]) -> Symbol:
        return Symbol("fn", tuple(_s(x) for x in xs), "min")

    @staticmethod
    def tie_share(xs: Sequence[Any], out: Any) -> list[Symbol]:
        # [x_i = out] (split evenly between ties, which the formula does not show)
        return [_Symbols.where(_s(x) == out, 1.0, 0.0) for x in xs]

    @staticmethod
    def ones(xs: Sequence[Any]) -> list[Symbol]:
        return [_s(1.0) for _ in xs]

    @staticmethod
    def logsumexp(xs: Sequence[Any]) -> Symbol:
        return Symbol("fn", tuple(_s(x) for x in xs), "logsumexp")

    @staticmethod
    def softmax(xs: Sequence[Any], out: Any) -> list[Symbol]:
        return [SYMBOLS.exp(_s(x) - out) for x in xs]


SYMBOLS = _Symbols()
