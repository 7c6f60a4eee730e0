"""Gradient checking: the engine's derivatives against independent references.

``gradcheck(f, inputs)`` traces the graph ``f`` builds on ``Value``s and compares its
gradient with a reference computed without any derivative rule (``references.py``):

* ``"complex-step"``: every node's forward re-run on complex numbers with input i moved to
  x_i + i·h; exact to rounding, it differentiates the very computation the rules are
  evaluated on. Needs every op smooth at the point.
* ``"richardson"``: central differences at shrinking h extrapolated to h → 0 (Ridders'
  tableau), with an estimate of its own error. For ops that are not analytic (relu, abs,
  max).
* the function itself: a complex step differentiates the *graph* ``f`` traced, so the
  default also compares with Richardson differences of ``f`` re-run at nearby points
  (rows ``fn``): a graph that froze a number (``f`` read ``.data``) fails there, with a
  message saying that the graph and the function disagree.
* ``"central"``: PyTorch's ``gradcheck``: D(eps), |analytic − numeric| ≤ atol + rtol·|numeric|.

The default (``"auto"``) takes complex step when it applies, else Richardson, with the
tightest tolerance the method allows: for input i, 8·ε·(S_i + C_i) (the rounding bound of
``rounding.py``) plus 10 times the reference's error estimate.

On failure the message leads with the first op, in topological order, whose own rule
disagrees with a complex-step (or Richardson) derivative of its own forward
(``find_culprit``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import arguments as _args
from ..core.functional import grad_of, jvp
from ..core.value import Value, topological_order
from ..rules.ops import Op
from .references import (
    Trace,
    checked_inputs,
    complex_gradient_estimated,
    complex_hessian_column,
    gradient_function,
    local_reference,
    local_second,
    numerical_gradient,
    partial_function,
    richardson,
    trace_of,
)
from .rounding import (
    EPS,
    ESTIMATE_FACTOR,
    LOCAL_FACTOR,
    ROUNDING_FACTOR,
    local_terms,
    local_tolerance,
    rounding_bounds,
)

__all__ = ["gradcheck", "gradcheck_report", "GradcheckError", "GradcheckReport", "Row",
           "Culprit", "find_culprit", "checked_order", "METHODS", "FUNCTION_RTOL"]

#: the function check's further allowance, relative: Richardson's estimate of its own error
#: is not a bound (on exp(exp(x)) at 0 it was 10 times too small); a graph that froze a
#: number is off by far more
FUNCTION_RTOL = 1e-8
METHODS = ("auto", "complex-step", "richardson", "central")


class GradcheckError(AssertionError):
    """Analytic and reference derivatives disagree. The message names the guilty op first
    (when one is found), then tables every input; ``report`` holds the numbers."""

    def __init__(self, message: str, report: GradcheckReport | None = None) -> None:
        super().__init__(message)
        self.report = report

    @property
    def culprit(self) -> Culprit | None:
        return self.report.culprit if self.report is not None else None


# --- the report --------------------------------------------------------------------------

@dataclass
class Row:
    """One compared derivative: ``what`` is ∂f/∂x_i, ∂²f/∂x_i∂x_j or a jvp."""

    mode: str  # "rev", "fwd", "rev²" or "fn" (the function re-run, not its graph)
    index: tuple[int, ...]
    value: float
    analytic: float
    reference: float
    estimate: float
    tolerance: float

    @property
    def difference(self) -> float:
        return abs(self.analytic - self.reference)

    @property
    def ok(self) -> bool:
        return self.difference <= self.tolerance or (self.analytic == self.reference)


@dataclass
class Culprit:
    """The first op (topological order) whose rule disagrees with its own forward."""

    node: Value
    op: Op
    input: int
    expected: float
    actual: float
    method: str
    order: int = 1
    wrt: int | None = None  # order 2: the input the partial is differentiated by

    @property
    def inputs(self) -> tuple[float, ...]:
        return tuple(p._data for p in self.node.parents)

    def __str__(self) -> str:
        label = f" (label {self.node.label!r})" if self.node.label else ""
        shown = ", ".join(repr(x) for x in self.inputs)
        what = (f"∂out/∂input{self.input}" if self.order == 1 else
                f"∂/∂input{self.wrt} of ∂out/∂input{self.input}")
        rel = abs(self.actual - self.expected) / max(abs(self.expected), 1e-300)
        source = "forward" if self.order == 1 else "partials"
        return (f"guilty op '{self.op.name}'{label} at inputs ({shown}): {what} is "
                f"{self.expected!r} by {self.method} of its {source}, "
                f"its rule gives {self.actual!r} (relative error {rel:.2e})")


@dataclass
class GradcheckReport:
    """Everything a check compared; ``str()`` is the table."""

    method: str
    order: int
    inputs: tuple[float, ...]
    rows: list[Row] = field(default_factory=list)
    culprit: Culprit | None = None
    root: Value | None = None
    values: list[Value] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]

    def table(self) -> str:
        head = (f"{'mode':>4}  {'input':>6}  {'value':>11}  {'analytic':>22}  {'numeric':>22}  "
                f"{'difference':>10}  {'tolerance':>9}  {'error est.':>10}")
        lines = [head]
        for r in self.rows:
            idx = ",".join(map(str, r.index))
            mark = "  <- fails" if not r.ok else ""
            lines.append(f"{r.mode:>4}  {idx:>6}  {r.value:>11.6g}  {r.analytic:>22.17g}  "
                         f"{r.reference:>22.17g}  {r.difference:>10.3e}  {r.tolerance:>9.2e}  "
                         f"{r.estimate:>10.2e}{mark}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _tolerance(bound: float, estimate: float, reference: float, atol: float | None,
               rtol: float | None) -> float:
    if atol is not None or rtol is not None:
        return (atol or 0.0) + (rtol or 0.0) * abs(reference)
    return ROUNDING_FACTOR * bound + ESTIMATE_FACTOR * estimate


def _smooth_at(trace: Trace) -> bool:
    """Every op in the graph is smooth and no node sits on a declared kink."""
    for node in trace.order:
        op = node._op
        if op is None:
            continue
        if not op.smooth:
            return False
        if op.kinks and any(p._data == k for p in node.parents for k in op.kinks):
            return False
    return True



@dataclass
class _Reference:
    """A reference gradient: the method that made it, its values, their error estimates
    (the table's column) and what of each estimate the tolerance adds (a complex step's
    estimate includes the rounding bound, which the tolerance holds already)."""

    method: str
    gradient: list[float]
    estimates: list[float]
    allowances: list[float]


def _reference(f: Callable[..., Value], xs: Sequence[float], trace: Trace, method: str,
               bounds: Sequence[float], eps: float) -> _Reference:
    """The reference gradient by ``method`` (not "auto"); a complex step falls back to
    Richardson when a rule does not run on complex numbers."""
    if method == "complex-step":
        try:
            pairs = complex_gradient_estimated(trace)
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            method = "richardson"  # a rule that does not run on complex numbers
        else:
            truncations = [t for _, t in pairs]
            # the reference rounds as the rules do, plus its truncation error
            return _Reference(method, [d for d, _ in pairs],
                              [b + t for b, t in zip(bounds, truncations)], truncations)
    if method == "richardson":
        pairs = [richardson(partial_function(f, xs, i), xs[i]) for i in range(len(xs))]
        estimates = [e for _, e in pairs]
        return _Reference(method, [d for d, _ in pairs], estimates, estimates)
    gradient = numerical_gradient(f, xs, eps)
    wide = numerical_gradient(f, xs, 2 * eps)
    estimates = [abs(n - w) / 3 + EPS * abs(trace.root._data) / eps
                 for n, w in zip(gradient, wide)]
    return _Reference(method, gradient, estimates, estimates)


# --- gradcheck ---------------------------------------------------------------------------

def gradcheck_report(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float | None = None,
    rtol: float | None = None,
    *,
    method: str = "auto",
    order: int = 1,
    modes: Sequence[str] = ("rev",),
    localize: bool = True,
    function: bool = True,
) -> GradcheckReport:
    """Run the comparisons of ``gradcheck`` and return them, without raising."""
    xs = _arguments("gradcheck_report", f, inputs, eps, atol, rtol, method, order, modes,
                    localize)
    trace = trace_of(f, xs)
    analytic = [float(g) for g in grad_of(trace.root, trace.values)]
    bounds = rounding_bounds(trace.root, trace.values)
    if method == "auto":
        method = "complex-step" if _smooth_at(trace) else "richardson"
    reference = _reference(f, xs, trace, method, bounds, eps)
    method = reference.method
    if method == "central":  # PyTorch's tolerances, unless given
        atol = 1e-5 if atol is None else atol
        rtol = 1e-3 if rtol is None else rtol
    report = GradcheckReport(method, order, tuple(xs), root=trace.root, values=trace.values)
    _gradient_rows(f, xs, analytic, bounds, reference, atol, rtol, modes, report)
    if function and method == "complex-step":
        _function_rows(f, xs, analytic, bounds, atol, rtol, report)
    if order == 2:
        _second_order(f, xs, trace, method, atol, rtol, report)
    if _only_function(report):
        report.note = _FROZE
    elif localize and not report.passed:
        report.culprit = find_culprit(trace.root, order=2 if _only_second(report) else 1)
    return report


def _gradient_rows(f: Callable[..., Value], xs: Sequence[float], analytic: Sequence[float],
                   bounds: Sequence[float], reference: _Reference, atol: float | None,
                   rtol: float | None, modes: Sequence[str], report: GradcheckReport) -> None:
    """Rows 'rev' (the gradient) and 'fwd' (``jvp`` along each input) against the
    reference."""
    rows = zip(analytic, reference.gradient, reference.estimates, reference.allowances, bounds)
    for i, (a, r, e, allowed, b) in enumerate(rows):
        tol = _tolerance(b, allowed, r, atol, rtol)
        if "rev" in modes:
            report.rows.append(Row("rev", (i,), xs[i], a, r, e, tol))
        if "fwd" in modes:
            tangent = [1.0 if k == i else 0.0 for k in range(len(xs))]
            _, slope = jvp(f, xs, tangent)
            report.rows.append(Row("fwd", (i,), xs[i], slope, r, e, tol))


_FROZE = ("the graph f traced and f itself disagree: the engine's gradient matches the "
          "complex step of the traced graph, but not Richardson differences of f re-run at "
          "nearby points (rows 'fn'). f's graph froze a number that depends on its inputs: "
          "it read .data, called grad with numbers inside, or used a value computed outside "
          "the graph, so the graph's gradient is not the function's")


def _function_rows(f: Callable[..., Value], xs: Sequence[float], analytic: Sequence[float],
                   bounds: Sequence[float], atol: float | None, rtol: float | None,
                   report: GradcheckReport) -> None:
    """Rows 'fn': the gradient against Richardson differences of ``f`` itself, re-run at
    nearby points, so a graph that froze a number cannot pass by agreeing with itself."""
    for i, (a, b) in enumerate(zip(analytic, bounds)):
        d, e = richardson(partial_function(f, xs, i), xs[i])
        tol = _tolerance(b, e, d, atol, rtol) + FUNCTION_RTOL * abs(d)
        report.rows.append(Row("fn", (i,), xs[i], a, d, e, tol))


def _only_function(report: GradcheckReport) -> bool:
    bad = report.failures
    return bool(bad) and all(r.mode == "fn" for r in bad)


def _only_second(report: GradcheckReport) -> bool:
    return all(r.mode == "rev²" for r in report.failures)


def _second_order(f: Callable[..., Value], xs: Sequence[float], trace: Trace, method: str,
                  atol: float | None, rtol: float | None, report: GradcheckReport) -> None:
    values = trace.values
    first = grad_of(trace.root, values, create_graph=True)
    n = len(values)
    analytic = [[float(d) for d in grad_of(first[i], values)] for i in range(n)]
    bounds = [rounding_bounds(first[i], values) for i in range(n)]
    columns: list[list[float]] | None = None
    if method == "complex-step":
        try:
            columns = [complex_hessian_column(trace, j) for j in range(n)]
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            columns = None
    for i in range(n):
        for j in range(n):
            if columns is not None:
                ref, est = columns[j][i], 0.0
            else:
                ref, est = richardson(gradient_function(f, xs, i, j), xs[j])
            tol = _tolerance(bounds[i][j], est, ref, atol, rtol)
            report.rows.append(Row("rev²", (i, j), xs[j], analytic[i][j], ref,
                                   est if columns is None else bounds[i][j], tol))


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float | None = None,
    rtol: float | None = None,
    *,
    method: str = "auto",
    order: int = 1,
    modes: Sequence[str] = ("rev",),
    localize: bool = True,
    function: bool = True,
) -> bool:
    """Check the engine's derivatives of ``f`` at ``inputs`` against a reference.

    ``method``: ``"auto"`` (complex step if every op in the graph is smooth there, else
    Richardson), ``"complex-step"``, ``"richardson"`` or ``"central"`` (PyTorch's
    semantics: step ``eps``, |analytic − numeric| ≤ atol + rtol·|numeric| with atol = 1e-5,
    rtol = 1e-3 unless given). Other methods allow 8·ε·(S_i + C_i) (see the module doc)
    plus 10 times the reference's error estimate, or atol + rtol·|reference| if given.
    ``order=2`` also checks every ∂²f/∂x_i∂x_j (``create_graph``) against a complex step
    (or Richardson) of the first derivative; ``modes=("rev", "fwd")`` also checks ``jvp``.
    ``function=True`` (the default) also re-runs ``f`` itself at nearby points when the
    reference is a complex step of the traced graph (Richardson, rows ``fn``): a graph that
    froze a number (``f`` read ``.data``) agrees with itself but not with ``f``.

    Returns True, or raises ``GradcheckError``: its message names the guilty op first (its
    rule against a complex step or Richardson of its own forward), then tables every
    comparison with the reference's error estimate.
    """
    inputs = _arguments("gradcheck", f, inputs, eps, atol, rtol, method, order, modes, localize)
    report = gradcheck_report(f, inputs, eps, atol, rtol, method=method, order=order,
                              modes=modes, localize=localize, function=function)
    if report.passed:
        return True
    raise GradcheckError(_message(report), report)



def checked_order(order: Any, who: str) -> int:
    """``order`` (of derivatives to check): 1 or 2."""
    if _args.integer(order, who, "order", expected="1 or 2") not in (1, 2):
        raise _args.value_error(who, "order", "1 or 2", order)
    return int(order)


def _arguments(who: str, f: Any, inputs: Any, eps: Any, atol: Any, rtol: Any, method: Any,
               order: Any, modes: Any, localize: Any) -> list[float]:
    """Check the arguments of ``gradcheck`` and ``gradcheck_report``; the inputs as floats."""
    _args.function(f, who, "f")
    xs = checked_inputs(inputs, who)
    _args.positive(eps, who, "eps")
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if tol is not None:
            _args.nonnegative(tol, who, name)
    _args.choice(method, who, "method", METHODS)
    checked_order(order, who)
    expected = "a tuple of 'rev' and/or 'fwd', such as ('rev', 'fwd')"
    if isinstance(modes, str):
        raise _args.type_error(who, "modes", expected, modes)
    listed = _args.sequence(modes, who, "modes", expected)
    if not listed or not all(isinstance(m, str) and m in ("rev", "fwd") for m in listed):
        raise _args.value_error(who, "modes", expected, modes)
    _args.flag(localize, who, "localize")
    return xs


def _message(report: GradcheckReport) -> str:
    bad = report.failures
    lead = (report.note if report.note == _FROZE else
            str(report.culprit) if report.culprit is not None else
            "no op's rule disagrees with its own forward: the fault is in how the rules "
            "are combined (the engine, jvp or create_graph), or in f")
    firsts = {r.index[0] for r in bad if r.mode != "rev²"}
    n = len(report.inputs)
    what = (f"gradients differ at {len(firsts)} of {n} inputs" if firsts else
            f"second derivatives differ at {len(bad)} of {n * n} entries")
    return (f"gradcheck: {lead}\n"
            f"gradcheck ({report.method}, order {report.order}): analytic and numeric "
            f"{what}:\n{report.table()}")


# --- localizing: which op's rule is wrong -----------------------------------------------------

def find_culprit(root: Value, order: int = 1) -> Culprit | None:
    """The first node (topological order) whose op's local derivatives (``order`` 1) or
    their derivatives (``order`` 2) disagree with a complex step (smooth ops) or
    Richardson (others) of the op's own forward at the node's inputs; None if all agree."""
    _args.value(root, "find_culprit", "root")
    checked_order(order, "find_culprit")
    for node in topological_order(root):
        op = node._op
        if op is None:
            continue
        found = local_terms(node)
        if found is None:
            continue
        xs, local, mags = found
        for k in range(len(xs)):
            if order == 1:
                ref, est, how = local_reference(op, xs, k)
                if not math.isfinite(ref):
                    continue
                tol = local_tolerance(mags[k], ref, est)
                if abs(local[k] - ref) > tol:
                    return Culprit(node, op, k, ref, float(local[k]), how)
            else:
                for j in range(len(xs)):
                    try:
                        actual, ref, est, how = local_second(op, xs, k, j)
                    except (ArithmeticError, ValueError):
                        continue
                    tol = (LOCAL_FACTOR * EPS * 4 * max(abs(ref), mags[k])
                           + ESTIMATE_FACTOR * est)
                    if math.isfinite(ref) and abs(actual - ref) > tol:
                        return Culprit(node, op, k, ref, actual, how, order=2, wrt=j)
    return None
