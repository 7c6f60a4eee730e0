"""The pure-Python backend of ``compile`` (``backend="python"``): straight-line code
generated from the trace, one line per node, run over the batch one example at a time.

``program.source()`` shows the code. The hot ops (+, −, ×, neg, dot, sum, relu, tanh) are
written inline; every other op calls its own rules from ``ops.py`` (``Op.eval`` forward,
which raises exactly where the eager engine raises, and ``Op.local_flat`` backward).
Parameter gradients are summed over the batch in local variables.
"""

from __future__ import annotations

from typing import Any

from ...rules import ops
from ..plan import Plan

__all__ = ["PythonBackend"]

_INLINE = {ops.ADD: "{0} + {1}", ops.SUB: "{0} - {1}", ops.MUL: "{0} * {1}",
           ops.NEG: "-{0}"}


def _nodes(plan: Plan) -> list[tuple[ops.Op, int, list[Any]]]:
    """(op, out row, operands as the layout splits them) per node, in run order; an
    operand is a name: ``v12`` (row 12 of V) or ``p3`` (entry 3 of P)."""
    out = []
    for g in plan.groups:
        lay = g.op.layout
        offsets = [0] * len(g.out)
        if g.counts is not None:
            total = 0
            for i, c in enumerate(g.counts):
                offsets[i], total = total, total + c
        for i, row in enumerate(g.out):
            parts: list[Any] = []
            for j, (index, scalar) in enumerate(zip(g.operands, g.scalar)):
                name = "p" if scalar else "v"
                if j < lay.heads:
                    parts.append(f"{name}{index[i]}")
                else:
                    o, c = offsets[i], g.counts[i]  # type: ignore[index]
                    parts.append([f"{name}{k}" for k in index[o:o + c]])
            out.append((g.op, row, parts))
    return out


def generate(plan: Plan) -> tuple[str, dict[str, Any]]:
    """The source of ``forward(X, P)`` and ``backward(tapes, seeds, P)``, and its globals."""
    nodes = _nodes(plan)
    env: dict[str, Any] = {"_tanh": __import__("math").tanh}
    n_scalars = plan.n_params + len(plan.const_values)
    ps = ", ".join(f"p{i}" for i in range(n_scalars)) + ("," if n_scalars == 1 else "")
    vs = [f"v{i}" for i in range(plan.n_inputs)] + [f"v{r}" for r in plan.copy_rows] \
        + [f"v{row}" for _, row, _ in nodes]
    tape = "(" + ", ".join(vs) + ("," if len(vs) == 1 else "") + ")"
    ins = ", ".join(f"v{i}" for i in range(plan.n_inputs)) + ("," if plan.n_inputs == 1 else "")
    fw = ["def forward(X, P):"]
    if n_scalars:
        fw.append(f"    {ps} = P")
    fw += ["    tapes = []", "    outs = []", "    for x in X:"]
    if plan.n_inputs:
        fw.append(f"        {ins} = x")
    for r, i in zip(plan.copy_rows, plan.copy_index):
        fw.append(f"        v{r} = p{i}")
    for k, (op, row, parts) in enumerate(nodes):
        fw.append(f"        v{row} = " + _forward_expr(op, parts, k, env))
    fw.append(f"        tapes.append({tape})")
    fw.append("        outs.append((" + ", ".join(f"v{r}" for r in plan.out_rows) + ",))")
    fw.append("    return tapes, outs")

    bw = ["def backward(tapes, seeds, P):"]
    if n_scalars:
        bw.append(f"    {ps} = P")
        bw += [f"    gp{i} = 0.0" for i in range(n_scalars)]
    bw.append("    for tape, seed in zip(tapes, seeds):")
    bw.append(f"        {', '.join(vs)}{',' if len(vs) == 1 else ''} = tape")
    for name in dict.fromkeys(vs):
        bw.append(f"        g{name[1:]} = 0.0")
    for j, r in enumerate(plan.out_rows):
        bw.append(f"        g{r} += seed[{j}]")
    for k in range(len(nodes) - 1, -1, -1):
        op, row, parts = nodes[k]
        bw += ["        " + line for line in _backward_lines(op, row, parts, k, env)]
    for r, i in zip(plan.copy_rows, plan.copy_index):
        bw.append(f"        gp{i} += g{r}")
    bw.append("    return [" + ", ".join(f"gp{i}" for i in range(n_scalars)) + "]")
    return "\n".join(fw + [""] + bw) + "\n", env


def _grad(name: str) -> str:
    return ("gp" if name[0] == "p" else "g") + name[1:]


def _forward_expr(op: ops.Op, parts: list[Any], k: int, env: dict[str, Any]) -> str:
    if op in _INLINE:
        return _INLINE[op].format(*parts)
    if op is ops.DOT:
        terms = " + ".join(f"{a} * {b}" for a, b in zip(parts[1], parts[2]))
        return f"{parts[0]} + ({terms})"
    if op is ops.SUM:
        return "0 + " + " + ".join(parts[0]) if len(parts[0]) > 1 else f"0 + {parts[0][0]}"
    if op is ops.RELU:
        return f"0.0 if {parts[0]} <= 0.0 else {parts[0]}"
    if op is ops.TANH:
        return f"_tanh({parts[0]})"
    env[f"_op{k}"] = op
    flat = op.layout.flatten(parts)
    return f"_op{k}.eval({', '.join(flat)}{',' if len(flat) == 1 else ''})"


def _backward_lines(op: ops.Op, row: int, parts: list[Any], k: int,
                    env: dict[str, Any]) -> list[str]:
    g = f"g{row}"
    if op is ops.ADD:
        return [f"{_grad(parts[0])} += {g}", f"{_grad(parts[1])} += {g}"]
    if op is ops.SUB:
        return [f"{_grad(parts[0])} += {g}", f"{_grad(parts[1])} -= {g}"]
    if op is ops.MUL:
        return [f"{_grad(parts[0])} += {g} * {parts[1]}", f"{_grad(parts[1])} += {g} * {parts[0]}"]
    if op is ops.NEG:
        return [f"{_grad(parts[0])} -= {g}"]
    if op is ops.SUM:
        return [f"{_grad(x)} += {g}" for x in parts[0]]
    if op is ops.DOT:
        lines = [f"{_grad(parts[0])} += {g}"]
        for a, b in zip(parts[1], parts[2]):
            lines += [f"{_grad(a)} += {g} * {b}", f"{_grad(b)} += {g} * {a}"]
        return lines
    if op is ops.RELU:  # the mask: a zero local derivative blocks the gradient (NaN passes)
        return [f"if not {parts[0]} <= 0.0: {_grad(parts[0])} += {g}"]
    if op is ops.TANH:
        return [f"{_grad(parts[0])} += {g} * (1.0 - v{row} * v{row})"]
    env[f"_op{k}"] = op
    flat = op.layout.flatten(parts)
    lines = [f"d = _op{k}.local_flat(v{row}, ({', '.join(flat)}{',' if len(flat) == 1 else ''}))"]
    for i, x in enumerate(flat):
        if op.masks:  # the exact-zero rules, where the product is NaN (ops.Op.exact_zero)
            lines.append(f"c = d[{i}] * {g}")
            lines.append(f"if c - c != 0.0: c = _op{k}.settle({i}, ({', '.join(flat)},), "
                         f"v{row}, d[{i}], {g}, c)")
            lines.append(f"{_grad(x)} += c")
        else:
            lines.append(f"{_grad(x)} += {g} * d[{i}]")
    return lines


class PythonBackend:
    """Runs a ``Plan`` as generated straight-line Python, example by example."""

    name = "python"
    own_constants = False  # P holds the parameters, then the constants

    def __init__(self, plan: Plan, device: Any = None) -> None:
        if device not in (None, "cpu"):
            raise ValueError(f"compile: the python backend runs on the CPU, got "
                             f"device={device!r}")
        self.plan = plan
        self.source, env = generate(plan)
        exec(compile(self.source, "<chainrule compiled program>", "exec"), env)  # noqa: S102
        self._forward, self._backward = env["forward"], env["backward"]

    def forward(self, X: Any, P: Any) -> Any:
        import numpy as np

        self._P = P.tolist()
        rows = X.tolist()
        try:
            self._tapes, outs = self._forward(rows, self._P)
        except (ArithmeticError, ValueError) as exc:  # name the row, as the other backends do
            for k, row in enumerate(rows):
                try:
                    self._forward([row], self._P)
                except (ArithmeticError, ValueError):
                    raise type(exc)(f"{exc} (batch row {k})") from None
            raise
        return np.array(outs, dtype=float).reshape(len(outs), len(self.plan.out_rows))

    def backward(self, seed: Any) -> Any:
        import numpy as np

        return np.array(self._backward(self._tapes, seed.tolist(), self._P), dtype=float)
