"""Saving and loading models as JSON: no pickle, so loading never runs code from the file.

The file holds ``{"format": "chainrule.MLP", "version": 1, "config": {...}, "state":
{...}}`` where ``state`` is ``Module.state_dict()``. Floats are written with ``repr``, so
they read back bit for bit. The write is atomic: a temporary file in the same folder,
flushed to disk, then renamed over the target, so a crash mid-save leaves the old file.
A symlink is written through to its target; an existing file keeps its permission bits.

Loading checks everything before building the model: the config's sizes against the
number of weights the file holds (a file cannot ask for more parameters than it has
numbers), and every weight (a finite number; NaN, Infinity, values beyond a float's range,
integers longer than 20 digits and duplicate keys are refused). A missing file raises
``FileNotFoundError``; every other bad file raises ``ValueError`` starting with its path.

Layering: ``nn._format`` (the document and the file system, standard library only) <-
``nn.module`` (``MLP.save``, ``MLP.load``) <- this module. ``nn.module`` never imports this
one.
"""

from __future__ import annotations

import os

from autograd import arguments as _args

from ._format import FORMAT, VERSION
from .module import MLP

__all__ = ["save", "load", "FORMAT", "VERSION"]


def save(model: MLP, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` atomically (``MLP.save``)."""
    if not isinstance(model, MLP):
        raise _args.type_error("save", "model", "an MLP", model)
    model.save(path)


def load(path: str | os.PathLike) -> MLP:
    """Read an MLP written by ``save`` (``MLP.load``)."""
    return MLP.load(path)
