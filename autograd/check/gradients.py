"""Gradient checking: the engine's derivatives against independent references.

``gradcheck(f, inputs)`` traces the graph ``f`` builds on ``Value``s and compares its
gradient with a reference computed without any derivative rule:

* ``"complex-step"``: every node's forward is re-run on complex numbers (``maths.CStep``)
  with input i moved to x_i + i·h (h = 1e-20·max(1, |x_i|)); ∂f/∂x_i = Im f / h, with no
  cancellation, so the reference is exact to rounding. Real parts are pinned to the float
  forward's values, so it differentiates the very computation the rules are evaluated on.
  Needs every op smooth at the point.
* ``"richardson"``: central differences D(h) = (f(x + h) − f(x − h)) / 2h at shrinking h,
  extrapolated to h → 0 (Ridders' tableau), with an estimate of its own error. For ops that
  are not analytic (relu, abs, max).
* the function itself: a complex step differentiates the *graph* ``f`` traced, so the
  default also compares with Richardson differences of ``f`` re-run at nearby points
  (rows ``fn``): a graph that froze a number (``f`` read ``.data``) fails there, with a
  message saying that the graph and the function disagree.
* ``"central"``: PyTorch's ``gradcheck``: D(eps), |analytic − numeric| ≤ atol + rtol·|numeric|.

The default (``"auto"``) takes complex step when it applies, else Richardson, with the
tightest tolerance the method allows: for input i, 8·ε·(S_i + C_i) plus 10 times the
reference's error estimate (ε = 2⁻⁵²). S_i = Σ over paths from the output to x_i of
Π |d| (d: the local derivatives on the path); C_i = Σ over paths of Π |d| times
Σ over the path's nodes of (1 + Σ|terms of d| / |d|): each product rounds once, and each
derivative rounds as the terms its rule adds (1 − tanh² rounds as 1 + tanh²), which
``partials`` run on magnitudes reveals. On 4,053 gradients of 2,000 random graphs the
largest |analytic − complex step| was 0.39·ε·(S + C).

On failure the message leads with the first op, in topological order, whose own rule
disagrees with a complex-step (or Richardson) derivative of its own forward.
"""

from __future__ import annotations

import cmath
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import arguments as _args
from ..core.functional import grad_of, jvp
from ..core.value import Value, apply, topological_order
from ..rules.maths import COMPLEX, FLOATS, CStep, Function, Namespace, tie_share
from ..rules.ops import Op, check_layout

__all__ = ["gradcheck", "gradcheck_report", "numerical_gradient", "complex_step_gradient",
           "richardson", "GradcheckError", "GradcheckReport", "Culprit", "find_culprit",
           "custom_op", "CustomOp", "check_op", "sample_inputs", "METHODS"]

EPS = 2.0**-52
TINY = 2.0**-1074  # the smallest subnormal float
#: the safety factor on the rounding bound ε·(S + C) of a whole graph (on 4,053 gradients of
#: 2,000 random graphs the largest |analytic − complex step| was 0.39·ε·(S + C))
ROUNDING_FACTOR = 8.0
#: the safety factor on ε·(|rule's terms| + |reference|) for one op's local derivative (the
#: complex forward itself rounds: up to 3.5 ε seen, for x**2.5 through exp(2.5·log z))
LOCAL_FACTOR = 16.0
#: the safety factor on Richardson's own error estimate
ESTIMATE_FACTOR = 10.0
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


# --- tracing and the magnitude of each local derivative --------------------------------------

@dataclass
class _Trace:
    values: list[Value]
    root: Value
    order: list[Value]

    @property
    def position(self) -> dict[int, int]:
        return {id(v): i for i, v in enumerate(self.values)}


def _trace(f: Callable[..., Any], xs: Sequence[float]) -> _Trace:
    values = [Value(x) for x in xs]
    root = _as_output(f(*values))
    return _Trace(values, root, topological_order(root))


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


def _local_magnitudes(op: Op, out: float, xs: Sequence[float], local: Sequence[float]
                      ) -> list[float]:
    """For each local derivative, the sum of |terms| its rule adds (at least |derivative|)."""
    try:
        parts = op._flat(op.partials(MAGNITUDES, _Mag(out), *op._split([_Mag(x) for x in xs])))
        return [max(abs(d), _mag(p).m) for d, p in zip(local, parts)]
    except (ArithmeticError, ValueError):  # the float rule raises (IEEE values): plain
        return [abs(d) for d in local]


def _op_of(node: Value) -> Op:
    op = node._op
    assert op is not None, "an interior node has an op"
    return op


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
        op, inputs = _op_of(node), node.parents
        xs = [p._data for p in inputs]
        try:
            local = op.local(node._data, *xs)
        except (ArithmeticError, ValueError):
            continue
        mags = _local_magnitudes(op, node._data, xs, local)
        sn, cn = s[id(node)], c[id(node)]
        for p, d, mg in zip(inputs, local, mags):
            if op.masks and d == 0.0:
                continue
            d = abs(d)
            s[id(p)] = s.get(id(p), 0.0) + d * sn
            c[id(p)] = c.get(id(p), 0.0) + d * cn + (mg + d) * sn
    return [EPS * (s.get(id(v), 0.0) + c.get(id(v), 0.0)) for v in wrt]


# --- references ------------------------------------------------------------------------

class _CheckComplex(type(COMPLEX)):  # type: ignore[misc]
    """``maths.COMPLEX`` with σ(z) evaluated as e^z / (1 + e^z) for Re z < 0, so that it
    does not overflow where the float σ does not (``COMPLEX.sigmoid`` overflows below −709)."""

    @staticmethod
    def sigmoid(z: Any) -> CStep:
        z = complex(z)
        if z.real >= 0.0:
            return CStep(1.0 / (1.0 + cmath.exp(-z)))
        e = cmath.exp(z)
        return CStep(e / (1.0 + e))


CX = _CheckComplex()

def _step(x: float) -> float:
    return 1e-20 * max(1.0, abs(x))


def _complex_values(trace: _Trace, i: int, h: float) -> dict[int, complex]:
    """Every node's forward on complex numbers, input i moved by i·h."""
    target = id(trace.values[i]) if i >= 0 else None
    vals: dict[int, complex] = {}
    for node in trace.order:
        if node._x is None:
            vals[id(node)] = CStep(complex(node._data, h if id(node) == target else 0.0))
        else:
            op = _op_of(node)
            z = op.forward(CX, *op._split([vals[id(p)] for p in node.parents]))
            # the real part pinned to the float forward's: the tangent (imaginary part) is
            # carried along the very values at which the rules are evaluated
            vals[id(node)] = CStep(complex(node._data, complex(z).imag))
    return vals


def complex_step_gradient(f: Callable[..., Value], inputs: Sequence[float]) -> list[float]:
    """∂f/∂x_i = Im f(x + i·h·e_i) / h for each input, h = 1e-20·max(1, |x_i|), evaluating
    the graph ``f`` builds with each node's own forward on complex numbers."""
    _args.function(f, "complex_step_gradient", "f")
    trace = _trace(f, _inputs(inputs, "complex_step_gradient"))
    return _complex_gradient(trace)


def _complex_gradient(trace: _Trace) -> list[float]:
    return [d for d, _ in _complex_gradient_estimated(trace)]


def _complex_gradient_estimated(trace: _Trace) -> list[tuple[float, float]]:
    """(Im f(x + i·h·e_i)/h, its truncation error) per input. The error is h²·|f‴|/6 + ...;
    it is estimated from a second step H = 1e-6·max(1, |x_i|): (h/H)²·|D(H) − D(h)|."""
    out = []
    root = id(trace.root)
    for i, v in enumerate(trace.values):
        h, big = _step(v._data), 1e-6 * max(1.0, abs(v._data))
        d = complex(_complex_values(trace, i, h)[root]).imag / h
        try:
            d_big = complex(_complex_values(trace, i, big)[root]).imag / big
            trunc = (h / big) ** 2 * abs(d_big - d)
        except (ArithmeticError, ValueError):
            trunc = 0.0
        # imaginary parts below the normal range keep fewer digits: one subnormal spacing
        # per node, divided by h
        trunc = (trunc if math.isfinite(trunc) else 0.0) + len(trace.order) * TINY / h
        out.append((d, trunc))
    return out


def _complex_hessian_column(trace: _Trace, j: int) -> list[float]:
    """∂/∂x_j of the analytic gradient, by complex step: the reverse pass of the rules'
    partials run on complex numbers, with input j moved by i·h."""
    h = _step(trace.values[j]._data)
    vals = _complex_values(trace, j, h)
    adj: dict[int, Any] = {id(trace.root): 1.0}
    for node in reversed(trace.order):
        if node._x is None or id(node) not in adj:
            continue
        op, g = _op_of(node), adj[id(node)]
        zs = [vals[id(p)] for p in node.parents]
        parts = op._flat(op.partials(CX, vals[id(node)], *op._split(zs)))
        for p, d in zip(node.parents, parts):
            if op.masks and complex(d).real == 0.0:
                continue
            adj[id(p)] = adj.get(id(p), 0.0) + d * g
    return [complex(adj.get(id(v), 0.0)).imag / h for v in trace.values]


def richardson(g: Callable[[float], float], x: float, h0: float | None = None,
               ) -> tuple[float, float]:
    """g'(x) by central differences D(h) at h = h0, h0/1.4, h0/1.4², ... extrapolated to
    h → 0 (each tableau column removes the next power of h²), and the estimate of its
    error: the smallest difference between neighbouring extrapolations. Steps at which g
    raises are halved; if the estimate is poor the whole tableau restarts at h0/100."""
    _args.function(g, "richardson", "g")
    x = _args.real(x, "richardson", "x", data=True)
    if h0 is None:
        h0 = 0.1 * max(1.0, abs(x))
    elif not _args.real(h0, "richardson", "h0", "a positive number") > 0:
        raise _args.value_error("richardson", "h0", "a positive step", h0)
    best, best_err = math.nan, math.inf
    for _ in range(4):
        value, err = _ridders(g, x, h0)
        if err < best_err:
            best, best_err = value, err
        if best_err <= 1e-9 * max(1.0, abs(best)):
            break
        h0 /= 100.0
    return best, best_err


def _central(g: Callable[[float], float], x: float, h: float) -> tuple[float, float] | None:
    """(D(h), its rounding error ε·(|g(x + h)| + |g(x − h)|)/2h), or None outside the domain."""
    up, down = x + h, x - h
    try:
        a, b = g(up), g(down)
    except (ArithmeticError, ValueError):
        return None
    return (a - b) / (up - down), EPS * (abs(a) + abs(b)) / (up - down)


def _ridders(g: Callable[[float], float], x: float, h: float, n: int = 10,
             shrink: float = 1.4) -> tuple[float, float]:
    """Ridders' tableau: (extrapolated g'(x), error estimate). The estimate is the smallest
    change between neighbouring extrapolations plus 4 times the rounding error of the
    central difference they start from (each extrapolation step amplifies it < 3 times)."""
    c = _central(g, x, h)
    for _ in range(40):  # a step that leaves the domain: halve it
        if c is not None and math.isfinite(c[0]):
            break
        h /= 2.0
        c = _central(g, x, h)
    if c is None or not math.isfinite(c[0]):
        return math.nan, math.inf
    prev = [c[0]]
    ans, err, noise = c[0], math.inf, c[1]
    s2 = shrink * shrink
    for _ in range(1, n):
        h /= shrink
        c = _central(g, x, h)
        if c is None or not math.isfinite(c[0]):
            break
        row = [c[0]]
        fac = s2
        for j in range(1, len(prev) + 1):
            row.append((row[j - 1] * fac - prev[j - 1]) / (fac - 1.0))
            fac *= s2
            e = max(abs(row[j] - row[j - 1]), abs(row[j] - prev[j - 1]))
            if e <= err:
                ans, err, noise = row[j], e, c[1]
        if abs(row[-1] - prev[-1]) >= 2.0 * err:
            break
        prev = row
    return ans, err + 4.0 * noise


def numerical_gradient(
    f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6
) -> list[float]:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps in each input, in float64."""
    _args.function(f, "numerical_gradient", "f")
    xs = _inputs(inputs, "numerical_gradient")
    eps = _args.positive(eps, "numerical_gradient", "eps")
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        f_up = _as_output(f(*[Value(x) for x in up])).data
        f_down = _as_output(f(*[Value(x) for x in down])).data
        out.append((f_up - f_down) / (2 * eps))
    return out


def _partial_function(f: Callable[..., Value], xs: Sequence[float], i: int
                      ) -> Callable[[float], float]:
    def g(t: float) -> float:
        args = list(xs)
        args[i] = t
        return _as_output(f(*[Value(a) for a in args])).data

    return g


def _gradient_function(f: Callable[..., Value], xs: Sequence[float], i: int, j: int
                       ) -> Callable[[float], float]:
    """t -> ∂f/∂x_i by the engine at x with x_j = t."""
    def g(t: float) -> float:
        args = list(xs)
        args[j] = t
        values = [Value(a) for a in args]
        return float(grad_of(_as_output(f(*values)), values)[i])

    return g


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


def _smooth_at(trace: _Trace) -> bool:
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
    trace = _trace(f, xs)
    values = trace.values
    analytic = [float(g) for g in grad_of(trace.root, values)]
    bounds = rounding_bounds(trace.root, values)
    if method == "auto":
        method = "complex-step" if _smooth_at(trace) else "richardson"
    reference: list[float] = []
    estimates: list[float] = []
    truncations: list[float] = [0.0] * len(xs)
    if method == "complex-step":
        try:
            pairs = _complex_gradient_estimated(trace)
            reference = [d for d, _ in pairs]
            # the reference rounds as the rules do, plus its truncation error
            estimates = [b + t for b, (_, t) in zip(bounds, pairs)]
            truncations = [t for _, t in pairs]
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            method = "richardson"  # a rule that does not run on complex numbers
    if method == "richardson":
        for i in range(len(xs)):
            d, e = richardson(_partial_function(f, xs, i), xs[i])
            reference.append(d)
            estimates.append(e)
    if method == "central":
        atol = 1e-5 if atol is None else atol
        rtol = 1e-3 if rtol is None else rtol
        reference = numerical_gradient(f, xs, eps)
        wide = numerical_gradient(f, xs, 2 * eps)
        estimates = [abs(n - w) / 3 + EPS * abs(trace.root._data) / eps
                     for n, w in zip(reference, wide)]
    report = GradcheckReport(method, order, tuple(xs), root=trace.root, values=values)
    for i, (a, r, e, b) in enumerate(zip(analytic, reference, estimates, bounds)):
        tol = _tolerance(b, e if method != "complex-step" else truncations[i], r, atol, rtol)
        if "rev" in modes:
            report.rows.append(Row("rev", (i,), xs[i], a, r, e, tol))
        if "fwd" in modes:
            tangent = [1.0 if k == i else 0.0 for k in range(len(xs))]
            _, slope = jvp(f, xs, tangent)
            report.rows.append(Row("fwd", (i,), xs[i], slope, r, e, tol))
    if function and method == "complex-step":
        _function_rows(f, xs, analytic, bounds, atol, rtol, report)
    if order == 2:
        _second_order(f, xs, trace, method, atol, rtol, report)
    if _only_function(report):
        report.note = _FROZE
    elif localize and not report.passed:
        report.culprit = find_culprit(trace.root, order=2 if _only_second(report) else 1)
    return report


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
        d, e = richardson(_partial_function(f, xs, i), xs[i])
        tol = _tolerance(b, e, d, atol, rtol) + FUNCTION_RTOL * abs(d)
        report.rows.append(Row("fn", (i,), xs[i], a, d, e, tol))


def _only_function(report: GradcheckReport) -> bool:
    bad = report.failures
    return bool(bad) and all(r.mode == "fn" for r in bad)


def _only_second(report: GradcheckReport) -> bool:
    return all(r.mode == "rev²" for r in report.failures)


def _second_order(f: Callable[..., Value], xs: Sequence[float], trace: _Trace, method: str,
                  atol: float | None, rtol: float | None, report: GradcheckReport) -> None:
    values = trace.values
    first = grad_of(trace.root, values, create_graph=True)
    n = len(values)
    analytic = [[float(d) for d in grad_of(first[i], values)] for i in range(n)]
    bounds = [rounding_bounds(first[i], values) for i in range(n)]
    columns: list[list[float]] | None = None
    if method == "complex-step":
        try:
            columns = [_complex_hessian_column(trace, j) for j in range(n)]
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            columns = None
    for i in range(n):
        for j in range(n):
            if columns is not None:
                ref, est = columns[j][i], 0.0
            else:
                ref, est = richardson(_gradient_function(f, xs, i, j), xs[j])
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


def _inputs(inputs: Any, who: str) -> list[float]:
    """The point to check at: a list of finite numbers (a NaN or an infinity would be
    blamed on the rules)."""
    xs = _args.sequence(inputs, who, "inputs", "a list of numbers")
    return [_args.finite(x, who, f"inputs[{i}]", data=True) for i, x in enumerate(xs)]


def _order(order: Any, who: str) -> int:
    if _args.integer(order, who, "order", expected="1 or 2") not in (1, 2):
        raise _args.value_error(who, "order", "1 or 2", order)
    return int(order)


def _arguments(who: str, f: Any, inputs: Any, eps: Any, atol: Any, rtol: Any, method: Any,
               order: Any, modes: Any, localize: Any) -> list[float]:
    """Check the arguments of ``gradcheck`` and ``gradcheck_report``; the inputs as floats."""
    _args.function(f, who, "f")
    xs = _inputs(inputs, who)
    _args.positive(eps, who, "eps")
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if tol is not None:
            _args.nonnegative(tol, who, name)
    _args.choice(method, who, "method", METHODS)
    _order(order, who)
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


def _as_output(y: object) -> Value:
    if not isinstance(y, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(y).__name__}")
    return y


# --- localizing: which op's rule is wrong -----------------------------------------------------

def _local_complex(op: Op, xs: Sequence[float], k: int, h: float) -> float:
    zs = [CStep(x) for x in xs]
    zs[k] = CStep(complex(xs[k], h))
    return complex(op.forward(CX, *op._split(zs))).imag / h


def _local_reference(op: Op, xs: Sequence[float], k: int) -> tuple[float, float, str]:
    """∂op/∂input_k at xs from the op's forward alone: (derivative, error estimate, how)."""
    if op.smooth and not any(x == kk for x in xs for kk in op.kinks):
        try:
            d, d_big = (_local_complex(op, xs, k, h) for h in (_step(xs[k]),
                                                                1e-6 * max(1.0, abs(xs[k]))))
            trunc = 1e-28 * abs(d_big - d) + TINY / _step(xs[k])  # as for a whole graph
            return d, trunc if math.isfinite(trunc) else 0.0, "complex step"
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            pass

    def g(t: float) -> float:
        args = list(xs)
        args[k] = t
        return op.eval(*args)

    d, e = richardson(g, xs[k])
    return d, e, "Richardson"


def _local_second(op: Op, xs: Sequence[float], k: int, j: int
                  ) -> tuple[float, float, float, str]:
    """(∂/∂x_j of the rule's partial k on Values, the same by complex step or Richardson of
    the partial on floats, error estimate, how)."""
    ins = [Value(x) for x in xs]
    out = apply(op, *ins)
    from ..core.functions import (
        VALUES,  # (maths.VALUES before the namespace moved to engine)
    )

    parts = op._flat(op.partials(VALUES, out, *op._split(ins)))
    part = parts[k]
    actual = float(grad_of(part, [ins[j]])[0]) if isinstance(part, Value) else 0.0
    if op.smooth:
        try:
            h = _step(xs[j])
            zs = [CStep(x) for x in xs]
            zs[j] = CStep(complex(xs[j], h))
            zout = CStep(complex(op.forward(CX, *op._split(zs))))
            zp = op._flat(op.partials(CX, zout, *op._split(zs)))[k]
            return actual, complex(zp).imag / h, 0.0, "complex step"
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            pass

    def g(t: float) -> float:
        args = list(xs)
        args[j] = t
        return float(op.local(op.eval(*args), *args)[k])

    d, e = richardson(g, xs[j])
    return actual, d, e, "Richardson"


def find_culprit(root: Value, order: int = 1) -> Culprit | None:
    """The first node (topological order) whose op's local derivatives (``order`` 1) or
    their derivatives (``order`` 2) disagree with a complex step (smooth ops) or
    Richardson (others) of the op's own forward at the node's inputs; None if all agree."""
    _args.value(root, "find_culprit", "root")
    _order(order, "find_culprit")
    for node in topological_order(root):
        op = node._op
        if op is None:
            continue
        xs = [p._data for p in node.parents]
        try:
            local = op.local(node._data, *xs)
        except (ArithmeticError, ValueError):
            continue
        mags = _local_magnitudes(op, node._data, xs, local)
        for k in range(len(xs)):
            if order == 1:
                ref, est, how = _local_reference(op, xs, k)
                if not math.isfinite(ref):
                    continue
                tol = LOCAL_FACTOR * EPS * (mags[k] + abs(ref)) + ESTIMATE_FACTOR * est
                if abs(local[k] - ref) > tol:
                    return Culprit(node, op, k, ref, float(local[k]), how)
            else:
                for j in range(len(xs)):
                    try:
                        actual, ref, est, how = _local_second(op, xs, k, j)
                    except (ArithmeticError, ValueError):
                        continue
                    tol = (LOCAL_FACTOR * EPS * 4 * max(abs(ref), mags[k])
                           + ESTIMATE_FACTOR * est)
                    if math.isfinite(ref) and abs(actual - ref) > tol:
                        return Culprit(node, op, k, ref, actual, how, order=2, wrt=j)
    return None


# --- users' own ops ----------------------------------------------------------------------

class CustomOp(Op):
    """An ``Op`` made by ``custom_op``: call it (``op(x, y)``) to apply it."""

    def __call__(self, *inputs: Any) -> Value:
        return apply(self, *inputs)

    def __reduce__(self) -> Any:
        raise TypeError(f"custom op {self.name!r} cannot be pickled by name: its rules are "
                        "code defined outside the op table")

    def _symbolic(self) -> list[Any]:
        try:
            return super()._symbolic()
        except Exception:  # rules that cannot run on symbols: no formulas, no unit shortcut
            return []


def custom_op(name: str, forward: Callable[..., Any], partials: Callable[..., Any],
              **op_fields: Any) -> CustomOp:
    """A user's op from its rules, written against the maths namespace ``m`` as in
    ``ops.py``: ``forward(m, *operands)`` and ``partials(m, out, *operands)`` (a tuple, one
    derivative per input). ``op_fields`` are ``Op``'s keyword fields (``layout``, ``domain``,
    ``smooth``, ``kinks``, ``sample``, ``doc``, ...); without ``layout`` the arity is read
    from ``forward``'s signature. The result applies with ``op(x, y)`` or
    ``apply(op, x, y)``; check its rules with ``check_op(op)``."""
    if not isinstance(name, str):
        raise _args.type_error("custom_op", "name", "a non-empty str", name)
    if not name:
        raise _args.value_error("custom_op", "name", "a non-empty str", name)
    for what, rule in (("forward", forward), ("partials", partials)):
        _args.function(rule, "custom_op", what, "callable (a rule such as lambda m, x: ...)")
    fields = [p for p in inspect.signature(Op.__init__).parameters
              if p not in ("self", "name", "forward", "partials")]
    for key in op_fields:
        if key not in fields:
            raise TypeError(f"custom_op: unknown field {key!r}; Op's fields are "
                            f"{', '.join(fields)}")
    if "layout" not in op_fields:
        params = list(inspect.signature(forward).parameters.values())
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params) or len(params) < 2:
            raise TypeError(f"custom_op {name!r}: give layout= (forward's arity cannot be "
                            "read from its signature)")
        op_fields["layout"] = len(params) - 1
    lay = check_layout(op_fields["layout"], "custom_op")
    if "sample" not in op_fields:
        op_fields["sample"] = ((-10.0, 10.0),) * (lay.heads + lay.runs)
    op_fields.setdefault("doc", f"custom op {name}")
    return CustomOp(name, forward, partials, **op_fields)


def check_op(op: Op, max_examples: int = 40, order: int = 2, seed: int = 0) -> bool:
    """Run the property suite on one op at ``max_examples`` input points drawn (seeded)
    from its sample ranges ``op.sample``, kept 1e-3 away from its kinks (and, for n-ary
    non-smooth ops, from ties), runs of 1–3 elements for n-ary ops: the rule against
    Richardson of the forward, against complex step (smooth ops), the second derivatives
    (``order`` 2), forward mode equal to reverse mode, and ``compile`` equal to eager when
    NumPy is installed. Returns True, or raises ``GradcheckError`` naming the property and
    the inputs."""
    if not isinstance(op, Op):
        raise _args.type_error("check_op", "op", "an Op (from autograd.OPS or custom_op)", op)
    _args.integer(max_examples, "check_op", "max_examples", 1)
    _order(order, "check_op")
    _args.integer(seed, "check_op", "seed")
    try:
        import numpy  # noqa: F401

        have_numpy = True
    except ImportError:
        have_numpy = False
    for xs in sample_inputs(op, max_examples, seed):
        _check_op_at(op, xs, order, have_numpy)
    return True


def sample_inputs(op: Op, n: int = 40, seed: int = 0, margin: float = 1e-3
                  ) -> list[tuple[float, ...]]:
    """``n`` flat input tuples for ``op`` inside its sample ranges: first each range's
    ends (moved in by ``margin``·width), then seeded uniform draws; none within ``margin``
    of a kink, and for n-ary ops that are not smooth no two within ``margin`` (ties)."""
    import random

    if not isinstance(op, Op):
        raise _args.type_error("sample_inputs", "op", "an Op (from autograd.OPS or custom_op)",
                               op)
    _args.integer(n, "sample_inputs", "n", 0)
    _args.integer(seed, "sample_inputs", "seed")
    _args.nonnegative(margin, "sample_inputs", "margin")
    rng = random.Random(seed)
    lay = op.layout

    def draw(slot: int, k: int) -> float:
        lo, hi = op.sample[min(slot, len(op.sample) - 1)]
        inset = margin * (hi - lo)
        for _ in range(1000):
            x = (lo + inset, hi - inset)[k % 2] if k < 2 else rng.uniform(lo, hi)
            if all(abs(x - kink) > margin for kink in op.kinks):
                return x
            k = 2
        raise ValueError(f"sample_inputs: no point of {op.name}'s range avoids its kinks")

    out: list[tuple[float, ...]] = []
    attempts = 0
    while len(out) < n and attempts < 100 * n:
        attempts += 1
        k = len(out)
        if not lay.nary:
            out.append(tuple(draw(j, k) for j in range(lay.heads)))
            continue
        length = 1 + k % 3
        xs = (*[draw(j, k) for j in range(lay.heads)],
              *[draw(lay.heads + r, 2) for r in range(lay.runs) for _ in range(length)])
        if not op.smooth and len(xs) > 1:
            top = sorted(xs)
            if min(b - a for a, b in zip(top, top[1:])) <= margin:
                continue
        out.append(xs)
    return out


def _check_op_at(op: Op, xs: tuple[float, ...], order: int, have_numpy: bool) -> None:
    out = op.eval(*xs)
    local = op.local(out, *xs)
    mags = _local_magnitudes(op, out, xs, local)
    where = f"check_op: op '{op.name}' at inputs {xs!r}"
    for k in range(len(xs)):
        def g(t: float, k: int = k) -> float:
            args = list(xs)
            args[k] = t
            return op.eval(*args)

        d, e = richardson(g, xs[k])
        if abs(local[k] - d) > LOCAL_FACTOR * EPS * mags[k] + ESTIMATE_FACTOR * e + 1e-9 * abs(d):
            raise GradcheckError(f"{where}: ∂out/∂input{k} is {d!r} by Richardson "
                                 f"(error estimate {e:.1e}), the rule gives {local[k]!r}")
        if op.smooth:
            ref, est, _ = _local_reference(op, xs, k)
            if abs(local[k] - ref) > (LOCAL_FACTOR * EPS * (mags[k] + abs(ref))
                                      + ESTIMATE_FACTOR * est):
                raise GradcheckError(f"{where}: ∂out/∂input{k} is {ref!r} by complex step, "
                                     f"the rule gives {local[k]!r}")
    values = [Value(x) for x in xs]
    y = apply(op, *values)
    reverse = grad_of(y, values)
    for k in range(len(xs)):
        tangent = [1.0 if i == k else 0.0 for i in range(len(xs))]
        _, slope = jvp(lambda *v: apply(op, *v), xs, tangent)
        if abs(slope - reverse[k]) > LOCAL_FACTOR * EPS * max(mags[k], abs(slope)):
            raise GradcheckError(f"{where}: jvp gives {slope!r} for input {k}, reverse mode "
                                 f"{reverse[k]!r}")
    if order == 2:
        for k in range(len(xs)):
            for j in range(len(xs)):
                actual, ref, est, how = _local_second(op, xs, k, j)
                scale = max(abs(ref), abs(actual), mags[k])
                if abs(actual - ref) > 1e-9 * scale + ESTIMATE_FACTOR * est:
                    raise GradcheckError(
                        f"{where}: ∂/∂input{j} of ∂out/∂input{k} is {ref!r} by {how} of the "
                        f"partials, differentiating the rule (create_graph) gives {actual!r}")
    if have_numpy:
        _compiled_equals_eager(op, xs, where)


def _compiled_equals_eager(op: Op, xs: tuple[float, ...], where: str) -> None:
    import numpy as np

    from ..compiler.program import compile as compile_graph

    placeholders = [Value(x) for x in xs]
    params = [Value(0.0) for _ in xs]
    y = apply(op, *[x + p for x, p in zip(placeholders, params)])
    program = compile_graph([y], placeholders, params)
    got = program(np.array([xs]))[0, 0]
    program.backward(np.ones((1, 1)))
    ps = [Value(0.0) for _ in xs]
    eager = apply(op, *[Value(x) + p for x, p in zip(xs, ps)])
    eager.backward()
    scale = max([1.0, abs(eager.data), *(abs(p.grad) for p in ps)])
    bad = abs(got - eager.data) > 1e-12 * scale or any(
        abs(c.grad - e.grad) > 1e-12 * scale for c, e in zip(params, ps))
    if bad:
        raise GradcheckError(f"{where}: compiled ({got!r}, {[p.grad for p in params]}) differs "
                             f"from eager ({eager.data!r}, {[p.grad for p in ps]})")
