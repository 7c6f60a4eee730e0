"""``compile``: trace a scalar graph once, replay it over a whole batch.

A network built from ``Value``s is traced into a ``Plan``: nodes grouped by depth and op,
so that one array call computes every node of a group for the whole batch; the number of
calls per step grows with the depth of the graph, not with its number of nodes. Computed
nodes and inputs live in the rows of a (rows × batch) array ``V``; parameters and
constants live in a vector ``P`` and are broadcast over the batch. A backend
(``autograd/backends/``) runs the plan: NumPy by default, PyTorch with ``backend="torch"``.
Forward and backward run each op's own rules from ``ops.py`` on arrays (the same text as
the scalar engine runs on floats), except one lowering: a group of ``dot`` nodes that read
the same computed rows with parameter weights (a dense layer) becomes a matrix product,
``W @ X`` forward and ``G @ X.T``, ``W.T @ G`` backward.

Honest limits: the graph is recorded once, so Python control flow that read ``.data``
while the graph was built (an ``if``, a ``max``) is frozen at what it chose for the
values the placeholders had; leaves that are neither inputs nor parameters are constants.
``nn.fit(compiled=True)`` guards against the commonest case (a loss that branches on the
targets) by tracing several examples and comparing the graphs. Requires NumPy (from a
clone: ``pip install -e ".[fast]"``); ``backend="torch"`` requires PyTorch.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .. import arguments as _args
from ..core.modes import enable_grad
from ..core.value import Value, make_node, op_of, topological_order
from ..rules import ops

__all__ = ["compile", "Program", "Plan", "GroupPlan"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "compile needs NumPy: pip install numpy (from a clone: pip install -e \".[fast]\")"
        ) from None
    return numpy


@dataclass
class GroupPlan:
    """Every node of one op at one depth. ``operands[j]`` lists operand j of every node
    (for a run of an n-ary op: every term of every node, node after node); ``scalar[j]``
    says whether those are indices into ``P`` (parameters and constants) or rows of ``V``.
    ``counts``: terms per node, for n-ary ops. ``dense``: for a dense ``dot`` group,
    (bias indices into P, weight indices into P as k rows of n, the n shared rows of V)."""

    op: ops.Op
    out: list[int]
    operands: list[list[int]]
    scalar: list[bool]
    counts: list[int] | None
    dense: tuple[list[int], list[list[int]], list[int]] | None = None


@dataclass
class Plan:
    """A traced graph, free of ``Value``s: what a backend needs to run it."""

    n_inputs: int
    n_params: int
    const_values: list[float]
    n_rows: int
    copy_rows: list[int]
    copy_index: list[int]
    out_rows: list[int]
    groups: list[GroupPlan]


def trace(outputs: Sequence[Value], inputs: Sequence[Value], params: Sequence[Value],
          dense: bool = True) -> Plan:
    """The plan of the graph from ``inputs`` and ``params`` to ``outputs``. Linear in the
    number of nodes: one pass over the graph, dictionaries keyed by ``id``."""
    # Rows of V: inputs, then computed nodes by depth. Entries of P: params, then
    # constants. An output that is itself a leaf is given a node (x + 0), also under no_grad.
    with enable_grad():
        outputs = [v if not v.is_leaf else v + 0.0 for v in outputs]
    root = make_node(0.0, None)  # a throwaway node above every output, made by hand so
    root._op, root._x = ops.SUM, tuple(outputs)  # that no_grad cannot turn it into a leaf
    with _collector_paused():
        return _plan(topological_order(root)[:-1], outputs, inputs, params, dense)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Compiling allocates no reference cycles, but millions of objects: with the cyclic
    collector on, each full collection would rescan the whole graph (quadratic growth)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _plan(nodes: list[Value], outputs: list[Value], inputs: Sequence[Value],
          params: Sequence[Value], dense: bool) -> Plan:
    known = {id(v) for v in (*inputs, *params)}
    consts = [v for v in nodes if v._x is None and id(v) not in known]
    scalars = {id(v): i for i, v in enumerate([*params, *consts])}
    depth: dict[int, int] = dict.fromkeys(map(id, (*inputs, *params, *consts)), 0)
    # One pass in topological order (inputs before the nodes made from them): depth, the
    # operands as the op's layout splits them, and their kinds (see _kinds).
    buckets: dict[tuple[Any, ...], list[tuple[Value, Any]]] = {}
    mixed: dict[int, Value] = {}
    for v in nodes:
        x = v._x
        if x is None:
            continue
        ps = v.parents
        d = 1 + max([depth[id(p)] for p in ps])
        depth[id(v)] = d
        op = op_of(v)
        lay = op.layout
        if lay.runs:
            parts = lay.split(ps)
            kind = _kinds(parts, scalars)
            if None in kind:  # parameters that share a run with computed values get a row
                for p in ps:
                    if id(p) in scalars:
                        mixed[id(p)] = p
        else:
            parts = list(ps)
            kind = tuple([id(p) in scalars for p in ps])
        key = (d, id(op), type(x) is tuple, kind)
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = bucket = []
        bucket.append((v, parts))
    # Rows of V: inputs, copies of mixed parameters, then each group's nodes together, the
    # groups by depth (so that every group writes one contiguous block of rows).
    copies = list(mixed.values())
    order = sorted(buckets, key=lambda k: k[0])  # stable: keeps topological order
    rows = {id(v): i for i, v in enumerate([*inputs, *copies])}
    for key in order:
        for v, _ in buckets[key]:
            rows[id(v)] = len(rows)
    groups = []
    for key in order:
        members = buckets[key]
        op, kind = op_of(members[0][0]), key[3]
        lay = op.layout
        parts = [p for _, p in members]
        operands, scalar = [], []
        for j in range(len(parts[0])):
            is_scalar = kind[j] is True
            table = scalars if is_scalar else rows
            if j < lay.heads:
                operands.append([table[id(p[j])] for p in parts])
            else:
                operands.append([table[id(x)] for p in parts for x in p[j]])
            scalar.append(is_scalar)
        counts = [len(p[lay.heads]) for p in parts] if lay.runs else None
        if counts is not None and min(counts) == 0:
            raise ValueError(f"compile: an empty '{op.name}' node cannot be compiled")
        group = GroupPlan(op, [rows[id(v)] for v, _ in members], operands, scalar, counts)
        if dense and op is ops.DOT:
            group.dense = _dense(parts, kind, scalars, rows)
        groups.append(group)
    return Plan(
        n_inputs=len(inputs), n_params=len(params), const_values=[v.data for v in consts],
        n_rows=len(rows), copy_rows=[rows[id(v)] for v in copies],
        copy_index=[scalars[id(v)] for v in copies],
        out_rows=[rows[id(v)] for v in outputs], groups=groups)


def _dense(parts: list[Any], kind: tuple[bool | None, ...], scalars: dict[int, int],
           rows: dict[int, int]) -> tuple[list[int], list[list[int]], list[int]] | None:
    """A dot group as a dense layer, if it is one: a parameter (or constant) start, one
    run of parameters (the weights) and one run of rows shared by every node (the
    layer's input). None otherwise: the generic segmented path runs it."""
    if kind not in ((True, True, False), (True, False, True)):
        return None
    w, x = (1, 2) if kind[1] else (2, 1)
    shared = parts[0][x]
    if any(p[x] != shared for p in parts):  # tuples of Values: compared by identity first
        return None
    if len({id(v) for v in shared}) != len(shared):
        return None
    return ([scalars[id(p[0])] for p in parts],
            [[scalars[id(v)] for v in p[w]] for p in parts],
            [rows[id(v)] for v in shared])


def _kinds(parts: list[Any], scalars: dict[int, int]) -> tuple[bool | None, ...]:
    """Per operand (head or run, as the op's layout splits them): True if it is
    parameters or constants only, False if computed values or inputs only, None if mixed
    (only runs can mix)."""
    out: list[bool | None] = []
    for part in parts:
        if isinstance(part, tuple):
            flags = {id(p) in scalars for p in part}
            out.append(flags.pop() if len(flags) == 1 else None)
        else:
            out.append(id(part) in scalars)
    return tuple(out)


BACKENDS = ("numpy", "torch", "python")


def _values(xs: Any, what: str) -> list[Value]:
    """``xs`` as a list of Values (any iterable, read once), or an error naming ``what``."""
    expected = "a list of Values"
    if isinstance(xs, Value):
        raise _args.type_error("compile", what, expected, xs, "; put one Value in a list: [v]")
    out = _args.sequence(xs, "compile", what, expected)
    for i, v in enumerate(out):
        if not isinstance(v, Value):
            raise _args.type_error("compile", f"{what}[{i}]", "a Value", v)
    return out


class Program:
    """A traced graph: ``program(X)`` runs it on a batch, ``program.backward(seed)``
    accumulates parameter gradients. Build it with ``compile``.

    Parameters can also live in an array for a whole training loop:
    ``theta = program.parameter_values()``, then ``program(X, params=theta)`` and
    ``g = program.backward(seed, accumulate=False)`` (no ``Value`` is read or written),
    and ``program.write_parameters(theta)`` at the end."""

    def __init__(self, outputs: Sequence[Value], inputs: Sequence[Value],
                 params: Sequence[Value], backend: str = "numpy", device: Any = None,
                 dense: bool = True) -> None:
        outputs, inputs, params = (_values(outputs, "outputs"), _values(inputs, "inputs"),
                                   _values(params, "params"))
        _args.choice(backend, "compile", "backend", BACKENDS)
        _args.flag(dense, "compile", "dense")
        np = _numpy()
        for v in (*inputs, *params):
            if not v.is_leaf:
                raise ValueError(f"compile: inputs and params must be leaves; {v!r} was made "
                                 f"by '{v.op}'")
        self.inputs, self.params, self.outputs = list(inputs), list(params), list(outputs)
        if len({id(v) for v in (*inputs, *params)}) != len(inputs) + len(params):
            raise ValueError("compile: a Value appears twice among inputs and params")
        if not outputs:
            raise ValueError("compile: no outputs")
        known = {id(v) for v in (*inputs, *params)}
        for k, v in enumerate(outputs):
            if v.is_leaf and id(v) not in known:
                warnings.warn(f"compile: output {k} is a constant leaf ({v!r}), not computed "
                              f"from the inputs: was it built under no_grad? It is frozen at "
                              f"its value. Build the graph with gradients on (compile itself "
                              f"may run under no_grad)", RuntimeWarning, stacklevel=3)
        from .backends import get

        backend_class = get(backend)
        self.plan = trace(outputs, inputs, params, dense=dense)
        self.backend_name = backend
        with _collector_paused():
            self.backend = backend_class(self.plan, device=device)
        self._const = np.asarray(self.plan.const_values, dtype=float)
        self._ran = False

    @property
    def n_groups(self) -> int:
        """Array-level steps per forward pass (grows with depth, not with node count)."""
        return len(self.plan.groups)

    @property
    def n_dense(self) -> int:
        """How many groups run as matrix products."""
        return sum(g.dense is not None for g in self.plan.groups)

    def source(self, backend: str | None = None) -> str:
        """The code the program runs: for ``backend="python"`` straight-line Python, one
        line per node (a learner can read their network's backward pass); for ``"numpy"``
        the generated NumPy code. Default: this program's backend (the Python for torch)."""
        backend = self.backend_name if backend is None else backend
        _args.choice(backend, "source", "backend", BACKENDS)
        if backend == "numpy":
            from .backends.numpy_backend import generate as numpy_code

            return numpy_code(self.plan)[0]
        if backend not in ("python", "torch"):
            raise ValueError(f"source: backend must be 'numpy' or 'python', got {backend!r}")
        from .backends.python_backend import generate

        return generate(self.plan)[0]

    def to_torch(self, device: Any = None) -> Any:
        """This program as a ``torch.nn.Module`` (float64): ``module(X)`` gives the outputs
        as a tensor, and ``backward`` through it gives our gradients for its parameter
        ``theta`` (the parameters' current values, in ``params`` order) and for ``X``."""
        from .backends.torch_backend import CompiledModule

        return CompiledModule(self.plan, self.parameter_values(), device)

    def parameter_values(self) -> Any:
        """The parameters' current ``.data`` as a float64 array (a copy)."""
        return _numpy().array([p.data for p in self.params], dtype=float)

    def write_parameters(self, theta: Any) -> None:
        """Set every parameter's ``.data`` from the array ``theta`` of shape
        ``(len(params),)`` (as an optimizer does); nothing is written if it has another."""
        values = _numpy().asarray(theta, dtype=float)
        if values.shape != (len(self.params),):
            raise ValueError(f"write_parameters: theta must have shape ({len(self.params)},), "
                             f"got {values.shape}")
        for p, x in zip(self.params, values.tolist()):
            p.data = x

    def __call__(self, X: Any, params: Any = None) -> Any:
        """Outputs for a batch: ``X`` of shape (batch, len(inputs)) -> (batch, len(outputs)).
        ``params``: an array of parameter values to use instead of the parameters' ``.data``."""
        np = _numpy()
        X = np.asarray(X)
        if X.dtype.kind not in "fiub":
            raise TypeError(f"compiled program: X must hold numbers, got dtype {X.dtype}")
        if X.ndim != 2 or X.shape[1] != len(self.inputs):
            raise ValueError(f"compiled program: X must have shape (batch, {len(self.inputs)})"
                             f", got {X.shape}")
        theta = self.parameter_values() if params is None else np.asarray(params, dtype=float)
        if theta.shape != (len(self.params),):
            raise ValueError(f"compiled program: params must have shape ({len(self.params)},),"
                             f" got {theta.shape}")
        own = self.backend.own_constants  # constants baked into its code?
        P = np.concatenate([theta, self._const]) if len(self._const) and not own else theta
        self._ran = False
        out = self.backend.forward(X.astype(float, copy=False), P)
        self._ran, self._batch = True, X.shape[0]
        return out

    def backward(self, seed: Any, accumulate: bool = True) -> Any:
        """Accumulate into each parameter's ``.grad`` Σ over the batch of seed · ∂out/∂p for
        the last batch run; ``seed`` has the outputs' shape (batch, len(outputs)). For a
        mean loss pass 1/batch; for a summed loss, ones. Returns the gradients as an
        array; ``accumulate=False`` leaves ``.grad`` alone."""
        np = _numpy()
        _args.flag(accumulate, "compiled program: backward", "accumulate")
        if not self._ran:
            raise RuntimeError("compiled program: call it on a batch before backward")
        seed = np.asarray(seed, dtype=float)
        if seed.shape != (self._batch, len(self.outputs)):
            raise ValueError(f"compiled program: seed must have shape ({self._batch}, "
                             f"{len(self.outputs)}), got {seed.shape}")
        grads = self.backend.backward(seed)[: len(self.params)]
        if accumulate:
            for p, g in zip(self.params, grads.tolist()):
                p.grad += g
        return grads


def compile(outputs: Sequence[Value], inputs: Sequence[Value],
            params: Sequence[Value] = (), backend: str = "numpy", device: Any = None,
            dense: bool = True) -> Program:
    """Trace the graph from ``inputs`` and ``params`` to ``outputs`` into a ``Program``.

    ``inputs`` are placeholder leaves whose values come from each batch's columns;
    ``params`` are leaves whose current ``.data`` is read at every call and whose ``.grad``
    ``backward`` fills. ``backend``: ``"numpy"`` (default), ``"torch"`` (``device`` is
    passed to PyTorch) or ``"python"`` (generated straight-line code, ``source()``).
    ``dense=False`` turns off the matmul lowering of dense layers.
    See the module doc for what is frozen at trace time.
    """
    return Program(outputs, inputs, params, backend=backend, device=device, dense=dense)
