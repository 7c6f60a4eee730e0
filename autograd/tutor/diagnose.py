"""Name the mistake in a learner's backward rule (issue 21, part 2): ``diagnose``.

A learner gives an op's forward and the function giving its local derivatives, in either
of two forms:

* on numbers: ``forward(x)`` and ``partials(x, out)`` (``forward(a, b)`` and
  ``partials(a, b, out)`` for two inputs), returning a tuple or, for one input, a number;
* as ``custom_op`` takes them: ``forward(m, x)`` and ``partials(m, out, x)``, written
  against the maths namespace ``m`` (told apart by the first parameter's name, ``m``).

At seeded points drawn from ``sample`` the rule is compared with the derivative of the
forward itself: a complex step where the forward runs on complex numbers, else Richardson
extrapolation of central differences. A wrong rule is then compared with a catalogue of
mutations of the right rule: each predicts, from the reference derivative f′, the forward
and the inputs (never from the learner's rule), what one particular mistake gives, and
the first mutation that every point agrees with names the misconception. A rule right at
first order, in the ``m`` form, is also differentiated on ``Value`` objects (what
``create_graph`` does): a rule that copied ``out`` to a float is caught there.
"""

from __future__ import annotations

import html
import inspect
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import arguments as _args
from ..check.references import local_reference, local_second
from ..core.extend import CustomOp, custom_op
from ..rules.maths import FLOATS
from ..rules.ops import DIV, OPS, Op

__all__ = ["diagnose", "Diagnosis", "Mistake", "CATALOGUE"]

#: relative agreement asked of a rule with the reference (plus 10 times its error estimate)
#: and of a mutation with the rule
RTOL = 1e-9

#: the catalogue: key -> (name, what the learner did), in the order mutations are tried
CATALOGUE: dict[str, tuple[str, str]] = {
    "input-for-output": ("input used for output",
                         "the rule reads the input x where the right rule reads out"),
    "function-for-derivative": ("the function for its derivative",
                                "the rule returns the forward's value out, not f′"),
    "quotient-order": ("quotient rule order",
                       "(u′v − uv′)/v² written as (uv′ − u′v)/v²: both terms' signs flipped"),
    "quotient-sign": ("quotient rule sign",
                      "(u′v − uv′)/v² written as (u′v + uv′)/v²: ∂/∂b has the wrong sign"),
    "power-n-x^n": ("power rule off by one", "d xⁿ/dx written n·xⁿ (exponent not lowered)"),
    "power-n-x^(n-2)": ("power rule off by one", "d xⁿ/dx written n·xⁿ⁻² (lowered twice)"),
    "power-(n-1)-x^(n-1)": ("power rule off by one",
                            "d xⁿ/dx written (n−1)·xⁿ⁻¹ (wrong factor in front)"),
    "sign": ("sign flipped", "the rule gives −f′"),
    "sign-one": ("sign flipped", "one input's derivative has the wrong sign"),
    "chain-factor": ("missing chain factor",
                     "the rule is f′ divided by a constant: the inner function's derivative "
                     "was left out"),
    "frozen-out": ("out.data frozen",
                   "right at first order, but out is read as a float, so create_graph "
                   "(second derivatives) sees a constant"),
    "unknown": ("wrong, no known mistake matches", "the rule disagrees with f′"),
}


@dataclass(frozen=True)
class Mistake:
    """A matched misconception: its catalogue key, name, what the learner did, and
    ``detail`` (the constant or exponent found, the input concerned) and ``value`` (that
    constant c of f′/c or exponent n of xⁿ, else None)."""

    key: str
    name: str
    description: str
    detail: str = ""
    value: float | None = None


@dataclass
class Diagnosis:
    """What ``diagnose`` found. ``right`` is the verdict; ``mistake`` is None when right;
    ``where`` is the smallest input at which the rule is wrong (by max |x|), with
    ``learner`` and ``expected`` the rule's and the right derivatives there (one per
    input; ``order`` 2: the second derivatives, by create_graph and right);
    ``max_rel_error`` is the largest relative error of the first derivatives."""

    right: bool
    mistake: Mistake | None
    points: list[tuple[float, ...]]
    method: str
    max_rel_error: float
    where: tuple[float, ...] | None = None
    learner: tuple[float, ...] = ()
    expected: tuple[float, ...] = ()
    second_order: str = "not checked"
    order: int = 1
    notes: list[str] = field(default_factory=list)

    def _lines(self) -> list[str]:
        n = len(self.points)
        if self.right:
            head = (f"right: the rule agrees with the {self.method} derivative of the forward "
                    f"at {n} points (largest relative error {self.max_rel_error:.1e})")
        else:
            assert self.mistake is not None
            head = f"wrong: {self.mistake.name}: {self.mistake.description}"
            if self.mistake.detail:
                head += f" ({self.mistake.detail})"
        lines = [head]
        if self.where is not None and self.order == 1:
            lines.append(f"at inputs {_show(self.where)} the rule gives "
                         f"{_show(self.learner, 12)}, the right derivative is "
                         f"{_show(self.expected, 12)}")
        lines.append(f"second order (create_graph): {self.second_order}")
        return lines + self.notes

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def markdown(self) -> str:
        """The diagnosis as Markdown: the verdict in bold, the rest as a list."""
        first, *rest = self._lines()
        return "\n".join([f"**{first}**", "", *(f"- {line}" for line in rest)])

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        first, *rest = (html.escape(line) for line in self._lines())
        colour = "#1a7f37" if self.right else "#cf222e"
        items = "".join(f"<li>{line}</li>" for line in rest)
        return (f'<div class="chainrule-diagnosis"><p style="color:{colour}"><b>{first}</b>'
                f"</p><ul>{items}</ul></div>")


def _show(xs: Sequence[float], digits: int = 6) -> str:
    return "(" + ", ".join(f"{x:.{digits}g}" for x in xs) + ")"


# --- the rule as an op ----------------------------------------------------------------------

def _m_form(rule: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(rule).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] == "m"


def _arity(forward: Callable[..., Any], m_form: bool) -> int | None:
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    return len(params) - (1 if m_form else 0)


def _as_op(forward: Callable[..., Any], partials: Callable[..., Any], m_form: bool,
           ranges: Sequence[tuple[float, float]]) -> CustomOp:
    """The learner's rules as a custom op (number-form rules wrapped into the ``m`` form)."""
    if m_form:
        fwd, part = forward, partials
    else:
        def fwd(m: Any, *xs: Any) -> Any:
            return forward(*xs)

        def part(m: Any, out: Any, *xs: Any) -> Any:
            got = partials(*xs, out)
            return got if isinstance(got, (tuple, list)) else (got,)

    return custom_op("learner's rule", fwd, part, layout=len(ranges), sample=tuple(ranges))


def _checked_sample(sample: Any, arity: int | None) -> list[tuple[float, float]]:
    if sample is None:
        if arity is None:
            raise TypeError("diagnose: give sample= (one (lo, hi) range per input): the "
                            "number of inputs cannot be read from forward's signature")
        return [(-2.0, 2.0)] * arity
    ranges = _args.sequence(sample, "diagnose", "sample", "a list of (lo, hi) ranges")
    if not ranges:
        raise _args.value_error("diagnose", "sample", "one (lo, hi) range per input", sample)
    out = []
    for i, pair in enumerate(ranges):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise _args.type_error("diagnose", f"sample[{i}]", "a pair (lo, hi)", pair)
        lo = _args.finite(pair[0], "diagnose", f"sample[{i}][0]")
        hi = _args.finite(pair[1], "diagnose", f"sample[{i}][1]")
        if not lo < hi:
            raise _args.value_error("diagnose", f"sample[{i}]", "a range with lo < hi", pair)
        out.append((lo, hi))
    if arity is not None and arity != len(out):
        raise ValueError(f"diagnose: forward takes {arity} inputs but sample gives "
                         f"{len(out)} ranges (one (lo, hi) per input)")
    return out


def _points(ranges: Sequence[tuple[float, float]], n: int, seed: int
            ) -> list[tuple[float, ...]]:
    """``n`` points drawn (seeded) from the ranges, rounded to 3 decimals (readable in the
    report), sorted by their largest |x| so the first wrong one is the smallest."""
    rng = random.Random(seed)
    pts = {tuple(min(hi, max(lo, round(rng.uniform(lo, hi), 3))) for lo, hi in ranges)
           for _ in range(n)}
    return sorted(pts, key=lambda xs: (max(abs(x) for x in xs), xs))


# --- what the rule and the references give ------------------------------------------------------

@dataclass
class _Point:
    xs: tuple[float, ...]
    out: float
    learner: tuple[float, ...]
    ref: tuple[float, ...]
    est: tuple[float, ...]


def _evaluate(op: CustomOp, xs: tuple[float, ...], methods: set[str]) -> _Point:
    try:
        out = float(op.eval(*xs))
    except Exception as exc:
        raise ValueError(f"diagnose: forward raised {type(exc).__name__} at inputs {xs!r} "
                         f"({exc}); give sample= ranges inside its domain") from None
    try:
        learner = tuple(float(d) for d in op.local(out, *xs))
    except Exception as exc:
        raise TypeError(f"diagnose: partials raised {type(exc).__name__} at inputs {xs!r} "
                        f"({exc}); it must return one derivative per input") from None
    if len(learner) != len(xs):
        raise TypeError(f"diagnose: partials returned {len(learner)} derivatives for "
                        f"{len(xs)} inputs")
    refs = [local_reference(op, xs, k) for k in range(len(xs))]
    methods.update(how for _, _, how in refs)
    return _Point(xs, out, learner, tuple(r for r, _, _ in refs), tuple(e for _, e, _ in refs))


def _close(a: float, b: float, est: float = 0.0) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b), 1e-12) + 10.0 * est


def _agrees(pts: Sequence[_Point], predict: Callable[[_Point], Sequence[float]]) -> bool:
    """Does the learner's rule equal ``predict`` at every point, while ``predict`` differs
    from the right rule somewhere (a mutation that changes nothing is no mistake)?"""
    differs = False
    for p in pts:
        try:
            pred = [float(v) for v in predict(p)]
        except (ArithmeticError, ValueError, TypeError):
            return False
        if not all(math.isfinite(v) and _close(v, lv) for v, lv in zip(pred, p.learner)):
            return False
        differs = differs or not all(_close(v, r, e) for v, r, e in zip(pred, p.ref, p.est))
    return differs


# --- the catalogue of mutations ----------------------------------------------------------------

Predict = Callable[[_Point], Sequence[float]]


def _table_op(pts: Sequence[_Point], arity: int) -> Op | None:
    """The op of the table whose forward equals the learner's at every point, if any."""
    for op in OPS.values():
        if op.arity != arity:
            continue
        try:
            if all(_close(float(op.eval(*p.xs)), p.out) for p in pts):
                return op
        except (ArithmeticError, ValueError):
            continue
    return None


def _exponent(pts: Sequence[_Point]) -> float | None:
    """n if the forward is xⁿ at every point (n read off x·f′/f at one point), else None."""
    first = next((p for p in pts if p.xs[0] != 0.0 and p.out != 0.0), None)
    if first is None:
        return None
    n = round(first.ref[0] * first.xs[0] / first.out, 6)
    try:
        if n not in (0.0, 1.0) and all(_close(float(p.xs[0] ** n), p.out) for p in pts):
            return n
    except (ArithmeticError, ValueError, TypeError):
        pass
    return None


def _chain_constant(pts: Sequence[_Point]) -> float | None:
    """c if the learner's rule looks like f′/c (c ≠ ±1): c read off the median ratio."""
    ratios = sorted(r / lv for p in pts for r, lv in zip(p.ref, p.learner)
                    if abs(r) > 1e-9 and abs(lv) > 1e-9)
    if len(ratios) < 2:  # one point fits any constant
        return None
    c = ratios[len(ratios) // 2]
    return c if math.isfinite(c) and not (_close(c, 1.0) or _close(c, -1.0)) else None


Mutation = tuple[str, str, float | None, Predict]


def _flipped(k: int) -> Predict:
    """The right rule with the sign of input ``k``'s derivative flipped."""
    return lambda p: tuple(-r if i == k else r for i, r in enumerate(p.ref))


def _mutations(pts: Sequence[_Point], arity: int) -> list[Mutation]:
    """(catalogue key, detail, constant found, prediction) for each mutation that applies
    to this forward, in the order they are tried: the specific before the generic."""
    found: list[Mutation] = []
    table = _table_op(pts, arity)
    if arity == 1:
        if table is not None:
            op = table
            found.append(("input-for-output", f"the forward is {op.name}", None,
                          lambda p: op.flat(op.partials(FLOATS, p.xs[0], p.xs[0]))))
        found.append(("function-for-derivative", "", None, lambda p: (p.out,)))
        n = _exponent(pts)
        if n is not None:
            found += [("power-n-x^n", f"n = {n:g}", n, lambda p: (n * p.xs[0] ** n,)),
                      ("power-n-x^(n-2)", f"n = {n:g}", n,
                       lambda p: (n * p.xs[0] ** (n - 2),)),
                      ("power-(n-1)-x^(n-1)", f"n = {n:g}", n,
                       lambda p: ((n - 1) * p.xs[0] ** (n - 1),))]
    if table is DIV:
        found += [("quotient-order", "", None, lambda p: (-p.ref[0], -p.ref[1])),
                  ("quotient-sign", "", None, lambda p: (p.ref[0], -p.ref[1]))]
    found.append(("sign", "", None, lambda p: tuple(-r for r in p.ref)))
    if arity > 1:
        for k in range(arity):
            found.append(("sign-one", f"the derivative by input {k}", None, _flipped(k)))
    c = _chain_constant(pts)
    if c is not None:
        found.append(("chain-factor", f"the rule is f′/{c:.6g}: a factor {c:.6g} is missing",
                      c, lambda p: tuple(r / c for r in p.ref)))
    return found


def _mistake(key: str, detail: str = "", value: float | None = None) -> Mistake:
    name, description = CATALOGUE[key]
    return Mistake(key, name, description, detail, value)


# --- second order ------------------------------------------------------------------------------

def _second_order(op: CustomOp, pts: Sequence[_Point]
                  ) -> tuple[_Point, tuple[float, ...], tuple[float, ...]] | None:
    """The first point where differentiating the rule on Values (create_graph) disagrees
    with a complex step or Richardson of the rule itself: (point, the engine's second
    derivatives, the right ones), one per input pair; None if none."""
    for p in pts[:6]:
        n = len(p.xs)
        got = [local_second(op, p.xs, k, j) for k in range(n) for j in range(n)]
        if not all(_close(a, r, e) or not math.isfinite(r) for a, r, e, _ in got):
            return p, tuple(a for a, _, _, _ in got), tuple(r for _, r, _, _ in got)
    return None


# --- diagnose ----------------------------------------------------------------------------------

def _relative(p: _Point) -> float:
    return max(abs(lv - r) / abs(r) if r != 0.0 else abs(lv)
               for lv, r in zip(p.learner, p.ref))


def _checked_rules(forward: Any, partials: Any) -> bool:
    """Whether the rules are in the ``m`` form (refusing rules that are not callables or
    not in the same form)."""
    _args.function(forward, "diagnose", "forward", "callable (forward(x) or forward(m, x))")
    _args.function(partials, "diagnose", "partials",
                   "callable (partials(x, out) or partials(m, out, x))")
    m_form = _m_form(forward)
    if m_form != _m_form(partials):
        raise ValueError("diagnose: forward and partials must be in the same form: both on "
                         "numbers (forward(x), partials(x, out)) or both against m "
                         "(forward(m, x), partials(m, out, x))")
    return m_form


def diagnose(forward: Callable[..., Any], partials: Callable[..., Any],
             sample: Sequence[tuple[float, float]] | None = None, *, n: int = 12,
             seed: int = 0) -> Diagnosis:
    """Check a learner's backward rule and name its mistake (see the module doc).

    ``forward`` and ``partials``: on numbers (``forward(x)``, ``partials(x, out)``; for two
    inputs ``forward(a, b)``, ``partials(a, b, out)``) or against the maths namespace
    (``forward(m, x)``, ``partials(m, out, x)``, as ``custom_op``). ``sample``: one
    (lo, hi) range per input (default (−2, 2) for each input of ``forward``'s signature);
    ``n`` points are drawn from it with ``seed``, rounded to 3 decimals. Returns a
    ``Diagnosis``: right, with the largest relative error seen, or wrong, naming the
    mistake from ``CATALOGUE`` and the smallest input where the rule is wrong."""
    m_form = _checked_rules(forward, partials)
    ranges = _checked_sample(sample, _arity(forward, m_form))
    _args.integer(n, "diagnose", "n", 1)
    _args.integer(seed, "diagnose", "seed")
    op = _as_op(forward, partials, m_form, ranges)
    methods: set[str] = set()
    pts = [_evaluate(op, xs, methods) for xs in _points(ranges, n, seed)]
    method = " and ".join(sorted(methods))
    worst = max(_relative(p) for p in pts)
    result = Diagnosis(True, None, [p.xs for p in pts], method, worst)
    wrong = [p for p in pts if not all(map(_close, p.learner, p.ref, p.est))]
    if wrong:
        first = wrong[0]
        result.right = False
        result.second_order = "not checked (the first derivatives are wrong)"
        result.where, result.learner, result.expected = first.xs, first.learner, first.ref
        result.mistake = next((_mistake(key, detail, value) for key, detail, value, predict
                               in _mutations(pts, len(ranges)) if _agrees(pts, predict)),
                              _mistake("unknown"))
        return result
    if not m_form:
        result.second_order = ("not checked (rules on numbers do not run on Values: write "
                               "them against m, as custom_op takes them, to check it)")
        return result
    try:
        bad = _second_order(op, pts)
    except Exception as exc:  # a rule that does not run on Values
        result.second_order = (f"not checked: partials raised {type(exc).__name__} on "
                               f"Values ({exc})")
        return result
    if bad is None:
        result.second_order = "right"
        return result
    p, got, right = bad
    result.right, result.mistake, result.order = False, _mistake("frozen-out"), 2
    result.where, result.learner, result.expected = p.xs, got, right
    result.second_order = (f"wrong: at inputs {_show(p.xs)} differentiating the rule gives "
                           f"{_show(got, 12)}, the right second derivatives are "
                           f"{_show(right, 12)}")
    return result
