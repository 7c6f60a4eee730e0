"""The NumPy backend of ``compile`` (the default): generated NumPy code, a few calls per group.

The plan's groups become two straight-line functions, ``forward(X, P, checked)`` and
``backward(X, V, P, seed)``; ``program.source("numpy")`` shows them. (A plan of more than
``MAX_GENERATED`` groups, such as a long chain, runs group by group in ``numpy_steps``
instead: CPython compiles generated code too slowly for it.)
Operand j of a group stacks operand j of every node: rows of ``V`` (computed values and
inputs), or entries of ``P`` (parameters and constants, broadcast over the batch). Each
operand is read the cheapest way its indices allow, decided once, here: a slice (a view,
no copy) where they are evenly spaced, one broadcast row where every node reads the same
row, a gather otherwise; gradients are written back the same way. Every group runs its
op's own rules from ``ops.py`` on arrays (``maths.Arrays``), except these lowerings, each
checked against the rules by the tests: ``+ − × neg`` and relu as one ufunc writing into
``V``, a sum of one term as ``0.0 + x``, a division by constants that are finite and nonzero
(with a finite reciprocal) as one ``divide`` without its domain check (it cannot fail) and
with the constant partial ``1/b``, and a dense layer's ``dot`` group as a matrix product
(``W @ X`` forward, ``G @ X.T`` and ``W.T @ G`` backward). The exact-zero and vjp rules
(``masked``) run only where a gradient's sum is not finite; the vector of ones that sums
a parameter's gradient over the batch is kept (read-only) for the next call of the same
batch size. Domains are checked where the scalar engine checks
them, and results that leave the float range raise as there: the checks that only a
non-finite result can fail run only when ``V`` holds an inf or NaN (``generate``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...rules import maths, ops
from ..plan import GroupPlan, Plan
from .numpy_steps import (
    Stepper,
    domain_error,
    masked,
    ordered,
    overflow,
    progression,
    strided,
)

__all__ = ["NumpyBackend", "generate"]


def _slice(p: tuple[int, int, int]) -> str:
    start, stop, step = p
    return f"{start}:{stop}" if step == 1 else f"{start}:{stop}:{step}"


class _Writer:
    """Source lines and the globals they use (index arrays, ops, namespaces, constants).
    Parameters come in ``P``; constants are baked in as arrays (a run that mixes the two
    reads ``PC``, both in one vector). Backward writes each gradient entry with ``=`` the
    first time (G and GP start at zero) and with ``+=`` after."""

    def __init__(self, plan: Plan, env: dict[str, Any]) -> None:
        self.plan = plan
        self.env = env
        self.lines: list[str] = []
        self.mixed = False  # does some operand read parameters and constants together?
        self.inputs_in_V = False  # does some operand read inputs and computed rows together?
        self.ones = False  # does backward sum over the batch with a vector of ones?
        self.written: dict[str, set[int]] = {"G": set(), "GP": set()}

    def name(self, prefix: str, value: Any) -> str:
        key = f"_{prefix}{len(self.env)}"
        self.env[key] = value
        return key

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def scalars(self, index: list[int]) -> tuple[str, list[int]]:
        """The vector that holds these parameters or constants, and their indices in it."""
        n = self.plan.n_params
        if max(index) < n:
            return "P", index
        if min(index) >= n:
            consts = self.plan.const_values
            return self.name("c", np.array([consts[i - n] for i in index])), \
                list(range(len(index)))
        self.mixed = True
        return "PC", index

    def read(self, index: list[int], scalar: bool, head: bool = True) -> str:
        """An expression for the operand: (len(index) or 1) × (batch or 1). One row serves
        a head that every node reads alike; a run keeps a row per term."""
        array, cols = "V", ""
        if not scalar and max(index) < self.plan.n_inputs:  # inputs: columns of X
            array = "XT"
        elif not scalar and min(index) < self.plan.n_inputs:
            self.inputs_in_V = True
        if scalar:
            (array, index), cols = self.scalars(index), ", None"
        p = progression(index)
        if p is not None:
            return f"{array}[{_slice(p)}{cols}]"
        if head and len(set(index)) == 1:
            return f"{array}[{index[0]}:{index[0] + 1}{cols}]"
        return f"{array}[{self.name('i', np.array(index, dtype=np.intp))}{cols}]"

    def wants(self, index: list[int], scalar: bool) -> bool:
        """Does anyone read these gradients? Not for inputs and constants."""
        if scalar:
            return min(index) < self.plan.n_params
        return max(index) >= self.plan.n_inputs

    def first(self, target: str, index: list[int]) -> bool:
        """Is this the first write to every entry of ``index``? (Records the write.)"""
        seen = self.written[target]
        fresh = seen.isdisjoint(index)
        seen.update(index)
        return fresh

    def add_to(self, index: list[int], scalar: bool, value: str, sign: str = "+") -> None:
        """Lines adding ``value`` (one row per entry of ``index``, a batch per row) to the
        gradients of what ``index`` refers to (none for inputs and constants). A parameter
        gets the sum over the batch; a row that several entries name gets their sum."""
        if not self.wants(index, scalar):
            return
        if not value.isidentifier():
            value = f"({value})"
        target = "GP" if scalar else "G"
        p = progression(index)
        if p is None and len(set(index)) == 1:  # one row that every node feeds
            value = f"{value}.sum(axis=0)" if not scalar else f"{value}.sum()"
            self.emit(f"{target}[{index[0]}] {sign}= {value}")
            self.first(target, index)
            return
        where = _slice(p) if p else self.name("i", np.array(index, dtype=np.intp))
        fresh = self.first(target, index)
        # a parameter's gradient sums over the batch: a product with a vector of ones (a
        # BLAS call, faster than a reduction along rows)
        self.ones |= scalar
        total = f"{value} @ ones" if scalar else value
        if p is None and len(set(index)) < len(index):  # repeated entries: add one by one
            self.emit(f"np.{'add' if sign == '+' else 'subtract'}.at({target}, {where}, {total})")
        elif fresh and scalar and sign == "+" and p:  # summed straight into GP
            self.emit(f"np.matmul({value}, ones, out=GP[{where}])")
        elif fresh:
            self.emit(f"{target}[{where}] = {'-' if sign == '-' else ''}{total}")
        else:
            self.emit(f"{target}[{where}] {sign}= {total}")


def generate(plan: Plan) -> tuple[str, dict[str, Any]]:
    """The source of ``forward(X, P, checked)`` and ``backward(X, V, P, seed)``, and their
    globals. ``checked=False`` leaves out the checks that only a result that is not finite
    can fail (``Domain.loud``, overflow, a dense layer's order of summation): the backend
    runs it first and reruns with ``checked=True`` if anything in ``V`` is inf or NaN."""
    env: dict[str, Any] = {"np": np, "_isfinite": math.isfinite, "domain_error": domain_error,
                           "overflow": overflow, "ordered": ordered, "masked": masked,
                           "_consts": np.array(plan.const_values, dtype=float),
                           "_read_only": _read_only}
    fw, bw = _Writer(plan, env), _Writer(plan, env)
    forward: list[list[str]] = []  # the lines of each group
    for k, group in enumerate(plan.groups):
        fw.lines = []
        fw.emit(f"# group {k}: {group.op.name} × {len(group.out)}"
                + (" (dense: a matrix product)" if group.dense else ""))
        (_dense_forward if group.dense else _forward)(fw, group)
        forward.append(fw.lines)
    bw.lines = []
    bw.add_to(plan.out_rows, False, "seed.T")
    backward = [bw.lines]
    for k in range(len(plan.groups) - 1, -1, -1):
        group = plan.groups[k]
        bw.lines = []
        bw.emit(f"# group {k}: {group.op.name} × {len(group.out)}")
        (_dense_backward if group.dense else _backward)(bw, group)
        backward.append(bw.lines)

    copies = fw.read(plan.copy_index, True, head=False) if plan.copy_rows else ""
    # rows 0..n_inputs of V are the inputs, copied there only if an operand reads them
    # together with computed rows; otherwise read from X.T (a view)
    shared = ["    XT = X.T"]
    if fw.mixed or bw.mixed:
        shared.append("    PC = np.concatenate((P, _consts))")
    fw_head = [*shared, f"    V = np.empty(({plan.n_rows}, X.shape[0]))"]
    if fw.inputs_in_V or bw.inputs_in_V:
        fw_head.append(f"    V[:{plan.n_inputs}] = XT")
    if plan.copy_rows:
        rows = fw.name("i", np.array(plan.copy_rows, dtype=np.intp))
        fw_head.append(f"    V[{rows}] = {copies}")
    bw_head = [*shared, "    G = np.zeros(V.shape)",
               f"    GP = np.zeros({plan.n_params + len(plan.const_values)})"]
    if bw.ones:  # a read-only vector of ones, kept for the next call of the same size
        env["_ones"] = [np.ones(0)]
        bw_head.append("    ones = _ones[0]")
        bw_head.append("    if len(ones) != X.shape[0]: ones = _ones[0] = _read_only(X.shape[0])")
    bw_tail = []
    if plan.copy_rows:
        rows = bw.name("i", np.array(plan.copy_rows, dtype=np.intp))
        index = bw.name("i", np.array(plan.copy_index, dtype=np.intp))
        bw_tail.append(f"    np.add.at(GP, {index}, G[{rows}].sum(axis=1))")
    source = ("def forward(X, P, checked):\n"
              + "\n".join([*fw_head, *(line for g in forward for line in g), "    return V"])
              + "\n\n\ndef backward(X, V, P, seed):\n"
              + "\n".join([*bw_head, *(line for g in backward for line in g), *bw_tail,
                           f"    return GP[:{plan.n_params}]"]) + "\n")
    return source, env


def _read_only(n: int) -> Any:
    ones = np.ones(n)
    ones.flags.writeable = False
    return ones


# The lowerings: ufuncs that write straight into V. relu is max(x, 0) + 0.0: NaN stays NaN
# and −0.0 becomes 0.0, as the rule's where(x ≤ 0, 0, x) gives (NumPy's max keeps −0.0).
_UFUNCS = {ops.ADD: "np.add({0}, {1}, out={out})", ops.SUB: "np.subtract({0}, {1}, out={out})",
           ops.MUL: "np.multiply({0}, {1}, out={out})", ops.NEG: "np.negative({0}, out={out})",
           ops.RELU: "np.maximum({0}, 0.0, out={out}); {out} += 0.0"}


def _out(group: GroupPlan) -> str:
    p = progression(group.out)
    assert p is not None and p[2] == 1, "the planner gives every group a block of rows"
    return f"V[{_slice(p)}]"


def _args(w: _Writer, group: GroupPlan) -> list[str]:
    heads = group.op.layout.heads
    return [w.read(ix, s, j < heads) for j, (ix, s) in enumerate(zip(group.operands,
                                                                     group.scalar))]


def _namespace(w: _Writer, group: GroupPlan) -> str:
    counts = group.counts
    if counts is None:  # one namespace serves every group without runs
        if "_arrays" not in w.env:
            w.env["_arrays"] = maths.Arrays()
        return "_arrays"
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
    return w.name("m", maths.Arrays(offsets, np.array(counts, dtype=np.intp)))


def _forward(w: _Writer, group: GroupPlan) -> None:
    op, out = group.op, _out(group)
    args = _args(w, group)
    if op in _UFUNCS and not op.domain and not op.overflows:
        w.emit(_UFUNCS[op].format(*args, out=out))
        return
    if op is ops.SUM and _single_terms(group):  # one term: 0.0 + x, as the scalar engine
        w.emit(f"np.add({args[0]}, 0.0, out={out})")
        return
    if _divisor(w, group) is not None:  # a nonzero constant: no domain can fail
        w.emit(f"np.divide({args[0]}, {args[1]}, out={out})")
        return
    for a, expr in enumerate(args):
        w.emit(f"a{a} = {expr}")
    names = ", ".join(f"a{a}" for a in range(len(args)))
    m, o = _namespace(w, group), w.name("op", op)
    for j, d in enumerate(op.domain):
        w.emit(f"{'if checked: ' if d.loud else ''}bad = {o}.domain[{j}].bad({m}, {names})")
        w.emit(f"{'if checked and' if d.loud else 'if'} bad.any(): "
               f"domain_error({o}, {j}, [{names}], bad)")
    w.emit(f"{out} = {o}.forward({m}, {names})")
    if op.overflows:  # a finite sum means every entry is finite; else look closer
        w.emit(f"if checked and not _isfinite({out}.sum()): overflow({o}, {m}, {out}, "
               f"[{names}])")


def _single_terms(group: GroupPlan) -> bool:
    """Does every node of an n-ary group have one term (a run of one)?"""
    return group.counts is not None and max(group.counts) == 1


def _divisor(w: _Writer, group: GroupPlan) -> list[float] | None:
    """For a division by constants, each finite, nonzero and with a finite nonzero
    reciprocal: those constants (the domain check cannot fail, and the partial 1/b is a
    constant). None otherwise."""
    if group.op is not ops.DIV or not group.scalar[1]:
        return None
    n, consts = w.plan.n_params, w.plan.const_values
    if min(group.operands[1]) < n:
        return None
    values = [consts[i - n] for i in group.operands[1]]
    if not all(math.isfinite(b) and b != 0.0 and math.isfinite(1.0 / b) and 1.0 / b != 0.0
               for b in values):
        return None
    return values


def _lowered_backward(w: _Writer, group: GroupPlan, args: list[str], out: str) -> bool:
    """The backward lines of the lowered ops and of a division by constants (True), or
    nothing (False: the op's own rules run)."""
    op, operands, scalar = group.op, group.operands, group.scalar
    if op is ops.ADD or op is ops.SUB:
        w.add_to(operands[0], scalar[0], "g")
        w.add_to(operands[1], scalar[1], "g", sign="+" if op is ops.ADD else "-")
        return True
    if op is ops.NEG:
        w.add_to(operands[0], scalar[0], "g", sign="-")
        return True
    if op is ops.MUL and operands[0] == operands[1] and scalar[0] == scalar[1]:
        w.emit(f"c = g * {args[0]}")  # x · x: the same product for both operands
        w.add_to(operands[0], scalar[0], "c")
        w.add_to(operands[1], scalar[1], "c")
        return True
    if op is ops.MUL:
        w.add_to(operands[0], scalar[0], f"g * {args[1]}")
        w.add_to(operands[1], scalar[1], f"g * {args[0]}")
        return True
    if op is ops.RELU:  # the mask, where(x ≤ 0, 0, g): a zero derivative blocks even inf
        p, ix = progression(operands[0]), operands[0]
        if not scalar[0] and p and p[2] == 1 and w.first("G", ix):
            # G is still 0 there: copy g where x ≤ 0 fails, i.e. where relu(x) ≠ 0 (NaN too)
            w.emit(f"np.copyto(G[{_slice(p)}], g, where={out} != 0.0)")
            return True
        w.add_to(operands[0], scalar[0], f"np.where({args[0]} <= 0.0, 0.0, g)")
        return True
    divisor = _divisor(w, group)
    if divisor is not None:  # a / b for constants b: ∂/∂a = 1/b, a constant
        inverse = w.name("c", np.array([1.0 / b for b in divisor])[:, None])
        m, o = _namespace(w, group), w.name("op", op)
        w.emit(f"c = {inverse} * g")
        w.emit(f"if not _isfinite(c.sum()): c = masked({o}, 0, {inverse}, g, c, {m}, {out}, "
               f"({args[0]}, {args[1]}))")
        w.add_to(operands[0], scalar[0], "c")
        return True
    return False


def _backward(w: _Writer, group: GroupPlan) -> None:
    op, out = group.op, _out(group)
    operands, scalar = group.operands, group.scalar
    wanted = [w.wants(ix, s) for ix, s in zip(operands, scalar)]
    if not any(wanted):
        return
    w.emit(f"g = G{out[1:]}")
    args = _args(w, group)
    if _lowered_backward(w, group, args, out):
        return
    heads = op.layout.heads
    runs = group.counts is not None and not _single_terms(group)  # (a run of one: g itself)
    m, o = _namespace(w, group), w.name("op", op)
    const = _constant_partials(op, len(args))
    one = len(group.out) == 1  # one node: its g broadcasts over its terms' partials
    # one node: g broadcasts over its terms' partials, or over its terms where they are
    # distinct rows (parameters are summed into GP, a row named twice gets the sum)
    spread = [one and (const[j] is None or (not scalar[j] and len(set(ix)) == len(ix)))
              for j, ix in enumerate(operands)]
    if runs and not all(spread[heads:]):
        w.emit(f"gr = np.repeat(g, {m}.counts, axis=0)")
    if not all(c is not None for c, want in zip(const, wanted) if want):
        for a, expr in enumerate(args):
            w.emit(f"a{a} = {expr}")
        names = ", ".join(f"a{a}" for a in range(len(args)))
        w.emit(f"d = {o}.partials({m}, {out}, {names})")
    for j in range(len(args)):
        if not wanted[j]:
            continue
        up = "g" if j < heads or not runs or spread[j] else "gr"
        if const[j] is not None and const[j] in (1.0, -1.0):
            w.add_to(operands[j], scalar[j], up, sign="+" if const[j] == 1.0 else "-")
            continue
        if const[j] == 0.0 and op.mask_flags[j]:  # a zero that blocks: nothing to add
            continue
        d = f"d[{j}]" if const[j] is None else repr(const[j])
        w.emit(f"c = {d} * {up}")
        # (a finite sum means every entry is finite: masked has nothing to settle)
        if op.vjp is not None:  # the exact-zero and vjp rules where c is not finite
            names = ", ".join(f"a{a}" for a in range(len(args)))
            w.emit(f"if not _isfinite(c.sum()): "
                   f"c = masked({o}, {j}, {d}, {up}, c, {m}, {out}, ({names},))")
        elif op.masks:  # the exact-zero rules where the product is NaN (ops.Op.exact_zero)
            w.emit(f"if not _isfinite(c.sum()): c = masked({o}, {j}, {d}, {up}, c)")
        w.add_to(operands[j], scalar[j], "c")


def _constant_partials(op: ops.Op, n: int) -> list[float | None]:
    """Per operand, the partial if the rule gives a plain number whatever the values (a
    rule on arrays cannot branch on them: + gives 1.0 and 1.0), or 1.0 for every term of a
    ``unit`` op (sum); else None."""
    if op.unit:
        return [1.0] * n
    probe = np.array([[0.5, 2.0]])
    m = maths.Arrays(np.array([0], dtype=np.intp), np.array([1], dtype=np.intp))
    try:
        with np.errstate(all="ignore"):
            d = op.partials(m, probe, *[probe] * n)
    except Exception:  # noqa: BLE001 (a rule that needs real values: compute it each time)
        return [None] * n
    return [x if type(x) is float else None for x in d]


def _weights(w: _Writer, group: GroupPlan, array: str) -> tuple[str, bool]:
    """The weight matrix in ``array`` (P or GP) and whether it is a view: it is where an
    MLP's neurons sit ``w1..wn, b`` with a constant stride; a gather otherwise. Constant
    weights (in P only) are the matrix itself."""
    _, weights, _ = group.dense  # type: ignore[misc]
    k, n = len(weights), len(weights[0])
    flat = [i for row in weights for i in row]
    if max(flat) >= w.plan.n_params:
        source, index = w.scalars(flat)
        if source == "PC":
            return f"PC[{w.name('i', np.array(weights, dtype=np.intp))}]", False
        return w.name("c", w.env[source][index].reshape(k, n)), False
    view = strided(weights)
    if view is not None:
        start, stride, k, n = view
        return f"{array}[{start}:{start + k * stride}].reshape({k}, {stride})[:, :{n}]", True
    return f"{array}[{w.name('i', np.array(weights, dtype=np.intp))}]", False


def _dense_forward(w: _Writer, group: GroupPlan) -> None:
    bias, _, rows = group.dense  # type: ignore[misc]
    (W, _), X, out = _weights(w, group, "P"), w.read(rows, False), _out(group)
    b = w.read(bias, True)
    w.emit(f"np.matmul({W}, {X}, out={out})")
    w.emit(f"{out} += {b}")
    # where some result is not finite, sum term by term in the engine's order (NaN, inf)
    w.emit(f"if checked and not _isfinite({out}.sum()): {out} = ordered({b}, "
           f"{W}[:, :, None] * {X}[None, :, :])")


def _dense_backward(w: _Writer, group: GroupPlan) -> None:
    bias, weights, rows = group.dense  # type: ignore[misc]
    out = _out(group)
    w.emit(f"g = G{out[1:]}")
    w.add_to(bias, True, "g")
    X = w.read(rows, False)
    flat = [i for row in weights for i in row]
    if max(flat) < w.plan.n_params:  # (constant weights want no gradient)
        dW, view = _weights(w, group, "GP")
        fresh = w.first("GP", flat)
        if len(set(flat)) < len(flat):  # a weight used twice: dW is GP[index]
            w.emit(f"np.add.at(GP, {dW[len('GP['):-1]}, g @ {X}.T)")
        elif view and fresh:
            w.emit(f"np.matmul(g, {X}.T, out={dW})")
        else:
            w.emit(f"{dW} {'=' if fresh else '+='} g @ {X}.T")
    if w.wants(rows, False):  # (the inputs' own gradient is never needed)
        W, p = _weights(w, group, "P")[0], progression(rows)
        if p and p[2] == 1 and w.first("G", rows):  # written straight into G
            w.emit(f"np.matmul({W}.T, g, out=G[{_slice(p)}])")
        else:
            w.add_to(rows, False, f"{W}.T @ g")


#: Plans with more groups than this run group by group (``numpy_steps``): the generated
#: code would take CPython about 100 µs a group to compile (a chain is a group per node).
MAX_GENERATED = 2000


class NumpyBackend:
    """Runs a ``Plan`` in float64: as generated NumPy code, or for a plan with more than
    ``MAX_GENERATED`` groups, group by group."""

    name = "numpy"

    def __init__(self, plan: Plan, device: Any = None) -> None:
        if device not in (None, "cpu"):
            raise ValueError(f"compile: the numpy backend runs on the CPU, got device={device!r}")
        self.plan = plan
        self.stepper = Stepper(plan) if len(plan.groups) > MAX_GENERATED else None
        #: constants baked into the generated code; the stepper reads them from P
        self.own_constants = self.stepper is None
        if self.stepper is None:
            self.source, env = generate(plan)
            exec(compile(self.source, "<chainrule compiled program (numpy)>", "exec"), env)  # noqa: S102
            self._forward, self._backward = env["forward"], env["backward"]
        p = progression(plan.out_rows)
        self.out_rows = slice(*p) if p else np.array(plan.out_rows, dtype=np.intp)
        self._V: Any = None

    def forward(self, X: Any, P: Any) -> Any:
        self._V = None
        with np.errstate(all="ignore"):  # IEEE results; domains and overflows are checked
            if self.stepper is not None:
                V = self.stepper.forward(X, P)
            else:
                V = self._forward(X, P, False)
                if not math.isfinite(V[self.plan.n_inputs:].sum()):  # an inf or NaN: recheck
                    V = self._forward(X, P, True)
        self._X, self._V, self._P = X, V, P
        return V[self.out_rows].T.copy()

    def backward(self, seed: Any) -> Any:
        with np.errstate(all="ignore"):
            if self.stepper is not None:
                return self.stepper.backward(self._V, self._P, seed)
            return self._backward(self._X, self._V, self._P, seed)
