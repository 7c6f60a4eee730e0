"""A signed, diverging colour scale shared by the pictures: blue for negative, red for
positive, white-ish for zero, darker for larger magnitudes on a **decade scale** (each
step is a factor of 10), so 0.08 and 3 differ by two steps and a glance tells the sign.

``Scale(values)`` fixes the steps from the largest magnitude: step 1 holds magnitudes in
[10ᵏ, 10ᵏ⁺¹) with 10ᵏ⁺¹ just above the largest, step 2 the decade below, and so on down to
step ``STEPS`` (smaller ones and exact zeros are "≈ 0"). ``legend_html`` is the key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["Scale", "STEPS", "NEUTRAL", "DARK"]

STEPS = 5  # decades shown, from the largest magnitude down
NEUTRAL = "#f7f7f7"
# ColorBrewer RdBu, darkest first: red for positive, blue for negative
_RED = ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7"]
_BLUE = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0"]
#: The two darkest shades of each sign, on which text is written in white
DARK = frozenset(_RED[:2] + _BLUE[:2])


class Scale:
    """The decade steps for a set of signed numbers (gradients or weights)."""

    def __init__(self, values: Iterable[float], title: str = "grad") -> None:
        finite = [abs(v) for v in values if math.isfinite(v)]
        top = max(finite, default=0.0)
        self.title = title
        # 10ᵏ⁺¹ just above the largest magnitude: the top of step 1
        self.ceiling = 10.0 ** math.floor(math.log10(top)) * 10 if top > 0 else 0.0

    def step(self, x: float) -> int:
        """1 (the largest decade) … STEPS, or 0 for ≈ 0 (below the last decade, or 0)."""
        if not math.isfinite(x):
            return 1
        m = abs(x)
        if m == 0.0 or self.ceiling == 0.0:
            return 0
        k = math.ceil(math.log10(self.ceiling / m))  # ceiling/10 <= m < ceiling: 1
        return k if 1 <= k <= STEPS else (1 if k < 1 else 0)

    def colour(self, x: float) -> str:
        """Red (positive) or blue (negative), darker for larger |x|; NEUTRAL for ≈ 0."""
        k = self.step(x)
        if k == 0:
            return NEUTRAL
        return (_RED if x > 0 else _BLUE)[k - 1]

    def width(self, x: float, widest: float = 3.5) -> float:
        """A line width (points) that grows with the step: 0.6 for ≈ 0 up to ``widest``."""
        k = self.step(x)
        return 0.6 if k == 0 else 0.6 + (widest - 0.6) * (STEPS - k + 1) / STEPS

    def bounds(self, k: int) -> str:
        """The magnitudes of step ``k`` as text: ``0.1–1``; step 0: ``< 0.001 or 0``."""
        if k == 0:
            return f"&lt; {_short(self.ceiling / 10 ** STEPS)} or 0"
        return f"{_short(self.ceiling / 10 ** k)}–{_short(self.ceiling / 10 ** (k - 1))}"

    def legend_html(self) -> str:
        """An HTML-like Graphviz label: the key, negative and positive swatches per step."""
        head = (f'<tr><td colspan="3"><b>{self.title}</b> (sign: blue −, red +; '
                "each step ×10)</td></tr>")
        rows = []
        for k in range(1, STEPS + 1):
            rows.append(f'<tr><td bgcolor="{_BLUE[k - 1]}" width="22"> </td>'
                        f'<td bgcolor="{_RED[k - 1]}" width="22"> </td>'
                        f'<td align="left">|{self.title}| {self.bounds(k)}</td></tr>')
        rows.append(f'<tr><td bgcolor="{NEUTRAL}" colspan="2"> </td>'
                    f'<td align="left">|{self.title}| {self.bounds(0)}</td></tr>')
        return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
                + head + "".join(rows) + "</table>>")


def _short(x: float) -> str:
    """A power of ten as text: 1, 10, 0.1, 1e-05."""
    return f"{x:.0e}".replace("e+00", "").replace("e-0", "e-") if not 1e-4 <= x < 1e4 \
        else f"{x:g}"
