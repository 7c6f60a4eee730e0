"""The NumPy backend's path for deep plans: one object per group, run in a loop.

``numpy_backend`` generates code for a plan, but CPython compiles source at about 10 µs a
line, and a deep graph (a chain is one group per node) would take minutes. A plan with more
than ``numpy_backend.MAX_GENERATED`` groups runs here instead: each group gathers its
operands (a slice where their indices are consecutive), runs its op's rules from ``ops.py``
on arrays (``maths.Arrays``) and scatters the gradients back; a dense layer's ``dot`` group
is a matrix product. Parameters and constants come together in ``P``. The same checks as
the generated code, by the same helpers (the end of this file, which the generated code
calls too): domains, overflow, the exact-zero rules, and a dense layer's order of
summation where a result is not finite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...rules import maths, ops
from ..plan import GroupPlan, Plan


class _Operand:
    """One operand position of a group: rows of ``V`` or indices into ``P`` (a slice where
    they are consecutive, which saves NumPy a gather and a scatter)."""

    def __init__(self, index: list[int], scalar: bool) -> None:
        self.scalar = scalar
        self.index = np.array(index, dtype=np.intp)
        self.unique = len(set(index)) == len(index)
        self.span = _span(index)
        if not self.unique and not scalar:  # precomputed sort for G[rows] += ...
            uniq, counts = np.unique(self.index, return_counts=True)
            self.perm = np.argsort(self.index, kind="stable")
            self.targets = uniq
            self.offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def gather(self, V: Any, P: Any) -> Any:
        if self.scalar:
            return (P[self.span] if self.span else P[self.index])[:, None]
        return V[self.span] if self.span else V[self.index]

    def scatter(self, G: Any, GP: Any, values: Any) -> None:
        """Add ``values`` (one row per entry) to the gradients of what it refers to."""
        if self.scalar:  # a parameter's gradient sums over the batch
            total = values.sum(axis=1)
            if self.span:
                GP[self.span] += total
            elif self.unique:
                GP[self.index] += total
            else:
                np.add.at(GP, self.index, total)
        elif self.span:
            G[self.span] += values
        elif self.unique:
            G[self.index] += values
        else:
            G[self.targets] += np.add.reduceat(values[self.perm], self.offsets, axis=0)


class _Group:
    """Every node of one op at one depth, evaluated with one call for the whole batch:
    the op's own rules on arrays (``maths.Arrays``)."""

    def __init__(self, plan: GroupPlan) -> None:
        self.op = op = plan.op
        self.out = np.array(plan.out, dtype=np.intp)
        self.operands = [_Operand(ix, s) for ix, s in zip(plan.operands, plan.scalar)]
        counts = plan.counts
        self.m = maths.Arrays(np.concatenate(([0], np.cumsum(counts)[:-1])) if counts else None,
                              np.array(counts) if counts else None)
        self.counts = self.m.counts
        self.heads = op.layout.heads
        self.span = _span(plan.out) or self.out

    def forward(self, V: Any, P: Any) -> None:
        op, m = self.op, self.m
        args = [x.gather(V, P) for x in self.operands]
        for j, d in enumerate(op.domain):  # raise where the scalar engine raises
            bad = d.bad(m, *args)
            if bad.any():
                domain_error(op, j, args, bad)
        out = np.broadcast_to(op.forward(m, *args), (len(self.out), V.shape[1]))
        if op.overflows:
            overflow(op, m, out, args)
        V[self.span] = out

    def backward(self, V: Any, P: Any, G: Any, GP: Any) -> None:
        op, m = self.op, self.m
        g = G[self.span]
        args = [x.gather(V, P) for x in self.operands]
        if op.unit and not self.heads:  # a sum: every partial is 1, nothing to compute
            self.operands[0].scatter(G, GP, np.repeat(g, self.counts, axis=0))
            return
        partials = op.partials(m, V[self.span], *args)
        for j, (x, d) in enumerate(zip(self.operands, partials)):
            upstream = g if j < self.heads else np.repeat(g, self.counts, axis=0)
            if op.unit and j >= self.heads:
                x.scatter(G, GP, upstream)
                continue
            c = np.broadcast_to(d * upstream, upstream.shape)
            if op.masks:  # the exact-zero and vjp rules, where c is not finite (ops.Op.settle)
                c = masked(op, j, d, upstream, c, m, V[self.span], args)
            x.scatter(G, GP, c)


class _Dense:
    """A dense layer's dot group: out = W @ X + b, dW = G @ X.T, dX = W.T @ G, db = Σ G.
    Where the layer's weights sit in ``P`` with a constant stride (an MLP's neurons, each
    ``w1..wn, b``), ``W`` is a view of ``P`` and ``dW`` is added to a view of the gradient:
    no gather, no scatter."""

    def __init__(self, plan: GroupPlan, n_inputs: int) -> None:
        bias, weights, rows = plan.dense  # type: ignore[misc]
        self.op = plan.op
        self.out = _span(plan.out) or np.array(plan.out, dtype=np.intp)
        self.bias = _Operand(bias, True)
        self.w = np.array(weights, dtype=np.intp)
        flat = [i for row in weights for i in row]
        self.w_unique = len(set(flat)) == len(flat)
        self.view = strided(weights)
        self.rows = _span(rows) or np.array(rows, dtype=np.intp)  # distinct (planned so)
        self.need_dx = max(rows) >= n_inputs  # the inputs' own gradient is never needed

    def _w(self, P: Any) -> Any:
        if self.view is None:
            return P[self.w]
        start, stride, k, n = self.view
        return P[start:start + k * stride].reshape(k, stride)[:, :n]

    def forward(self, V: Any, P: Any) -> None:
        W, X, b = self._w(P), V[self.rows], self.bias.gather(V, P)
        out = W @ X
        out += b
        if not np.isfinite(out).all():
            # non-finite terms: the sum in the scalar engine's order, term by term
            out = ordered(b, W[:, :, None] * X[None, :, :])
        V[self.out] = out

    def backward(self, V: Any, P: Any, G: Any, GP: Any) -> None:
        g = G[self.out]
        X = V[self.rows]
        self.bias.scatter(G, GP, g)
        dW = g @ X.T
        if self.view is not None:
            self._w(GP)[...] += dW
        elif self.w_unique:
            GP[self.w] += dW
        else:
            np.add.at(GP, self.w, dW)
        if self.need_dx:
            G[self.rows] += self._w(P).T @ g


class Stepper:
    """Runs a ``Plan`` group by group (see the module doc); P holds parameters, then
    constants."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.groups = [_Dense(g, plan.n_inputs) if g.dense is not None else _Group(g)
                       for g in plan.groups]
        self.copy_rows = np.array(plan.copy_rows, dtype=np.intp)
        self.copy_index = np.array(plan.copy_index, dtype=np.intp)
        self.out_rows = np.array(plan.out_rows, dtype=np.intp)

    def forward(self, X: Any, P: Any) -> Any:
        V = np.empty((self.plan.n_rows, X.shape[0]))
        V[: self.plan.n_inputs] = X.T
        if len(self.copy_rows):
            V[self.copy_rows] = P[self.copy_index][:, None]
        for group in self.groups:
            group.forward(V, P)
        return V

    def backward(self, V: Any, P: Any, seed: Any) -> Any:
        G = np.zeros_like(V)
        GP = np.zeros(len(P))
        np.add.at(G, self.out_rows, seed.T)
        for group in reversed(self.groups):
            group.backward(V, P, G, GP)
        if len(self.copy_rows):
            np.add.at(GP, self.copy_index, G[self.copy_rows].sum(axis=1))
        return GP[: self.plan.n_params]


# --- shared with the generated code -------------------------------------------------------

def ordered(b: Any, terms: Any) -> Any:
    """start + Σ terms, summed left to right as the scalar engine does (NaN and inf)."""
    total = terms[:, 0, :].copy()
    for k in range(1, terms.shape[1]):
        total += terms[:, k, :]
    return b + total


def _all_finite(args: list[Any], shape: tuple[int, ...], m: Any) -> Any:
    """Per output entry: are all of its inputs finite? (Runs reduce over their segment.)"""
    ok = np.ones(shape, dtype=bool)
    for a in args:
        fin = np.isfinite(a)
        if m.offsets is not None and fin.shape[0] != shape[0] and fin.shape[0] != 1:
            fin = np.logical_and.reduceat(fin, m.offsets, axis=0)
        ok &= np.broadcast_to(fin, shape)
    return ok


def _message(d: ops.Domain, args: list[Any], bad: Any, k: int, row: int) -> str:
    """The domain's message for entry (k, row), with its own input values."""
    values = []
    for a in args:
        a = np.broadcast_to(a, bad.shape) if a.shape[0] in (1, bad.shape[0]) else a
        values.append(float(a[k, row if a.shape[1] > 1 else 0]))
    return d.message(*values)


def progression(index: list[int]) -> tuple[int, int, int] | None:
    """(start, stop, step) if ``index`` is ``range(start, stop, step)`` with step ≥ 1."""
    if not index:
        return None
    start = index[0]
    step = index[1] - start if len(index) > 1 else 1
    if step < 1 or index != list(range(start, start + step * len(index), step)):
        return None
    return start, start + step * (len(index) - 1) + 1, step


def _span(index: list[int]) -> slice | None:
    """``index`` as a slice, if it is consecutive increasing integers."""
    p = progression(index)
    return slice(p[0], p[1]) if p and p[2] == 1 else None


def strided(weights: list[list[int]]) -> tuple[int, int, int, int] | None:
    """(start, stride, k, n) if ``weights[i][j] == start + i·stride + j`` (stride ≥ n)."""
    k, n = len(weights), len(weights[0])
    start = weights[0][0]
    stride = weights[1][0] - start if k > 1 else n
    if stride < n:
        return None
    for i, row in enumerate(weights):
        if row != list(range(start + i * stride, start + i * stride + n)):
            return None
    return start, stride, k, n


def masked(op: ops.Op, j: int, d: Any, up: Any, c: Any, m: Any = None, out: Any = None,
            args: Sequence[Any] = ()) -> Any:
    """``c = d · up`` settled as ``Op.settle`` does where it is not finite: 0 by the op's
    exact-zero rules where it is NaN, its ``vjp`` rule where ``up`` is finite (``args``:
    the operands, for an op that has one)."""
    bad = ~np.isfinite(c)
    if not bad.any():
        return c
    zero = np.zeros(bad.shape, dtype=bool)
    if op.mask_flags[j]:  # a zero local derivative blocks the gradient
        zero |= np.broadcast_to(d, bad.shape) == 0.0
    if op.quotient_flags[j]:  # a zero gradient through a quotient stays 0
        zero |= np.broadcast_to(up, bad.shape) == 0.0
    zero &= np.isnan(c)
    c = np.where(zero, 0.0, c)
    if op.vjp is not None and args:
        fix = bad & ~zero & np.broadcast_to(np.isfinite(up), bad.shape)
        if fix.any():
            with np.errstate(all="ignore"):
                direct = np.broadcast_to(op.vjp(m, up, out, *args)[j], bad.shape)
            c = np.where(fix, direct, c)
    return c


def domain_error(op: ops.Op, j: int, args: list[Any], bad: Any) -> None:
    """Raise the op's domain error for the first bad entry, with its own input values."""
    d = op.domain[j]
    bad = np.broadcast_to(bad, np.broadcast_shapes(*[a.shape for a in args], bad.shape))
    k, row = (int(i) for i in np.argwhere(bad)[0])
    raise d.error(f"{op.name}: {_message(d, args, bad, k, row)} (batch row {row})")


def overflow(op: ops.Op, m: Any, out: Any, args: list[Any]) -> None:
    """Raise if an entry is not finite although its inputs are (the float range left)."""
    finite = np.isfinite(out) | ~_all_finite(args, out.shape, m)
    if not finite.all():
        row = int(np.argwhere(~finite)[0][1])
        raise OverflowError(f"{op.name}: the result leaves the float range in batch row {row}")
