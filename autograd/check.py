"""Gradient checking for users: the engine's gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .engine import Value, _check_number
from .functional import grad_of

__all__ = ["gradcheck", "numerical_gradient", "GradcheckError"]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message tables every input."""


def numerical_gradient(
    f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6
) -> list[float]:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps in each input, in float64."""
    xs = [float(x) for x in inputs]
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        f_up = _as_output(f(*[Value(x) for x in up])).data
        f_down = _as_output(f(*[Value(x) for x in down])).data
        out.append((f_up - f_down) / (2 * eps))
    return out


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check f's gradient at ``inputs`` as ``torch.autograd.gradcheck`` does: every input
    must satisfy |analytic - numeric| <= atol + rtol·|numeric|, with central differences of
    step ``eps``. Returns True, or raises ``GradcheckError`` with a table of every input's
    analytic and numeric derivative and their difference."""
    xs = [_check_number(x, "gradcheck") for x in inputs]
    values = [Value(x) for x in xs]
    analytic = [float(g) for g in grad_of(_as_output(f(*values)), values)]
    numeric = numerical_gradient(f, xs, eps)
    bad = [i for i, (a, n) in enumerate(zip(analytic, numeric))
           if not abs(a - n) <= atol + rtol * abs(n)]
    if not bad:
        return True
    rows = [f"{'input':>5}  {'value':>14}  {'analytic':>14}  {'numeric':>14}  {'difference':>11}"]
    for i, (x, a, n) in enumerate(zip(xs, analytic, numeric)):
        mark = "  <- fails" if i in bad else ""
        rows.append(f"{i:>5}  {x:>14.6g}  {a:>14.8g}  {n:>14.8g}  {abs(a - n):>11.3e}{mark}")
    raise GradcheckError(
        f"gradcheck: analytic and numeric gradients differ at {len(bad)} of {len(xs)} inputs "
        f"(eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(rows)
    )


def _as_output(y: object) -> Value:
    if not isinstance(y, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(y).__name__}")
    return y
