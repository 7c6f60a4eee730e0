"""``check_derivation``: a learner's hand derivation, checked step by step against the engine.

Each step is a string in the tutorial's notation, ``∂A/∂B = middle = number`` (``dA/dB``
too; ``·``, ``×`` or ``*`` for products, ``−`` or ``-``), an update ``w = w0 − lr·g =
number``, or ``name = number`` (a node's value). Names are those ``explain`` prints
(labels, a model's ``L1.n2.out``, ...). The middle parts are evaluated by a small parser
of numbers, names and ``+ − × / ( )`` (never ``eval``). A number the learner wrote stands
for the value it rounds: an earlier step's (when it repeats that step's number), a node's,
or a local derivative's. Verdicts:

* **right**, or **right to the digits written** (within half a unit of the last digit, with
  an allowance for the rounding of the numbers the step uses);
* **arithmetic slip**: the formula is right, the number stated is not its value;
* **right for the factors written**: the arithmetic is right, but some numbers it uses were
  off (an earlier slip), so the result is off the network's exact value by so much;
* **wrong**, with the engine's formula and value and the likeliest misconception: the
  number a known mistake would give that comes closest to the learner's;
* **unknown name** (with the graph's names, closest first) and **unreadable**.
"""

from __future__ import annotations

import difflib
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.backward import adjoints
from ..core.value import Value
from ..display.explanation import explain
from ..display.model import GraphModel
from ..display.naming import is_named
from .notation import ASCII, Expression, Literal, Step, parse

__all__ = ["check_derivation", "DerivationReport", "StepVerdict", "LEARNING_RATE",
           "RIGHT", "ROUNDED", "SLIP", "FACTORS", "WRONG", "UNKNOWN", "UNREADABLE"]

#: The learning rate of an update step that writes none (the tutorial's, as
#: ``nn.datasets.LEARNING_RATE``).
LEARNING_RATE = 0.1

RIGHT = "right"
ROUNDED = "right to the digits written"
SLIP = "arithmetic slip"
FACTORS = "right for the factors written"
WRONG = "wrong"
UNKNOWN = "unknown name"
UNREADABLE = "unreadable"
_OK = (RIGHT, ROUNDED)
_EXACT = 1e-9  # relative: two values this close are the same number
_LOOSE = 2e-3  # relative: a stated number this close to a mistake's value is taken for it


@dataclass
class StepVerdict:
    """The verdict on one step: what was written, what the engine has, and why."""

    number: int
    text: str
    verdict: str
    message: str
    stated: float | None = None
    exact: float | None = None
    formula: str = ""  # the engine's formula for the left-hand side
    misconception: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict in _OK


@dataclass
class DerivationReport:
    """One ``StepVerdict`` per step: ``str()``, ``to_markdown()``, ``to_html()``."""

    root: str
    steps: list[StepVerdict]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    def __getitem__(self, k: int) -> StepVerdict:
        return self.steps[k]

    def __len__(self) -> int:
        return len(self.steps)

    def _summary(self) -> str:
        good = sum(s.ok for s in self.steps)
        return f"Derivation of {self.root}: {good} of {len(self.steps)} steps right"

    def __str__(self) -> str:
        lines = [self._summary(), ""]
        for s in self.steps:
            lines.append(f"Step {s.number}: {s.text}")
            lines.append(f"  {s.verdict.upper()}: {s.message}")
            lines += [f"  - {n}" for n in s.notes]
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    __repr__ = __str__

    def to_markdown(self) -> str:
        lines = [f"**{self._summary()}**", ""]
        for s in self.steps:
            mark = "✅" if s.ok else "❌"
            lines.append(f"{s.number}. {mark} `{s.text}`  ")
            lines.append(f"   **{s.verdict}**: {s.message}")
            lines += [f"   - {n}" for n in s.notes]
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_html(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr class=\"{'right' if s.ok else 'wrong'}\"><td>{s.number}</td>"
            f"<td><code>{e(s.text)}</code></td><td><b>{e(s.verdict)}</b></td>"
            f"<td>{e(s.message)}" + "".join(f"<br>{e(n)}" for n in s.notes) + "</td></tr>"
            for s in self.steps)
        return (f"<div class=\"chainrule-derivation\"><p><b>{e(self._summary())}</b></p>"
                f"<table>{rows}</table></div>")

    def _repr_html_(self) -> str:
        return self.to_html()


# --- the graph's facts ------------------------------------------------------------------------

class _Graph:
    """Nodes by name (``explain``'s names and labels, ASCII spellings too) and ∂ by the
    engine, each computed once."""

    def __init__(self, root: Value) -> None:
        self.root = root
        self.model = GraphModel(root)
        self.by_name: dict[str, Value] = {}
        for node in self.model.order:
            name = self.model.name(node)
            for key in (name, name.translate(ASCII), node.label):
                if key:
                    self.by_name.setdefault(key, node)
        self.leaf_values = {float(v.data) for v in self.model.order if v.is_leaf}
        self.activation_of = {id(v.parents[0]): v for v in self.model.order
                              if len(v.parents) == 1 and v.parents[0].op == "dot"}
        self._adjoints: dict[int, dict[int, float]] = {}

    def node(self, name: str) -> Value | None:
        return self.by_name.get(name) or self.by_name.get(name.translate(ASCII))

    def shown_names(self) -> list[str]:
        return [self.model.name(v) for v in self.model.order
                if is_named(v, self.model.name(v)) or v is self.root]

    def closest(self, name: str, k: int = 8) -> list[str]:
        names = self.shown_names()
        ratio = {n: difflib.SequenceMatcher(None, name, n).ratio() for n in names}
        return sorted(names, key=lambda n: -ratio[n])[:k]

    def d(self, upper: Value, lower: Value) -> float:
        if id(upper) not in self._adjoints:
            self._adjoints[id(upper)] = {k: float(v) for k, v in adjoints(upper)[1].items()}
        return self._adjoints[id(upper)].get(id(lower), 0.0)

    def value_of(self, name: str) -> float:
        node = self.node(name)
        if node is None:
            raise KeyError(name)
        return float(node.data)


@dataclass
class _Known:
    """What the numbers of a step may stand for: earlier steps' (stated, exact) and values."""

    earlier: list[tuple[float, float]] = field(default_factory=list)
    wrong: dict[float, int] = field(default_factory=dict)  # a wrong step's number: step
    values: list[float] = field(default_factory=list)

    def meaning(self, lit: Literal, leaves: set[float]) -> float:
        """The exact value a written number stands for (itself when nothing fits)."""
        v = lit.value
        if float(v).is_integer() and "." not in lit.text or v in leaves:
            return v
        for stated, exact in reversed(self.earlier):
            if stated == v:
                return exact
        near = [x for x in self.values if abs(x - v) <= lit.half * (1 + 1e-9)]
        return min(near, key=lambda x: abs(x - v)) if near else v


def _rounded(x: float, lit: Literal) -> float:
    """``x`` rounded as ``lit`` is written (to the same last digit)."""
    if lit.half == 0:
        return x
    return float(Decimal(repr(x)).quantize(Decimal(lit.text.lstrip("+-"))))


def _num(x: float, digits: int = 9) -> str:
    return f"{x + 0.0:.{digits}g}"


def _places(lit: Literal) -> str:
    exponent = Decimal(lit.text).as_tuple().exponent
    k = -int(exponent) if isinstance(exponent, int) else 0
    if k <= 0:
        return "units"
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix} decimal place"


def _bracket(text: str) -> str:
    return f"({text})" if " " in text and not text.startswith("(") else text


def _same(a: float, b: float) -> bool:
    return a == b or (math.isfinite(a) and math.isfinite(b)
                      and abs(a - b) <= _EXACT * max(abs(a), abs(b)) + 1e-15)


# --- judging a step ---------------------------------------------------------------------------

@dataclass
class _Candidate:
    """A known mistake: its name, what it means here, the number it gives, and the size
    of the quantity it changes (a stated number within 0.2 % of that is taken for it)."""

    key: str
    detail: str
    value: float
    scale: float


@dataclass
class _Outcome:
    verdict: str
    message: str
    notes: list[str] = field(default_factory=list)
    misconception: str | None = None


@dataclass
class _Middle:
    expression: Expression
    learner: float  # with the numbers as written
    exact: float  # with each number replaced by the exact value it stands for
    rounded: float  # with each replaced by that value rounded as the learner wrote it
    off: list[str]  # the numbers that are not their exact value correctly rounded


def _evaluate(m: Expression, known: _Known, graph: _Graph) -> _Middle:
    leaves = graph.leaf_values
    exact = m.evaluate(lambda lit: known.meaning(lit, leaves), graph.value_of)
    rounded = m.evaluate(lambda lit: _rounded(known.meaning(lit, leaves), lit), graph.value_of)
    off = []
    for lit in m.literals:
        meant = known.meaning(lit, leaves)
        if meant != lit.value and _rounded(meant, lit) != lit.value:
            off.append(f"{lit.text} stands for {_num(meant)}, which rounds to "
                       f"{_num(_rounded(meant, lit))}")
    return _Middle(m, m.evaluate(lambda lit: lit.value, graph.value_of), exact, rounded, off)


def _judge(step: Step, lhs: str, exact: float, formula: str, known: _Known, graph: _Graph,
           candidates: list[_Candidate]) -> _Outcome:
    middles = [_evaluate(m, known, graph) for m in step.middles]
    formula_ok = all(_same(m.exact, exact) for m in middles)
    stated, engine = step.stated, f"the engine has {lhs} = {formula} = {_num(exact)}"
    if stated is None:
        last = middles[-1]
        if formula_ok:
            return _Outcome(RIGHT, f"the formula is right: {last.expression.text} = "
                            f"{_num(last.learner)} ({engine})")
        return _wrong(engine, candidates, last.exact, None)
    allowance = max((abs(m.rounded - m.exact) for m in middles), default=0.0)
    diff = stated.value - exact
    notes = [] if formula_ok else [f"but {m.expression.text} gives {_num(m.learner)}"
                                   for m in middles if not _same(m.exact, exact)]
    if _same(stated.value, exact):
        return _Outcome(RIGHT, f"{stated.text} is exactly the engine's {lhs}", notes)
    if abs(diff) <= stated.half * (1 + 1e-9) + allowance + 1e-15:
        carried = (f", allowing {allowance:.2g} for the rounding of the numbers it uses"
                   if allowance > 0.01 * stated.half else "")
        return _Outcome(ROUNDED, f"{stated.text} vs exact {_num(exact)}: off by "
                        f"{abs(diff):.2g} ({abs(diff / exact) if exact else 0:.2g} relative), "
                        f"within half a unit ({stated.half:g}) in the {_places(stated)}"
                        f"{carried}", notes)
    if middles and formula_ok:
        last = middles[-1]
        if abs(stated.value - last.learner) <= stated.half * (1 + 1e-9) + 1e-15:
            return _Outcome(FACTORS, f"{last.expression.text} = {_num(last.learner)}, so "
                            f"{stated.text} is right for those numbers; but the network's "
                            f"exact {lhs} is {_num(exact)}: {stated.text} is {diff:+.3g} "
                            f"away ({abs(diff / exact) if exact else 0:.2g} relative)",
                            [f"{o}" for o in last.off])
        return _Outcome(SLIP, f"the formula is right, but {last.expression.text} = "
                        f"{_num(last.learner)}, not {stated.text} ({engine})")
    mid = middles[-1].exact if middles else None
    return _wrong(engine, candidates, mid, stated)


def _wrong(engine: str, candidates: list[_Candidate], mid: float | None,
           stated: Literal | None) -> _Outcome:
    """The verdict 'wrong', naming the known mistake whose number comes closest."""
    best = _diagnose(candidates, mid, stated)
    if best is None:
        return _Outcome(WRONG, f"{engine}; no known misconception gives "
                        f"{stated.text if stated else _num(mid or 0.0)}")
    return _Outcome(WRONG, f"{engine}; most likely misconception: {best.key} "
                    f"({best.detail}, which gives {_num(best.value, 6)})",
                    misconception=best.key)


def _diagnose(candidates: list[_Candidate], mid: float | None,
              stated: Literal | None) -> _Candidate | None:
    if mid is not None:
        hits = [c for c in candidates if _same(c.value, mid)]
        if hits:
            return hits[0]
    for target, half in ((stated.value, stated.half) if stated else (None, 0.0),
                         (mid, 0.0)):
        if target is None:
            continue
        hits = [c for c in candidates
                if abs(c.value - target) <= half * (1 + 1e-9) + _LOOSE * abs(c.scale)]
        if hits:  # the right value is the first candidate: nearest to it, no mistake named
            best = min(hits, key=lambda c: abs(c.value - target))
            return best if best.key else None
    return None


# --- the mistakes a step may show ----------------------------------------------------------------

def _derivative_candidates(graph: _Graph, upper: Value, lower: Value, exact: float,
                           paths: list[list]) -> list[_Candidate]:
    """The numbers known mistakes give for ∂upper/∂lower (the right one first)."""
    d = f"∂{graph.model.name(upper)}/∂{graph.model.name(lower)}"
    out = [_Candidate("", "", exact, exact),
           _Candidate("sign flipped", f"−{d}", -exact, exact),
           _Candidate("missing factor 2", f"{d}/2: the 2 of a square's derivative left out",
                      exact / 2, exact),
           _Candidate("missing factor ½", f"2·{d}: the ½ in front of the error left out",
                      2 * exact, exact)]
    nodes = {n: v for v, n in ((v, n) for v in GraphModel(upper).order
                               for n in [GraphModel(upper).names.get(id(v), "")])}
    products = [math.prod(f.value for f in path) for path in paths]
    for k, path in enumerate(paths):
        if len(paths) > 1:
            chain = " → ".join([path[0].upper] + [f.lower for f in path])
            out.append(_Candidate("path left out", f"the path {chain} (worth "
                                  f"{_num(products[k], 6)}) left out of the sum over "
                                  f"{len(paths)} paths", exact - products[k], products[k]))
        for f in path:
            if f.value == 0:
                continue
            for key, detail, alt in _factor_mistakes(graph, f, nodes):
                changed = exact - products[k] + products[k] / f.value * alt
                out.append(_Candidate(key, detail, changed, products[k] / f.value * alt))
    for name in graph.shown_names():
        other = graph.node(name)
        if other is None or other is lower or other is upper:
            continue
        v = graph.d(upper, other)
        if v != 0:
            out.append(_Candidate("wrong node", f"∂{graph.model.name(upper)}/∂{name}: the "
                                  f"partial with respect to {name}, not "
                                  f"{graph.model.name(lower)}", v, v))
    return out


def _factor_mistakes(graph: _Graph, f: object, nodes: dict[str, Value]
                     ) -> list[tuple[str, str, float]]:
    """(key, detail, the factor's wrong value) for the mistakes one chain-rule factor
    invites: σ for σ′, and the net input and the output taken for each other."""
    upper, lower = nodes.get(getattr(f, "upper", "")), nodes.get(getattr(f, "lower", ""))
    text = f.formula_text() if hasattr(f, "formula_text") else ""
    out: list[tuple[str, str, float]] = []
    if upper is not None and upper.op == "sigmoid" and lower is upper.parents[0]:
        u, n = graph.model.name(upper), graph.model.name(lower)
        s, x = float(upper.data), float(lower.data)
        out.append(("σ for σ′", f"{u} used for ∂{u}/∂{n} = {u}·(1 − {u})", s))
        out.append(("net for out", f"{n}·(1 − {n}) used for {u}·(1 − {u})", x * (1 - x)))
        twice = 1 / (1 + math.exp(-s))
        out.append(("out for net", f"σ′ taken at the output, σ({u})·(1 − σ({u})), not at "
                    f"the net input {n}", twice * (1 - twice)))
    named = nodes.get(text)
    if named is not None and len(named.parents) == 1 and named.parents[0].op == "dot":
        net = named.parents[0]
        out.append(("net for out", f"{graph.model.name(net)} (the net input) used where "
                    f"{text} (the output) belongs", float(net.data)))
    activation = graph.activation_of.get(id(named)) if named is not None else None
    if activation is not None:
        out.append(("out for net", f"{graph.model.name(activation)} (the output) used "
                    f"where {text} (the net input) belongs", float(activation.data)))
    return out


def _update_candidates(w: float, lr: float, g: float) -> list[_Candidate]:
    step = lr * g
    return [_Candidate("", "", w - step, step),
            _Candidate("update sign", f"w + lr·g = {_num(w, 6)} + {_num(lr, 6)}·"
                       f"{_num(g, 6)}: a step up the gradient", w + step, step),
            _Candidate("learning rate twice", f"w − lr·lr·g = {_num(w, 6)} − "
                       f"{_num(lr, 6)}²·{_num(g, 6)}", w - lr * step, lr * step)]


# --- the checks -----------------------------------------------------------------------------------

def _check_derivative(graph: _Graph, step: Step, upper: Value, lower: Value,
                      known: _Known) -> tuple[_Outcome, float, str]:
    exact = graph.d(upper, lower)
    lhs = f"∂{graph.model.name(upper)}/∂{graph.model.name(lower)}"
    explanation = explain(upper, lower, max_paths=16)
    paths = explanation.paths
    if len(paths) == 1 and len(paths[0]) == 1:
        formula = paths[0][0].formula_text()
    elif len(paths) == 1:
        formula = (" · ".join(f"∂{f.upper}/∂{f.lower}" for f in paths[0]) + " = "
                   + " · ".join(_bracket(f.formula_text()) for f in paths[0]))
    elif paths:
        formula = " + ".join(" · ".join(f"∂{f.upper}/∂{f.lower}" for f in p) for p in paths)
    else:
        formula = "Σ over the paths"
    known.values = ([float(v.data) for v in graph.model.order]
                    + [f.value for p in paths for f in p] + [exact])
    candidates = _derivative_candidates(graph, upper, lower, exact, paths)
    return _judge(step, lhs, exact, formula, known, graph, candidates), exact, formula


def _check_update(graph: _Graph, step: Step, w: Value, known: _Known,
                  learning_rate: float | None) -> tuple[_Outcome, float, str]:
    g = graph.d(graph.root, w)
    w0, name, root = float(w.data), graph.model.name(w), graph.model.name(graph.root)
    parts = step.middles[-1].update_parts() if step.middles else None
    written: list[float] = []
    if parts and parts[1]:
        gradient = min(parts[1], key=lambda v: abs(math.log(abs(v) / abs(g)))
                       if v and g else math.inf)
        written = list(parts[1])
        written.remove(gradient)
    lr = written[0] if written else learning_rate if learning_rate is not None \
        else LEARNING_RATE
    exact = w0 - lr * g
    formula = f"{name} − lr·∂{root}/∂{name} = {_num(w0)} − {_num(lr)}·{_num(g)}"
    known.values = [g, w0, lr, exact]
    outcome = _judge(step, name, exact, formula, known, graph, _update_candidates(w0, lr, g))
    if parts and outcome.verdict == WRONG and outcome.misconception is None:
        if parts[0] == "+":
            outcome.misconception = "update sign"
        elif len(written) > 1:
            outcome.misconception = "learning rate twice"
        if outcome.misconception:
            outcome.message += f"; the formula shows it: {outcome.misconception}"
    return outcome, exact, formula


def check_derivation(root: Value, steps: Sequence[str],
                     learning_rate: float | None = None) -> DerivationReport:
    """Check a hand derivation of gradients of ``root``, one string per step (see the
    module doc); an update step uses the learning rate it writes, else ``learning_rate``
    (default ``LEARNING_RATE``, the tutorial's 0.1)."""
    if not isinstance(root, Value):
        raise TypeError(f"check_derivation: root must be a Value, not {type(root).__name__}")
    if isinstance(steps, str):
        raise TypeError("check_derivation: steps must be a list of strings, one per step")
    graph, known = _Graph(root), _Known()
    verdicts = []
    for k, text in enumerate(steps, 1):
        verdict = _check_step(graph, k, str(text), known, learning_rate)
        if verdict.stated is not None and verdict.exact is not None \
                and verdict.verdict in (RIGHT, ROUNDED, SLIP, FACTORS):
            known.earlier.append((verdict.stated, verdict.exact))
        elif verdict.stated is not None and verdict.verdict == WRONG:
            known.wrong[abs(verdict.stated)] = k
        verdicts.append(verdict)
    return DerivationReport(graph.model.name(root), verdicts)


def _is_value(step: Step, node: Value) -> bool:
    """``name = …`` states the node's value (not an update) when it is no leaf, when its
    middle is no update ``w0 ∓ lr·g``, or when its number is the node's value as it is."""
    if not node.is_leaf:
        return True
    if step.middles:
        return step.middles[-1].update_parts() is None
    stated = step.stated
    return stated is not None and abs(stated.value - float(node.data)) <= stated.half


def _check_step(graph: _Graph, k: int, text: str, known: _Known,
                learning_rate: float | None) -> StepVerdict:
    try:
        step = parse(text)
    except (ValueError, SyntaxError, ArithmeticError) as e:
        return StepVerdict(k, text, UNREADABLE, f"cannot read this step: {e}; write it as "
                           "∂A/∂B = expression = number, or w = w0 − lr·g = number")
    names = [n for n in (step.upper, step.lower) if n is not None]
    names += [n for m in step.middles for n in m.names.values()]
    unknown = [n for n in names if graph.node(n) is None]
    if unknown:
        return StepVerdict(k, text, UNKNOWN, f"the graph has no node named "
                           f"{', '.join(repr(n) for n in unknown)}; it has "
                           f"{', '.join(graph.closest(unknown[0]))}")
    lower = graph.node(step.lower)
    assert lower is not None
    try:
        if step.upper is None and _is_value(step, lower):
            exact, formula = float(lower.data), graph.model.name(lower)
            known.values = [exact]
            outcome = _judge(step, formula, exact, formula, known, graph,
                             [_Candidate("", "", exact, exact)])
        elif step.upper is None:
            outcome, exact, formula = _check_update(graph, step, lower, known, learning_rate)
        else:
            upper = graph.node(step.upper)
            assert upper is not None
            outcome, exact, formula = _check_derivative(graph, step, upper, lower, known)
    except ArithmeticError as e:
        return StepVerdict(k, text, UNREADABLE, f"cannot evaluate this step: {e}")
    outcome.notes += [f"it carries {lit.text} from step {known.wrong[lit.value]}, which is "
                      "wrong" for m in step.middles for lit in m.literals
                      if lit.value in known.wrong]
    return StepVerdict(k, text, outcome.verdict, outcome.message,
                       step.stated.value if step.stated else None, exact, formula,
                       outcome.misconception, outcome.notes)
