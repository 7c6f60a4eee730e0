"""The NumPy backend of ``compile`` (the default): one NumPy call per group and rule.

Operand j of a group stacks operand j of every node: rows of ``V`` (computed values and
inputs), or indices into ``P`` (parameters and constants, broadcast over the batch). The
runs of n-ary ops are stacked into one segment per node (``maths.Arrays``). A dense
``dot`` group is a matrix product instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import maths, ops
from ..compiler import GroupPlan, Plan

__all__ = ["NumpyBackend"]


class _Operand:
    """One operand position of a group: rows of ``V`` or indices into ``P``."""

    def __init__(self, index: list[int], scalar: bool) -> None:
        self.scalar = scalar
        self.index = np.array(index, dtype=np.intp)
        self.unique = len(set(index)) == len(index)
        if not self.unique and not scalar:  # precomputed sort for G[rows] += ...
            uniq, counts = np.unique(self.index, return_counts=True)
            self.perm = np.argsort(self.index, kind="stable")
            self.targets = uniq
            self.offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def gather(self, V: Any, P: Any) -> Any:
        return P[self.index][:, None] if self.scalar else V[self.index]

    def scatter(self, G: Any, GP: Any, values: Any) -> None:
        """Add ``values`` (one row per entry) to the gradients of what it refers to."""
        if self.scalar:  # a parameter's gradient sums over the batch
            total = values.sum(axis=1)
            if self.unique:
                GP[self.index] += total
            else:
                np.add.at(GP, self.index, total)
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

    def forward(self, V: Any, P: Any) -> None:
        op, m = self.op, self.m
        args = [x.gather(V, P) for x in self.operands]
        for d in op.domain:  # raise where the scalar engine raises
            bad = np.broadcast_to(d.bad(m, *args), (len(self.out), V.shape[1]))
            if bad.any():
                row = int(np.argwhere(bad)[0][1])
                raise d.error(f"{op.name}: {_message(d, args, bad)} (batch row {row})")
        with np.errstate(all="ignore"):
            out = np.broadcast_to(op.forward(m, *args), (len(self.out), V.shape[1]))
        if op.overflows:
            finite = np.isfinite(out) | ~_all_finite(args, out.shape, m)
            if not finite.all():
                row = int(np.argwhere(~finite)[0][1])
                raise OverflowError(f"{op.name}: the result leaves the float range in batch "
                                    f"row {row}")
        V[self.out] = out

    def backward(self, V: Any, P: Any, G: Any, GP: Any) -> None:
        op, m = self.op, self.m
        g = G[self.out]
        args = [x.gather(V, P) for x in self.operands]
        with np.errstate(all="ignore"):
            partials = op.partials(m, V[self.out], *args)
            for j, (x, d) in enumerate(zip(self.operands, partials)):
                upstream = g if j < self.heads else np.repeat(g, self.counts, axis=0)
                if op.unit and j >= self.heads:
                    x.scatter(G, GP, upstream)
                    continue
                c = np.broadcast_to(d * upstream, upstream.shape)
                if op.masks:  # a zero local derivative blocks the gradient exactly
                    c = np.where(np.broadcast_to(d, upstream.shape) == 0.0, 0.0, c)
                x.scatter(G, GP, c)


class _Dense:
    """A dense layer's dot group: out = W @ X + b, dW = G @ X.T, dX = W.T @ G, db = Σ G."""

    def __init__(self, plan: GroupPlan) -> None:
        bias, weights, rows = plan.dense  # type: ignore[misc]
        self.op = plan.op
        self.out = np.array(plan.out, dtype=np.intp)
        self.bias = _Operand(bias, True)
        self.w = np.array(weights, dtype=np.intp)
        flat = [i for row in weights for i in row]
        self.w_unique = len(set(flat)) == len(flat)
        self.rows = np.array(rows, dtype=np.intp)  # distinct (checked when planned)
        self.contiguous = rows == list(range(rows[0], rows[0] + len(rows)))
        self.out_contiguous = plan.out == list(range(plan.out[0], plan.out[0] + len(plan.out)))

    def _x(self, V: Any) -> Any:
        return V[self.rows[0]:self.rows[0] + len(self.rows)] if self.contiguous \
            else V[self.rows]

    def forward(self, V: Any, P: Any) -> None:
        W, X, b = P[self.w], self._x(V), P[self.bias.index][:, None]
        with np.errstate(all="ignore"):
            out = W @ X
            out += b
        if self.op.overflows or not np.isfinite(out).all():
            finite = np.isfinite(out)
            if not finite.all():
                ok = (np.isfinite(W).all(axis=1) & np.isfinite(b[:, 0]))[:, None] \
                    & np.isfinite(X).all(axis=0)[None, :]
                if self.op.overflows and (ok & ~finite).any():
                    row = int(np.argwhere(ok & ~finite)[0][1])
                    raise OverflowError(f"{self.op.name}: the result leaves the float range "
                                        f"in batch row {row}")
                # non-finite terms: the segmented sum keeps the scalar engine's order
                terms = W[:, :, None] * X[None, :, :]
                with np.errstate(all="ignore"):
                    out = _ordered(b, terms)
        if self.out_contiguous:
            V[self.out[0]:self.out[0] + len(self.out)] = out
        else:
            V[self.out] = out

    def backward(self, V: Any, P: Any, G: Any, GP: Any) -> None:
        g = G[self.out[0]:self.out[0] + len(self.out)] if self.out_contiguous else G[self.out]
        W, X = P[self.w], self._x(V)
        with np.errstate(all="ignore"):
            self.bias.scatter(G, GP, g)
            dW = g @ X.T
            if self.w_unique:
                GP[self.w] += dW
            else:
                np.add.at(GP, self.w, dW)
            dX = W.T @ g
        if self.contiguous:
            G[self.rows[0]:self.rows[0] + len(self.rows)] += dX
        else:
            G[self.rows] += dX


def _ordered(b: Any, terms: Any) -> Any:
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
        if m.offsets is not None and fin.shape[0] != shape[0]:
            fin = np.logical_and.reduceat(fin, m.offsets, axis=0)
        ok &= np.broadcast_to(fin, shape)
    return ok


def _message(d: ops.Domain, args: list[Any], bad: Any) -> str:
    """The domain's message for the first bad entry, with its own input values."""
    k, row = (int(i) for i in np.argwhere(bad)[0])
    values = []
    for a in args:
        a = np.broadcast_to(a, bad.shape) if a.shape[0] in (1, bad.shape[0]) else a
        values.append(float(a[k, row if a.shape[1] > 1 else 0]))
    return d.message(*values)


class NumpyBackend:
    """Runs a ``Plan`` with NumPy, in float64."""

    name = "numpy"

    def __init__(self, plan: Plan, device: Any = None) -> None:
        if device not in (None, "cpu"):
            raise ValueError(f"compile: the numpy backend runs on the CPU, got device={device!r}")
        self.plan = plan
        self.groups = [_Dense(g) if g.dense is not None else _Group(g) for g in plan.groups]
        self.out_rows = np.array(plan.out_rows, dtype=np.intp)
        self.copy_rows = np.array(plan.copy_rows, dtype=np.intp)
        self.copy_index = np.array(plan.copy_index, dtype=np.intp)
        self._V: Any = None

    def forward(self, X: Any, P: Any) -> Any:
        V = np.empty((self.plan.n_rows, X.shape[0]))
        V[: self.plan.n_inputs] = X.T
        if len(self.copy_rows):
            V[self.copy_rows] = P[self.copy_index][:, None]
        self._V = None
        for group in self.groups:
            group.forward(V, P)
        self._V, self._P = V, P
        return V[self.out_rows].T.copy()

    def backward(self, seed: Any) -> Any:
        V, P = self._V, self._P
        G = np.zeros_like(V)
        GP = np.zeros(len(P))
        np.add.at(G, self.out_rows, seed.T)
        for group in reversed(self.groups):
            group.backward(V, P, G, GP)
        if len(self.copy_rows):
            np.add.at(GP, self.copy_index, G[self.copy_rows].sum(axis=1))
        return GP
