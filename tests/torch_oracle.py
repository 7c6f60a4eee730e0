"""The PyTorch oracle moved to ``tests/oracles.py``, beside the mpmath references (one file
to edit per new op). This module re-exports it for the tests that still import it from
here (``tests/test_fuzz_torch.py``)."""

from __future__ import annotations

from support import need

need("torch")

from oracles import FAMILY_TORCH, TORCH, torch_fn  # noqa: E402

__all__ = ["TORCH", "FAMILY_TORCH", "torch_fn"]
