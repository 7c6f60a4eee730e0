"""Every op of the table measured against its arbitrary-precision oracle, and the accuracy page.

The oracle itself, a reference of each op's forward and of each local derivative written by
hand from the mathematics with mpmath at 50 digits, is ``REFERENCES`` of
``tests/oracles.py`` (beside the PyTorch oracle; nothing there reads an op's own rules).
This module holds a set of input points per op (seeded random points over the op's
``sample`` ranges and edge values: zeros, subnormals, values near overflow and near the
kinks, large magnitudes, saturation), and ``measure(op)``, which runs the float forward
(``op.eval``) and the float local derivatives (``op.local``, what the backward pass
multiplies by) at each point and gives each one's error in ulps of the correctly rounded
reference.

``tests/test_ulp.py`` holds every op to a budget (forward 2 ulps, each partial 4) except
where a named, bounded cancellation of its table explains more. Run as a script, this
module prints the accuracy page, ``docs/reference/accuracy.md``::

    ./run tests/ulp_oracle.py --markdown > docs/reference/accuracy.md
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from mpmath import mp, mpf
from oracles import DPS, Reference, reference

from autograd.rules.ops import Op, all_ops

FORWARD_ULPS = 2.0  # the budget of every forward, in ulps of the correctly rounded result
PARTIAL_ULPS = 4.0  # the budget of every local derivative
N_RANDOM = 500  # seeded random points per op
MAX_FLOAT = 1.7976931348623157e308
TINY = 5e-324  # the smallest subnormal, 2**-1074
MIN_NORMAL = 2.2250738585072014e-308
#: half a unit beyond the largest float: a real of this magnitude or more rounds to inf
OVERFLOW = mpf(2) ** 1024 - mpf(2) ** 970

mp.dps = DPS


# --- what each measured quantity is called ---------------------------------------------------

def slot_names(op: Op) -> list[str]:
    """One name per operand (head or run), as the page shows them."""
    lay = op.layout
    if not lay.nary:
        return ["x"] if lay.heads == 1 else ["a", "b", "c"][:lay.heads]
    heads = ["start"] if lay.heads == 1 else [f"h{i}" for i in range(lay.heads)]
    return heads + (["x_i"] if lay.runs == 1 else ["a_i", "b_i"][:lay.runs])


def quantities(op: Op) -> list[str]:
    """``forward`` and one ``d/d<operand>`` per operand (a run's elements share one)."""
    return ["forward", *(f"d/d{name}" for name in slot_names(op))]


def quantity(op: Op, i: int | None, n_inputs: int) -> str:
    if i is None:
        return "forward"
    return f"d/d{slot_names(op)[op.layout.position(i, n_inputs)[0]]}"


# --- the input points --------------------------------------------------------------------------

def _next(x: float, toward: float) -> float:
    return math.nextafter(x, toward)


#: Values every unary op is tried at (those outside its domain are skipped).
EDGES: tuple[float, ...] = (
    0.0, -0.0, TINY, -TINY, 1e-320, 1e-310, -1e-310, MIN_NORMAL, -MIN_NORMAL, 1e-300,
    -1e-300, 1e-100, 1e-16, -1e-16, 1e-8, -1e-8, 0.1, 0.5, -0.5, 1.0, -1.0,
    _next(1.0, 2.0), _next(1.0, 0.0), 2.0, -2.0, 3.0, 10.0, -10.0, 100.0, 1e15, -1e15,
    1e22, 1e300, -1e300, MAX_FLOAT, -MAX_FLOAT,
)


def _pi_multiples() -> list[float]:
    """The floats nearest k·π/2 for small and large k: where sin or cos is tiny."""
    out = []
    for k in (1, 2, 3, 4, 7, 8, 20, 100, 1001, 10**6, 10**10, 2**40, 10**15):
        v = float(mp.pi * k / 2)
        out += [v, -v, _next(v, math.inf)]
    return out + [355.0, 103993.0, 6381956970095103.0 * 2.0**797, 1e300, 1e22]


def _pow_const_edges(c: float) -> list[float]:
    """Where x**c or its derivative c·x^(c−1) leaves the float range."""
    out = []
    for e in (c, c - 1):
        if e == 0:
            continue
        edge = float(mp.power(MAX_FLOAT, 1 / mpf(e)))
        out += [edge, _next(edge, 0.0), _next(edge, math.inf), edge * 0.999]
        if c == int(c):
            out += [-edge, -_next(edge, 0.0)]
    return out


#: Extra values per op (or family): saturation, thresholds, near overflow.
UNARY_EXTRAS: dict[str, tuple[float, ...]] = {
    "exp": (709.78, 709.782712893384, _next(709.782712893384, 0.0), 700.0, -700.0,
            -708.39, -708.4, -745.1332191019411, -745.2, 30.0, -30.0, 1e-300),
    "log": (_next(1.0, 2.0), _next(1.0, 0.0), 1.0 + 1e-10, 1.0 - 1e-10, 0.9999, 1.0001,
            0.99, 1.01, math.e, 0.36787944117144233, 5e-324, MAX_FLOAT),
    "tanh": (5.0, 10.0, 19.0, 19.06, 20.0, 22.0, 30.0, -5.0, -10.0, -19.0, -20.0, -22.0,
             0.5493061443340549, 1e-8, 18.5, 17.0, 15.0),
    "sigmoid": (5.0, 10.0, 19.0, 30.0, 36.7, 37.0, 40.0, 700.0, 709.78, 710.0, 745.0,
                746.0, -5.0, -10.0, -19.0, -30.0, -36.7, -37.0, -40.0, -700.0, -709.78,
                -710.0, -745.0, -746.0, 1e-8),
    "softplus": (19.0, _next(20.0, 0.0), 20.0, _next(20.0, 30.0), 21.0, 33.0, 36.0, 37.0,
                 40.0, -20.0, -30.0, -36.0, -37.0, -40.0, -700.0, -745.0, -746.0, 1e-8,
                 -1e-8, 0.6931471805599453, -0.6931471805599453),
    "sin": tuple(_pi_multiples()),
    "cos": tuple(_pi_multiples()),
    "sqrt": (4.0, 0.25, _next(1.0, 2.0), MAX_FLOAT),
}

#: Values each operand of a binary op is tried at, in pairs (every combination).
BINARY_EDGES: tuple[float, ...] = (
    0.0, -0.0, TINY, -TINY, 1e-310, -1e-310, MIN_NORMAL, 1e-300, -1e-300, 1e-16, 0.3, 0.5,
    -0.7, 1.0, -1.0, _next(1.0, 2.0), 3.0, -10.0, 1e15, -1e15, 1e300, -1e300, MAX_FLOAT,
    -MAX_FLOAT,
)

#: Extra pairs per binary op: cancellations, subnormal results, results near overflow.
BINARY_EXTRAS: dict[str, tuple[tuple[float, float], ...]] = {
    "+": ((1.0, -_next(1.0, 2.0)), (1e16, 1.0), (MAX_FLOAT, MAX_FLOAT), (0.1, 0.2)),
    "-": ((1.0, _next(1.0, 2.0)), (1e16, -1.0), (MAX_FLOAT, -MAX_FLOAT), (0.3, 0.1)),
    "*": ((1e-160, 1e-160), (1e154, 1e154), (1e-200, 1e-120), (0.1, 3.0)),
    "/": ((1e-310, 0.3), (5e-324, 0.7), (1e-320, 1e-5), (1e-315, 3e-3), (1.0, 3.0),
          (1e300, 1e-10), (1e-300, 1e10), (2.0, 1e-300), (1e-320, 0.9)),
    "**": ((2.0, 1023.0), (2.0, _next(1024.0, 0.0)), (10.0, 308.25), (1e10, 30.8),
           (1e300, 1.026), (MAX_FLOAT, 1.0), (_next(1.0, 2.0), 1e15), (1.0000001, 7e9),
           (0.5, 1074.0), (0.5, 1070.5), (1e-300, 1.03), (1e-10, 31.5), (1e-10, 30.0),
           (3.0, 1e-300), (1e-300, 1e-300), (0.9999999, 7e9), (1e300, -1.0),
           (1e-300, -1.02), (10.0, -320.0), (7.0, 2.5), (0.1, -3.0), (2.5, 3.0)),
}

#: Extra runs per n-ary op: ties, cancellations, subnormals, extremes.
NARY_EDGES: tuple[tuple[float, ...], ...] = (
    (0.0, 0.0), (-0.0, 0.0), (1.0, 1.0), (3.0, 3.0, 3.0), (1.0, 2.0, 2.0),
    (-1.0, -1.0, 5.0, -1.0), (5.0, 5.0, -1.0, 5.0), (1e16, 1.0, -1e16), (1e300, -1e300, 1.0),
    (0.1, 0.2, -0.3), (TINY, TINY), (TINY, -TINY, 1e-310), (1e300, 1e300), (-1e300, 0.0),
    (1e15, _next(1e15, 2e15)), (MAX_FLOAT, -MAX_FLOAT), (1e-300, 1e-300, 1e-300),
)
NARY_EXTRAS: dict[str, tuple[tuple[float, ...], ...]] = {
    "logsumexp": ((-0.6931471805599453, -0.6931471805599453), (1000.0, 1000.0),
                  (-1000.0, -1000.0), (709.78, 709.78), (-745.0, -745.0), (30.0, -30.0),
                  (-1.0986122886681098, -1.0986122886681098, -1.0986122886681098),
                  (-30.0, -30.0, -30.0, -30.0), (1e15, 1e15), (0.0, -800.0),
                  (-0.5, -0.9), (100.0, 99.0, 98.0, 97.0), (0.0, -42.0), (1e-300, -40.0),
                  (-44.4, 1e-300, 5e-324)),
}
#: dot's extras as (start, a, b).
DOT_EDGES: tuple[tuple[float, tuple[float, ...], tuple[float, ...]], ...] = (
    (0.0, (1.0, 1.0), (1.0, 1.0)), (1e16, (1.0, -1e16), (1.0, 1.0)),
    (1.0, (1e16, -1e16), (1.0, 1.0)), (0.0, (1e-160, 1e-160), (1e-160, -1e-160)),
    (-0.3, (0.1, 0.2), (1.0, 1.0)), (0.0, (1e154, 1e154), (1e154, -1e154)),
    (TINY, (TINY,), (0.5,)), (1e300, (1e300,), (-1e-300,)), (-0.0, (0.0,), (-0.0,)),
    (2.0, (3.0, -4.0), (1.5, 1.5)), (1e-300, (1e-150, 1e-150), (1e-150, 1e-150)),
)


def _kink_edges(op: Op) -> list[float]:
    out = []
    for k in op.kinks:
        out += [k, k + 1e-300, k - 1e-300, k + TINY, k - TINY, _next(k, math.inf),
                _next(k, -math.inf), k + 1e-15, k - 1e-15, k + 1e-310, k - 1e-310]
    return out


def _dedupe(points: Iterable[tuple[float, ...]]) -> list[tuple[float, ...]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in points:
        key = tuple((x, math.copysign(1.0, x)) for x in p)  # 0.0 and -0.0 both kept
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def random_points(op: Op, n: int = N_RANDOM) -> list[tuple[float, ...]]:
    """``n`` seeded points over the op's sample ranges (runs of 2–4 for n-ary ops)."""
    rng = random.Random(f"ulp:{op.name}")
    lay, ranges = op.layout, op.sample
    out = []
    for _ in range(n):
        if not lay.nary:
            out.append(tuple(rng.uniform(lo, hi) for lo, hi in ranges))
            continue
        length = rng.choice((2, 3, 4))
        point = [rng.uniform(lo, hi) for lo, hi in ranges[:lay.heads]]
        for lo, hi in ranges[lay.heads:]:
            point += [rng.uniform(lo, hi) for _ in range(length)]
        out.append(tuple(point))
    return out


def edge_points(op: Op) -> list[tuple[float, ...]]:
    """The edge values for ``op``: generic ones, the op's (or family's) extras, its kinks."""
    lay = op.layout
    if not lay.nary and lay.heads == 1:
        extra = list(UNARY_EXTRAS.get(op.name, ()))
        if op.family == "**c":
            extra += _pow_const_edges(op.params[0])
        if op.family == "leaky_relu" or op.name == "relu":
            extra += [-1e300 * 0.9, 1e-320, -1e-320]
        return [(x,) for x in (*EDGES, *extra, *_kink_edges(op))]
    if not lay.nary and lay.heads == 2:
        pairs = [(a, b) for a in BINARY_EDGES for b in BINARY_EDGES]
        return pairs + list(BINARY_EXTRAS.get(op.name, ()))
    if (lay.heads, lay.runs) == (0, 1):
        return list(NARY_EDGES) + list(NARY_EXTRAS.get(op.name, ()))
    if (lay.heads, lay.runs) == (1, 2):
        dots = [(s, *a, *b) for s, a, b in DOT_EDGES]
        sums = [(0.0, *xs, *([1.0] * len(xs))) for xs in NARY_EDGES]  # Σ x_i as a dot
        return dots + sums
    return []


def points(op: Op, n_random: int = N_RANDOM) -> list[tuple[float, ...]]:
    """The points ``op`` is measured at: the edge values, then the random ones."""
    finite = [p for p in edge_points(op) if all(math.isfinite(x) for x in p)]
    return _dedupe([*finite, *random_points(op, n_random)])


# --- measuring -------------------------------------------------------------------------------

def ulp(ref: mpf) -> mpf:
    """The ulp of the float nearest ``ref`` (2**-1074 for subnormals and for a ``ref`` that
    rounds to 0; 0 for an exact 0, where only an exact 0 is right)."""
    if ref == 0:
        return mpf(0)
    return mpf(math.ulp(float(ref)))


def in_range(ref: mpf) -> bool:
    """Does the real ``ref`` round to a finite float?"""
    return mp.isfinite(ref) and abs(ref) < OVERFLOW


@dataclass
class Measurement:
    """One computed quantity (the forward, or the partial for input ``index``) at one
    point, against its reference."""

    op: Op
    quantity: str
    xs: tuple[float, ...]
    index: int | None  # the input the partial is for (None: the forward)
    got: float
    ref: mpf
    out: float  # the computed forward at the point (what the partial rule was given)
    ref_out: mpf

    @cached_property
    def abs_err(self) -> mpf:
        if math.isnan(self.got):
            return mp.inf
        return abs(mpf(self.got) - self.ref)

    @cached_property
    def ulps(self) -> float:
        """|got − ref| in ulps of the correctly rounded ref (inf for a nonzero result where
        the ref is exactly 0)."""
        err, u = self.abs_err, ulp(self.ref)
        if err == 0:
            return 0.0
        return math.inf if u == 0 else float(err / u)


@dataclass
class Beyond:
    """A partial whose true value lies outside the float range (1/x at x = 1e-310): the
    float result should be ±inf; ``got`` is what the rule gave."""

    op: str
    quantity: str
    xs: tuple[float, ...]
    got: float
    ref: mpf

    @property
    def as_expected(self) -> bool:
        """inf, of the reference's sign (either sign where the reference is infinite
        because the input is ±0: the float keeps a sign the real 0 does not have)."""
        if not math.isinf(self.got):
            return False
        return mp.isinf(self.ref) or (self.got > 0) == (self.ref > 0)


@dataclass
class OpReport:
    """Every measurement of one op, and the points that were not measured."""

    op: Op
    measurements: list[Measurement] = field(default_factory=list)
    beyond: list[Beyond] = field(default_factory=list)
    n_points: int = 0
    #: points where ``op.eval`` raised, by the exception's name (outside the domain, or
    #: the result overflows)
    raised: dict[str, int] = field(default_factory=dict)
    #: points where the true forward is not a finite float (the float forward gave ±inf)
    unrepresentable: list[tuple[tuple[float, ...], float]] = field(default_factory=list)

    def by_quantity(self) -> dict[str, list[Measurement]]:
        out: dict[str, list[Measurement]] = {q: [] for q in quantities(self.op)}
        for m in self.measurements:
            out[m.quantity].append(m)
        return out

    @property
    def measured_points(self) -> int:
        return self.n_points - sum(self.raised.values()) - len(self.unrepresentable)


def measure(op: Op, ref: Reference | None = None,
            at: Sequence[tuple[float, ...]] | None = None) -> OpReport:
    """Run ``op``'s float forward and float partials at each point of ``at`` (default
    ``points(op)``) and compare each with ``ref`` (default ``reference(op)``)."""
    ref = reference(op) if ref is None else ref
    at = points(op) if at is None else at
    report = OpReport(op, n_points=len(at))
    for xs in at:
        if not op.layout.valid(len(xs)):
            raise ValueError(f"{op.name}: {len(xs)} inputs do not fit its layout")
        try:
            out = op.eval(*xs)
        except (ArithmeticError, ValueError) as exc:
            name = type(exc).__name__
            report.raised[name] = report.raised.get(name, 0) + 1
            continue
        exact = [mpf(x) for x in xs]
        ref_out = ref.forward(exact)
        if not in_range(ref_out):
            report.unrepresentable.append((xs, out))
            continue
        report.measurements.append(
            Measurement(op, "forward", xs, None, out, ref_out, out, ref_out))
        got = op.local(out, *xs)
        for i, (g, r) in enumerate(zip(got, ref.partials(exact), strict=True)):
            q = quantity(op, i, len(xs))
            if not in_range(r):
                report.beyond.append(Beyond(op.name, q, xs, float(g), r))
                continue
            report.measurements.append(
                Measurement(op, q, xs, i, float(g), r, out, ref_out))
    return report


@cache
def measure_named(name: str) -> OpReport:
    """``measure`` of the op of ``all_ops()`` called ``name`` (computed once)."""
    return measure(ops_by_name()[name])


def ops_by_name() -> dict[str, Op]:
    return {op.name: op for op in all_ops()}


def measure_all() -> list[OpReport]:
    return [measure_named(op.name) for op in all_ops()]


# --- exceptions to the budget: named, bounded cancellations, and known defects ----------------

def _always(m: Measurement) -> bool:
    return True


@dataclass(frozen=True)
class Cancellation:
    """A named, bounded exception to the ulp budget, for some ops (or families) and
    quantities.

    A measurement over budget is accepted if it lies in ``region`` and its error, in units
    of ``unit(m)`` (an absolute error scale: typically the ulp of the sum of the magnitudes
    that the rule's rounding errors are proportional to), is at most ``bound``. ``error``,
    if given, replaces |got − ref| / unit (softmax: the error implied in an exponent).
    """

    name: str
    ops: tuple[str, ...]  # ops' names or families' names (``**c``)
    quantities: tuple[str, ...]
    unit: Callable[[Measurement], mpf]
    unit_text: str  # the unit, as the page states it
    bound: float
    reason: str
    region: Callable[[Measurement], bool] = _always
    region_text: str = "everywhere"
    error: Callable[[Measurement], mpf] | None = None
    #: what decides whether any point needs this exception ("" : the op's rule itself);
    #: an entry with a dependency may accept no point on another platform
    depends_on: str = ""

    def covers(self, m: Measurement) -> bool:
        return ((m.op.name in self.ops or m.op.family in self.ops)
                and m.quantity in self.quantities and self.region(m))

    def units(self, m: Measurement) -> float:
        """The error of ``m`` in this exception's unit."""
        err = m.abs_err if self.error is None else self.error(m)
        if err == 0:
            return 0.0
        u = self.unit(m)
        return math.inf if u == 0 or not mp.isfinite(u) else float(err / u)


@dataclass(frozen=True)
class KnownDefect:
    """A rule that is wrong beyond the budget in a region, with no cancellation to explain
    it: listed (and reported) rather than fixed here. ``example`` is a point inside it."""

    name: str
    op: str  # an op's name or a family's
    quantity: str
    region: Callable[[Measurement], bool]
    region_text: str
    example_op: str  # the op (of ``all_ops()``) the example point is for
    example: tuple[float, ...]
    reason: str

    def covers(self, m: Measurement) -> bool:
        return ((m.op.name == self.op or m.op.family == self.op)
                and m.quantity == self.quantity and self.region(m))


def budget(m: Measurement) -> float:
    return FORWARD_ULPS if m.index is None else PARTIAL_ULPS


def verdict(m: Measurement, table: Sequence[Cancellation],
            defects: Sequence[KnownDefect] = ()) -> tuple[str, Any]:
    """("budget", None) within budget; ("exception", c) within the bound of an exception
    ``c`` that covers it; ("defect", d) over budget inside a known defect ``d``; else
    ("fail", None)."""
    if m.ulps <= budget(m):
        return "budget", None
    for c in table:
        if c.covers(m) and c.units(m) <= c.bound:
            return "exception", c
    for d in defects:
        if d.covers(m):
            return "defect", d
    return "fail", None


# --- the page ---------------------------------------------------------------------------------

def fmt_point(op: Op, xs: tuple[float, ...]) -> str:
    names = slot_names(op)
    if not op.layout.nary:
        return ", ".join(f"{n} = {x!r}" for n, x in zip(names, xs))
    shown = []
    for name, part in zip(names, op.layout.split(list(xs))):
        if isinstance(part, tuple):
            shown.append(f"{name.removesuffix('_i')} = [{', '.join(repr(x) for x in part)}]")
        else:
            shown.append(f"{name} = {part!r}")
    return ", ".join(shown)


def fmt_ulps(u: float) -> str:
    """An error as the page shows it, rounded up (the page's figures are bounds)."""
    if u == 0:
        return "0"
    if math.isinf(u):
        return "∞"
    if u < 10:
        return f"{math.ceil(u * 100 - 1e-9) / 100:.2f}"
    if u < 1e4:
        return f"{math.ceil(u * 10 - 1e-9) / 10:.1f}"
    mant, exp = f"{u:.6e}".split("e")
    return f"{math.ceil(float(mant) * 10 - 1e-9) / 10:.1f}e{int(exp)}"  # 2 digits, up


def parse_ulps(text: str) -> float:
    return math.inf if text == "∞" else float(text)


@dataclass
class Row:
    """One row of the page's main table: the worst error of one quantity of one op."""

    op: str
    quantity: str
    n: int
    max_ulps: float
    worst: str
    held: float  # the worst error of the points no exception or known defect accepted
    accepted_by: list[str]  # the exceptions and known defects that accepted some point


def rows(reports: Sequence[OpReport], table: Sequence[Cancellation],
         defects: Sequence[KnownDefect] = ()) -> list[Row]:
    out = []
    for rep in reports:
        for q, ms in rep.by_quantity().items():
            worst = max(ms, key=lambda m: m.ulps, default=None)
            held, used = [0.0], set()
            for m in ms:
                kind, by = verdict(m, table, defects)
                if by is None:
                    held.append(m.ulps)
                else:
                    used.add(by.name)
            out.append(Row(rep.op.name, q, len(ms), worst.ulps if worst else 0.0,
                           fmt_point(rep.op, worst.xs) if worst and worst.ulps else "—",
                           max(held), sorted(used)))
    return out


def accepted_maxima(reports: Sequence[OpReport], table: Sequence[Cancellation],
                    defects: Sequence[KnownDefect] = ()) -> dict[str, tuple[float, str, int]]:
    """For each exception and known defect: the largest error among the points it
    accepted (an exception's in its unit, a defect's in ulps), where, and how many."""
    out: dict[str, tuple[float, str, int]] = {c.name: (0.0, "", 0) for c in (*table, *defects)}
    for rep in reports:
        for m in rep.measurements:
            kind, by = verdict(m, table, defects)
            if by is None:
                continue
            u = by.units(m) if kind == "exception" else m.ulps
            worst, where, n = out[by.name]
            if u > worst:
                worst, where = u, f"{fmt_point(rep.op, m.xs)} ({m.quantity})"
            out[by.name] = (worst, where, n + 1)
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _softplus_note() -> list[str]:
    """How far the op's definition (x itself above 20, as PyTorch) is from log(1 + e^x)."""
    x = mpf(_next(20.0, 30.0))
    gap = mp.log1p(mp.exp(-x))  # log(1 + e^x) − x, the largest just above 20
    slope_gap = 1 - 1 / (1 + mp.exp(-x))  # 1 − σ(x)
    return [
        "## Softplus above its threshold",
        "",
        "`softplus` is defined as PyTorch's (threshold 20): x itself for x > 20, with "
        "derivative 1, and log(1 + e^x), derivative σ(x), up to 20. The reference mirrors "
        "that definition, so the tables above measure the rounding of each branch. Against "
        "the pure log(1 + e^x), the definition itself differs by at most "
        f"log1p(e^−20) = {mp.nstr(gap, 3)} (relative {mp.nstr(gap / x, 3)}, just above 20) "
        f"in the forward and by 1 − σ(20) = {mp.nstr(slope_gap, 3)} in the derivative.",
        "",
    ]


def markdown(reports: Sequence[OpReport], table: Sequence[Cancellation],
             defects: Sequence[KnownDefect] = ()) -> str:
    """The accuracy page."""
    lines = [
        "# Accuracy of every op",
        "",
        "<!-- Generated by `./run tests/ulp_oracle.py --markdown > "
        "docs/reference/accuracy.md`; tests/test_ulp.py checks it against a fresh run. -->",
        "",
        "How far each op's float forward (`op.eval`) and each of its local derivatives "
        "(`op.local`, what the backward pass multiplies by) are from the true value, in "
        "**ulps** of the correctly rounded true value: |computed − true| / ulp(true), the "
        "ulp of a subnormal being 2⁻¹⁰⁷⁴ (≈ 4.9e-324). Where the true value is exactly 0, "
        "only an exact 0 is right (any other result counts as ∞ ulps). The true values come "
        f"from references written by hand from the mathematics with mpmath at {DPS} digits "
        "(`tests/oracles.py`; the points and the measuring are in `tests/ulp_oracle.py`), not "
        "from the ops' own rules.",
        "",
        f"Each op is measured at {N_RANDOM} seeded random points over its sample ranges "
        "(runs of 2–4 for n-ary ops) and at edge values: ±0, subnormals (5e-324, 1e-310), "
        "the smallest normal, ±1e-300 and the neighbours of each kink, values near "
        "overflow (exp near 709.78, powers near the float maximum), large magnitudes "
        "(±1e15, ±1e300, ±max), saturation (tanh at 5, 10, 19; sigmoid and softplus out to "
        "±746), multiples of π/2 for sin and cos, ties for max and min; every pair of edge "
        "values for binary ops.",
        "",
        f"`tests/test_ulp.py` holds every forward to **{FORWARD_ULPS:g} ulps** and every "
        f"partial to **{PARTIAL_ULPS:g} ulps**, except where one of the named cancellations "
        "below accounts for more, each with a bound that the test enforces, and except the "
        "known defects listed below. The figures here are bounds (rounded up), measured "
        "with CPython's `math` on glibc: the test fails if a fresh run measures more, "
        "allowing 1 ulp for another platform's maths library.",
        "",
        "## Per op",
        "",
        "*max ulps*: the largest error over all points (where a cancellation applies this "
        "can be huge: an absolute error of 1e-16 on a true value of 1e-30); *worst at*: "
        "the first point where it occurs; *outside exceptions*: the largest error among "
        "the points that no exception or known defect had to accept (held to the budget); "
        "*accepted by*: the named cancellations and known defects that accepted a point.",
        "",
        "| op | quantity | points | max ulps | worst at | outside exceptions | accepted by |",
        "| --- | --- | ---: | ---: | --- | ---: | --- |",
    ]
    for r in rows(reports, table, defects):
        lines.append(f"| `{_cell(r.op)}` | {r.quantity} | {r.n} | {fmt_ulps(r.max_ulps)} | "
                     f"{_cell(r.worst)} | {fmt_ulps(r.held)} | "
                     f"{', '.join(r.accepted_by) or '—'} |")
    maxima = accepted_maxima(reports, table, defects)
    lines += [
        "",
        "## Named cancellations",
        "",
        "Each exception accepts a point over budget only inside its region and only up to "
        "its bound, in its own unit: an absolute error scale that says what the rounding "
        "error is proportional to. *measured*: the largest error, in that unit, among the "
        "points it accepted (*points*: how many).",
        "",
        "| name | ops | quantities | region | unit | bound | measured | points | worst at "
        "| why |",
        "| --- | --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for c in table:
        worst, where, n = maxima[c.name]
        ops = ", ".join(f"`{_cell(o)}`" for o in c.ops)
        why = c.reason + (f" (whether a point needs it depends on {c.depends_on})"
                          if c.depends_on else "")
        lines.append(f"| {c.name} | {ops} | {', '.join(c.quantities)} | "
                     f"{_cell(c.region_text)} | {_cell(c.unit_text)} | {c.bound:g} | "
                     f"{fmt_ulps(worst)} | {n} | {_cell(where)} | {_cell(why)} |")
    if defects:
        lines += [
            "",
            "## Known defects",
            "",
            "Rules that are wrong beyond the budget in a region where no cancellation "
            "explains it. They are listed here and in the test (which checks that each "
            "still shows at its example point, so that a fix updates this page), not "
            "hidden: *max ulps* is over the points of the region.",
            "",
            "| name | op | quantity | region | points | max ulps | worst at | why |",
            "| --- | --- | --- | --- | ---: | ---: | --- | --- |",
        ]
        for d in defects:
            worst, where, n = maxima[d.name]
            lines.append(f"| {d.name} | `{_cell(d.op)}` | {d.quantity} | "
                         f"{_cell(d.region_text)} | {n} | {fmt_ulps(worst)} | "
                         f"{_cell(where)} | {_cell(d.reason)} |")
    lines += ["", *_softplus_note()]
    lines += [
        "## Points not measured",
        "",
        "*raised*: `op.eval` raised there (outside the domain, or a result beyond the float "
        "range); *forward beyond range*: the true result is not a finite float (the float "
        "forward gives ±inf there, as IEEE arithmetic does); *partials beyond range*: a "
        "true local derivative beyond the float range (1/x at x = 1e-310 is 1e310): the "
        "float partial is ±inf there, as it should be (the test checks it), and is not "
        "counted as an error.",
        "",
        "| op | points | measured | raised | forward beyond range | partials beyond range |",
        "| --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for rep in reports:
        raised = ", ".join(f"{k} {v}" for k, v in sorted(rep.raised.items())) or "—"
        lines.append(f"| `{_cell(rep.op.name)}` | {rep.n_points} | {rep.measured_points} | "
                     f"{raised} | {len(rep.unrepresentable)} | {len(rep.beyond)} |")
    lines.append("")
    return "\n".join(lines)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if not line.startswith("|"):
        return []
    return [c.strip() for c in line.strip("|").replace("\\|", "\0").split("|")]


def parse_markdown(text: str) -> dict[tuple[str, str], tuple[float, float]]:
    """The page's main table: (op, quantity) → (max ulps, outside exceptions)."""
    out = {}
    for line in text.split("## Named cancellations")[0].splitlines():
        cells = [c.replace("\0", "|") for c in _cells(line)]
        if len(cells) == 7 and cells[0].startswith("`"):
            out[(cells[0].strip("`"), cells[1])] = (parse_ulps(cells[3]), parse_ulps(cells[5]))
    return out


def parse_exceptions(text: str) -> dict[str, tuple[float, float]]:
    """The page's table of cancellations: name → (bound, measured)."""
    out = {}
    section = text.split("## Named cancellations")[-1].split("\n## ")[0]
    for line in section.splitlines():
        cells = _cells(line)
        if len(cells) == 10 and cells[1].startswith("`"):
            out[cells[0]] = (float(cells[5]), parse_ulps(cells[6]))
    return out


def main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true",
                        help="print the accuracy page (docs/reference/accuracy.md)")
    args = parser.parse_args(argv)
    import autograd

    root = Path(__file__).resolve().parent.parent
    if Path(autograd.__file__).resolve().parent.parent != root:
        print(f"ulp_oracle: autograd comes from {Path(autograd.__file__).parent}, not from "
              f"this clone ({root}): run with PYTHONPATH={root}", file=sys.stderr)
        return 2
    from test_ulp import CANCELLATIONS, KNOWN_DEFECTS  # they live with the test holding them

    reports = measure_all()
    if args.markdown:
        sys.stdout.write(markdown(reports, CANCELLATIONS, KNOWN_DEFECTS))
        return 0
    for r in rows(reports, CANCELLATIONS, KNOWN_DEFECTS):
        print(f"{r.op:>16} {r.quantity:>9} {fmt_ulps(r.max_ulps):>10} "
              f"{fmt_ulps(r.held):>6}  {r.worst}  {', '.join(r.accepted_by)}")
    return 0


__all__ = ["points", "measure", "measure_named", "measure_all", "Measurement", "Beyond",
           "OpReport", "Cancellation", "KnownDefect", "verdict", "markdown", "parse_markdown",
           "parse_exceptions"]

if __name__ == "__main__":
    import ulp_oracle  # the module itself (tests/ is on the path), sharing the test's classes

    raise SystemExit(ulp_oracle.main(sys.argv[1:]))
