"""The PyTorch backend of ``compile`` (``backend="torch"``): the NumPy backend's groups on
``torch`` tensors in float64, on any ``device``.

The ops' own forward and partial rules run on tensors through a maths namespace
(``TorchArrays``), and the backward scatters gradients by hand exactly as the NumPy
backend does: PyTorch's autograd is not used, so masks, IEEE special cases and ties follow
the op table, not PyTorch's own derivative formulas. Dense ``dot`` groups are matmuls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ...rules.maths import Function, Namespace
from ..plan import GroupPlan, Plan

__all__ = ["TorchBackend", "TorchArrays"]

DTYPE = torch.float64


def _bcast(x: Any, shape: tuple[int, ...], like: Any) -> Any:
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x, dtype=like.dtype if x is not True and x is not False
                            else torch.bool, device=like.device)
    return x.expand(shape)


class TorchArrays(Namespace):
    """The maths namespace on tensors (rows × batch); runs of n-ary ops are stacked and cut
    into segments, one per node (``seg``: the segment of each term)."""

    name = "torch"

    def __init__(self, counts: list[int] | None, device: Any) -> None:
        self.counts: Any = None
        if counts:
            self.counts = torch.tensor(counts, device=device)
            self.seg = torch.repeat_interleave(torch.arange(len(counts), device=device),
                                               self.counts)
            starts = torch.cumsum(self.counts, 0) - self.counts
            self.pos = torch.arange(int(self.counts.sum()), device=device) \
                - torch.repeat_interleave(starts, self.counts)
            self.k, self.width = len(counts), max(counts)

    def interpret(self, f: Function) -> Callable[..., Any]:
        """``f`` on tensors: its ``torch`` implementation, else its float version element
        by element (slow, but the same numbers)."""
        if isinstance(f.torch, str):
            return getattr(torch, f.torch)
        if f.torch is not None:
            return f.torch
        plain = f.floats

        def elementwise(x: Any) -> Any:
            out = [plain(v) for v in x.detach().cpu().reshape(-1).tolist()]
            return torch.tensor(out, dtype=torch.bool if f.constant else x.dtype,
                                device=x.device).reshape(x.shape)

        return elementwise

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        like = cond if not isinstance(a, torch.Tensor) else a
        like = like if like.dtype != torch.bool else (b if isinstance(b, torch.Tensor) else None)
        dtype, device = DTYPE, cond.device
        if like is not None:
            device = like.device
        a = a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=dtype, device=device)
        b = b if isinstance(b, torch.Tensor) else torch.tensor(b, dtype=dtype, device=device)
        return torch.where(cond, a, b)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        e = torch.exp(-torch.abs(x))  # the two branches of the float version, elementwise
        return torch.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    def _padded(self, xs: Any, fill: float) -> Any:
        out = torch.full((self.k, self.width, xs.shape[1]), fill, dtype=xs.dtype,
                         device=xs.device)
        out[self.seg, self.pos] = xs
        return out

    def _per_term(self, out: Any) -> Any:
        return torch.repeat_interleave(out, self.counts, dim=0)

    def _segment_sum(self, xs: Any) -> Any:
        out = torch.zeros((self.k, xs.shape[1]), dtype=xs.dtype, device=xs.device)
        return out.index_add_(0, self.seg, xs)

    def total(self, xs: Any) -> Any:
        return self._segment_sum(xs)

    def dot(self, a: Any, b: Any) -> Any:
        return self._segment_sum(a * b)

    def largest(self, xs: Any) -> Any:
        return torch.amax(self._padded(xs, -torch.inf), dim=1)  # NaN propagates

    def smallest(self, xs: Any) -> Any:
        return torch.amin(self._padded(xs, torch.inf), dim=1)

    def tie_share(self, xs: Any, out: Any) -> Any:
        o = self._per_term(out)
        hit = torch.where(torch.isnan(o), torch.isnan(xs), xs == o).to(xs.dtype)
        return hit / self._per_term(self._segment_sum(hit))

    @staticmethod
    def ones(xs: Any) -> Any:
        return torch.ones_like(xs)

    def logsumexp(self, xs: Any) -> Any:
        return torch.logsumexp(self._padded(xs, -torch.inf), dim=1)  # padding adds e^−inf = 0

    def softmax(self, xs: Any, out: Any) -> Any:
        return torch.exp(xs - self._per_term(out))


class _Operand:
    def __init__(self, index: list[int], scalar: bool, device: Any) -> None:
        self.scalar = scalar
        self.index = torch.tensor(index, dtype=torch.long, device=device)
        self.unique = len(set(index)) == len(index)

    def gather(self, V: Any, P: Any) -> Any:
        return P[self.index][:, None] if self.scalar else V[self.index]

    def scatter(self, G: Any, GP: Any, values: Any) -> None:
        if self.scalar:
            total = values.sum(dim=1)
            if self.unique:
                GP[self.index] += total
            else:
                GP.index_add_(0, self.index, total)
        elif self.unique:
            G[self.index] += values
        else:
            G.index_add_(0, self.index, values)


class _Group:
    def __init__(self, plan: GroupPlan, device: Any) -> None:
        self.op = plan.op
        self.out = torch.tensor(plan.out, dtype=torch.long, device=device)
        self.lo, self.n = plan.out[0], len(plan.out)
        self.contiguous = plan.out == list(range(self.lo, self.lo + self.n))
        self.operands = [_Operand(ix, s, device) for ix, s in zip(plan.operands, plan.scalar)]
        self.m = TorchArrays(plan.counts, device)
        self.heads = plan.op.layout.heads

    def _write(self, V: Any, out: Any) -> None:
        if self.contiguous:
            V[self.lo:self.lo + self.n] = out
        else:
            V[self.out] = out

    def _read(self, V: Any) -> Any:
        return V[self.lo:self.lo + self.n] if self.contiguous else V[self.out]

    def forward(self, V: Any, P: Any) -> None:
        op, m = self.op, self.m
        shape = (self.n, V.shape[1])
        args = [x.gather(V, P) for x in self.operands]
        for d in op.domain:
            bad = _bcast(d.bad(m, *args), shape, V)
            if bool(bad.any()):
                k, row = (int(i) for i in torch.nonzero(bad)[0])
                values = [float(_entry(a, k, row, shape)) for a in args]
                raise d.error(f"{op.name}: {d.message(*values)} (batch row {row})")
        out = _bcast(op.forward(m, *args), shape, V)
        if op.overflows:
            finite = torch.isfinite(out) | ~_all_finite(args, shape, m)
            if not bool(finite.all()):
                row = int(torch.nonzero(~finite)[0][1])
                raise OverflowError(f"{op.name}: the result leaves the float range in batch "
                                    f"row {row}")
        self._write(V, out)

    def backward(self, V: Any, P: Any, G: Any, GP: Any) -> None:
        op, m = self.op, self.m
        g = self._read(G)
        args = [x.gather(V, P) for x in self.operands]
        partials = op.partials(m, self._read(V), *args)
        for j, (x, d) in enumerate(zip(self.operands, partials)):
            up = g if j < self.heads else torch.repeat_interleave(g, m.counts, dim=0)
            if op.unit and j >= self.heads:
                x.scatter(G, GP, up)
                continue
            c = _bcast(d * up, up.shape, up)
            if op.masks:  # the exact-zero rules, where the product is NaN (ops.Op.exact_zero)
                zero = torch.zeros(up.shape, dtype=torch.bool, device=up.device)
                if op.mask_flags[j]:
                    zero |= _bcast(d, up.shape, up) == 0.0
                if op.quotient_flags[j]:
                    zero |= up == 0.0
                zero &= torch.isnan(c)
                c = torch.where(zero, torch.zeros_like(c), c)
                if op.vjp is not None:  # where c is ±inf or NaN and up finite (Op.settle)
                    fix = ~torch.isfinite(c) & ~zero & torch.isfinite(up)
                    if bool(fix.any()):
                        direct = _bcast(op.vjp(m, up, self._read(V), *args)[j], up.shape, up)
                        c = torch.where(fix, direct, c)
            x.scatter(G, GP, c)


def _entry(a: Any, k: int, row: int, shape: tuple[int, ...]) -> Any:
    if a.shape[0] in (1, shape[0]):
        a = a.expand(shape)
    return a[k, row if a.shape[1] > 1 else 0]


def _all_finite(args: list[Any], shape: tuple[int, ...], m: TorchArrays) -> Any:
    ok = torch.ones(shape, dtype=torch.bool, device=args[0].device)
    for a in args:
        fin = torch.isfinite(a)
        if m.counts is not None and fin.shape[0] != shape[0]:
            fin = m._segment_sum((~fin).to(DTYPE)) == 0
        ok &= fin.expand(shape)
    return ok


class _Dense:
    def __init__(self, plan: GroupPlan, device: Any) -> None:
        bias, weights, rows = plan.dense  # type: ignore[misc]
        self.op = plan.op
        self.bias = _Operand(bias, True, device)
        self.w = torch.tensor(weights, dtype=torch.long, device=device)
        flat = [i for r in weights for i in r]
        self.w_unique = len(set(flat)) == len(flat)
        self.rows = torch.tensor(rows, dtype=torch.long, device=device)
        self.r0, self.nr = rows[0], len(rows)
        self.contiguous = rows == list(range(self.r0, self.r0 + self.nr))
        self.lo, self.n = plan.out[0], len(plan.out)
        self.out = torch.tensor(plan.out, dtype=torch.long, device=device)
        self.out_contiguous = plan.out == list(range(self.lo, self.lo + self.n))

    def _x(self, V: Any) -> Any:
        return V[self.r0:self.r0 + self.nr] if self.contiguous else V[self.rows]

    def forward(self, V: Any, P: Any) -> None:
        W, X, b = P[self.w], self._x(V), P[self.bias.index][:, None]
        out = torch.addmm(b, W, X)
        if not bool(torch.isfinite(out).all()):  # the scalar engine's order, term by term
            total = W[:, 0, None] * X[0]
            for k in range(1, W.shape[1]):
                total = total + W[:, k, None] * X[k]
            out = b + total
        if self.out_contiguous:
            V[self.lo:self.lo + self.n] = out
        else:
            V[self.out] = out

    def backward(self, V: Any, P: Any, G: Any, GP: Any) -> None:
        g = G[self.lo:self.lo + self.n] if self.out_contiguous else G[self.out]
        W, X = P[self.w], self._x(V)
        self.bias.scatter(G, GP, g)
        dW = g @ X.T
        if self.w_unique:
            GP[self.w] += dW
        else:
            GP.index_add_(0, self.w.reshape(-1), dW.reshape(-1))
        dX = W.T @ g
        if self.contiguous:
            G[self.r0:self.r0 + self.nr] += dX
        else:
            G.index_add_(0, self.rows, dX)


class TorchBackend:
    """Runs a ``Plan`` with PyTorch in float64 on ``device`` (default: the CPU)."""

    name = "torch"
    own_constants = False  # P holds the parameters, then the constants

    def __init__(self, plan: Plan, device: Any = None) -> None:
        self.device = torch.device(device if device is not None else "cpu")
        self.plan = plan
        self.groups = [_Dense(g, self.device) if g.dense is not None
                       else _Group(g, self.device) for g in plan.groups]
        self.out_rows = torch.tensor(plan.out_rows, dtype=torch.long, device=self.device)
        self.copy_rows = torch.tensor(plan.copy_rows, dtype=torch.long, device=self.device)
        self.copy_index = torch.tensor(plan.copy_index, dtype=torch.long, device=self.device)

    def tensor(self, x: Any) -> Any:
        return torch.as_tensor(x, dtype=DTYPE, device=self.device)

    def forward_tensors(self, X: Any, P: Any) -> Any:
        """The outputs as a tensor, from tensors ``X`` (batch, inputs) and ``P``."""
        with torch.no_grad():
            V = torch.empty((self.plan.n_rows, X.shape[0]), dtype=DTYPE, device=self.device)
            V[: self.plan.n_inputs] = X.T
            if len(self.plan.copy_rows):
                V[self.copy_rows] = P[self.copy_index][:, None]
            self._V = None
            for group in self.groups:
                group.forward(V, P)
            self._V, self._P = V, P
            return V[self.out_rows].T.clone()

    def backward_tensors(self, seed: Any) -> Any:
        with torch.no_grad():
            V, P = self._V, self._P
            assert V is not None and P is not None  # a forward pass ran (checked above)
            G = torch.zeros_like(V)
            GP = torch.zeros_like(P)
            G.index_add_(0, self.out_rows, seed.T)
            for group in reversed(self.groups):
                group.backward(V, P, G, GP)
            if len(self.plan.copy_rows):
                GP.index_add_(0, self.copy_index, G[self.copy_rows].sum(dim=1))
            self.input_grad = G[: self.plan.n_inputs].T
            return GP

    def forward(self, X: Any, P: Any) -> Any:
        return self.forward_tensors(self.tensor(X), self.tensor(P)).cpu().numpy()

    def backward(self, seed: Any) -> Any:
        return self.backward_tensors(self.tensor(seed)).cpu().numpy()




class _Run(torch.autograd.Function):
    """The program as one autograd node: our forward, our backward."""

    @staticmethod
    def forward(ctx: Any, X: Any, theta: Any, backend: Any, const: Any) -> Any:
        ctx.backend = backend
        return backend.forward_tensors(X.to(DTYPE), torch.cat([theta, const]))

    @staticmethod
    def backward(ctx: Any, seed: Any) -> Any:
        backend = ctx.backend
        GP = backend.backward_tensors(seed.to(DTYPE).contiguous())
        return backend.input_grad, GP[: backend.plan.n_params], None, None


class CompiledModule(torch.nn.Module):
    """A compiled program as a ``torch.nn.Module``: ``module(X)`` maps (batch, inputs) to
    (batch, outputs); its one parameter ``theta`` holds the parameters in the program's
    order. Outputs and gradients (for ``theta`` and ``X``) are those of the program."""

    def __init__(self, plan: Plan, theta: Any, device: Any = None) -> None:
        super().__init__()
        self.backend = TorchBackend(plan, device)
        self.theta = torch.nn.Parameter(self.backend.tensor(theta))
        self.register_buffer("const", self.backend.tensor(plan.const_values).reshape(-1))

    def forward(self, X: Any) -> Any:
        return _Run.apply(X, self.theta, self.backend, self.const)
