"""How far a gradient may round: the tolerances of the checking wing.

The engine's ∂f/∂x_i, computed by the chain rule in floats, is allowed 8·ε·(S_i + C_i)
(ε = 2⁻⁵²; ``rounding_bounds`` computes ε·(S_i + C_i)). S_i = Σ over paths from the output
to x_i of Π |d| (d: the local derivatives on the path); C_i = Σ over paths of Π |d| times
Σ over the path's nodes of (1 + Σ|terms of d| / |d|): each product rounds once, and each
derivative rounds as the terms its rule adds (1 − tanh² rounds as 1 + tanh²), which
``partials`` run on magnitudes (``MAGNITUDES``) reveals. On 4,053 gradients of 2,000 random
graphs the largest |analytic − complex step| was 0.39·ε·(S + C).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..core.value import Value, op_of, topological_order
from ..rules.maths import FLOATS, Function, Namespace, tie_share
from ..rules.ops import Op

__all__ = ["EPS", "ROUNDING_FACTOR", "LOCAL_FACTOR", "ESTIMATE_FACTOR", "MAGNITUDES",
           "local_magnitudes", "local_terms", "local_tolerance",
           "rounding_bounds"]

EPS = 2.0**-52
#: the safety factor on the rounding bound ε·(S + C) of a whole graph (on 4,053 gradients of
#: 2,000 random graphs the largest |analytic − complex step| was 0.39·ε·(S + C))
ROUNDING_FACTOR = 8.0
#: the safety factor on ε·(|rule's terms| + |reference|) for one op's local derivative (the
#: complex forward itself rounds: up to 3.5 ε seen, for x**2.5 through exp(2.5·log z))
LOCAL_FACTOR = 16.0
#: the safety factor on a reference's own error estimate (Richardson's, a complex step's)
ESTIMATE_FACTOR = 10.0


class _Mag:
    """A number with the sum of absolute values of the terms that made it (``m``): the
    scale of its rounding error. Used to run a partial rule and learn its cancellation."""

    __slots__ = ("v", "m")

    def __init__(self, v: float, m: float | None = None) -> None:
        self.v, self.m = v, abs(v) if m is None else m

    def __add__(self, o: Any) -> _Mag:
        o = _mag(o)
        return _Mag(self.v + o.v, self.m + o.m)

    __radd__ = __add__

    def __sub__(self, o: Any) -> _Mag:
        o = _mag(o)
        return _Mag(self.v - o.v, self.m + o.m)

    def __rsub__(self, o: Any) -> _Mag:
        return _mag(o) - self

    def __mul__(self, o: Any) -> _Mag:
        o = _mag(o)
        return _Mag(self.v * o.v, self.m * o.m)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> _Mag:
        o = _mag(o)
        return _Mag(self.v / o.v, self.m / abs(o.v))

    def __rtruediv__(self, o: Any) -> _Mag:
        return _mag(o) / self

    def __pow__(self, o: Any) -> _Mag:
        return _Mag(self.v ** _mag(o).v)

    def __rpow__(self, o: Any) -> _Mag:
        return _Mag(_mag(o).v ** self.v)

    def __neg__(self) -> _Mag:
        return _Mag(-self.v, self.m)

    def __float__(self) -> float:
        return float(self.v)

    def __lt__(self, o: Any) -> bool:
        return self.v < _mag(o).v

    def __le__(self, o: Any) -> bool:
        return self.v <= _mag(o).v

    def __gt__(self, o: Any) -> bool:
        return self.v > _mag(o).v

    def __ge__(self, o: Any) -> bool:
        return self.v >= _mag(o).v

    def __eq__(self, o: object) -> bool:
        return self.v == _mag(o).v

    def __ne__(self, o: object) -> bool:
        return self.v != _mag(o).v

    __hash__ = None  # type: ignore[assignment]


def _mag(x: Any) -> _Mag:
    return x if isinstance(x, _Mag) else _Mag(float(x))


class _Magnitudes(Namespace):
    """The maths namespace on ``_Mag``: functions are correctly rounded (a fresh magnitude);
    + and − add magnitudes, × and ÷ multiply them."""

    name = "magnitudes"

    def interpret(self, f: Function) -> Callable[..., Any]:
        plain = f.floats
        if f.constant:
            return lambda x: plain(_mag(x).v)
        return lambda x: _Mag(plain(_mag(x).v))

    where = staticmethod(FLOATS.where)
    total = staticmethod(lambda xs: sum((_mag(x) for x in xs), _Mag(0.0)))
    dot = staticmethod(lambda a, b: sum((_mag(x) * y for x, y in zip(a, b)), _Mag(0.0)))
    largest = staticmethod(lambda xs: max(xs, key=lambda x: _mag(x).v))
    smallest = staticmethod(lambda xs: min(xs, key=lambda x: _mag(x).v))
    tie_share = staticmethod(lambda xs, out: tie_share([_mag(x).v for x in xs], _mag(out).v))
    ones = staticmethod(FLOATS.ones)
    logsumexp = staticmethod(lambda xs: _Mag(FLOATS.logsumexp([_mag(x).v for x in xs])))
    softmax = staticmethod(lambda xs, out: [_Mag(math.exp(_mag(x).v - _mag(out).v))
                                            for x in xs])


MAGNITUDES = _Magnitudes()


def local_magnitudes(op: Op, out: float, xs: Sequence[float], local: Sequence[float]
                     ) -> list[float]:
    """For each local derivative, the sum of |terms| its rule adds (at least |derivative|)."""
    try:
        parts = op.flat(op.partials(MAGNITUDES, _Mag(out), *op.split([_Mag(x) for x in xs])))
        return [max(abs(d), _mag(p).m) for d, p in zip(local, parts)]
    except (ArithmeticError, ValueError):  # the float rule raises (IEEE values): plain
        return [abs(d) for d in local]


def local_terms(node: Value) -> tuple[list[float], Sequence[float], list[float]] | None:
    """At an interior node: (its inputs, its op's local derivatives there, the magnitude of
    the terms each adds); None where the op's rule raises."""
    op = op_of(node)
    xs = [p._data for p in node.parents]
    try:
        local = op.local(node._data, *xs)
    except (ArithmeticError, ValueError):
        return None
    return xs, local, local_magnitudes(op, node._data, xs, local)


def rounding_bounds(root: Value, wrt: Sequence[Value]) -> list[float]:
    """ε·(S_i + C_i) for each of ``wrt``: the first-order rounding error bound of ∂root/∂wrt_i
    computed by the chain rule, before the safety factor. S_i = Σ over paths of Π |d|
    (d: local derivatives); C_i = Σ over paths of Π |d| · Σ over the path's nodes of
    (1 + Σ|terms of d| / |d|): each product rounds once, each derivative rounds as the
    terms its rule adds (1 − tanh² rounds as 1 + tanh²)."""
    order = topological_order(root)
    s: dict[int, float] = {id(root): 1.0}
    c: dict[int, float] = {id(root): 0.0}
    for node in reversed(order):
        if node._x is None or id(node) not in s:
            continue
        found = local_terms(node)
        if found is None:
            continue
        _, local, mags = found
        sn, cn, masks = s[id(node)], c[id(node)], op_of(node).masks
        for p, d, mg in zip(node.parents, local, mags):
            if masks and d == 0.0:
                continue
            d = abs(d)
            s[id(p)] = s.get(id(p), 0.0) + d * sn
            c[id(p)] = c.get(id(p), 0.0) + d * cn + (mg + d) * sn
    return [EPS * (s.get(id(v), 0.0) + c.get(id(v), 0.0)) for v in wrt]


def local_tolerance(magnitude: float, reference: float, estimate: float) -> float:
    """How far one op's local derivative may be from a reference of it: the rounding of the
    terms its rule adds (``magnitude``) and of the reference, and the reference's own error
    estimate."""
    return LOCAL_FACTOR * EPS * (magnitude + abs(reference)) + ESTIMATE_FACTOR * estimate
