"""The op table's two independent oracles, side by side: for each op, its PyTorch spelling
(``TORCH``) and its reference written by hand from the mathematics with mpmath at 50
digits (``REFERENCES``). Neither reads an op's own rules.

``tests/test_torch.py`` (and ``tests/test_fuzz_torch.py``) run every op against ``TORCH``;
``tests/test_ulp.py`` measures every op's error against ``REFERENCES`` (the points and the
measuring are in ``tests/ulp_oracle.py``). Each fails for an op of the table that has no
entry here: **to add an op, add its entry to both dicts of this file.**

Nothing here runs either library at import: PyTorch is imported where a ``TORCH`` entry
first runs (``tests/test_ulp.py`` never pays for it), and mpmath only where a reference
runs, so each test needs only its own library (``support.need`` skips without it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from autograd.rules.ops import Op

try:
    from mpmath import mp, mpf
except ImportError:  # only the references need it: tests/test_ulp.py skips without it
    mp = mpf = None

DPS = 50  # decimal digits of the references
if mp is not None:
    mp.dps = DPS


class _Later:
    """A library imported where it is first used, not when this module is imported."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


torch: Any = _Later("torch")


# --- PyTorch: each op written with PyTorch's own functions (flat inputs) -------------------

TORCH: dict[str, Callable[..., Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "neg": lambda x: -x,
    "**": lambda a, b: a**b,
    "exp": lambda x: torch.exp(x),
    "log": lambda x: torch.log(x),
    "sqrt": lambda x: torch.sqrt(x),
    "tanh": lambda x: torch.tanh(x),
    "sigmoid": lambda x: torch.sigmoid(x),
    "relu": lambda x: torch.relu(x),
    "sin": lambda x: torch.sin(x),
    "cos": lambda x: torch.cos(x),
    "abs": lambda x: torch.abs(x),
    "softplus": lambda x: torch.nn.functional.softplus(x),
    "sum": lambda *xs: torch.stack(xs).sum(),
    "dot": lambda start, *ab: start + torch.dot(torch.stack(ab[: len(ab) // 2]),
                                                torch.stack(ab[len(ab) // 2:])),
    "max": lambda *xs: torch.stack(xs).max(),
    "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
    "min": lambda *xs: torch.stack(xs).min(),
}

#: Each parametrized family's PyTorch spelling, from its parameter.
FAMILY_TORCH: dict[str, Callable[[float], Callable[..., Any]]] = {
    "**c": lambda c: (lambda x: x**c),
    "leaky_relu": lambda s: (lambda x: torch.nn.functional.leaky_relu(x, s)),
}


def torch_fn(op: Op) -> Callable[..., Any]:
    """``op`` written with PyTorch (KeyError if it has no entry)."""
    return FAMILY_TORCH[op.family](*op.params) if op.params else TORCH[op.name]


# --- mpmath: the mathematics at 50 digits ---------------------------------------------------

Ref = Callable[[list[mpf]], mpf]
Partials = Callable[[list[mpf]], list[mpf]]


@dataclass(frozen=True)
class Reference:
    """The exact forward and local derivatives of an op on flat inputs (mpf, exact copies
    of the float inputs). A derivative that is infinite (√ at 0) is ``mp.inf``."""

    forward: Ref
    partials: Partials


def _exact_sum(terms: Iterable[mpf]) -> mpf:
    """Σ terms without rounding (floats and their pairwise products fit in 4,400 bits)."""
    with mp.workprec(4400):
        s = mpf(0)
        for t in terms:
            s += t
    return s


def _sign(x: mpf) -> mpf:
    return mpf(1) if x > 0 else mpf(-1) if x < 0 else mpf(0)


def _sigmoid(x: mpf) -> mpf:
    return 1 / (1 + mp.exp(-x))


def _sigmoid_slope(x: mpf) -> mpf:
    """σ′(x) = e^−|x| / (1 + e^−|x|)², without forming 1 − σ (which 50 digits cannot hold
    for x beyond ~115)."""
    e = mp.exp(-abs(x))
    return e / (1 + e) ** 2


def _ties(xs: list[mpf], best: mpf) -> list[mpf]:
    """The gradient of max/min: split evenly among the elements equal to the extreme."""
    k = sum(1 for x in xs if x == best)
    return [mpf(1) / k if x == best else mpf(0) for x in xs]


def _lse_shifted(xs: list[mpf]) -> tuple[mpf, list[mpf]]:
    """(c, [e^(x_i − c)]) with c = max x_i and each x_i − c exact (so that inputs near
    1e300 keep their exponent's every digit)."""
    c = max(xs)
    with mp.workprec(2200):
        diffs = [x - c for x in xs]
    return c, [mp.exp(d) for d in diffs]


def _logsumexp(xs: list[mpf]) -> mpf:
    c, terms = _lse_shifted(xs)
    with mp.workdps(DPS + 20):
        tail = mp.log(mp.fsum(terms))
    with mp.workprec(2200):  # c + tail without cancelling digits away
        return c + tail


def _softmax(xs: list[mpf]) -> list[mpf]:
    _, terms = _lse_shifted(xs)
    total = mp.fsum(terms)
    return [t / total for t in terms]


def _halves(xs: list[mpf]) -> tuple[mpf, list[mpf], list[mpf]]:
    n = (len(xs) - 1) // 2
    return xs[0], xs[1:1 + n], xs[1 + n:]


def _dot(xs: list[mpf]) -> mpf:
    start, a, b = _halves(xs)
    with mp.workprec(4400):
        products = [p * q for p, q in zip(a, b)]
    return _exact_sum([start, *products])


def _dot_partials(xs: list[mpf]) -> list[mpf]:
    _, a, b = _halves(xs)
    return [mpf(1), *b, *a]


def _pow_partials(xs: list[mpf]) -> list[mpf]:
    a, b = xs
    return [b * mp.power(a, b - 1), mp.power(a, b) * mp.log(a)]


def _sqrt_slope(x: mpf) -> mpf:
    return mp.inf if x == 0 else 1 / (2 * mp.sqrt(x))


def _softplus(x: mpf) -> mpf:
    # the op's definition: log(1 + e^x), and x itself above the threshold 20 (as PyTorch)
    return x if x > 20 else mp.log1p(mp.exp(x))


def _softplus_slope(x: mpf) -> mpf:
    return mpf(1) if x > 20 else _sigmoid(x)


def _power(x: mpf, c: float) -> mpf:
    """x^c for a float c: an integer power when c is one (negative x allowed), 0^0 = 1."""
    if c == int(c):
        return mpf(1) if c == 0 else x ** int(c)
    return mp.power(x, c)


def pow_const_reference(c: float) -> Reference:
    """x^c and its derivative c·x^(c−1) (0 for c = 0 at every x; +inf at x = 0 for
    0 < c < 1)."""
    def slope(xs: list[mpf]) -> list[mpf]:
        (x,) = xs
        if c == 0:
            return [mpf(0)]
        if x == 0 and c - 1 < 0:
            return [mp.inf]
        return [c * _power(x, c - 1)]

    return Reference(lambda xs: _power(xs[0], c), slope)


def leaky_relu_reference(slope: float) -> Reference:
    """x for x > 0, else slope·x; derivative 1 for x > 0, else the slope (at 0 too)."""
    s = mpf(slope)
    return Reference(lambda xs: xs[0] if xs[0] > 0 else s * xs[0],
                     lambda xs: [mpf(1) if xs[0] > 0 else s])


def _unary(f: Callable[[mpf], mpf], df: Callable[[mpf], mpf]) -> Reference:
    """The reference of a one-input op: f(x) and f′(x)."""
    return Reference(lambda xs: f(xs[0]), lambda xs: [df(xs[0])])


REFERENCES: dict[str, Reference] = {
    "+": Reference(lambda xs: xs[0] + xs[1], lambda xs: [mpf(1), mpf(1)]),
    "-": Reference(lambda xs: xs[0] - xs[1], lambda xs: [mpf(1), mpf(-1)]),
    "*": Reference(lambda xs: xs[0] * xs[1], lambda xs: [xs[1], xs[0]]),
    "/": Reference(lambda xs: xs[0] / xs[1], lambda xs: [1 / xs[1], -xs[0] / xs[1] ** 2]),
    "neg": _unary(lambda x: -x, lambda x: mpf(-1)),
    "**": Reference(lambda xs: mp.power(xs[0], xs[1]), _pow_partials),
    "exp": _unary(lambda x: mp.exp(x), lambda x: mp.exp(x)),
    "log": _unary(lambda x: mp.log(x), lambda x: 1 / x),
    "sqrt": _unary(lambda x: mp.sqrt(x), _sqrt_slope),
    "tanh": _unary(lambda x: mp.tanh(x), lambda x: mp.sech(x) ** 2),
    "sigmoid": _unary(_sigmoid, _sigmoid_slope),
    "relu": _unary(lambda x: x if x > 0 else mpf(0), lambda x: mpf(1) if x > 0 else mpf(0)),
    "sin": _unary(lambda x: mp.sin(x), lambda x: mp.cos(x)),
    "cos": _unary(lambda x: mp.cos(x), lambda x: -mp.sin(x)),
    "abs": _unary(abs, _sign),
    "softplus": _unary(_softplus, _softplus_slope),
    "sum": Reference(_exact_sum, lambda xs: [mpf(1)] * len(xs)),
    "dot": Reference(_dot, _dot_partials),
    "max": Reference(max, lambda xs: _ties(xs, max(xs))),
    "min": Reference(min, lambda xs: _ties(xs, min(xs))),
    "logsumexp": Reference(_logsumexp, _softmax),
}

#: The reference of each parametrized family, from its parameter.
FAMILY_REFERENCES: dict[str, Callable[[float], Reference]] = {
    "**c": pow_const_reference,
    "leaky_relu": leaky_relu_reference,
}


def reference(op: Op) -> Reference:
    """The reference of ``op`` (KeyError if it has none)."""
    if op.params:
        return FAMILY_REFERENCES[op.family](*op.params)
    return REFERENCES[op.name]


__all__ = ["TORCH", "FAMILY_TORCH", "torch_fn", "DPS", "Reference", "REFERENCES",
           "FAMILY_REFERENCES", "reference", "pow_const_reference", "leaky_relu_reference"]
