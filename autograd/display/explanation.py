"""``explain``: how a gradient was obtained, written out by the chain rule.

``explain(loss, wrt=w)`` names every node (``autograd.naming.names``) and stops at the
*named* ones: labels, parameters (``L1.n2.w1``), inputs (``x1``), each neuron's ``net`` and
``out`` (on a graph built by hand too: ``net_h1``, ``out_h1``) and the ``loss``. The nodes
between two named ones are folded into one factor whose formula is composed from the ops'
symbolic local derivatives and simplified, so a network reads like a tutorial:
∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 with ∂E/∂out_o1 = out_o1 − 0.6905.

``style="chain"`` (the default) lists up to ``max_paths`` chains of named nodes one by one,
in the graph's order (through o1 before o2); with more, the adjoint recurrence is shown
once per named node, ∂loss/∂v = Σ_c ∂loss/∂c · ∂c/∂v, with the number of paths through
each node. ``style="delta"`` writes the factored form a textbook gives, each part shared
by several paths once: δ_o = ∂loss/∂net_o of each neuron the paths part at, the sum
∂E/∂out_h1 = δ_o1 · w5 + δ_o2 · w7 at each node used by several, then the chain down to
wrt (and the same in δ form, δ_h1 · x1). ``numbers=True`` writes each formula again with the
numbers put in, 9 significant digits, a negative one in parentheses (``out_o1·(1 − out_o1)
= 0.75136507·(1 − 0.75136507) = 0.186815602``). ``str()`` gives text, ``to_markdown()``
Markdown with LaTeX (KaTeX and MathJax), ``to_html()`` HTML.

This module is over 600 lines: one explanation in two styles, each rendered three ways
(text, Markdown, HTML), is kept beside the data it renders.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import arguments as _args
from ..core.backward import adjoints
from ..core.value import Value, op_of, topological_order
from ..rules.symbolic import SYMBOLS, Symbol, symbol, tex_name
from .model import path_counts, substitute, tidy, times
from .naming import is_named, names, operand

__all__ = ["explain", "path_counts", "Explanation", "Factor", "Step", "Line"]

_MAX_ROUTES = 8  # above this many folded routes a factor shows its number only
_MAX_FOLDED = 12  # a factor folded over more edges than this shows its number only
_MAX_EXPRESSION = 48  # a folded node longer than this is written by its name
_SHOWN_TERMS = 3  # a recurrence step with more terms shows this many, then "…"


@dataclass
class Factor:
    """∂upper/∂lower between two named nodes, over the unnamed nodes between them."""

    upper: str
    lower: str
    value: float
    formula: Symbol | None  # None: too many folded routes, or too long, to write out
    routes: int = 1

    def _untold(self) -> str:
        if self.routes == 1:
            return "(a chain too long to write out)"
        return f"({self.routes:,} routes)"

    def formula_text(self) -> str:
        return self.formula.text() if self.formula is not None else self._untold()

    def formula_tex(self) -> str:
        if self.formula is not None:
            return self.formula.tex()
        return f"\\text{{{self._untold()}}}"

    def numbers_text(self, values: dict[str, float]) -> str:
        """The formula with the numbers put in for the names (``""`` when that says no more
        than the formula or the value: a number, or a single name)."""
        if not values or self.formula is None or self.formula.kind in ("num", "var"):
            return ""
        shown = substitute(self.formula, values).text()
        return "" if shown == self.formula.text() else shown

    def numbers_tex(self, values: dict[str, float]) -> str:
        if not self.numbers_text(values):
            return ""
        assert self.formula is not None
        return substitute(self.formula, values).tex()


@dataclass
class Step:
    """One line of the adjoint recurrence: ∂root/∂node = Σ over ``terms`` (the named nodes
    c made from it) of ∂root/∂c · ∂c/∂node; ``paths`` counts the paths root → node."""

    node: str
    value: float
    paths: int
    terms: list[tuple[str, float, Factor]]  # (c, ∂root/∂c, ∂c/∂node)


@dataclass
class Line:
    """One line of the factored form (``style="delta"``): ∂root/∂node either as a chain
    of ``factors`` below ``head`` (a node used by several others; None: the root), or, when
    ``terms`` is not empty, as the sum over the nodes c made from node of ∂root/∂c · ∂c/∂node."""

    node: str
    value: float
    head: str | None = None
    head_value: float = 1.0
    factors: list[Factor] = field(default_factory=list)
    terms: list[tuple[str, float, Factor]] = field(default_factory=list)  # (c, ∂root/∂c, ∂c/∂node)


@dataclass
class Explanation:
    """A printable derivation of ∂root/∂wrt: ``str()``, ``to_markdown()``, ``to_html()``."""

    root: str
    wrt: str
    gradient: float  # ∂root/∂wrt, recomputed here
    grad_field: float | None  # wrt.grad as found (None when it is a Value)
    n_paths: int  # paths root → wrt through every node of the graph
    paths: list[list[Factor]] = field(default_factory=list)  # chains of named nodes
    steps: list[Step] = field(default_factory=list)  # the recurrence, when paths is empty
    # one per edge into wrt: (node c, ∂root/∂c, ∂c/∂wrt, formula of ∂c/∂wrt)
    contributions: list[tuple[str, float, float, str]] = field(default_factory=list)
    max_paths: int = 8
    style: str = "chain"
    lines: list[Line] = field(default_factory=list)  # style="delta": the factored form
    deltas: dict[str, str] = field(default_factory=dict)  # a net's name -> its δ (δ_o1)
    values: dict[str, float] = field(default_factory=dict)  # numbers=True: name -> value

    # --- plain text ------------------------------------------------------------------------
    def _title(self) -> str:
        s = "s" if self.n_paths != 1 else ""
        return (f"{_d(self.root, self.wrt)} = {_num(self.gradient, 9)}   "
                f"({self.n_paths:,} path{s} from {self.root} to {self.wrt})")

    def __str__(self) -> str:
        lines = [self._title(), ""]
        if self.n_paths == 0:
            lines.append(f"{self.root} does not depend on {self.wrt}: the gradient is 0.")
        elif self.root == self.wrt:
            lines.append(f"{self.wrt} is the root itself: the gradient is 1.")
        elif self.style == "delta":
            lines += self._delta_text()
        elif self.paths:
            for k, path in enumerate(self.paths, 1):
                lines.append(f"Path {k}: " + " → ".join([path[0].upper] + [f.lower for f in path]))
                rows = [self._row(f) for f in path]
                rows.append(("product", "", "", self._n(_product(path))))
                lines += _table(rows)
                lines.append("")
            if len(self.paths) > 1:
                lines.append(f"Sum over the {len(self.paths)} paths = {_num(self.gradient, 9)}")
        else:
            lines += [f"Too many paths to list (max_paths={self.max_paths}): by the adjoint "
                      "recurrence, from the root down,",
                      f"  ∂{self.root}/∂v = Σ over the named nodes c made from v: "
                      f"∂{self.root}/∂c · ∂c/∂v", ""]
            for step in self.steps:
                lines.append(f"  {_d(self.root, step.node)} = {self._terms_text(step)}"
                             f" = {_num(step.value)}   [{step.paths:,} path"
                             f"{'s' if step.paths != 1 else ''}]")
            lines.append("")
        lines.append(self._check())
        return "\n".join(lines)

    def _n(self, x: float) -> str:
        """A value: 9 significant digits with numbers=True (as the tutorials), else 6."""
        return _num(x, 9 if self.values else 6)

    def _row(self, f: Factor) -> tuple[str, str, str, str]:
        return (_d(f.upper, f.lower), f.formula_text(), f.numbers_text(self.values),
                self._n(f.value))

    # --- the factored form (style="delta") ------------------------------------------------
    def _ref(self, name: str) -> str:
        """∂root/∂name, or its δ when name is a neuron's net."""
        return self.deltas.get(name) or _d(self.root, name)

    def _lhs(self, line: Line) -> str:
        d = _d(self.root, line.node)
        return f"{self.deltas[line.node]} = {d}" if line.node in self.deltas else d

    def _delta_text(self) -> list[str]:
        used = sorted(set(self.deltas.values()) & {self.deltas.get(ln.node, "")
                                                     for ln in self.lines})
        out = [f"By the δ recurrence, from {self.root} down"
               + (f" (δ = ∂{self.root}/∂net of a neuron)" if used else "")
               + "; each part shared by several paths is written once.", ""]
        for line in self.lines:
            out += self._sum_text(line) if line.terms else self._chain_text(line)
            out.append("")
        return out

    def _chain_text(self, line: Line) -> list[str]:
        if line.head is None and len(line.factors) == 1:
            f = line.factors[0]
            return [row.lstrip() for row in _table([(self._lhs(line), *self._row(f)[1:])])]
        parts = ([self._ref(line.head)] if line.head is not None else []) \
            + [_d(f.upper, f.lower) for f in line.factors]
        numbers = ([line.head_value] if line.head is not None else []) \
            + [f.value for f in line.factors]
        out = ([f"{self._lhs(line)} = {' · '.join(parts)}"]
               + _table([self._row(f) for f in line.factors])
               + [f"  {self.deltas.get(line.node) or _d(self.root, line.node)} = "
                  f"{' · '.join(self._paren_n(x) for x in numbers)} = {self._n(line.value)}"])
        last = line.factors[-1]
        delta = _delta_name(last.upper)
        if delta and len(numbers) > 2:  # the same, in δ form: δ_h1, then δ_h1 · x1
            g = math.prod(numbers[:-1])
            out.append(f"  in δ form: {delta} = {' · '.join(parts[:-1])} = "
                       f"{' · '.join(self._paren_n(x) for x in numbers[:-1])} = {self._n(g)}")
            out.append(f"{'':13}{_d(self.root, line.node)} = {delta} · "
                       f"{_d(last.upper, last.lower)}"
                       f" = {delta} · {_paren(last.formula_text())} = {self._paren_n(g)} · "
                       f"{self._paren_n(last.value)} = {self._n(line.value)}")
        return out

    def _paren_n(self, x: float) -> str:
        text = self._n(x)
        return f"({text})" if x < 0 else text

    def _sum_text(self, line: Line) -> list[str]:
        shown = line.terms[:_SHOWN_TERMS]
        more = f" + … ({len(line.terms)} terms)" if len(line.terms) > _SHOWN_TERMS else ""
        symbolic = " + ".join(f"{self._ref(c)} · {_d(c, line.node)}" for c, _, _ in shown)
        out = [f"{self._lhs(line)} = {symbolic}{more}"]
        formulas = " + ".join(f"{self._ref(c)} · {_paren(f.formula_text())}"
                              for c, _, f in shown)
        if formulas != symbolic:
            out.append(f"  = {formulas}{more}")
        out.append("  = " + " + ".join(f"{self._paren_n(g)} · {self._paren_n(f.value)}"
                                       for _, g, f in shown) + more)
        out.append("  = " + " + ".join(self._paren_n(g * f.value) for _, g, f in shown)
                   + more + f" = {self._n(line.value)}")
        return out

    __repr__ = __str__

    def _terms_text(self, step: Step) -> str:
        parts = []
        for c, _, f in step.terms[:_SHOWN_TERMS]:
            if c == self.root:
                parts.append(f.formula_text())
            else:
                parts.append(f"{_d(self.root, c)} · {_paren(f.formula_text())}")
        more = len(step.terms) - _SHOWN_TERMS
        if more > 0:
            parts.append(f"… ({len(step.terms)} terms)")
        return " + ".join(parts)

    def _check(self) -> str:
        if self.grad_field is None:
            return f"({self.wrt}.grad holds a Value: not compared)"
        if self.grad_field == 0.0 and self.gradient != 0.0:
            return f"{self.wrt}.grad is 0.0: call backward() to fill it."
        same = abs(self.grad_field - self.gradient) <= 1e-12 * max(1.0, abs(self.gradient))
        return (f"{self.wrt}.grad = {_num(self.grad_field, 9)}"
                + ("   (matches)" if same else "   (differs: gradients accumulated over "
                   "several backward passes, or backward ran on another root)"))

    # --- Markdown / LaTeX --------------------------------------------------------------------
    def to_markdown(self) -> str:
        """Markdown with LaTeX in ``$…$`` and ``$$…$$``: the same content as ``str()``."""
        r, w = _tex(self.root), _tex(self.wrt)
        lines = [f"$$\\frac{{\\partial {r}}}{{\\partial {w}}} = {_tex_num(self.gradient, 9)}$$",
                 "", f"{self.n_paths:,} path{'s' if self.n_paths != 1 else ''} from "
                 f"${r}$ to ${w}$.", ""]
        if self.n_paths == 0:
            lines.append(f"${r}$ does not depend on ${w}$: the gradient is 0.")
        elif self.root == self.wrt:
            lines.append(f"${w}$ is the root itself: the gradient is 1.")
        elif self.style == "delta":
            lines += self._delta_markdown()
        elif self.paths:
            for k, path in enumerate(self.paths, 1):
                chain = " \\to ".join(_tex(n) for n in [path[0].upper] + [f.lower for f in path])
                rows = [self._row_tex(f) for f in path]
                rows.append(f"\\text{{product}} &= {self._tn(_product(path))}")
                lines += [f"**Path {k}:** ${chain}$", "",
                          "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$", ""]
            if len(self.paths) > 1:
                lines += [f"Sum over the {len(self.paths)} paths $= "
                          f"{_tex_num(self.gradient, 9)}$", ""]
        else:
            lines += [f"Too many paths to list (max_paths={self.max_paths}): by the adjoint "
                      f"recurrence $\\frac{{\\partial {r}}}{{\\partial v}} = \\sum_c "
                      f"\\frac{{\\partial {r}}}{{\\partial c}} \\cdot "
                      f"\\frac{{\\partial c}}{{\\partial v}}$, from the root down:", ""]
            for step in self.steps:
                lines.append(f"- $\\frac{{\\partial {r}}}{{\\partial {_tex(step.node)}}} = "
                             f"{self._terms_tex(step)} = {_tex_num(step.value)}$ "
                             f"({step.paths:,} path{'s' if step.paths != 1 else ''})")
            lines.append("")
        lines.append(self._check())
        return "\n".join(lines)

    def _tn(self, x: float) -> str:
        return _tex_num(x, 9 if self.values else 6)

    def _row_tex(self, f: Factor, lhs: str = "") -> str:
        lhs = lhs or _frac(f.upper, f.lower)
        shown = f.numbers_tex(self.values)
        return (f"{lhs} &= {f.formula_tex()}" + (f" = {shown}" if shown else "")
                + f" = {self._tn(f.value)}")

    def _ref_tex(self, name: str) -> str:
        if name in self.deltas:
            return _delta_tex(self.deltas[name])
        return _frac(self.root, name)

    def _lhs_tex(self, line: Line) -> str:
        d = _frac(self.root, line.node)
        return f"{_delta_tex(self.deltas[line.node])} = {d}" if line.node in self.deltas else d

    def _ptn(self, x: float) -> str:
        return f"\\left({self._tn(x)}\\right)" if x < 0 else self._tn(x)

    def _delta_markdown(self) -> list[str]:
        out = [f"The $\\delta$ recurrence, from ${_tex(self.root)}$ down; each part shared "
               "by several paths is written once.", ""]
        for line in self.lines:
            if line.terms:
                shown = line.terms[:_SHOWN_TERMS]
                more = (f" + \\dots\\ \\text{{({len(line.terms)} terms)}}"
                        if len(line.terms) > _SHOWN_TERMS else "")
                rows = [f"{self._lhs_tex(line)} &= " + " + ".join(
                            f"{self._ref_tex(c)} \\cdot {_frac(c, line.node)}"
                            for c, _, _ in shown) + more,
                        "&= " + " + ".join(f"{self._ref_tex(c)} \\cdot {_paren_tex(f)}"
                                           for c, _, f in shown) + more,
                        "&= " + " + ".join(f"{self._ptn(g)} \\cdot {self._ptn(f.value)}"
                                           for _, g, f in shown) + more,
                        "&= " + " + ".join(self._ptn(g * f.value) for _, g, f in shown)
                        + more + f" = {self._tn(line.value)}"]
            elif line.head is None and len(line.factors) == 1:
                rows = [self._row_tex(line.factors[0], self._lhs_tex(line))]
            else:
                parts = ([self._ref_tex(line.head)] if line.head is not None else []) \
                    + [_frac(f.upper, f.lower) for f in line.factors]
                numbers = ([line.head_value] if line.head is not None else []) \
                    + [f.value for f in line.factors]
                rows = [f"{self._lhs_tex(line)} &= " + " \\cdot ".join(parts)]
                rows += [self._row_tex(f) for f in line.factors]
                rows.append("&= " + " \\cdot ".join(self._ptn(x) for x in numbers)
                            + f" = {self._tn(line.value)}")
                rows += self._delta_form_tex(line, parts, numbers)
            out += ["$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$", ""]
        return out

    def _delta_form_tex(self, line: Line, parts: list[str], numbers: list[float]
                        ) -> list[str]:
        """The chain again in δ form (δ_h1, then δ_h1 · x1), as in the text."""
        last = line.factors[-1]
        delta = _delta_name(last.upper)
        if not delta or len(numbers) <= 2:
            return []
        g = math.prod(numbers[:-1])
        d = _delta_tex(delta)
        return [f"{d} &= " + " \\cdot ".join(parts[:-1]) + " = "
                + " \\cdot ".join(self._ptn(x) for x in numbers[:-1]) + f" = {self._tn(g)}",
                f"{_frac(self.root, line.node)} &= {d} \\cdot {_paren_tex(last)} = "
                f"{self._ptn(g)} \\cdot {self._ptn(last.value)} = {self._tn(line.value)}"]

    def _terms_tex(self, step: Step) -> str:
        r = _tex(self.root)
        parts = []
        for c, _, f in step.terms[:_SHOWN_TERMS]:
            if c == self.root:
                parts.append(f.formula_tex())
            else:
                parts.append(f"\\frac{{\\partial {r}}}{{\\partial {_tex(c)}}} \\cdot "
                             f"\\left({f.formula_tex()}\\right)")
        if len(step.terms) > _SHOWN_TERMS:
            parts.append(f"\\dots\\ \\text{{({len(step.terms)} terms)}}")
        return " + ".join(parts)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    # --- HTML --------------------------------------------------------------------------------
    def to_html(self) -> str:
        """An HTML table per path (or one for the recurrence): the content of ``str()``."""
        e = html.escape
        out = [f"<div class=\"chainrule-explanation\"><p><b>{e(self._title())}</b></p>"]
        if self.n_paths == 0:
            out.append(f"<p>{e(self.root)} does not depend on {e(self.wrt)}: the gradient "
                       "is 0.</p>")
        elif self.root == self.wrt:
            out.append(f"<p>{e(self.wrt)} is the root itself: the gradient is 1.</p>")
        elif self.style == "delta":
            out.append("<pre>" + e("\n".join(self._delta_text()).strip()) + "</pre>")
        elif self.paths:
            for k, path in enumerate(self.paths, 1):
                chain = " → ".join([path[0].upper] + [f.lower for f in path])
                rows: list[tuple[str, ...]] = [self._row(f) for f in path]
                rows.append(("product", "", "", self._n(_product(path))))
                if not self.values:
                    rows = [(r[0], r[1], r[3]) for r in rows]
                out.append(f"<p>Path {k}: {e(chain)}</p>" + _html_table(rows))
            if len(self.paths) > 1:
                out.append(f"<p>Sum over the {len(self.paths)} paths = "
                           f"{_num(self.gradient, 9)}</p>")
        else:
            out.append(f"<p>Too many paths to list (max_paths={self.max_paths}): by the "
                       f"adjoint recurrence, ∂{e(self.root)}/∂v = Σ over the named nodes c "
                       f"made from v: ∂{e(self.root)}/∂c · ∂c/∂v</p>")
            steps = [(_d(self.root, s.node), self._terms_text(s), _num(s.value),
                      f"{s.paths:,} path{'s' if s.paths != 1 else ''}") for s in self.steps]
            out.append(_html_table(steps))
        out.append(f"<p>{e(self._check())}</p></div>")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()


# --- formatting helpers ----------------------------------------------------------------------

def _num(x: float, digits: int = 6) -> str:
    return f"{x + 0.0:.{digits}g}"  # + 0.0: no "-0"


def _tex_num(x: float, digits: int = 6) -> str:
    """A number in LaTeX: ``4.35 \\times 10^{-5}`` for ``4.35e-05``."""
    text = _num(x, digits)
    if text in ("inf", "-inf", "nan"):
        return {"inf": "\\infty", "-inf": "-\\infty", "nan": "\\mathrm{NaN}"}[text]
    mantissa, _, exponent = text.partition("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}" if exponent else mantissa


_TEX_CHARS = {"−": "-", "·": "\\cdot ", "²": "^{2}", "Σ": "\\Sigma ", "′": "'", "″": "''",
              "‴": "'''", "⁗": "''''", "…": "\\dots ", "|": "\\vert ", " ": "",
              "^": "{\\wedge}", "~": "{\\sim}", "\\": "{\\backslash}", "#": "\\#",
              "$": "\\$", "%": "\\%", "&": "\\&", "_": "\\_", "{": "\\{", "}": "\\}"}


def _tex(name: str) -> str:
    """A node's name in LaTeX: ``w5 → w_{5}``, ``L1.n2.out → \\mathrm{L1.n2.out}``; any
    other name (an expression, a label with TeX's special characters) spelled out in
    ``\\mathrm``."""
    if re.fullmatch(r"[A-Za-z0-9._]+", name) and "__" not in name:
        return tex_name(name)
    return "\\mathrm{" + "".join(_TEX_CHARS.get(c, c) for c in name) + "}"


def _paren(text: str) -> str:
    wrapped = text[:1] + text[-1:] in ("()", "[]")
    return f"({text})" if " " in text and not wrapped else text


def _d(upper: str, lower: str) -> str:
    """``∂upper/∂lower``, a compound name in parentheses."""
    return f"∂{operand(upper)}/∂{operand(lower)}"


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned lines ``∂a/∂b = formula [= with numbers] = value``, a column left blank
    where a row has nothing to say (a total has no formula); empty columns dropped."""
    keep = [k for k in range(len(rows[0])) if k in (0, len(rows[0]) - 1)
            or any(r[k] for r in rows)]
    rows = [[r[k] for k in keep] for r in rows]
    widths = [max(len(r[k]) for r in rows) for k in range(len(keep))]
    out = []
    for r in rows:
        cells = [f"{r[0]:<{widths[0]}}"]
        for k in range(1, len(r) - 1):
            cells.append(f" = {r[k]:<{widths[k]}}" if r[k] else " " * (widths[k] + 3))
        cells.append(f" = {r[-1]}")
        out.append(("  " + "".join(cells)).rstrip())
    return out


def _paren_tex(f: Factor) -> str:
    """A factor's formula in LaTeX, in parentheses when it is a sum or a difference."""
    wrap = f.formula is not None and f.formula.kind in ("add", "sub", "neg", "where")
    return f"\\left({f.formula_tex()}\\right)" if wrap else f.formula_tex()


def _frac(upper: str, lower: str) -> str:
    return f"\\frac{{\\partial {_tex(upper)}}}{{\\partial {_tex(lower)}}}"


def _delta_tex(delta: str) -> str:
    """``δ_o1`` in LaTeX: ``\\delta_{\\mathrm{o1}}``."""
    tag = delta[2:] if delta.startswith("δ_") else ""
    if not tag:
        return "\\delta"
    return "\\delta_{\\mathrm{" + "".join(_TEX_CHARS.get(c, c) for c in tag) + "}}"


def _html_table(rows: Sequence[Sequence[str]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                    for r in rows)
    return f"<table>{cells}</table>"


def _product(path: list[Factor]) -> float:
    out = 1.0
    for f in path:
        out *= f.value
    return out


# --- symbolic composition ---------------------------------------------------------------------

def _expressions(order: list[Value], nm: dict[int, str], stops: set[int]) -> dict[int, Symbol]:
    """Each node as a Symbol: a named node (or a stop) by its name, a constant by its value,
    any other node by its op applied to its inputs' expressions (if that stays short)."""
    out: dict[int, Symbol] = {}
    for node in order:
        name = nm[id(node)]
        if node.is_leaf and not is_named(node, name):
            out[id(node)] = Symbol("num", (), float(node.data))
            continue
        if id(node) in stops or is_named(node, name) or node.is_leaf:
            out[id(node)] = symbol(operand(name))
            continue
        op = op_of(node)
        try:
            expr = op.forward(SYMBOLS, *op.split([out[id(p)] for p in node.parents]))
            ok = isinstance(expr, Symbol) and len(expr.text()) <= _MAX_EXPRESSION
        except (TypeError, ValueError, ArithmeticError):
            ok = False
        out[id(node)] = expr if ok else symbol(operand(name))
    return out


def _local_formulas(node: Value, exprs: dict[int, Symbol]) -> list[Symbol] | None:
    """∂node/∂(each input) from the op's rule run on the inputs' expressions (None if the
    rule cannot run on symbols)."""
    op = op_of(node)
    try:
        parts = op.partials(SYMBOLS, exprs[id(node)], *op.split([exprs[id(p)]
                                                                  for p in node.parents]))
        return [p if isinstance(p, Symbol) else Symbol("num", (), float(p))
                for p in op.flat(parts)]
    except (TypeError, ValueError, ArithmeticError):
        return None


# --- the explanation ---------------------------------------------------------------------------

def explain(root: Value, wrt: Value, max_paths: int = 8, *, numbers: bool = False,
            style: str = "chain") -> Explanation:
    """How ∂root/∂wrt follows from the chain rule, between named nodes (see the module
    doc). ``style="chain"``: every chain when there are at most ``max_paths``, else the
    adjoint recurrence; ``style="delta"``: the factored form, each part shared by several
    paths written once (δ = ∂root/∂net for each neuron). ``numbers=True`` writes each
    formula again with the numbers put in, as the tutorials do: ``out_o1·(1 − out_o1) =
    0.75136507·(1 − 0.75136507) = 0.186815602``."""
    _args.value(root, "explain", "root")
    _args.value(wrt, "explain", "wrt")
    max_paths = _args.integer(max_paths, "explain", "max_paths", 0)
    numbers = _args.flag(numbers, "explain", "numbers")
    style = _args.choice(style, "explain", "style", ("chain", "delta"))
    order = topological_order(root)
    nm = names(order)
    reaches = path_counts(order, wrt)
    n_paths = reaches.get(id(root), 0)
    _, adj = adjoints(root)  # the engine's own pass, with its exact-zero rules
    gradient = float(adj.get(id(wrt), 0.0))
    grad_field = wrt.grad if not isinstance(wrt.grad, Value) else None
    wrt_name = nm.get(id(wrt), wrt.label or "wrt")
    result = Explanation(nm[id(root)], wrt_name, gradient, grad_field, n_paths,
                         max_paths=max_paths, style=style)
    if n_paths == 0 or root is wrt:
        return result
    if numbers:
        result.values = {operand(nm[id(v)]): float(v.data) for v in order}
    on = [v for v in order if id(v) in reaches]
    stops = {id(v) for v in on if is_named(v, nm[id(v)]) or v is root or v is wrt}
    exprs = _expressions(order, nm, stops)
    index = {id(v): i for i, v in enumerate(order)}
    factors = {s: _factors_below(order[index[s]], reaches, stops, exprs, index, order, nm)[0]
               for s in stops if s != id(wrt)}
    tangled = [s for s, below in factors.items()
               if any(f.routes > _MAX_ROUTES for f in below.values())]
    if tangled:  # too many routes to fold: stop at every node between those named ones
        for s in tangled:
            stops |= _factors_below(order[index[s]], reaches, stops, exprs, index, order,
                                    nm)[1]
        exprs = _expressions(order, nm, stops)
        factors = {s: _factors_below(order[index[s]], reaches, stops, exprs, index, order,
                                     nm)[0] for s in stops if s != id(wrt)}
    for node in on:
        for i, p in enumerate(node.parents):
            if p is wrt:
                local = float(op_of(node).local(node._data, *[q._data for q in node.parents])[i])
                formulas = _local_formulas(node, exprs)
                result.contributions.append((nm[id(node)], float(adj[id(node)]), local,
                                             formulas[i].text() if formulas else "?"))
    for s in factors:  # each node's factors in the graph's order: o1 before o2
        factors[s] = dict(sorted(factors[s].items(), key=lambda kv: index[kv[0]]))
    if style == "delta":
        result.lines = _lines(id(root), wrt, factors, adj, index, order)
        result.deltas = {n: d for n in (ln.node for ln in result.lines)
                         if (d := _delta_name(n))}
        return result
    chains = _chain_counts(id(root), id(wrt), factors)
    if chains <= max_paths:
        result.paths = _chains(id(root), id(wrt), factors)
    else:
        result.steps = _steps(root, wrt, on, stops, factors, adj, nm)
    return result


def _factors_below(
    top: Value, reaches: dict[int, int], stops: set[int], exprs: dict[int, Symbol],
    index: dict[int, int], order: list[Value], nm: dict[int, str],
) -> tuple[dict[int, Factor], set[int]]:
    """∂top/∂s for each stop s reached from ``top`` through unnamed nodes only, and the
    set of those unnamed nodes (with ``top``)."""
    region, stack = {id(top)}, [top]
    while stack:  # the unnamed nodes below top on paths to wrt
        node = stack.pop()
        for p in node.parents:
            if id(p) in reaches and id(p) not in stops and id(p) not in region:
                region.add(id(p))
                stack.append(p)
    value: dict[int, float] = {id(top): 1.0}
    formula: dict[int, Symbol | None] = {id(top): Symbol("num", (), 1.0)}
    routes: dict[int, int] = {id(top): 1}
    edges: dict[int, int] = {id(top): 0}  # the longest folded route to each node
    found: dict[int, Factor] = {}
    for k in sorted((index[r] for r in region), reverse=True):  # from top down
        node = order[k]
        g, f, n = value[id(node)], formula[id(node)], routes[id(node)]
        locals_ = op_of(node).local(node._data, *[p._data for p in node.parents])
        symbolic = _local_formulas(node, exprs) if f is not None else None
        for i, p in enumerate(node.parents):
            if id(p) not in reaches:
                continue
            key = id(p)
            edges[key] = max(edges.get(key, 0), edges[id(node)] + 1)
            term = (None if symbolic is None or f is None or edges[key] > _MAX_FOLDED
                    else times(f, tidy(symbolic[i])))
            value[key] = value.get(key, 0.0) + g * float(locals_[i])
            routes[key] = routes.get(key, 0) + n
            if key in formula:
                old = formula[key]
                formula[key] = (old + term if old is not None and term is not None
                                and routes[key] <= _MAX_ROUTES else None)
            else:
                formula[key] = term if n <= _MAX_ROUTES else None
            if key in stops:
                found[key] = Factor(nm[id(top)], nm[key], value[key], formula[key], routes[key])
    return found, region


def _delta_name(name: str) -> str:
    """``δ_o1`` for a neuron's net ``net_o1`` (``δ_L1.n2`` for ``L1.n2.net``), else ``""``."""
    m = re.fullmatch(r"net_(\w+)|([\w.]+)\.net", name)
    return f"δ_{m.group(1) or m.group(2)}" if m else ("δ" if name == "net" else "")


def _lines(
    root: int, wrt: Value, factors: dict[int, dict[int, Factor]], adj: dict[int, float],
    index: dict[int, int], order: list[Value],
) -> list[Line]:
    """The factored form of ∂root/∂wrt: a line for wrt, one for each node used by several
    others on the way up (a sum over its users), one for each of those users, and one for
    each node where paths to wrt part; each a chain up to the next such node, or the
    root; from the root down."""
    above: dict[int, list[tuple[int, Factor]]] = {}
    for upper, below in factors.items():
        for lower, f in below.items():
            above.setdefault(lower, []).append((upper, f))
    for ups in above.values():
        ups.sort(key=lambda uf: index[uf[0]])
    made: dict[int, Line] = {}
    uses: dict[int, list[int]] = {}  # the lines each line reads
    todo = [id(wrt)]
    while todo:
        key = todo.pop()
        if key in made or key == root:
            continue
        ups = above.get(key, [])
        if len(ups) > 1:
            made[key] = Line(ups[0][1].lower, float(adj.get(key, 0.0)),
                             terms=[(f.upper, float(adj.get(u, 0.0)), f) for u, f in ups])
            uses[key] = [u for u, _ in ups]
            todo += uses[key]
            continue
        chain: list[Factor] = []
        top = key
        while top != root and len(above.get(top, [])) == 1 and (
                top == key or len(factors.get(top, {})) == 1):  # stop where paths part
            top, f = above[top][0]
            chain.append(f)
        chain.reverse()  # from the head down
        line = Line(chain[-1].lower, float(adj.get(key, 0.0)), factors=chain)
        uses[key] = []
        if top != root:
            line.head, line.head_value = chain[0].upper, float(adj.get(top, 0.0))
            uses[key] = [top]
            todo.append(top)
        made[key] = line
    level: dict[int, int] = {}  # 0: read from the root alone; then one more than they read
    for k in sorted(made, key=lambda k: -index[k]):  # users before the nodes they use
        level[k] = 1 + max((level[u] for u in uses[k] if u in level), default=-1)
    return [made[k] for k in sorted(made, key=lambda k: (level[k], index[k]))]


def _chain_counts(root: int, wrt: int, factors: dict[int, dict[int, Factor]]) -> int:
    memo: dict[int, int] = {wrt: 1}

    def count(s: int) -> int:
        stack = [s]
        while stack:
            top = stack[-1]
            todo = [c for c in factors.get(top, {}) if c not in memo]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            memo[top] = sum(memo[c] for c in factors.get(top, {}))
        return memo[s]

    return count(root)


def _chains(root: int, wrt: int, factors: dict[int, dict[int, Factor]]) -> list[list[Factor]]:
    out: list[list[Factor]] = []
    stack: list[tuple[int, list[Factor]]] = [(root, [])]
    while stack:
        s, chain = stack.pop()
        if s == wrt:
            out.append(chain)
            continue
        for key, f in reversed(list(factors.get(s, {}).items())):
            stack.append((key, [*chain, f]))
    return out


def _steps(
    root: Value, wrt: Value, on: list[Value], stops: set[int],
    factors: dict[int, dict[int, Factor]], adj: dict[int, float], nm: dict[int, str],
) -> list[Step]:
    """One recurrence step per named node below the root, from the root down."""
    above: dict[int, list[tuple[int, Factor]]] = {}
    for upper, below in factors.items():
        for lower, f in below.items():
            above.setdefault(lower, []).append((upper, f))
    counts, level = {id(root): 1}, {id(root): 0}
    steps = []
    for node in reversed(on):
        key = id(node)
        if key not in stops or node is root:
            continue
        terms = sorted(above.get(key, []), key=lambda t: _natural(nm[t[0]]))
        counts[key] = sum(counts.get(u, 0) * f.routes for u, f in terms)
        level[key] = 1 + max(level.get(u, 0) for u, _ in terms)
        steps.append(Step(nm[key], float(adj.get(key, 0.0)), counts[key],
                          [(nm[u], float(adj.get(u, 0.0)), f) for u, f in terms]))
    depth = {s.node: level[k] for k, s in zip([id(v) for v in reversed(on)
                                               if id(v) in stops and v is not root], steps)}
    return sorted(steps, key=lambda s: (depth[s.node], _natural(s.node)))


def _natural(name: str) -> tuple:
    """A sort key that puts n2 before n10."""
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t)
                 for t in re.findall(r"\d+|\D+", name))
