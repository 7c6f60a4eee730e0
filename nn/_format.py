"""The model file: its JSON document, read with every check and written atomically.

Standard library only (and ``autograd.arguments``, the argument checks), and it imports
nothing from ``nn``: ``nn.module`` builds models
from what ``read`` returns, ``nn.serialize`` is the public face, and no import cycle is
possible.

A file holds ``{"format": "chainrule.MLP", "version": 1, "config": {...}, "state":
{...}}``, ``state`` being ``Module.state_dict()``. Floats are written with ``repr``, so
they read back bit for bit.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Collection
from pathlib import Path
from typing import Any

from autograd import arguments as _args

__all__ = ["FORMAT", "VERSION", "TEMP_SUFFIX", "encode", "read", "write"]

FORMAT = "chainrule.MLP"
VERSION = 1
#: The end of every temporary file's name: ``.<name>.<pid>.<8 hex digits>.chainrule-tmp``.
TEMP_SUFFIX = ".chainrule-tmp"
#: Longest integer literal read from a file; longer ones are refused before conversion.
MAX_INT_DIGITS = 20

Config = dict[str, Any]
State = dict[str, float | list[float]]


class _Refused(Exception):
    """A problem found while parsing; ``read`` adds the path."""


# --- writing ------------------------------------------------------------------------------

def encode(config: Config, state: State) -> str:
    """The document as JSON text; a parameter that is NaN or infinite raises ``ValueError``."""
    for name, value in state.items():
        values = value if isinstance(value, list) else [value]
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"save: parameter {name!r} is not finite ({value!r}); not saved")
    document = {"format": FORMAT, "version": VERSION, "config": config, "state": state}
    return json.dumps(document, indent=1, allow_nan=False)


def write(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, flushed to
    disk, then renamed over the target, so a crash mid-save leaves the old file whole.

    A symlink is written through (its target is replaced; the link stays). An existing
    file keeps its permission bits, and one the user may not write (``os.access``) is not
    replaced (``PermissionError``); a new one gets the umask's (0o666 & ~umask). Temporary
    files that earlier crashed saves of the same target left behind (their process has
    ended) are removed.
    """
    path = _path(path, "save")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    folder = target.parent
    if not folder.is_dir():
        if folder.exists():
            raise NotADirectoryError(errno.ENOTDIR, "save: not a folder", str(folder))
        raise FileNotFoundError(errno.ENOENT, "save: the folder does not exist", str(folder))
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "save: this is a folder, not a file", str(target))
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    if mode is not None and not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "save: the file is read-only; not replaced",
                              str(target))
    _remove_stale_temporaries(folder, target.name)
    tmp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)  # the umask applies, as for open(path, "w")
    except PermissionError:
        raise PermissionError(errno.EACCES, "save: cannot create a file in this folder",
                              str(folder)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _path(path: Any, who: str) -> Path:
    return _args.path(path, who)


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    if os.name == "nt":  # no safe way here to ask whether a process id is alive
        return
    pattern = re.compile(r"\.(.+)\.(\d+)\.[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and match.group(1) == name and not _alive(int(match.group(2))):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the system allows it (POSIX)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- reading ------------------------------------------------------------------------------

def read(path: str | os.PathLike, activations: Collection[str]) -> tuple[Config, State]:
    """The checked ``config`` and ``state`` of a model file.

    A missing file raises ``FileNotFoundError``; every other problem with the file (a
    folder, not UTF-8, not JSON, nested too deeply, NaN or Infinity, a number out of a
    float's range, a duplicate key, a wrong or missing field, an activation not in
    ``activations``) raises ``ValueError`` starting with the path. ``state``'s numbers come
    back as finite floats.
    """
    path = _path(path, "load")
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a chainrule model file: not UTF-8 text "
                         f"(byte {exc.start})") from None
    try:
        document = json.loads(text, parse_constant=_no_constant, parse_int=_int,
                              parse_float=_float, object_pairs_hook=_object)
        config = _config(document, activations)
        state = _state(document["state"])
    except _Refused as exc:
        raise ValueError(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a chainrule model file: invalid JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"{path}: not a chainrule model file: JSON nested too deeply") from None
    except ValueError as exc:  # anything else the parser refuses
        raise ValueError(f"{path}: not a chainrule model file: {exc}") from None
    return config, state


def _read_bytes(path: Path) -> bytes:
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "no such model file", str(path)) from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, not a model file") from None
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISDIR(kind):
            raise ValueError(f"{path}: is a folder, not a model file")
        if not stat.S_ISREG(kind):
            raise ValueError(f"{path}: not a regular file (a device, pipe or socket)")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} in the file: weights must be finite numbers")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer with {len(text.lstrip('-'))} digits (at most "
                       f"{MAX_INT_DIGITS} are read)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of a float's range")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"the key {key[:60]!r} appears twice in one object")
        out[key] = value
    return out


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _config(document: Any, activations: Collection[str]) -> Config:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _Refused(f"not a chainrule model file (no \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if not _is_int(version) or version != VERSION:
        raise _Refused(f"unsupported version {version!r} (this chainrule reads version "
                       f"{VERSION})")
    if "state" not in document:
        raise _Refused("no \"state\" (the weights)")
    config = document.get("config")
    keys = {"nin", "nouts", "activation", "output_activation"}
    if not isinstance(config, dict) or set(config) != keys:
        raise _Refused(f"\"config\" must have exactly the keys {sorted(keys)}")
    nin, nouts = config["nin"], config["nouts"]
    if not (_is_int(nin) and nin > 0 and isinstance(nouts, list) and nouts
            and all(_is_int(n) and n > 0 for n in nouts)):
        raise _Refused(f"\"config\" needs a positive int nin and a list of positive ints "
                       f"nouts, got nin={nin!r}, nouts={_short(nouts)}")
    for key in ("activation", "output_activation"):
        name = config[key]
        if not isinstance(name, str) or name not in activations:
            raise _Refused(f"bad \"config\": {key}: unknown activation {_short(name)}; "
                           f"choose one of {sorted(activations)}")
    return config


def _state(state: Any) -> State:
    if not isinstance(state, dict):
        raise _Refused(f"\"state\" must be an object of weights, got {type(state).__name__}")
    out: State = {}
    for name, value in state.items():
        if isinstance(value, list):
            out[name] = [_weight(x, name, i) for i, x in enumerate(value)]
        else:
            out[name] = _weight(value, name, None)
    return out


def _weight(x: Any, name: str, index: int | None) -> float:
    where = f"{name[:60]!r}" + (f"[{index}]" if index is not None else "")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _Refused(f"weights do not match the architecture: {where} must be a number, "
                       f"got {_args.got(x)}")
    return float(x)  # finite: the parser refused the rest, and ints have <= 20 digits


def _short(x: Any, limit: int = 80) -> str:
    """``repr(x)``, cut to ``limit`` characters."""
    return shorten(repr(x), limit)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "..." when cut."""
    return text if len(text) <= limit else text[:limit - 3] + "..."
