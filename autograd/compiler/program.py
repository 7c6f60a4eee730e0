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
targets) by tracing the loss again with several targets and comparing the graphs.
While a program runs, its parameters' data and gradients live in arrays
(``core/arrays.py``), read and written in place of their slots. Requires NumPy (from a
clone: ``pip install -e ".[fast]"``); ``backend="torch"`` requires PyTorch.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from .. import arguments as _args
from ..core import arrays
from ..core.value import Value
from .backends import get
from .plan import GroupPlan, Plan, collector_paused, trace

__all__ = ["compile", "Program", "Plan", "GroupPlan"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "compile needs NumPy: pip install numpy (from a clone: pip install -e \".[fast]\")"
        ) from None
    return numpy


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

    From its first call on, the program holds its parameters' data and gradients in
    arrays (``autograd/core/arrays.py``), shared with every program and optimizer over the
    same parameters: a training loop of ``program(X)``, ``program.backward(seed)``,
    ``opt.step()`` and ``opt.zero_grad()`` does no Python work per parameter, and each
    parameter's ``.data`` and ``.grad`` read true at any moment. An eager op on a
    parameter gives it back its own slots; the next call binds them again.

    Parameters can also live in an array of the caller's for a whole training loop:
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

        backend_class = get(backend)
        self.plan = trace(outputs, inputs, params, dense=dense)
        self.backend_name = backend
        with collector_paused():
            self.backend = backend_class(self.plan, device=device)
        self._const = np.asarray(self.plan.const_values, dtype=float)
        self._ran = False
        self._view: arrays.View | None = None  # the parameters' arrays, once bound

    def __repr__(self) -> str:
        return (f"Program({len(self.inputs)} inputs, {len(self.params)} parameters, "
                f"{len(self.outputs)} outputs, {self.n_groups} groups, "
                f"backend={self.backend_name!r})")

    @property
    def n_groups(self) -> int:
        """Array-level steps per forward pass (grows with depth, not with node count)."""
        return len(self.plan.groups)

    @property
    def n_dense(self) -> int:
        """How many groups run as matrix products."""
        return sum(g.dense is not None for g in self.plan.groups)

    def source(self, backend: str | None = None, names: Mapping[Any, str] | None = None
               ) -> str:
        """The code the program runs: for ``backend="python"`` a forward and a backward
        pass as a learner would write them, one line per node in the graph's own names
        (labels; ``names``, keyed by node or ``id``, adds names for unlabelled nodes, such
        as ``autograd.display.naming.names(loss)`` gives), plain Python that runs alone;
        for ``"numpy"`` the generated NumPy code. Default: this program's backend (the
        Python for torch)."""
        backend = self.backend_name if backend is None else backend
        _args.choice(backend, "source", "backend", BACKENDS)
        if names is not None and not isinstance(names, Mapping):
            raise _args.type_error("source", "names", "a mapping of nodes (or their ids) to "
                                   "names, or None", names)
        if backend == "numpy":
            from .backends.numpy_backend import generate as numpy_code

            return numpy_code(self.plan)[0]
        from .backends.python_backend import generate, graph_names

        given = graph_names(self.plan, self.outputs, self.inputs, self.params, names)
        return generate(self.plan, given)[0]

    def to_torch(self, device: Any = None) -> Any:
        """This program as a ``torch.nn.Module`` (float64): ``module(X)`` gives the outputs
        as a tensor, and ``backward`` through it gives our gradients for its parameter
        ``theta`` (the parameters' current values, in ``params`` order) and for ``X``."""
        from .backends.torch_backend import CompiledModule

        return CompiledModule(self.plan, self.parameter_values(), device)

    def bound(self) -> arrays.View:
        """The arrays that hold the parameters' data and gradients (binding them now if
        they are not: see the class doc)."""
        view = self._view
        if view is None or not view.live:
            view = self._view = arrays.view(self.params)
        return view

    def parameter_values(self) -> Any:
        """The parameters' current ``.data`` as a float64 array (a copy)."""
        view = self._view if self._view is not None and self._view.live else \
            arrays.covering(self.params)
        if view is not None:
            return view.data(copy=True)
        return _numpy().array([p.data for p in self.params], dtype=float)

    def write_parameters(self, theta: Any) -> None:
        """Set every parameter's ``.data`` from the array ``theta`` of shape
        ``(len(params),)`` (as an optimizer does, with one tick of the clock: graphs built
        before are stale); nothing is written if it has another shape."""
        values = _numpy().asarray(theta, dtype=float)
        if values.shape != (len(self.params),):
            raise ValueError(f"write_parameters: theta must have shape ({len(self.params)},), "
                             f"got {values.shape}")
        self.bound().write(values)

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
        # a copy of the parameters: backward reads the values this forward used
        theta = self.bound().data(copy=True) if params is None else \
            np.asarray(params, dtype=float)
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
            self.bound().add_grads(grads)
        return grads


def compile(outputs: Sequence[Value], inputs: Sequence[Value],
            params: Sequence[Value] = (), backend: str = "numpy", device: Any = None,
            dense: bool = True) -> Program:
    """Trace the graph from ``inputs`` and ``params`` to ``outputs`` into a ``Program``.

    ``inputs`` are placeholder leaves whose values come from each batch's columns (their
    own values do not matter); ``params`` are leaves whose current ``.data`` is read at
    every call and whose ``.grad`` ``backward`` fills (held in arrays meanwhile: see
    ``Program``). ``backend``: ``"numpy"`` (default), ``"torch"`` (``device`` is
    passed to PyTorch) or ``"python"`` (generated straight-line code, ``source()``).
    ``dense=False`` turns off the matmul lowering of dense layers.
    See the module doc for what is frozen at trace time.
    """
    return Program(outputs, inputs, params, backend=backend, device=device, dense=dense)
