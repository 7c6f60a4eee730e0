"""``compile``: trace a scalar graph once, replay it over a whole batch with NumPy.

A network built from ``Value``s is traced into a flat program. Nodes are grouped by depth
and op, so that one NumPy call computes every node of a group for the whole batch: the
number of NumPy calls per step grows with the depth of the graph, not with its number of
nodes. Computed nodes and inputs live in the rows of a (rows × batch) array ``V``;
parameters and constants live in a vector ``P`` and are broadcast over the batch. The
forward of each op on arrays is ``Op.vectorized``; the backward calls the very same
``Op.partials`` rules as the scalar engine, on arrays.

Honest limits: the graph is recorded once, so Python control flow that read ``.data``
while the graph was built (an ``if``, a ``max``) is frozen at what it chose for the
values the placeholders had; leaves that are neither inputs nor parameters are constants.
Requires NumPy (``pip install chainrule[fast]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import ops
from .engine import Value, _node, topological_order

__all__ = ["compile", "Program"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "compile needs NumPy: pip install numpy (or pip install chainrule[fast])"
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
    """Every node of one op at one depth, evaluated with one call for the whole batch."""

    def __init__(self, op: ops.Op, nodes: list[Value], refs: Any, kinds: tuple) -> None:
        """``refs(mixed)`` maps a Value to its reference; ``kinds[j]`` is None where operand
        j mixes parameters with computed values (then every entry refers to a row)."""
        np = _numpy()
        self.op = op
        self.out = np.array([refs(False)(v)[1] for v in nodes])
        self.nary = type(nodes[0]._x) is tuple
        if not self.nary:
            arity = len(nodes[0].parents)
            self.operands = [_Operand([refs(False)(v.parents[i]) for v in nodes])
                             for i in range(arity)]
            return
        # n-ary nodes (sum, dot) of varying length: their operands flattened into segments.
        counts = []
        if op is ops.DOT:
            starts, a, b = [], [], []
            r_start, r_a, r_b = (refs(k is None) for k in kinds)
            for v in nodes:
                inputs = v.parents
                n = (len(inputs) - 1) // 2
                starts.append(r_start(inputs[0]))
                a += [r_a(p) for p in inputs[1:n + 1]]
                b += [r_b(p) for p in inputs[n + 1:]]
                counts.append(n)
            self.operands = [_Operand(starts), _Operand(a), _Operand(b)]
        else:  # unit partials: a plain sum of every input
            flat = []
            r = refs(kinds[0] is None)
            for v in nodes:
                flat += [r(p) for p in v.parents]
                counts.append(len(v.parents))
            self.operands = [_Operand(flat)]
        if min(counts) == 0:
            raise ValueError(f"compile: an empty '{op.name}' node cannot be compiled")
        self.counts = np.array(counts)
        self.offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def forward(self, V: Any, P: Any) -> None:
        args = [x.gather(V, P) for x in self.operands]
        out = self.op.vectorized(self.offsets, *args) if self.nary else self.op.vectorized(*args)
        V[self.out] = out

    def backward(self, V: Any, P: Any, G: Any, GP: Any) -> None:
        np = _numpy()
        g = G[self.out]
        args = [x.gather(V, P) for x in self.operands]
        if not self.nary:
            for x, d in zip(self.operands, self.op.partials(V[self.out], *args)):
                x.scatter(G, GP, np.broadcast_to(d * g, g.shape))
            return
        per_term = np.repeat(g, self.counts, axis=0)
        if self.op.unit_partials:
            self.operands[0].scatter(G, GP, per_term)
            return
        # The n-ary rule is elementwise in its pairs, so it applies to whole stacked
        # operands at once: DOT's partials(out, start, A, B) = (1, B, A).
        d_start, d_a, d_b = self.op.partials(V[self.out], *args)
        start, a, b = self.operands
        start.scatter(G, GP, np.broadcast_to(d_start * g, g.shape))
        a.scatter(G, GP, np.broadcast_to(d_a * per_term, per_term.shape))
        b.scatter(G, GP, np.broadcast_to(d_b * per_term, per_term.shape))


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
        root = _node(0.0, ops.SUM, tuple(outputs))  # a throwaway node above every output
        nodes = [v for v in topological_order(root) if v is not root]
        input_ids = {id(v) for v in inputs}
        param_ids = {id(v) for v in params}
        consts = [v for v in nodes if v.is_leaf and id(v) not in input_ids | param_ids]
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

        missing = {v.op for v in interior if v._op.vectorized is None}
        if missing:
            raise NotImplementedError(f"compile: no vectorized forward for {sorted(missing)}")
        groups: dict[tuple[Any, ...], list[Value]] = {}
        for v in interior:
            key = (depth[id(v)], id(v._op), type(v._x) is tuple, kinds[id(v)])
            groups.setdefault(key, []).append(v)
        self.groups = [_Group(vs[0]._op, vs, refs, key[3]) for key, vs in groups.items()]
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
    """Per operand position: True if it is parameters or constants only, False if computed
    values or inputs only, None if mixed (only n-ary ops can mix)."""
    inputs = v.parents
    if type(v._x) is not tuple:
        return tuple(id(p) in scalars for p in inputs)
    if v._op is ops.DOT:
        n = (len(inputs) - 1) // 2
        parts = [inputs[:1], inputs[1:n + 1], inputs[n + 1:]]
    else:
        parts = [inputs]
    out: list[bool | None] = []
    for part in parts:
        flags = {id(p) in scalars for p in part}
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
