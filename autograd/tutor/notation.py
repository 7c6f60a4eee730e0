"""The notation of a hand derivation, read safely: a step ``∂A/∂B = middle = number`` (or
``w = w0 − lr·g = number``) split at its ``=``, and each middle part parsed by ``ast`` into
numbers, names and + − × / ( ) only, evaluated here (never by ``eval``). Each number keeps
its text, to know the last digit the learner wrote."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Literal", "literal", "number", "Expression", "Step", "parse", "ASCII"]

NAME = re.compile(r"(?<![\d.])[A-Za-z_][\w.′″‴]*")
ASCII = str.maketrans({"−": "-", "·": "*", "×": "*", "⋅": "*", "–": "-"})


@dataclass
class Literal:
    """A number as written: its text, value and the half unit of its last digit."""

    text: str
    value: float
    half: float


def literal(text: str) -> Literal:
    exponent = Decimal(text).as_tuple().exponent
    half = 0.5 * 10.0 ** int(exponent) if isinstance(exponent, int) else 0.0
    return Literal(text, float(text), half)


def number(text: str) -> Literal | None:
    """``text`` as a plain number (``0.0428``, ``-0.0428``), else None."""
    t = text.strip().translate(ASCII).replace(" ", "")
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", t):
        return literal(t)
    return None


class Expression:
    """A middle part of a step: numbers, names and + − × / ( ), parsed by ``ast`` into a
    tree that only this class evaluates (anything else is refused)."""

    _BIN: dict[type, Callable[[float, float], float]] = {
        ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        source = self.text.translate(ASCII).replace("²", "**2")
        self.names: dict[str, str] = {}

        def hide(m: re.Match[str]) -> str:  # dotted and primed names as plain identifiers
            key = f"n{len(self.names)}_"
            self.names[key] = m.group(0)
            return key

        source = NAME.sub(hide, source)
        source = re.sub(r"([\d)])\s*\(", r"\1*(", source)  # 0.7333(1 − 0.7333)
        self.tree = ast.parse(source, mode="eval").body
        self.literals = [literal(ast.get_source_segment(source, n) or str(n.value))
                         for n in ast.walk(self.tree)
                         if isinstance(n, ast.Constant)]
        self.evaluate(lambda lit: lit.value, lambda name: 1.0)  # refuses other syntax

    def evaluate(self, number: Callable[[Literal], float],
                 name: Callable[[str], float]) -> float:
        literals = iter(self.literals)
        by_node: dict[int, Literal] = {}
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Constant):
                by_node[id(n)] = next(literals)

        def ev(n: ast.expr) -> float:
            if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) \
                    and not isinstance(n.value, bool):
                return number(by_node[id(n)])
            if isinstance(n, ast.Name) and n.id in self.names:
                return name(self.names[n.id])
            if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
                return -ev(n.operand) if isinstance(n.op, ast.USub) else ev(n.operand)
            if isinstance(n, ast.BinOp) and type(n.op) in self._BIN:
                if isinstance(n.op, ast.Pow) and not (isinstance(n.right, ast.Constant)
                                                      and n.right.value in (2, 3)):
                    raise ValueError("only the powers 2 and 3 are read")
                return self._BIN[type(n.op)](ev(n.left), ev(n.right))
            raise ValueError(f"cannot read {ast.dump(n)[:40]}")

        return ev(self.tree)

    def update_parts(self) -> tuple[str, list[float]] | None:
        """For ``w0 ∓ a·b·…``: the sign ('-' or '+') and the factors' values as written."""
        t = self.tree
        if not (isinstance(t, ast.BinOp) and isinstance(t.op, (ast.Sub, ast.Add))):
            return None
        factors: list[ast.expr] = []
        stack = [t.right]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
                stack += [n.right, n.left]
            else:
                factors.append(n)
        values = [v for v in map(_number, factors) if v is not None]
        if len(values) != len(factors):
            return None
        return ("-" if isinstance(t.op, ast.Sub) else "+"), values


def _number(node: ast.expr) -> float | None:
    """A literal number, with its sign (``-0.0049`` is a unary minus on a constant)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    return None


@dataclass
class Step:
    """A step split at its ``=``: the left side, the middle parts and the stated number."""

    upper: str | None  # ∂upper/∂lower, or None for an update ``lower = …``
    lower: str
    middles: list[Expression]
    stated: Literal | None


def parse(text: str) -> Step:
    parts = [p.strip() for p in text.split("=")]
    if len(parts) < 2 or not all(parts):
        raise ValueError("expected 'left = … = number'")
    left = parts[0].translate(ASCII)
    m = re.fullmatch(r"∂\s*(.+?)\s*/\s*∂\s*(.+)", left) or \
        re.fullmatch(r"d\s*(.+?)\s*/\s*d\s*(.+)", left)
    upper, lower = (m.group(1).strip(), m.group(2).strip()) if m else (None, left.strip())
    stated = number(parts[-1])
    rest = parts[1:-1] if stated is not None else parts[1:]
    return Step(upper, lower, [Expression(p) for p in rest], stated)
