"""Hypothesis strategies for property-testing code built on the engine.

``expressions()`` draws random expression graphs over the op table (``ops.OPS``), with
input values, such that every op stays inside its domain (an operand of an op with a
domain is mapped into the op's sample range) and no value overflows::

    from hypothesis import given
    from autograd.check import gradcheck
    from autograd.testing import expressions

    @given(expressions())
    def test_gradients(expr):
        assert gradcheck(expr, expr.inputs)

Requires ``hypothesis`` (from a clone: ``pip install -e ".[test]"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from hypothesis import assume
from hypothesis import strategies as st

from .. import arguments as _args
from ..core.functions import sum as value_sum
from ..core.value import Value, apply
from ..rules.ops import Op, all_ops

__all__ = ["Expression", "expressions", "OPS", "SMOOTH_OPS", "operand_count", "in_domain",
           "op_inputs", "check_expression", "Network", "networks"]

#: Every op the table has (one per example parameter of each family), by name.
OPS: dict[str, Op] = {op.name: op for op in all_ops()}

#: The default ops: those that are smooth, so finite differences apply everywhere.
SMOOTH_OPS = tuple(name for name, op in OPS.items() if op.smooth)

RUN_LENGTH = 2  # n-ary ops are drawn with runs of this length


def _op_arg(op: Any, who: str) -> Op:
    if not isinstance(op, Op):
        raise _args.type_error(who, "op", "an Op (a value of autograd.testing.OPS or a "
                               "custom_op)", op)
    return op


def operand_count(op: Op) -> int:
    """How many inputs an expression gives ``op`` (runs of ``RUN_LENGTH``)."""
    _op_arg(op, "operand_count")
    return op.layout.heads + op.layout.runs * RUN_LENGTH


@overload
def in_domain(op: Op) -> st.SearchStrategy[tuple[float, ...]]: ...


@overload
def in_domain(op: Op, j: int, a: Value) -> Value: ...


def in_domain(op: Op, j: int | None = None, a: Value | None = None) -> Any:
    """``in_domain(op)``: a strategy for flat input tuples inside the op's sample ranges
    (kinks and ties allowed; ``op_inputs`` keeps away from them).

    ``in_domain(op, j, a)``: input ``j`` of ``op`` mapped into the op's sample range when
    the op has a domain (lo + (hi − lo)·σ(a)), so that any value is valid; unchanged
    otherwise."""
    _op_arg(op, "in_domain")
    if (j is None) != (a is None):
        raise TypeError(f"in_domain: give both j and a (to map a into the op's range), or "
                        f"neither (for a strategy), got j={j!r:.40} and a={a!r:.40}")
    if j is None or a is None:
        return op_inputs(op, margin=0.0)
    n = operand_count(op)
    if not 0 <= _args.integer(j, "in_domain", "j") < n:
        raise _args.value_error("in_domain", "j", f"an input index in [0, {n})", j)
    _args.value(a, "in_domain", "a")
    if not op.domain:
        return a
    slot = j if j < op.layout.heads else op.layout.heads + (j - op.layout.heads) // RUN_LENGTH
    lo, hi = op.sample[min(slot, len(op.sample) - 1)]
    return lo + (hi - lo) * a.sigmoid()


@dataclass(frozen=True)
class Expression:
    """A random expression: call it with Values (one per input) to build its graph."""

    tree: Any  # ("x", i) | ("c", value) | (op_name, subtree, ...)
    inputs: tuple[float, ...]

    def __call__(self, *xs: Value) -> Value:
        if len(xs) != len(self.inputs):
            raise TypeError(f"expression takes {len(self.inputs)} inputs, got {len(xs)}")
        return _evaluate(self.tree, xs)

    def __repr__(self) -> str:
        values = ", ".join(f"x{i}={x!r}" for i, x in enumerate(self.inputs))
        return f"Expression({_formula(self.tree)}; {values})"


def _evaluate(tree: Any, xs: Sequence[Value]) -> Value:
    kind = tree[0]
    if kind == "x":
        return xs[tree[1]]
    if kind == "c":
        return Value(tree[1])
    op = kind if isinstance(kind, Op) else OPS[kind]
    args = [in_domain(op, j, _evaluate(t, xs)) for j, t in enumerate(tree[1:])]
    return apply(op, *args)


def _op(kind: str | Op) -> Op:
    return kind if isinstance(kind, Op) else OPS[kind]


def _formula(tree: Any) -> str:
    kind = tree[0]
    if kind == "x":
        return f"x{tree[1]}"
    if kind == "c":
        return repr(tree[1])
    name = kind.name if isinstance(kind, Op) else kind
    return f"{name}({', '.join(_formula(t) for t in tree[1:])})"


def _trees(n_inputs: int, ops: Sequence[str | Op], max_depth: int) -> st.SearchStrategy:
    leaves = st.one_of(
        st.tuples(st.just("x"), st.integers(0, n_inputs - 1)),
        st.tuples(st.just("c"), st.floats(-2, 2, allow_nan=False).map(lambda c: round(c, 3))),
    )

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.sampled_from(list(ops)).flatmap(
            lambda name: st.tuples(st.just(name), *[children] * operand_count(_op(name)))
        )

    return st.recursive(leaves, extend, max_leaves=2**max_depth)


def expressions(
    n_inputs: int | None = None,
    ops: Sequence[str | Op] = SMOOTH_OPS,
    max_depth: int = 4,
    bound: float = 2.0,
    max_value: float = 1e6,
) -> st.SearchStrategy[Expression]:
    """A strategy for ``Expression``s over ``ops`` (names of ``OPS``, or ``Op`` objects such
    as users' ``custom_op``s) with 1–3 inputs (or
    ``n_inputs``) drawn from [-bound, bound]. Operands of ops with a domain are mapped into
    it; draws that would overflow or exceed ``max_value`` anywhere are rejected, so
    gradients stay well-conditioned for finite-difference checks. The arguments are
    checked here, at the call, not when Hypothesis first draws."""
    who = "expressions"
    if n_inputs is not None:
        _args.integer(n_inputs, who, "n_inputs", 1)
    listed = _args.sequence(ops, who, "ops", "a list of op names (keys of OPS) or Op objects")
    if not listed:
        raise _args.value_error(who, "ops", "a non-empty list of op names or Op objects", ops)
    for i, o in enumerate(listed):
        if not isinstance(o, (str, Op)):
            raise _args.type_error(who, f"ops[{i}]", "an op name (a key of OPS) or an Op", o)
    unknown = {o for o in listed if not isinstance(o, Op)} - set(OPS)
    if unknown:
        raise ValueError(f"expressions: ops must be names of autograd.testing.OPS or Op "
                         f"objects; unknown ops {sorted(unknown)}; choose from {sorted(OPS)}")
    _args.integer(max_depth, who, "max_depth", 0)
    _args.positive(bound, who, "bound")
    if not _args.real(max_value, who, "max_value", "a positive number") > 0:
        raise _args.value_error(who, "max_value", "positive", max_value)
    return _expressions(n_inputs, tuple(listed), max_depth, bound, max_value)


@st.composite
def _expressions(draw: Any, n_inputs: int | None, ops: Sequence[str | Op], max_depth: int,
                 bound: float, max_value: float) -> Expression:
    n = n_inputs if n_inputs is not None else draw(st.integers(1, 3))
    tree = draw(_trees(n, ops, max_depth))
    inputs = tuple(draw(st.floats(-bound, bound, allow_nan=False)) for _ in range(n))
    try:
        out = _evaluate(tree, [Value(x) for x in inputs])
    except (ArithmeticError, ValueError):
        assume(False)
    assume(all(math.isfinite(v.data) and abs(v.data) <= max_value for v in out.walk()))
    return Expression(tree, inputs)


def op_inputs(op: Op, margin: float = 1e-3) -> st.SearchStrategy[tuple[float, ...]]:
    """Flat input tuples for ``op`` inside its sample ranges (runs of 1–4 elements), kept
    ``margin`` away from its kinks, and for ``max``/``min`` without near-ties, so that
    finite differences apply."""
    _op_arg(op, "op_inputs")
    _args.nonnegative(margin, "op_inputs", "margin")
    lay = op.layout

    def real(slot: int) -> st.SearchStrategy[float]:
        lo, hi = op.sample[min(slot, len(op.sample) - 1)]
        s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
        return s.filter(lambda x: all(abs(x - k) > margin for k in op.kinks)) if op.kinks else s

    if not lay.nary:
        return st.tuples(*[real(j) for j in range(lay.heads)])

    @st.composite
    def nary(draw: Any) -> tuple[float, ...]:
        n = draw(st.integers(1, 4))
        heads = [draw(real(j)) for j in range(lay.heads)]
        runs = [draw(st.lists(real(lay.heads + k), min_size=n, max_size=n))
                for k in range(lay.runs)]
        flat = (*heads, *[x for run in runs for x in run])
        if not op.smooth:  # max/min: the top two must not nearly tie
            top = sorted(flat)
            assume(len(top) < 2 or (top[-1] - top[-2] > margin and top[1] - top[0] > margin))
        return flat

    return nary()


# --- a checking helper whose failure shows the graph ---------------------------------------

def check_expression(expr: Any, picture_dir: str | None = None, **gradcheck_options: Any
                     ) -> bool:
    """``gradcheck(expr, expr.inputs, **gradcheck_options)`` for a test over
    ``expressions()``; on failure the ``GradcheckError`` also holds the expression, the
    ``explain`` text of the failing gradient and the path of a picture of the graph
    (``draw_dot`` with the guilty op's paths in red) written to ``picture_dir`` (a new
    temporary folder by default); without Graphviz's ``dot`` it says so instead. Used with
    ``@given``, Hypothesis shrinks first, so the report shows the smallest failing graph."""
    from ..check.gradients import GradcheckError, gradcheck

    if not (callable(expr) and hasattr(expr, "inputs")):
        raise _args.type_error("check_expression", "expr", "an Expression drawn from "
                               "expressions() (or a Network)", expr)
    if picture_dir is not None:
        _args.path(picture_dir, "check_expression", "picture_dir")

    try:
        return gradcheck(expr, expr.inputs, **gradcheck_options)
    except GradcheckError as exc:
        raise GradcheckError(f"{exc}\n\n{_illustrate(expr, exc, picture_dir)}",
                             exc.report) from None


def _illustrate(expr: Any, exc: Any, picture_dir: str | None) -> str:
    import os
    import shutil
    import tempfile

    from ..display.explanation import explain

    report = exc.report
    lines = [f"the expression: {expr!r}"]
    if report is None or report.root is None:
        return lines[0]
    root, culprit = report.root, report.culprit
    if culprit is not None and not culprit.node.label:
        culprit.node.label = f"guilty {culprit.op.name}"
    failing = report.failures[0].index[0] if report.failures else 0
    wrt = report.values[failing]
    if not wrt.label:
        wrt.label = f"x{failing}"
    lines.append(f"how ∂out/∂x{failing} is made (explain):\n{explain(root, wrt)}")
    if shutil.which("dot") is None:
        lines.append("picture: not written (Graphviz's dot program is missing)")
        return "\n\n".join(lines)
    if not _final_hypothesis_run():
        lines.append("picture: drawn only for the example Hypothesis reports")
        return "\n\n".join(lines)
    try:
        from ..display.graph import draw_dot

        folder = picture_dir or tempfile.mkdtemp(prefix="chainrule-gradcheck-")
        target = culprit.node if culprit is not None else wrt
        path = draw_dot(root, highlight=target).render(os.path.join(folder, "graph"),
                                                       cleanup=True)
        lines.append(f"picture: {path} (paths to "
                     f"{'the guilty op' if culprit is not None else f'x{failing}'} in red)")
    except Exception as draw_error:  # a picture is a courtesy: never hide the failure
        lines.append(f"picture: not written ({type(draw_error).__name__}: {draw_error})")
    return "\n\n".join(lines)


def _final_hypothesis_run() -> bool:
    """False while Hypothesis is still searching or shrinking (drawing every intermediate
    failure would be slow); True for its final, reported run and outside Hypothesis."""
    try:
        from hypothesis.control import current_build_context, currently_in_test_context

        return not currently_in_test_context() or bool(current_build_context().is_final)
    except Exception:  # a Hypothesis without these internals: always draw
        return True


# --- networks -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Network:
    """A small model and an input: ``net(*xs)`` is the sum of its outputs at ``xs``, so
    ``gradcheck(net, net.inputs)`` checks the gradient through the whole network."""

    model: Any
    inputs: tuple[float, ...]

    def __call__(self, *xs: Value) -> Value:
        return value_sum(self.model(list(xs)))

    def __repr__(self) -> str:
        return f"Network({self.model!r}; inputs={self.inputs})"


def networks(make_model: Callable[..., Any], max_inputs: int = 3, max_layers: int = 2,
             max_width: int = 4,
             activations: Sequence[str] = ("tanh", "sigmoid", "relu", "linear"),
             bound: float = 2.0) -> st.SearchStrategy[Network]:
    """A strategy for ``Network``s: ``make_model(nin, [w1, ..., wk], activation=a,
    seed=s)`` (``nn.MLP`` is such a factory) with 1–``max_inputs`` inputs, 1–``max_layers``
    layers of 1–``max_width`` neurons, a drawn activation and seed, and an input drawn from
    [-bound, bound]. The arguments are checked here, at the call (each activation by
    building a one-neuron model with it)."""
    who = "networks"
    _args.function(make_model, who, "make_model", "a model factory such as nn.MLP")
    for name, n in (("max_inputs", max_inputs), ("max_layers", max_layers),
                    ("max_width", max_width)):
        _args.integer(n, who, name, 1, "a positive int")
    listed = _args.sequence(activations, who, "activations", "a list of activation names")
    if not listed:
        raise _args.value_error(who, "activations", "a non-empty list of activation names",
                                activations)
    for i, a in enumerate(listed):
        if not isinstance(a, str):
            raise _args.type_error(who, f"activations[{i}]", "an activation name", a)
        try:
            make_model(1, [1], activation=a, seed=0)
        except (ValueError, TypeError) as exc:
            raise _args.value_error(who, f"activations[{i}]", "an activation the factory "
                                    f"knows ({exc})", a) from None
    _args.positive(bound, who, "bound")
    return _networks(make_model, max_inputs, max_layers, max_width, tuple(listed), bound)


@st.composite
def _networks(draw: Any, make_model: Callable[..., Any], max_inputs: int, max_layers: int,
              max_width: int, activations: Sequence[str], bound: float) -> Network:
    nin = draw(st.integers(1, max_inputs))
    widths = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers))
    activation = draw(st.sampled_from(list(activations)))
    seed = draw(st.integers(0, 2**16))
    xs = tuple(draw(st.floats(-bound, bound, allow_nan=False)) for _ in range(nin))
    return Network(make_model(nin, widths, activation=activation, seed=seed), xs)
