"""``compile``: trace a scalar graph once, replay it over a whole batch with NumPy.

A network built from ``Value``s is traced into a flat program. Nodes are grouped by depth
and op, so that one NumPy call computes every node of a group for the whole batch: the
number of NumPy calls per step grows with the depth of the graph, not with its number of
nodes. Computed nodes and inputs live in the rows of a (rows × batch) array ``V``;
parameters and constants live in a vector ``P`` and are broadcast over the batch. The
forward and the backward run each op's own rules from ``ops.py`` on arrays (the
``maths.Arrays`` namespace): the same text as the scalar engine runs on floats.

Honest limits: the graph is recorded once, so Python control flow that read ``.data``
while the graph was built (an ``if``, a ``max``) is frozen at what it chose for the
values the placeholders had; leaves that are neither inputs nor parameters are constants.
Requires NumPy (from a clone: ``pip install -e ".[fast]"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import maths, ops
from .engine import Value, _node_fast, op_of, topological_order

__all__ = ["compile", "Program"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "compile needs NumPy: pip install numpy (from a clone: pip install -e \".[fast]\")"
        ) from None
    return numpy


class _Operand:
    """One operand position of a group: rows of ``V`` (one per node, or per term for n-ary
    ops), or, when every one of them is a parameter or constant, indices into ``P``."""

    def __init__(self, refs: list[tuple[bool, int]]) -> None:
        np = _numpy()
        self.scalar = all(is_scalar for is_scalar, _ in refs)
        if not self.scalar and any(is_scalar for is_scalar, _ in refs):
            raise AssertionError("mixed operand")  # prevented by the grouping key
        self.index = np.array([i for _, i in refs])
        uniq, counts = np.unique(self.index, return_counts=True)
        self.unique = bool((counts == 1).all())
        if not self.unique and not self.scalar:  # precomputed sort for G[rows] += ...
            self.perm = np.argsort(self.index, kind="stable")
            self.targets = uniq
            self.offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def gather(self, V: Any, P: Any) -> Any:
        return P[self.index][:, None] if self.scalar else V[self.index]

    def scatter(self, G: Any, GP: Any, values: Any) -> None:
        """Add ``values`` (one row per entry) to the gradients of what it refers to."""
        np = _numpy()
        if self.scalar:  # a parameter's gradient sums over the batch
            GP += np.bincount(self.index, weights=values.sum(axis=1), minlength=len(GP))
        elif self.unique:
            G[self.index] += values
        else:
            G[self.targets] += np.add.reduceat(values[self.perm], self.offsets, axis=0)


class _Group:
    """Every node of one op at one depth, evaluated with one call for the whole batch.

    The op's own rules run on arrays (``maths.Arrays``): operand j of the group stacks
    operand j of every node; a run of an n-ary op is stacked into one segment per node."""

    def __init__(self, op: ops.Op, nodes: list[Value], refs: Any, kinds: tuple) -> None:
        """``refs(mixed)`` maps a Value to its reference; ``kinds[j]`` is None where operand
        j mixes parameters with computed values (then every entry refers to a row)."""
        np = _numpy()
        self.op = op
        lay = op.layout
        self.out = np.array([refs(False)(v)[1] for v in nodes])
        parts = [lay.split(v.parents) for v in nodes]
        self.operands = []
        for j in range(len(parts[0])):
            ref = refs(kinds[j] is None)
            if j < lay.heads:
                self.operands.append(_Operand([ref(p[j]) for p in parts]))
            else:
                self.operands.append(_Operand([ref(x) for p in parts for x in p[j]]))
        counts = [lay.run_length(len(v.parents)) for v in nodes] if lay.nary else []
        if counts and min(counts) == 0:
            raise ValueError(f"compile: an empty '{op.name}' node cannot be compiled")
        self.m = maths.Arrays(np.concatenate(([0], np.cumsum(counts)[:-1])) if counts else None,
                              np.array(counts) if counts else None)
        self.counts = self.m.counts

    def forward(self, V: Any, P: Any) -> None:
        np = _numpy()
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
        np = _numpy()
        op, m = self.op, self.m
        g = G[self.out]
        args = [x.gather(V, P) for x in self.operands]
        with np.errstate(all="ignore"):
            partials = op.partials(m, V[self.out], *args)
            for j, (x, d) in enumerate(zip(self.operands, partials)):
                upstream = g if j < op.layout.heads else np.repeat(g, self.counts, axis=0)
                if op.unit and j >= op.layout.heads:
                    x.scatter(G, GP, upstream)
                    continue
                c = np.broadcast_to(d * upstream, upstream.shape)
                if op.mask_flags[j]:  # a zero local derivative blocks the gradient exactly
                    c = np.where(np.broadcast_to(d, upstream.shape) == 0.0, 0.0, c)
                if op.quotient_flags[j]:  # a zero gradient through a quotient stays 0
                    c = np.where(upstream == 0.0, 0.0, c)
                x.scatter(G, GP, c)


def _all_finite(args: list[Any], shape: tuple[int, ...], m: Any) -> Any:
    """Per output entry: are all of its inputs finite? (Runs reduce over their segment.)"""
    np = _numpy()
    ok = np.ones(shape, dtype=bool)
    for a in args:
        fin = np.isfinite(a)
        if m.offsets is not None and fin.shape[0] != shape[0]:
            fin = np.logical_and.reduceat(fin, m.offsets, axis=0)
        ok &= np.broadcast_to(fin, shape)
    return ok


def _message(d: ops.Domain, args: list[Any], bad: Any) -> str:
    """The domain's message for the first bad entry, with its own input values."""
    np = _numpy()
    k, row = (int(i) for i in np.argwhere(bad)[0])
    values = []
    for a in args:
        a = np.broadcast_to(a, bad.shape) if a.shape[0] in (1, bad.shape[0]) else a
        values.append(float(a[k, row if a.shape[1] > 1 else 0]))
    return d.message(*values)


class Program:
    """A traced graph: ``program(X)`` runs it on a batch, ``program.backward(seed)``
    accumulates parameter gradients. Build it with ``compile``."""

    def __init__(self, outputs: Sequence[Value], inputs: Sequence[Value],
                 params: Sequence[Value]) -> None:
        np = _numpy()
        for name, group in (("outputs", outputs), ("inputs", inputs), ("params", params)):
            for v in group:
                if not isinstance(v, Value):
                    raise TypeError(f"compile: {name} must be Values, got {type(v).__name__}")
        for v in (*inputs, *params):
            if not v.is_leaf:
                raise ValueError(f"compile: inputs and params must be leaves; {v!r} was made "
                                 f"by '{v.op}'")
        self.inputs, self.params, self.outputs = list(inputs), list(params), list(outputs)
        if len({id(v) for v in (*inputs, *params)}) != len(inputs) + len(params):
            raise ValueError("compile: a Value appears twice among inputs and params")
        if not outputs:
            raise ValueError("compile: no outputs")

        # Trace. Rows of V: inputs, then computed nodes by depth. Entries of P: params,
        # then constants. An output that is itself a leaf is given a node (x + 0).
        outputs = [v if not v.is_leaf else v + 0.0 for v in outputs]
        root = _node_fast(0.0, None)  # a throwaway node above every output, made by hand so
        root._op, root._x = ops.SUM, tuple(outputs)  # that no_grad cannot turn it into a leaf
        nodes = [v for v in topological_order(root) if v is not root]
        known = {id(v) for v in (*inputs, *params)}  # built once: linear in graph size
        consts = [v for v in nodes if v.is_leaf and id(v) not in known]
        interior = [v for v in nodes if not v.is_leaf]
        depth: dict[int, int] = {id(v): 0 for v in (*inputs, *params, *consts)}
        for v in interior:  # topological: inputs before the nodes made from them
            depth[id(v)] = 1 + max(depth[id(p)] for p in v.parents)
        interior.sort(key=lambda v: depth[id(v)])  # stable: keeps topological order
        scalars = {id(v): i for i, v in enumerate([*params, *consts])}
        kinds = {id(v): _kinds(v, scalars) for v in interior}
        # Parameters and constants that share an n-ary operand with computed values also
        # get a row of V (filled from P at every call), so that the operand is all rows.
        mixed = {id(p): p for v in interior if None in kinds[id(v)] for p in v.parents
                 if id(p) in scalars}
        copies = list(mixed.values())
        rows = {id(v): i for i, v in enumerate([*inputs, *copies, *interior])}
        self.n_rows = len(rows)
        self.copy_rows = [rows[id(v)] for v in copies]
        self.copy_index = [scalars[id(v)] for v in copies]
        self.const_values = np.array([v.data for v in consts])
        self.out_rows = np.array([rows[id(v)] for v in outputs])

        def refs(as_rows: bool) -> Any:
            def ref(v: Value) -> tuple[bool, int]:
                if id(v) in scalars and not as_rows:
                    return (True, scalars[id(v)])
                return (False, rows[id(v)])

            return ref

        groups: dict[tuple[Any, ...], list[Value]] = {}
        for v in interior:
            key = (depth[id(v)], id(v._op), type(v._x) is tuple, kinds[id(v)])
            groups.setdefault(key, []).append(v)
        self.groups = [_Group(op_of(vs[0]), vs, refs, key[3]) for key, vs in groups.items()]
        self._V: Any = None

    @property
    def n_groups(self) -> int:
        """NumPy-level steps per forward pass (grows with depth, not with node count)."""
        return len(self.groups)

    def _P(self) -> Any:
        np = _numpy()
        return np.concatenate([np.array([p.data for p in self.params], dtype=float),
                               self.const_values])

    def __call__(self, X: Any) -> Any:
        """Outputs for a batch: ``X`` of shape (batch, len(inputs)) -> (batch, len(outputs))."""
        np = _numpy()
        X = np.asarray(X)
        if X.dtype.kind not in "fiub":
            raise TypeError(f"compiled program: X must hold numbers, got dtype {X.dtype}")
        if X.ndim != 2 or X.shape[1] != len(self.inputs):
            raise ValueError(f"compiled program: X must have shape (batch, {len(self.inputs)})"
                             f", got {X.shape}")
        V = np.empty((self.n_rows, X.shape[0]))
        V[: len(self.inputs)] = X.T
        P = self._P()
        V[self.copy_rows] = P[self.copy_index][:, None]
        for group in self.groups:
            group.forward(V, P)
        self._V, self._Pv = V, P
        return V[self.out_rows].T.copy()

    def backward(self, seed: Any) -> None:
        """Accumulate into each parameter's ``.grad`` Σ over the batch of seed · ∂out/∂p for
        the last batch run; ``seed`` has the outputs' shape (batch, len(outputs)). For a
        mean loss pass 1/batch; for a summed loss, ones."""
        np = _numpy()
        if self._V is None:
            raise RuntimeError("compiled program: call it on a batch before backward")
        V, P = self._V, self._Pv
        seed = np.asarray(seed, dtype=float)
        if seed.shape != (V.shape[1], len(self.outputs)):
            raise ValueError(f"compiled program: seed must have shape ({V.shape[1]}, "
                             f"{len(self.outputs)}), got {seed.shape}")
        G = np.zeros_like(V)
        GP = np.zeros(len(P))
        np.add.at(G, self.out_rows, seed.T)
        for group in reversed(self.groups):
            group.backward(V, P, G, GP)
        np.add.at(GP, self.copy_index, G[self.copy_rows].sum(axis=1))
        for p, g in zip(self.params, GP[: len(self.params)].tolist()):
            p.grad += g


def _kinds(v: Value, scalars: dict[int, int]) -> tuple[bool | None, ...]:
    """Per operand (head or run, as the op's layout splits them): True if it is
    parameters or constants only, False if computed values or inputs only, None if mixed
    (only runs can mix)."""
    out: list[bool | None] = []
    for part in op_of(v).layout.split(v.parents):
        members = part if isinstance(part, tuple) else (part,)
        flags = {id(p) in scalars for p in members}
        out.append(flags.pop() if len(flags) == 1 else None)
    return tuple(out)


def compile(outputs: Sequence[Value], inputs: Sequence[Value],
            params: Sequence[Value] = ()) -> Program:
    """Trace the graph from ``inputs`` and ``params`` to ``outputs`` into a ``Program``.

    ``inputs`` are placeholder leaves whose values come from each batch's columns;
    ``params`` are leaves whose current ``.data`` is read at every call and whose ``.grad``
    ``backward`` fills. See the module doc for what is frozen at trace time.
    """
    return Program(outputs, inputs, params)
