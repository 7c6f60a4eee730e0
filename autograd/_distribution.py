"""Checks, on import, that the import names ``autograd`` and ``nn`` are chainrule's alone.

The PyPI distribution ``autograd`` (HIPS autograd) also installs a top-level package named
``autograd``. In one environment the two shadow each other or mix their files, which would
show up later as baffling errors; importing this module raises
``DistributionConflictError`` at once instead, naming the other distribution and the fix.

``check(thorough=True)`` reads every installed distribution's file list (about a second);
install.sh runs it at the end. The check on import reads importlib.metadata only when a
folder on ``sys.path`` holds metadata named ``autograd`` or ``nn``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib import metadata

DISTRIBUTION = "chainrule"
NAMES = ("autograd", "nn")
ROOT = Path(__file__).resolve().parent.parent  # the folder that holds autograd/ and nn/

FIX = (
    "Uninstall it with `pip uninstall {name}`, then reinstall chainrule from its clone "
    "(`./install.sh`, or `pip install -e .`), or keep the two in separate virtual "
    "environments."
)


_METADATA = re.compile(r"(autograd|nn)([-.][^/]*)?\.(dist|egg)-info", re.IGNORECASE)


class DistributionConflictError(ImportError):
    """Another installed distribution provides ``autograd`` or ``nn``."""


def _top_level(dist: metadata.Distribution) -> set[str]:
    """The top-level import names that ``dist`` installs."""
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    names = set()
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0] in ("..", "") or parts[0].endswith((".dist-info", ".egg-info")):
            continue
        names.add(parts[0].removesuffix(".py") if len(parts) == 1 else parts[0])
    return names


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder or ".")
    except OSError:
        return []


def _name(dist: metadata.Distribution) -> str:
    return (dist.metadata["Name"] or "").strip()


def conflicts(
    path: Sequence[str] | None = None, thorough: bool = False
) -> list[tuple[str, str, str]]:
    """(import name, distribution, version) for each distribution other than chainrule that
    provides ``autograd`` or ``nn`` on ``path`` (default ``sys.path``).

    The quick check looks at distributions named ``autograd`` or ``nn``; ``thorough=True``
    reads every distribution's file list.
    """
    search = list(sys.path if path is None else path)
    if not thorough and not any(_METADATA.fullmatch(n) for e in search for n in _listdir(e)):
        return []
    from importlib import metadata  # only now: importing it takes ~20 ms

    dists: Iterable[metadata.Distribution]
    if thorough:
        dists = metadata.distributions(path=search)
    else:
        dists = [d for n in NAMES for d in metadata.distributions(name=n, path=search)]
    found, seen = [], set()
    for dist in dists:
        name = _name(dist)
        if name.lower() == DISTRIBUTION or name.lower() in seen:
            continue
        seen.add(name.lower())
        for provided in sorted(_top_level(dist) & set(NAMES)):
            found.append((provided, name, dist.version))
    return found


def _shadowed() -> list[str]:
    """For ``autograd`` and ``nn`` as imported so far: those loaded from outside chainrule."""
    wrong = []
    for name in NAMES:
        origin = getattr(sys.modules.get(name), "__file__", None)
        if origin and Path(origin).resolve().parent != ROOT / name:
            wrong.append(f"`import {name}` loaded {origin}, not chainrule's {ROOT / name}")
    return wrong


def check(path: Sequence[str] | None = None, thorough: bool = False) -> None:
    """Raise ``DistributionConflictError`` if ``autograd`` or ``nn`` is not chainrule's alone."""
    problems = [
        f"the distribution {dist} {version} also provides the import name `{name}`. "
        + FIX.format(name=dist)
        for name, dist, version in conflicts(path, thorough)
    ]
    if path is None:
        problems += [f"{line}: remove or rename that file, or uninstall the distribution "
                     "that installed it" for line in _shadowed()]
    if problems:
        raise DistributionConflictError(
            "chainrule's packages `autograd` and `nn` clash with another installation:\n  "
            + "\n  ".join(problems)
        )


check()
