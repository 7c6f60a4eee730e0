"""The presentation model of a graph: what every view shows, computed once per graph.

``GraphModel(root)`` holds the nodes in topological order, their names (``naming.py``) and,
per node, its local derivatives as numbers and as formulas written in its neighbours'
names (a compound name in parentheses: ``∂(t − o)²/∂(t − o) = 2·(t − o)``), tidied as a
teacher writes them, and the number of paths down to any node. ``draw_dot``, ``explain``
and the step-through page read it instead of each computing its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.value import Value, op_of, topological_order
from ..rules.symbolic import Symbol
from . import naming

__all__ = ["GraphModel", "tidy", "times", "path_counts", "Number", "substitute"]


class GraphModel:
    """Names, local derivatives and formulas of the graph below ``root`` (or of the nodes
    of a topological ``order``), each computed once, on first use. ``names`` replaces
    ``naming.names`` (the page makes repeated names unique)."""

    def __init__(self, root_or_order: Value | Sequence[Value],
                 names: dict[int, str] | None = None) -> None:
        self.order = (topological_order(root_or_order) if isinstance(root_or_order, Value)
                      else list(root_or_order))
        self.names = naming.names(self.order) if names is None else names
        self._locals: dict[int, tuple[float, ...]] = {}
        self._formulas: dict[int, list[Symbol]] = {}

    def name(self, node: Value) -> str:
        return self.names[id(node)]

    def operand(self, node: Value) -> str:
        """The node's name as an operand of a formula: in parentheses if compound."""
        return naming.operand(self.names[id(node)])

    def locals(self, node: Value) -> tuple[float, ...]:
        """∂node/∂input for each input, from the op's own rule."""
        if id(node) not in self._locals:
            local = op_of(node).local(node.data, *[p.data for p in node.parents])
            self._locals[id(node)] = tuple(float(d) for d in local)
        return self._locals[id(node)]

    def formulas(self, node: Value) -> list[Symbol]:
        """∂node/∂input for each input as a formula in the names, tidied."""
        if id(node) not in self._formulas:
            raw = op_of(node).formulas(self.operand(node),
                                       [self.operand(p) for p in node.parents])
            self._formulas[id(node)] = [tidy(f) for f in raw]
        return self._formulas[id(node)]

    def path_counts(self, target: Value) -> dict[int, int]:
        return path_counts(self.order, target)


def path_counts(order: list[Value], target: Value) -> dict[int, int]:
    """For each node of ``order`` (a topological order) from which ``target`` can be
    reached, the number of paths down to it, keyed by ``id``; ``target`` itself counts 1."""
    counts = {id(target): 1}
    for node in order:  # inputs first
        n = sum(counts.get(id(p), 0) for p in node.parents)
        if n and node is not target:
            counts[id(node)] = n
    return counts



def _split_coefficient(s: Symbol) -> tuple[float, Symbol | None]:
    """``s`` as (number, rest): ``−2·x → (−2, x)``, ``3 → (3, None)``."""
    if s.kind == "num":
        return s.value, None
    if s.kind == "neg":
        c, rest = _split_coefficient(s.args[0])
        return -c, rest
    if s.kind == "mul" and s.args[0].kind == "num":
        c, rest = _split_coefficient(s.args[1])
        return s.args[0].value * c, rest
    return 1.0, s


def times(a: Symbol, b: Symbol) -> Symbol:
    """a·b with the numbers gathered in front and a minus sign taken into a difference:
    0.5 · 2·(t − o) · (−1) gives o − t."""
    ca, ra = _split_coefficient(a)
    cb, rb = _split_coefficient(b)
    c = ca * cb
    rest = ra if rb is None else rb if ra is None else ra * rb
    if rest is None or c == 0:
        return Symbol("num", (), c)
    if c < 0 and rest.kind == "sub":
        rest, c = Symbol("sub", (rest.args[1], rest.args[0])), -c
    return c * rest


def tidy(s: Symbol) -> Symbol:
    """Rewritten as a teacher writes it: ``x·x`` as ``x²``, ``(0 if x ≤ 0 else 1)`` as
    ``[x > 0]``; everything rebuilt through the simplifying Symbol arithmetic."""
    if s.kind in ("add", "sub", "mul", "div", "pow", "neg"):
        args = [tidy(a) for a in s.args]
        if s.kind == "mul" and args[0].text() == args[1].text():
            return args[0] ** 2
        if s.kind == "sub" and args[1].kind == "neg":  # a − (−b) = a + b
            return args[0] + args[1].args[0]
        return {"add": lambda: args[0] + args[1], "sub": lambda: args[0] - args[1],
                "mul": lambda: times(args[0], args[1]), "div": lambda: args[0] / args[1],
                "pow": lambda: args[0] ** args[1], "neg": lambda: -args[0]}[s.kind]()
    if s.kind in ("cmp", "fn"):
        return Symbol(s.kind, tuple(tidy(a) for a in s.args), s.value)
    if s.kind == "where":
        s = Symbol("where", tuple(tidy(a) for a in s.args), s.value)
    if s.kind == "where" and s.args[1].is_number(0) and s.args[2].is_number(1) \
            and s.args[0].kind == "cmp":
        flip = {"<=": ">", "<": ">=", ">": "<=", ">=": "<"}.get(s.args[0].value)
        if flip:
            cond = Symbol("cmp", s.args[0].args, flip)
            return Symbol("where", (cond, s.args[2], s.args[1]))
    return s


class Number(Symbol):
    """A number put in for a name in a formula, written with ``digits`` significant digits
    and, when negative, in parentheses: ``0.75136507·(1 − 0.75136507)``, ``(-0.3)·x``."""

    __slots__ = ()

    def __init__(self, value: float, digits: int = 9) -> None:
        super().__init__("var", (), (float(value), digits))

    def text(self) -> str:
        value, digits = self.value
        shown = f"{value + 0.0:.{digits}g}"
        return f"({shown})" if value < 0 else shown

    def tex(self) -> str:
        value, digits = self.value
        shown = f"{value + 0.0:.{digits}g}"
        mantissa, _, exponent = shown.partition("e")
        if exponent:
            shown = f"{mantissa} \\times 10^{{{int(exponent)}}}"
        return f"\\left({shown}\\right)" if value < 0 else shown


def substitute(formula: Symbol, values: dict[str, float], digits: int = 9) -> Symbol:
    """``formula`` with each name found in ``values`` replaced by its number (a ``Number``),
    nothing simplified, so the formula keeps its shape: ``out·(1 − out)`` gives
    ``0.75·(1 − 0.75)``."""
    if formula.kind == "var" and not isinstance(formula, Number) \
            and formula.value in values:
        return Number(values[formula.value], digits)
    if not formula.args:
        return formula
    return Symbol(formula.kind, tuple(substitute(a, values, digits) if isinstance(a, Symbol)
                                      else a for a in formula.args), formula.value)
