"""References: derivatives computed without any derivative rule, to check the rules by.

* complex step: every node's forward is re-run on complex numbers (``maths.COMPLEX``) with
  input i moved to x_i + i·h (h = 1e-20·max(1, |x_i|)); ∂f/∂x_i = Im f / h, with no
  cancellation, so the reference is exact to rounding. Real parts are pinned to the float
  forward's values, so it differentiates the very computation the rules are evaluated on.
  Needs every op smooth at the point. The same on the rules' partials gives a Hessian's
  column (``complex_hessian_column``).
* Richardson: central differences D(h) = (f(x + h) − f(x − h)) / 2h at shrinking h,
  extrapolated to h → 0 (Ridders' tableau), with an estimate of its own error. For ops that
  are not analytic (relu, abs, max).
* central differences at one step (``numerical_gradient``): PyTorch's reference.

Each comes for a whole traced graph (``trace_of``) and for one op at one point
(``local_reference``, ``local_second``), which is how ``find_culprit`` and ``check_op``
judge a single rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import arguments as _args
from ..core.functional import grad_of
from ..core.functions import VALUES
from ..core.value import Value, apply, op_of, topological_order
from ..rules.maths import COMPLEX, CStep
from ..rules.ops import Op
from .rounding import EPS

__all__ = ["TINY", "Trace", "trace_of", "as_output", "checked_inputs", "complex_step_gradient",
           "complex_gradient_estimated", "complex_hessian_column", "richardson",
           "numerical_gradient", "partial_function", "gradient_function", "local_richardson",
           "local_reference", "local_second"]

TINY = 2.0**-1074  # the smallest subnormal float


# --- the graph a function traces ----------------------------------------------------------

@dataclass
class Trace:
    """The graph ``f`` built at a point: its leaves (``values``), output and topological
    order."""

    values: list[Value]
    root: Value
    order: list[Value]

    @property
    def position(self) -> dict[int, int]:
        return {id(v): i for i, v in enumerate(self.values)}


def trace_of(f: Callable[..., Any], xs: Sequence[float]) -> Trace:
    values = [Value(x) for x in xs]
    root = as_output(f(*values))
    return Trace(values, root, topological_order(root))


def as_output(y: object) -> Value:
    if not isinstance(y, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(y).__name__}")
    return y


def checked_inputs(inputs: Any, who: str) -> list[float]:
    """The point to check at: a list of finite numbers (a NaN or an infinity would be
    blamed on the rules)."""
    xs = _args.sequence(inputs, who, "inputs", "a list of numbers")
    return [_args.finite(x, who, f"inputs[{i}]", data=True) for i, x in enumerate(xs)]


def _at(xs: Sequence[float], k: int, t: float) -> list[float]:
    """``xs`` with its k-th number replaced by ``t``."""
    args = list(xs)
    args[k] = t
    return args


# --- complex step -------------------------------------------------------------------------

def _step(x: float, size: float = 1e-20) -> float:
    return size * max(1.0, abs(x))


def _complex_at(xs: Sequence[float], k: int, h: float) -> list[CStep]:
    """``xs`` on complex numbers, the k-th moved by i·h."""
    zs = [CStep(x) for x in xs]
    zs[k] = CStep(complex(xs[k], h))
    return zs


def _complex_values(trace: Trace, i: int, h: float) -> dict[int, complex]:
    """Every node's forward on complex numbers, input i moved by i·h."""
    target = id(trace.values[i]) if i >= 0 else None
    vals: dict[int, complex] = {}
    for node in trace.order:
        if node._x is None:
            vals[id(node)] = CStep(complex(node._data, h if id(node) == target else 0.0))
        else:
            op = op_of(node)
            z = op.forward(COMPLEX, *op.split([vals[id(p)] for p in node.parents]))
            # the real part pinned to the float forward's: the tangent (imaginary part) is
            # carried along the very values at which the rules are evaluated
            vals[id(node)] = CStep(complex(node._data, complex(z).imag))
    return vals


def complex_step_gradient(f: Callable[..., Value], inputs: Sequence[float]) -> list[float]:
    """∂f/∂x_i = Im f(x + i·h·e_i) / h for each input, h = 1e-20·max(1, |x_i|), evaluating
    the graph ``f`` builds with each node's own forward on complex numbers."""
    _args.function(f, "complex_step_gradient", "f")
    trace = trace_of(f, checked_inputs(inputs, "complex_step_gradient"))
    return [d for d, _ in complex_gradient_estimated(trace)]


def complex_gradient_estimated(trace: Trace) -> list[tuple[float, float]]:
    """(Im f(x + i·h·e_i)/h, its truncation error) per input. The error is h²·|f‴|/6 + ...;
    it is estimated from a second step H = 1e-6·max(1, |x_i|): (h/H)²·|D(H) − D(h)|."""
    out = []
    root = id(trace.root)
    for i, v in enumerate(trace.values):
        h, big = _step(v._data), _step(v._data, 1e-6)
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


def complex_hessian_column(trace: Trace, j: int) -> list[float]:
    """∂/∂x_j of the analytic gradient, by complex step: the reverse pass of the rules'
    partials run on complex numbers, with input j moved by i·h."""
    h = _step(trace.values[j]._data)
    vals = _complex_values(trace, j, h)
    adj: dict[int, Any] = {id(trace.root): 1.0}
    for node in reversed(trace.order):
        if node._x is None or id(node) not in adj:
            continue
        op, g = op_of(node), adj[id(node)]
        zs = [vals[id(p)] for p in node.parents]
        parts = op.flat(op.partials(COMPLEX, vals[id(node)], *op.split(zs)))
        for p, d in zip(node.parents, parts):
            if op.masks and complex(d).real == 0.0:
                continue
            adj[id(p)] = adj.get(id(p), 0.0) + d * g
    return [complex(adj.get(id(v), 0.0)).imag / h for v in trace.values]


# --- differences --------------------------------------------------------------------------

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
    xs = checked_inputs(inputs, "numerical_gradient")
    eps = _args.positive(eps, "numerical_gradient", "eps")
    out = []
    for i in range(len(xs)):
        g = partial_function(f, xs, i)
        out.append((g(xs[i] + eps) - g(xs[i] - eps)) / (2 * eps))
    return out


def partial_function(f: Callable[..., Value], xs: Sequence[float], i: int
                     ) -> Callable[[float], float]:
    """t -> f at x with x_i = t, re-run on fresh leaves (not the graph traced at x)."""
    def g(t: float) -> float:
        return as_output(f(*[Value(a) for a in _at(xs, i, t)])).data

    return g


def gradient_function(f: Callable[..., Value], xs: Sequence[float], i: int, j: int
                      ) -> Callable[[float], float]:
    """t -> ∂f/∂x_i by the engine at x with x_j = t."""
    def g(t: float) -> float:
        values = [Value(a) for a in _at(xs, j, t)]
        return float(grad_of(as_output(f(*values)), values)[i])

    return g


# --- one op at one point ------------------------------------------------------------------

def local_richardson(op: Op, xs: Sequence[float], k: int) -> tuple[float, float]:
    """∂op/∂input_k at xs by Richardson of the op's float forward: (derivative, estimate)."""
    return richardson(lambda t: op.eval(*_at(xs, k, t)), xs[k])


def _local_complex(op: Op, xs: Sequence[float], k: int, h: float) -> float:
    return complex(op.forward(COMPLEX, *op.split(_complex_at(xs, k, h)))).imag / h


def local_reference(op: Op, xs: Sequence[float], k: int) -> tuple[float, float, str]:
    """∂op/∂input_k at xs from the op's forward alone: (derivative, error estimate, how)."""
    if op.smooth and not any(x == kk for x in xs for kk in op.kinks):
        try:
            d, d_big = (_local_complex(op, xs, k, h) for h in (_step(xs[k]),
                                                                _step(xs[k], 1e-6)))
            trunc = 1e-28 * abs(d_big - d) + TINY / _step(xs[k])  # as for a whole graph
            return d, trunc if math.isfinite(trunc) else 0.0, "complex step"
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            pass
    d, e = local_richardson(op, xs, k)
    return d, e, "Richardson"


def local_second(op: Op, xs: Sequence[float], k: int, j: int
                 ) -> tuple[float, float, float, str]:
    """(∂/∂x_j of the rule's partial k on Values, the same by complex step or Richardson of
    the partial on floats, error estimate, how)."""
    ins = [Value(x) for x in xs]
    out = apply(op, *ins)
    parts = op.flat(op.partials(VALUES, out, *op.split(ins)))
    part = parts[k]
    actual = float(grad_of(part, [ins[j]])[0]) if isinstance(part, Value) else 0.0
    if op.smooth:
        try:
            h = _step(xs[j])
            zs = _complex_at(xs, j, h)
            zout = CStep(complex(op.forward(COMPLEX, *op.split(zs))))
            zp = op.flat(op.partials(COMPLEX, zout, *op.split(zs)))[k]
            return actual, complex(zp).imag / h, 0.0, "complex step"
        except (TypeError, AttributeError, ArithmeticError, ValueError):
            pass

    def g(t: float) -> float:
        args = _at(xs, j, t)
        return float(op.local(op.eval(*args), *args)[k])

    d, e = richardson(g, xs[j])
    return actual, d, e, "Richardson"
