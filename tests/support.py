"""Helpers shared by the tests."""

from __future__ import annotations

import importlib
import math
import os
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from types import ModuleType

import pytest

# The extra of pyproject.toml that installs each optional module.
EXTRAS = {
    "torch": "torch", "numpy": "fast", "sklearn": "data", "matplotlib": "plots",
    "tqdm": "plots", "micrograd": "test", "hypothesis": "test", "mpmath": "test",
}


def in_ci() -> bool:
    """CI sets CI=true; there an optional tool that is missing is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str, hint: str) -> None:
    """Skip the current test (or module) because ``what`` is missing; under CI fail instead."""
    message = f"{what} is missing: {hint}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing optional dependency fails)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def need(module: str) -> ModuleType:
    """Import and return ``module``; if it is not installed, skip (in CI: fail).

    Works inside a test and at module level (``torch = need("torch")``).
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module.partition(".")[0], "test")
        missing(f"Python module {module!r}",
                f"the extra {extra!r} installs it: from the clone, ./install.sh test,{extra}"
                f' (or pip install -e ".[test,{extra}]")')
        raise  # not reached: skip and fail raise


def need_dot() -> str:
    """The path of Graphviz's ``dot`` program; if it is not on PATH, skip (in CI: fail)."""
    path = shutil.which("dot")
    if path is None:
        missing("Graphviz's dot program", "./install.sh installs it (apt-get install graphviz)")
    return str(path)


def example_network(name: str):
    """(model, loss) after backward: ``"2-3-1"`` is MLP(2, [3, 1], seed=0) on one example
    with an mse loss (``"3-4-4-1"`` and so on likewise); ``"seed"`` is seed 003's network
    and its total error."""
    from nn import MLP, mse
    from nn.datasets import seed_003

    if name == "seed":
        model, loss, _ = seed_003()
    else:
        nin, *sizes = (int(n) for n in name.split("-"))
        model = MLP(nin, sizes, seed=0)
        loss = mse(model([0.5, -1.0, 0.25][:nin]), [1.0])
    loss.backward()
    return model, loss


# --- reading the layout back from a Graphviz SVG -------------------------------------------

_SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Text:
    """One ``<text>`` of a Graphviz SVG: its string, anchor point and font size."""

    text: str
    x: float
    y: float
    size: float
    anchor: str

    def box(self, em: float = 0.65) -> tuple[float, float, float, float]:
        """(left, right, top, bottom) of the string, estimated: ``em`` font sizes per
        character (Helvetica averages less), from 0.8 of a size above the baseline to 0.25
        below."""
        width = em * self.size * len(self.text)
        left = {"middle": self.x - width / 2, "end": self.x - width}.get(self.anchor, self.x)
        return left, left + width, self.y - 0.8 * self.size, self.y + 0.25 * self.size


@dataclass
class Shape:
    """One ``<g>`` of a Graphviz SVG (a node, cluster or edge): its title (the node's id,
    ``tail->head`` for an edge), its texts, the extent of its outlines (of its texts when it
    has none) and, for an edge, the first and last points of its line. SVG coordinates: y
    grows downwards."""

    title: str
    texts: list[Text]
    left: float
    right: float
    top: float
    bottom: float
    line: tuple[tuple[float, float], tuple[float, float]]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2


def svg_shapes(svg: bytes | str, kind: str) -> list[Shape]:
    """The shapes of one kind ("node", "cluster" or "edge") in a Graphviz SVG, in order."""
    out = []
    for g in ET.fromstring(svg).iter(_SVG + "g"):
        if g.get("class") != kind:
            continue
        xs: list[float] = []
        ys: list[float] = []
        line = ((0.0, 0.0), (0.0, 0.0))
        for child in g:
            tag = child.tag.removeprefix(_SVG)
            if tag in ("polygon", "polyline", "path"):
                nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?",
                                                     child.get("points") or child.get("d"))]
                xs += nums[0::2]
                ys += nums[1::2]
                if tag == "path" and kind == "edge":
                    line = (nums[0], nums[1]), (nums[-2], nums[-1])
            elif tag == "ellipse":
                cx, cy, rx, ry = (float(child.get(a)) for a in ("cx", "cy", "rx", "ry"))
                xs += [cx - rx, cx + rx]
                ys += [cy - ry, cy + ry]
        texts = [Text(t.text or "", float(t.get("x")), float(t.get("y")),
                      float(t.get("font-size")), t.get("text-anchor", "start"))
                 for t in g.iter(_SVG + "text")]
        if not xs:  # plain text: the extent of its strings
            boxes = [t.box() for t in texts]
            xs = [b[0] for b in boxes] + [b[1] for b in boxes]
            ys = [b[2] for b in boxes] + [b[3] for b in boxes]
        title = g.find(_SVG + "title")
        out.append(Shape(title.text if title is not None else "", texts, min(xs, default=0.0),
                         max(xs, default=0.0), min(ys, default=0.0), max(ys, default=0.0),
                         line))
    return out


def distance_to_line(point: tuple[float, float],
                     line: tuple[tuple[float, float], tuple[float, float]]) -> float:
    """The distance from a point to a line segment."""
    (px, py), ((ax, ay), (bx, by)) = point, line
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)
