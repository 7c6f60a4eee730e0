"""``grade_engine``: a property suite run against a learner's own micrograd-style ``Value``.

A learner who has written a scalar engine (``data``, ``grad``, ``backward()`` and some
operators) hands the class to ``grade_engine``. Each behaviour is checked against this
engine's ``Value`` on inputs drawn by Hypothesis (derandomized, so a report is the same on
every run); a failure is shrunk by Hypothesis to its smallest example, and the wrong
numbers are compared with the numbers each known misconception would give, so that the
report can name the mistake.

The behaviours:

* **one per op** the class offers (``+ - * / ** -x``, a number on the left of ``+ - * /``,
  ``tanh exp relu sigmoid log``): the forward value and the gradient of every input;
* **a node used twice** (``a + a``, ``a * a``, ``b = a * 2; b + b``) and **a diamond**
  (``a`` used by ``b`` and ``c``, both used by ``d``): the shares must add up;
* **topological order**: a node used directly and through a chain must wait for both shares
  before passing its gradient on;
* **a deep chain** of 2,000 additions. A ``RecursionError`` there is reported as a
  *warning*, not a failure: micrograd itself builds its topological order recursively, and
  every graph a course builds is far shallower; ``assert_engine_passes(...,
  allow_warnings=False)`` makes it fail;
* **two backward() calls** on fresh graphs over the same leaves: gradients should
  accumulate (as in micrograd and PyTorch; zero them between steps). A ``backward()`` that
  resets the leaves' gradients first is reported as a warning (a documented difference).

Hypothesis is imported when a grade runs, not when this module is imported.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core import engine  # noqa: F401  (gives our Value its backward method)
from ..core.value import Value

__all__ = ["grade_engine", "Grade", "Behaviour", "MISCONCEPTIONS", "PASSED", "FAILED",
           "WARNING", "NOT_TESTED", "RECURSION_MESSAGE"]

PASSED, FAILED, WARNING, NOT_TESTED = "passed", "failed", "warning", "not tested"
RECURSION_MESSAGE = ("recursive build of the topological order: fails beyond Python's "
                     "recursion limit")
DEEP_CHAIN = 2000

#: name of a misconception -> what to do about it
MISCONCEPTIONS = {
    "= instead of +=": "a node used twice keeps only the last share of its gradient; "
                       "accumulate with += (micrograd PR #8)",
    "sign of subtraction's derivative": "d(x - y)/dx = 1 and d(x - y)/dy = -1 "
                                        "(micrograd #57, #58)",
    "out.data and self.data confused": "a local derivative read the node's input where its "
                                       "output belongs, or the reverse: d tanh(x)/dx = "
                                       "1 - out.data**2 (nn-zero-to-hero #52)",
    "σ for σ′": "d sigmoid(x)/dx = s * (1 - s) with s = sigmoid(x), not s",
    "power rule off by one": "d x**n/dx = n * x**(n - 1)",
    "no topological order": "a node's _backward ran before all its consumers had added their "
                            "shares (micrograd #64); run _backward in reverse topological "
                            "order",
    "missing reflected operator": "2 + x calls x.__radd__ (2 * x x.__rmul__, and so on) "
                                  "once the number's own operator gives up; without it a "
                                  "number on the left (and sum() of Values) fails",
}


# --- the report ---------------------------------------------------------------------------

@dataclass
class Behaviour:
    """One behaviour's result: its ``status`` (passed, failed, warning, not tested), what
    was found (``detail``: why not tested, the smallest failing example, the warning) and
    the misconception the wrong numbers match, if any."""

    name: str
    status: str
    detail: str = ""
    misconception: str = ""

    def explanation(self) -> str:
        """The detail, followed by the misconception and its remedy."""
        if not self.misconception:
            return self.detail
        return (f"{self.detail}; misconception: {self.misconception} "
                f"({MISCONCEPTIONS[self.misconception]})")


@dataclass
class Grade:
    """The report of ``grade_engine``: one ``Behaviour`` per behaviour, in order, and what
    the class offers. ``str()`` is a text table, ``markdown()`` a Markdown one."""

    engine: str
    behaviours: list[Behaviour]
    offers: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> Behaviour:
        for b in self.behaviours:
            if b.name == name:
                return b
        raise KeyError(name)

    def with_status(self, status: str) -> list[str]:
        """The names of the behaviours with this status."""
        return [b.name for b in self.behaviours if b.status == status]

    @property
    def passed(self) -> bool:
        """No behaviour failed (warnings and untested behaviours do not count)."""
        return not self.with_status(FAILED)

    def summary(self) -> str:
        counts = [f"{len(self.with_status(s))} {s}" for s in (PASSED, FAILED, WARNING,
                                                              NOT_TESTED)]
        if len(self.with_status(WARNING)) != 1:
            counts[2] += "s"
        return f"{self.engine}: " + ", ".join(counts)

    def __str__(self) -> str:
        width = max(len(b.name) for b in self.behaviours)
        lines = [self.summary()]
        for b in self.behaviours:
            line = f"  {b.status:<10}  {b.name:<{width}}  {b.explanation()}"
            lines.append(line.rstrip())
        lines.append("  offers: " + " ".join(self.offers))
        return "\n".join(lines)

    def markdown(self) -> str:
        rows = [f"**{self.summary()}**", "", "| behaviour | result | details |",
                "|---|---|---|"]
        for b in self.behaviours:
            text = b.explanation().replace("|", "\\|")
            rows.append(f"| `{b.name}` | {b.status} | {text} |")
        rows += ["", "Offers: " + " ".join(f"`{o}`" for o in self.offers)]
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        colour = {PASSED: "#2a7", FAILED: "#c33", WARNING: "#c80", NOT_TESTED: "#888"}
        rows = "".join(
            f"<tr><td><code>{html.escape(b.name)}</code></td>"
            f"<td style='color:{colour[b.status]}'>{b.status}</td>"
            f"<td>{html.escape(b.explanation())}</td></tr>" for b in self.behaviours)
        return (f"<p><b>{html.escape(self.summary())}</b></p><table><tr><th>behaviour</th>"
                f"<th>result</th><th>details</th></tr>{rows}</table>"
                f"<p>offers: {html.escape(' '.join(self.offers))}</p>")


# --- comparing numbers --------------------------------------------------------------------

class Mismatch(AssertionError):
    """A check found a wrong number (or an exception): its example and misconception."""

    def __init__(self, example: str, misconception: str = "") -> None:
        super().__init__(example)
        self.example = example
        self.misconception = misconception


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def number(x: Any) -> float:
    """A learner's data or grad as a float (an int, a float, a 0-d array...)."""
    return float(x)


def fmt(x: float) -> str:
    return f"{x:.6g}"


def matching(got: Sequence[float], candidates: Sequence[tuple[str, Sequence[float]]]) -> str:
    """The first misconception whose numbers equal ``got``, or ''."""
    for name, numbers in candidates:
        try:
            if len(numbers) == len(got) and all(close(g, n) for g, n in zip(got, numbers)):
                return name
        except (TypeError, ValueError):
            continue
    return ""


def compare(where: str, names: Sequence[str], got: Sequence[float], want: Sequence[float],
            candidates: Sequence[tuple[str, Sequence[float]]] = ()) -> None:
    """Raise a Mismatch naming the first gradient that differs (and the misconception)."""
    for name, g, w in zip(names, got, want):
        if not close(g, w):
            raise Mismatch(f"{where}: grad of {name} = {fmt(g)}, expected {fmt(w)}",
                           matching(got, candidates))


def run_learner(where: str, build: Callable[[], Any]) -> Any:
    """Call ``build`` (learner code); an exception becomes a Mismatch."""
    try:
        return build()
    except Mismatch:
        raise
    except Exception as exc:
        message = f"{where}: raises {type(exc).__name__}: {exc}"
        missing = isinstance(exc, TypeError) and "unsupported operand" in str(exc) \
            and "'float' and" in str(exc)
        raise Mismatch(message, "missing reflected operator" if missing else "") from exc


# --- the ops ------------------------------------------------------------------------------

SUB_SIGN = "sign of subtraction's derivative"
IN_OUT = "out.data and self.data confused"
POWER = "power rule off by one"

Candidates = list[tuple[str, list[float]]]


def _none(*args: float) -> Candidates:
    return []


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.inf


def _pow_wrong(x: float, n: float) -> Candidates:
    return [(POWER, [n * x ** n]), (POWER, [(n - 1) * x ** (n - 1)]),
            (POWER, [n * x ** (n - 2)]), (IN_OUT, [n * (x ** n) ** (n - 1)])]


def _sigmoid_wrong(x: float) -> Candidates:
    return [("σ for σ′", [_sigmoid(x)]), (IN_OUT, [x * (1 - x)])]


@dataclass(frozen=True)
class OpCase:
    """One op: its name, its text, the attribute it needs, the kind of each argument
    ("any", "nonzero", "positive" Values; "number", "exponent" plain numbers), how to apply
    it, the gradients each misconception would give (from the arguments) and, for a
    reflected op, the attribute whose presence makes its absence a mistake."""

    name: str
    text: str
    needs: str
    args: tuple[str, ...]
    apply: Callable[..., Any]
    wrong: Callable[..., Candidates] = _none
    reflected_of: str = ""

    @property
    def names(self) -> list[str]:
        letters = iter("xy")
        return [{"number": "c", "exponent": "n"}.get(k) or next(letters) for k in self.args]

    @property
    def value_args(self) -> list[int]:
        return [i for i, k in enumerate(self.args) if k not in ("number", "exponent")]


OPS = (
    OpCase("+", "x + y", "__add__", ("any", "any"), lambda x, y: x + y),
    OpCase("-", "x - y", "__sub__", ("any", "any"), lambda x, y: x - y,
           lambda x, y: [(SUB_SIGN, [1.0, 1.0]), (SUB_SIGN, [-1.0, 1.0])]),
    OpCase("*", "x * y", "__mul__", ("any", "any"), lambda x, y: x * y),
    OpCase("/", "x / y", "__truediv__", ("any", "nonzero"), lambda x, y: x / y),
    OpCase("**", "x ** n", "__pow__", ("positive", "exponent"), lambda x, n: x ** n,
           _pow_wrong),
    OpCase("-x", "-x", "__neg__", ("any",), lambda x: -x),
    OpCase("radd", "c + x", "__radd__", ("number", "any"), lambda c, x: c + x,
           reflected_of="__add__"),
    OpCase("rsub", "c - x", "__rsub__", ("number", "any"), lambda c, x: c - x,
           lambda c, x: [(SUB_SIGN, [1.0])], reflected_of="__sub__"),
    OpCase("rmul", "c * x", "__rmul__", ("number", "any"), lambda c, x: c * x,
           reflected_of="__mul__"),
    OpCase("rtruediv", "c / x", "__rtruediv__", ("number", "nonzero"), lambda c, x: c / x,
           reflected_of="__truediv__"),
    OpCase("tanh", "x.tanh()", "tanh", ("any",), lambda x: x.tanh(),
           lambda x: [(IN_OUT, [1 - x * x])]),
    OpCase("exp", "x.exp()", "exp", ("any",), lambda x: x.exp(), lambda x: [(IN_OUT, [x])]),
    OpCase("relu", "x.relu()", "relu", ("nonzero",), lambda x: x.relu()),
    OpCase("sigmoid", "x.sigmoid()", "sigmoid", ("any",), lambda x: x.sigmoid(),
           _sigmoid_wrong),
    OpCase("log", "x.log()", "log", ("positive",), lambda x: x.log(),
           lambda x: [(IN_OUT, [_ratio(1, math.log(x))])]),
)


def op_check(cls: type, case: OpCase) -> Callable[[tuple[float, ...]], None]:
    """The property of one op: forward and gradients equal ours."""
    def check(args: tuple[float, ...]) -> None:
        where = f"{case.text} with " + ", ".join(
            f"{n}={fmt(a)}" for n, a in zip(case.names, args))
        values = case.value_args

        def learner() -> tuple[float, list[float]]:
            inputs: list[Any] = [cls(a) if i in values else a for i, a in enumerate(args)]
            out = case.apply(*inputs)
            out.backward()
            return number(out.data), [number(inputs[i].grad) for i in values]

        data, grads = run_learner(where, learner)
        ours: list[Any] = [Value(a) if i in values else a for i, a in enumerate(args)]
        out = case.apply(*ours)
        out.backward()
        if not close(data, out.data):
            raise Mismatch(f"{where}: data = {fmt(data)}, expected {fmt(out.data)}")
        compare(where, [case.names[i] for i in values], grads,
                [ours[i].grad for i in values], case.wrong(*args))
    return check


def strategy(kind: str) -> Any:
    from hypothesis import strategies as st

    if kind == "nonzero":
        return st.floats(0.5, 3) | st.floats(-3, -0.5)
    if kind == "positive":
        return st.floats(0.2, 3)
    if kind == "exponent":
        return st.sampled_from([2, 3, -1, 0.5, -2])
    return st.floats(-3, 3)


def search(check: Callable[[Any], None], kinds: Sequence[str], max_examples: int,
           seed: int | None) -> Mismatch | None:
    """Run ``check`` on tuples drawn by Hypothesis; the smallest Mismatch, or None."""
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import seed as seeded
    from hypothesis import strategies as st

    @settings(max_examples=max_examples, derandomize=seed is None, database=None,
              deadline=None, report_multiple_bugs=False, verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(st.tuples(*(strategy(k) for k in kinds)))
    def prop(args: tuple[float, ...]) -> None:
        check(args)

    if seed is not None:
        prop = seeded(seed)(prop)
    try:
        prop()
    except Mismatch as found:
        return found
    except Exception as exc:  # Hypothesis's own complaints (a flaky engine, say)
        return Mismatch(f"{type(exc).__name__}: {exc}".splitlines()[0])
    return None


def takes_numbers(cls: type, method: str) -> bool:
    """Whether ``cls(1.5).method(2.0)`` works: a number on the right is supported (so a
    missing reflected operator is a mistake, not an op not yet written)."""
    try:
        return getattr(cls(1.5), method)(2.0) is not NotImplemented
    except Exception:
        return False


def grade_op(cls: type, case: OpCase, max_examples: int, seed: int | None) -> Behaviour:
    if not hasattr(cls, case.needs):
        if case.reflected_of and takes_numbers(cls, case.reflected_of):
            return Behaviour(case.name, FAILED,
                             f"{case.text}: the class has {case.reflected_of}, which takes a "
                             f"number, but no {case.needs}", "missing reflected operator")
        return Behaviour(case.name, NOT_TESTED, f"the class has no {case.needs}")
    found = search(op_check(cls, case), case.args, max_examples, seed)
    if found is None:
        return Behaviour(case.name, PASSED)
    return Behaviour(case.name, FAILED, found.example, found.misconception)


# --- the graphs ---------------------------------------------------------------------------

ACCUMULATE = "= instead of +="
NO_TOPO = "no topological order"


@dataclass(frozen=True)
class GraphCase:
    """A small graph: its text, how to build it with a class from the arguments (the output
    and the leaves whose gradients are compared), the leaves' names and the gradients each
    misconception would give."""

    text: str
    build: Callable[..., tuple[Any, list[Any]]]
    names: tuple[str, ...]
    wrong: Callable[..., Candidates] = _none


def _sum_twice(V: Any, a: float) -> tuple[Any, list[Any]]:
    leaf = V(a)
    return leaf + leaf, [leaf]


def _product_twice(V: Any, a: float) -> tuple[Any, list[Any]]:
    leaf = V(a)
    return leaf * leaf, [leaf]


def _chain_twice(V: Any, a: float) -> tuple[Any, list[Any]]:
    leaf = V(a)
    b = leaf * V(2.0)
    return b + b, [leaf]


def _diamond(V: Any, a: float, y: float, z: float) -> tuple[Any, list[Any]]:
    leaves = [V(a), V(y), V(z)]
    b = leaves[0] * leaves[1]
    c = leaves[0] + leaves[2]
    return b * c, leaves


def _diamond_wrong(a: float, y: float, z: float) -> Candidates:
    """With = for +=, a keeps one share: either one, as the order of its consumers goes."""
    return [(ACCUMULATE, [y * (a + z), a * (a + z), a * y]),
            (ACCUMULATE, [a * y, a * (a + z), a * y])]


def _shortcut(V: Any, x: float, y: float, z: float, w: float,
              mirror: bool = False) -> tuple[Any, list[Any]]:
    """a = x*y used directly by d and through b = a*z, c = b*w: d = c + a (or a + c)."""
    leaves = [V(x), V(y), V(z), V(w)]
    a = leaves[0] * leaves[1]
    c = a * leaves[2] * leaves[3]
    return (a + c if mirror else c + a), leaves


def _shortcut_mirrored(V: Any, x: float, y: float, z: float, w: float) -> tuple[Any, list[Any]]:
    return _shortcut(V, x, y, z, w, mirror=True)


def _shortcut_wrong(x: float, y: float, z: float, w: float) -> Candidates:
    """a's backward ran when only d's direct share (1) had arrived."""
    return [(NO_TOPO, [y, x, x * y * w, x * y * z])]


TWICE = (GraphCase("a + a", _sum_twice, ("a",), lambda a: [(ACCUMULATE, [1.0])]),
         GraphCase("a * a", _product_twice, ("a",), lambda a: [(ACCUMULATE, [a])]),
         GraphCase("b = a * 2; b + b", _chain_twice, ("a",), lambda a: [(ACCUMULATE, [2.0])]))
DIAMOND = (GraphCase("b = a * y; c = a + z; b * c", _diamond, ("a", "y", "z"),
                     _diamond_wrong),)
ORDER = (GraphCase("a = x * y; c = a * z * w; c + a", _shortcut, ("x", "y", "z", "w"),
                   _shortcut_wrong),
         GraphCase("a = x * y; c = a * z * w; a + c",
                   _shortcut_mirrored, ("x", "y", "z", "w"),
                   _shortcut_wrong))


def graph_check(cls: type, cases: Sequence[GraphCase]) -> Callable[[tuple[float, ...]], None]:
    """The property of a few graphs: every leaf's gradient equals ours."""
    def check(args: tuple[float, ...]) -> None:
        for case in cases:
            where = f"{case.text} with " + ", ".join(
                f"{n}={fmt(a)}" for n, a in zip(case.names, args))

            def learner(case: GraphCase = case) -> list[float]:
                out, leaves = case.build(cls, *args)
                out.backward()
                return [number(leaf.grad) for leaf in leaves]

            grads = run_learner(where, learner)
            out, leaves = case.build(Value, *args)
            out.backward()
            compare(where, case.names, grads, [leaf.grad for leaf in leaves],
                    case.wrong(*args))
    return check


def grade_graph(name: str, cls: type, cases: Sequence[GraphCase], blocked: str,
                max_examples: int, seed: int | None) -> Behaviour:
    if blocked:
        return Behaviour(name, NOT_TESTED, blocked)
    kinds = ["any"] * len(cases[0].names)
    found = search(graph_check(cls, cases), kinds, max_examples, seed)
    if found is None:
        return Behaviour(name, PASSED)
    return Behaviour(name, FAILED, found.example, found.misconception)


def grade_deep_chain(cls: type, blocked: str) -> Behaviour:
    """x + c1 + c2 + ... (2,000 additions): the data, and x's gradient 1."""
    name = "deep chain"
    if blocked:
        return Behaviour(name, NOT_TESTED, blocked)
    where = f"x + c1 + ... + c{DEEP_CHAIN} with x=0.5, every c=0.001"
    try:
        x = cls(0.5)
        v = x
        for _ in range(DEEP_CHAIN):
            v = v + cls(0.001)
        v.backward()
        data, grad = number(v.data), number(x.grad)
    except RecursionError:
        return Behaviour(name, WARNING, f"{where}: {RECURSION_MESSAGE}")
    except Exception as exc:
        return Behaviour(name, FAILED, f"{where}: raises {type(exc).__name__}: {exc}")
    want = 0.5 + DEEP_CHAIN * 0.001
    if not close(data, want):
        return Behaviour(name, FAILED, f"{where}: data = {fmt(data)}, expected {fmt(want)}")
    if not close(grad, 1.0):
        return Behaviour(name, FAILED, f"{where}: grad of x = {fmt(grad)}, expected 1")
    return Behaviour(name, PASSED)


def grade_two_backwards(cls: type, blocked: str) -> Behaviour:
    """x * y, backward(), x * y again (a fresh graph), backward(): x.grad is 6 if gradients
    accumulate, 3 if backward() resets the leaves first."""
    name = "two backward() calls"
    if blocked:
        return Behaviour(name, NOT_TESTED, blocked)
    where = "f = x * y; f.backward(); g = x * y; g.backward() with x=2, y=3"
    try:
        x, y = cls(2.0), cls(3.0)
        (x * y).backward()
        (x * y).backward()
        grad = number(x.grad)
    except Exception as exc:
        return Behaviour(name, FAILED, f"{where}: raises {type(exc).__name__}: {exc}")
    if close(grad, 6.0):
        return Behaviour(name, PASSED, "gradients accumulate across backward() calls, as in "
                                       "micrograd and PyTorch: zero them between steps")
    if close(grad, 3.0):
        return Behaviour(name, WARNING, f"{where}: grad of x = 3: backward() resets the "
                                        "gradients first (unlike micrograd and PyTorch, "
                                        "which accumulate: 6)")
    return Behaviour(name, FAILED, f"{where}: grad of x = {fmt(grad)}, expected 6 "
                                   "(accumulated) or 3 (reset)")


# --- the grade ----------------------------------------------------------------------------

CHILDREN = ("_prev", "_children", "children", "parents", "_parents", "prev")


def offers(cls: type) -> tuple[list[str], str]:
    """What the class offers (attributes and ops), and why nothing can be tested ('' if
    something can)."""
    try:
        probe = cls(1.0)
    except Exception as exc:
        return [], f"{cls.__name__}(1.0) raises {type(exc).__name__}: {exc}"
    found = [a for a in ("data", "grad", "backward", "zero_grad", *CHILDREN)
             if hasattr(probe, a)]
    found += [c.name for c in OPS if hasattr(cls, c.needs)]
    lacking = [a for a in ("data", "grad", "backward") if a not in found]
    why = f"a {cls.__name__} has no " + ", ".join(lacking) if lacking else ""
    return found, why


def blocked_by(grade: list[Behaviour], names: Sequence[str]) -> str:
    """Why a behaviour built on these behaviours cannot be tested ('' if it can)."""
    status = {b.name: b.status for b in grade}
    for n in names:
        if status.get(n) != PASSED:
            return f"needs {n} ({status.get(n)})"
    return ""


def grade_engine(ValueClass: type, max_examples: int = 100, seed: int | None = None) -> Grade:
    """Grade a learner's micrograd-style ``Value`` class against this engine.

    :param ValueClass: the class: ``ValueClass(2.0)`` makes a leaf with ``.data`` and
        ``.grad``; ``out.backward()`` fills the gradients. Whatever operators and methods it
        has (``+ - * / **``, ``tanh`` ...) are tested; the rest are reported untested.
    :param max_examples: Hypothesis examples per behaviour.
    :param seed: ``None`` derandomizes (the same report on every run); a number draws other
        inputs, reproducibly.
    :return: a ``Grade``: per behaviour passed, failed (with the smallest failing example
        and the misconception that matches), warning or not tested (with why).
    """
    if not isinstance(ValueClass, type):
        raise TypeError(f"grade_engine: ValueClass must be a class, got {ValueClass!r} "
                        f"({type(ValueClass).__name__})")
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"grade_engine: max_examples must be a positive int, got "
                         f"{max_examples!r} ({type(max_examples).__name__})")
    found, why = offers(ValueClass)
    name, module = ValueClass.__qualname__, ValueClass.__module__
    if module != "__main__" and not module.startswith("<"):
        name = f"{module}.{name}"
    if why:
        names = [c.name for c in OPS] + ["node used twice", "diamond", "topological order",
                                         "deep chain", "two backward() calls"]
        return Grade(name, [Behaviour(n, NOT_TESTED, why) for n in names], found)
    report = [grade_op(ValueClass, case, max_examples, seed) for case in OPS]
    basic = blocked_by(report, ["+", "*"])
    report.append(grade_graph("node used twice", ValueClass, TWICE, basic, max_examples,
                              seed))
    report.append(grade_graph("diamond", ValueClass, DIAMOND, basic, max_examples, seed))
    shared = blocked_by(report, ["+", "*", "node used twice"])
    report.append(grade_graph("topological order", ValueClass, ORDER, shared, max_examples,
                              seed))
    report.append(grade_deep_chain(ValueClass, blocked_by(report, ["+"])))
    report.append(grade_two_backwards(ValueClass, shared))
    return Grade(name, report, found)
