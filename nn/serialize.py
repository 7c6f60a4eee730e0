"""Saving and loading models as JSON: no pickle, so loading never runs code from the file.

The file holds ``{"format": "chainrule.MLP", "version": 1, "config": {...}, "state":
{...}}`` where ``state`` is ``Module.state_dict()``. Floats are written with ``repr``, so
they read back bit for bit. The write is atomic: a temporary file in the same folder,
flushed to disk, then renamed over the target, so a crash mid-save leaves the old file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from .module import MLP

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "chainrule.MLP"
VERSION = 1


def save(model: MLP, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` atomically."""
    if not isinstance(model, MLP):
        raise TypeError(f"save: expected an MLP, got {type(model).__name__}")
    state = model.state_dict()
    for name, value in state.items():
        values = value if isinstance(value, list) else [value]
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"save: parameter {name!r} is not finite ({value!r}); not saved")
    document = {"format": FORMAT, "version": VERSION, "config": model.config, "state": state}
    text = json.dumps(document, indent=1, allow_nan=False)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load(path: str | os.PathLike) -> MLP:
    """Read an MLP written by ``save``; every problem is a ``ValueError`` naming the file."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a chainrule model file: invalid JSON ({exc})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a chainrule model file: not UTF-8 text") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: not a chainrule model file (no \"format\": \"{FORMAT}\")")
    if document.get("version") != VERSION:
        raise ValueError(f"{path}: unsupported version {document.get('version')!r} "
                         f"(this chainrule reads version {VERSION})")
    config = _config(document.get("config"), path)
    try:
        model = MLP(**config)
    except ValueError as exc:
        raise ValueError(f"{path}: bad \"config\": {exc}") from None
    try:
        model.load_state_dict(document.get("state"))
    except (KeyError, TypeError, ValueError) as exc:
        message = exc.args[0] if exc.args else exc
        raise ValueError(f"{path}: weights do not match the architecture: {message}") from None
    return model


def _config(config: Any, path: Path) -> dict[str, Any]:
    keys = {"nin", "nouts", "activation", "output_activation"}
    if not isinstance(config, dict) or set(config) != keys:
        raise ValueError(f"{path}: \"config\" must have exactly the keys {sorted(keys)}")
    nin, nouts = config["nin"], config["nouts"]
    if not (isinstance(nin, int) and nin > 0 and isinstance(nouts, list) and nouts
            and all(isinstance(n, int) and n > 0 for n in nouts)):
        raise ValueError(f"{path}: \"config\" needs a positive int nin and a list of "
                         f"positive ints nouts, got nin={nin!r}, nouts={nouts!r}")
    return config
