"""Backends of ``compile``: each runs a traced ``Plan`` (``autograd.compiler``) on batches.

A backend is one class with a small protocol (``Backend``): built once from the plan, then
``forward(X, P)`` computes every row for a batch and returns the outputs, and
``backward(seed)`` returns the gradient of every parameter (summed over the batch; entries
after the parameters, if any, are ignored) for the last forward. A backend with
``own_constants = True`` keeps the constants itself and gets only the parameters in
``P``. ``Program`` does everything else (checks, reading and writing
the parameters' ``.data`` and ``.grad``). One file per backend:

* ``numpy_backend.py``  the default: NumPy code generated from the plan, a few calls per
  group, dense layers as matmuls;
* ``torch_backend.py``  the same groups on ``torch`` tensors (``backend="torch"``, any device);
* ``python_backend.py`` straight-line Python generated from the trace (``backend="python"``).
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Backend", "get"]


class Backend(Protocol):
    name: str
    own_constants: bool

    def forward(self, X: Any, P: Any) -> Any:
        """Outputs (batch, n_outputs) for inputs ``X`` (batch, n_inputs) and the parameter
        values ``P`` (n_params), followed by the constants' unless ``own_constants``."""

    def backward(self, seed: Any) -> Any:
        """Σ over the batch of seed · ∂output/∂p for the last forward, parameters first."""


def get(name: str) -> Any:
    """The backend class called ``name``."""
    if name == "numpy":
        from .numpy_backend import NumpyBackend

        return NumpyBackend
    if name == "torch":
        from .torch_backend import TorchBackend

        return TorchBackend
    if name == "python":
        from .python_backend import PythonBackend

        return PythonBackend
    raise ValueError(f"compile: backend must be 'numpy', 'torch' or 'python', got {name!r}")
