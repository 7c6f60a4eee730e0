"""The property suite for one op (``check_op``), at points drawn from its sample ranges
(``sample_inputs``): its rule against Richardson and complex step of its own forward, its
second derivatives, forward mode against reverse mode, and ``compile`` against eager."""

from __future__ import annotations

import random

from .. import arguments as _args
from ..core.functional import grad_of, jvp
from ..core.value import Value, apply
from ..rules.ops import Op
from .gradients import GradcheckError, checked_order
from .references import local_reference, local_richardson, local_second
from .rounding import (
    EPS,
    ESTIMATE_FACTOR,
    LOCAL_FACTOR,
    local_magnitudes,
    local_tolerance,
)

__all__ = ["check_op", "sample_inputs"]


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
    checked_order(order, "check_op")
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
    mags = local_magnitudes(op, out, xs, local)
    where = f"check_op: op '{op.name}' at inputs {xs!r}"
    for k in range(len(xs)):
        d, e = local_richardson(op, xs, k)
        if abs(local[k] - d) > LOCAL_FACTOR * EPS * mags[k] + ESTIMATE_FACTOR * e + 1e-9 * abs(d):
            raise GradcheckError(f"{where}: ∂out/∂input{k} is {d!r} by Richardson "
                                 f"(error estimate {e:.1e}), the rule gives {local[k]!r}")
        if op.smooth:
            ref, est, _ = local_reference(op, xs, k)
            if abs(local[k] - ref) > local_tolerance(mags[k], ref, est):
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
                actual, ref, est, how = local_second(op, xs, k, j)
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
    try:
        got = program(np.array([xs]))[0, 0]
        program.backward(np.ones((1, 1)))
    except (TypeError, AttributeError) as exc:  # a rule that calls e.g. math.erf directly
        raise GradcheckError(
            f"{where}: op '{op.name}' does not run on NumPy arrays (the interpreter compile "
            f"uses): {type(exc).__name__}: {exc}. A rule may call only the maths namespace "
            "m's functions (m.exp, ...); declare a new one once with "
            "autograd.core.extend.function(name, floats, numpy=..., derivative=...)"
        ) from exc
    ps = [Value(0.0) for _ in xs]
    eager = apply(op, *[Value(x) + p for x, p in zip(xs, ps)])
    eager.backward()
    scale = max([1.0, abs(eager.data), *(abs(p.grad) for p in ps)])
    bad = abs(got - eager.data) > 1e-12 * scale or any(
        abs(c.grad - e.grad) > 1e-12 * scale for c, e in zip(params, ps))
    if bad:
        raise GradcheckError(f"{where}: compiled ({got!r}, {[p.grad for p in params]}) differs "
                             f"from eager ({eager.data!r}, {[p.grad for p in ps]})")
