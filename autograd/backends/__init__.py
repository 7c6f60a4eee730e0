"""Backends of ``compile``: each runs a traced ``Plan`` (``autograd.compiler``) on batches.

A backend is one class with a small protocol (``Backend``): built once from the plan, then
``forward(X, P)`` computes every row for a batch and returns the outputs, and
``backward(seed)`` returns the gradient of every parameter and constant (summed over the
batch) for the last forward. ``Program`` does everything else (checks, reading and writing
the parameters' ``.data`` and ``.grad``). One file per backend:

* ``numpy_backend.py``  the default: groups of nodes as NumPy calls, dense layers as matmuls;
* ``torch_backend.py``  the same groups on ``torch`` tensors (``backend="torch"``, any device);
* ``python_backend.py`` straight-line Python generated from the trace (``backend="python"``).
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Backend", "get"]


class Backend(Protocol):
    name: str

    def forward(self, X: Any, P: Any) -> Any:
        """Outputs (batch, n_outputs) for inputs ``X`` (batch, n_inputs) and the parameter
        and constant values ``P`` (n_params + n_consts)."""

    def backward(self, seed: Any) -> Any:
        """Σ over the batch of seed · ∂output/∂P for the last forward: shape of ``P``."""


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
