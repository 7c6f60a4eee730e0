"""The pure-Python backend of ``compile`` (``backend="python"``): a forward and a backward
pass written out as a learner would write them by hand, run one example at a time.

``program.source("python")`` shows the code: plain Python (``import math``, nothing from
chainrule), runnable on its own. ``forward(inputs, params)`` computes one line per node in
the graph's own names (a label such as ``w5`` or ``L1.n3.w1``, spelled ``L1_n3_w1``; see
``source``'s ``names=`` for the names ``explain`` gives unlabelled nodes) and returns the
outputs and the tape; ``backward(inputs, params, tape, seed)`` adds each node's gradient
into its inputs', one line per input with the local derivative written out
(``g_net_h1 += out_h1 * (1 - out_h1) * g_out_h1``), and returns the parameters'
gradients. Every line is derived from the op's rules in ``ops.py`` (``python_code``), so a
new op needs nothing here.

Right or loud, as the engine: each domain check of an op is an ``if ...: raise`` line
with the engine's message; an op with a ``vjp`` rule (log, /) is written with it
(``g_x += g_y / x``: finite where 1/x overflows); a local derivative that masks (relu,
max) adds nothing where it is 0, even to an infinite gradient; one that is a quotient
(sqrt) adds nothing where the gradient is 0. Where the engine's local derivative is
±inf because the float rule divides by zero or overflows (√x at 0), the generated code
raises ZeroDivisionError or OverflowError: loud, never a wrong number. Inputs and
constants get no gradient lines (constants are written as numbers).
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping, Sequence
from operator import add
from typing import Any

from ...core.value import Value
from ...rules import ops
from ..plan import Plan
from .python_code import HELPERS, Code, PythonCode, code

__all__ = ["PythonBackend", "generate", "graph_names"]

Key = tuple[str, int]  # ("v", row of V) or ("p", entry of P)

#: Names the generated code uses for itself.
_RESERVED = {"math", "forward", "backward", "inputs", "params", "tape", "seed", "d", "abs",
             "sum", "max", "min", *HELPERS}
_WIDTH = 92


def _nodes(plan: Plan) -> list[tuple[ops.Op, Key, list[Any]]]:
    """(op, key, operands as the layout splits them) per node, in run order; an operand
    is a key (a parameter's copy row is the parameter itself)."""
    copies = dict(zip(plan.copy_rows, plan.copy_index))

    def key(index: int, scalar: bool) -> Key:
        if scalar:
            return ("p", index)
        return ("p", copies[index]) if index in copies else ("v", index)

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
                if j < lay.heads:
                    parts.append(key(index[i], scalar))
                else:
                    o, c = offsets[i], g.counts[i]  # type: ignore[index]
                    parts.append([key(k, scalar) for k in index[o:o + c]])
            out.append((g.op, ("v", row), parts))
    return out


# --- names --------------------------------------------------------------------------------

def graph_names(plan: Plan, outputs: Sequence[Value], inputs: Sequence[Value],
                params: Sequence[Value], names: Mapping[Any, str] | None = None
                ) -> dict[Key, str]:
    """The name of each node of ``plan`` that has one: from ``names`` (keyed by node or
    by ``id(node)``, as ``autograd.display.naming.names`` gives), else its label. Found by
    walking the graph from the outputs alongside the plan's operands."""
    names = names or {}
    found: dict[Key, Value] = {("v", i): v for i, v in enumerate(inputs)}
    found.update((("p", i), v) for i, v in enumerate(params))
    where = {key: (op, parts) for op, key, parts in _nodes(plan)}
    stack = list(zip((("v", r) for r in plan.out_rows), outputs))
    while stack:
        key, v = stack.pop()
        if key in found or key not in where:
            continue
        op, parts = where[key]
        if v.is_leaf:  # an output that is a leaf: compile computes it as leaf + 0
            stack.append((parts[0], v))
            continue
        found[key] = v
        for part, p in zip(op.flat(parts), v.parents):
            stack.append((part, p))
    out = {}
    for key, v in found.items():
        name = names.get(v) if names.get(v) is not None else names.get(id(v))
        if name or v.label:
            out[key] = str(name or v.label)
    return out


def _identifier(raw: str) -> str | None:
    """``raw`` as a Python name (``L1.n3.w1`` is ``L1_n3_w1``), or None for a name that is
    an expression (``(0.6905 − out_o1)²``) or a number."""
    text = re.sub(r"(′|″|‴|⁗\d*)+$", "", raw)  # a repeated name's primes: made unique below
    text = unicodedata.normalize("NFKC", text).replace(".", "_")
    return text if text.isidentifier() else None


def _claim(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``...: unique, neither reserved nor a keyword, and
    neither it nor its gradient ``g_name`` taken."""
    base, k = name, 1
    while (name in taken or f"g_{name}" in taken or name in _RESERVED
           or keyword.iskeyword(name)):
        k += 1
        name = f"{base}_{k}"
    taken.update((name, f"g_{name}"))
    return name


def _variables(plan: Plan, nodes: list[tuple[ops.Op, Key, list[Any]]],
               given: Mapping[Key, str]) -> dict[Key, str]:
    """A unique Python name for each input, parameter and node: its given name, else
    ``x1``.. (inputs), ``p1``.. (parameters), ``out``/``out1``.. (outputs), ``t1``.."""
    keys = [("v", i) for i in range(plan.n_inputs)] + [("p", i) for i in range(plan.n_params)]
    keys += [key for _, key, _ in nodes]
    outs = [("v", r) for r in plan.out_rows]
    default: dict[Key, str] = {}
    for i in range(plan.n_inputs):
        default[("v", i)] = f"x{i + 1}"
    for i in range(plan.n_params):
        default[("p", i)] = f"p{i + 1}"
    for j, key in enumerate(outs):
        default.setdefault(key, "out" if len(outs) == 1 else f"out{j + 1}")
    taken: set[str] = set()
    out: dict[Key, str] = {}
    for key in keys:  # the graph's own names first: a default never takes one
        name = _identifier(given[key]) if key in given else None
        if name:
            out[key] = _claim(name, taken)
    count = 0
    for key in keys:
        if key not in out:
            if key not in default:
                count += 1
            out[key] = _claim(default.get(key, f"t{count}"), taken)
    return out


# --- the code -----------------------------------------------------------------------------

class _Writer:
    """The generated lines of one program, and what they need."""

    def __init__(self, plan: Plan, nodes: list[tuple[ops.Op, Key, list[Any]]],
                 names: dict[Key, str]) -> None:
        self.plan, self.nodes, self.names = plan, nodes, names
        self.ns = PythonCode()
        self.shown: dict[Key, str] = {}  # each node's forward line
        self.wants: dict[Key, bool] = {("p", i): True for i in range(plan.n_params)}
        for _, key, parts in nodes:
            self.wants[key] = any(self.wants.get(k, False) for k in _flat(parts))
        self.defined: set[str] = set()
        #: ops whose rules cannot be written as Python (they branch on values): the name
        #: the code calls them by
        self.opaques: dict[ops.Op, str] = {}

    def opaque(self, op: ops.Op) -> str:
        """The name of ``op``'s own forward in the code (its ``_vjp`` gives the
        contributions as the engine computes them); the globals hold both."""
        if op not in self.opaques:
            base = re.sub(r"\W", "_", op.name)
            name = f"rule_{base}_{len(self.opaques) + 1}"
            self.opaques[op] = name
            self.ns.external[name] = op.eval
            self.ns.external[f"{name}_vjp"] = _engine_vjp(op)
        return self.opaques[op]

    def operand(self, part: Any) -> Any:
        if isinstance(part, list):
            return [self.operand(p) for p in part]
        kind, i = part
        if kind == "p" and i >= self.plan.n_params:  # a constant: its value
            return code(self.plan.const_values[i - self.plan.n_params])
        return Code(self.names[part])

    def grad(self, key: Key) -> str:
        return f"g_{self.names[key]}"

    def add(self, target: str, c: Code, condition: Code | None = None) -> list[str]:
        """``target += c`` (``=`` the first time), under ``condition`` if one is given."""
        lines = []
        if condition is not None and target not in self.defined:
            lines.append(f"{target} = 0.0")
            self.defined.add(target)
        if target in self.defined:
            line = (f"{target} -= {c.negated.text}" if c.negated is not None
                    else f"{target} += {c.text}")
        else:
            line = f"{target} = {c.text}"
            self.defined.add(target)
        lines.append(line if condition is None else f"if {condition.text}: {line}")
        return lines


def _engine_vjp(op: ops.Op) -> Any:
    """``vjp(g, out, *xs)``: each input's contribution g · ∂out/∂x, as the engine's
    backward pass computes it (IEEE where the float rule raises, then ``Op.settle``)."""
    def vjp(g: float, out: float, *xs: float) -> list[float]:
        contributions = []
        for i, d in enumerate(op.local_flat(out, xs)):
            c = d * g
            if c - c != 0.0 and op.masks:
                c = op.settle(i, xs, out, d, g, c)
            contributions.append(c)
        return contributions

    return vjp


def _flat(parts: Sequence[Any]) -> list[Key]:
    out: list[Key] = []
    for p in parts:
        out.extend(p if isinstance(p, list) else [p])
    return out


def _forward_lines(w: _Writer, op: ops.Op, key: Key, parts: list[Any]) -> list[str]:
    try:
        return _written_forward(w, op, key, parts)
    except Exception:  # noqa: BLE001 (rules that branch on values: the op's own, called)
        call = w.opaque(op)
        args = ", ".join(code(a).text for a in _flat([w.operand(p) for p in parts]))
        w.shown[key] = f"{w.names[key]} = {call}({args})"
        return [w.shown[key]]


def _written_forward(w: _Writer, op: ops.Op, key: Key, parts: list[Any]) -> list[str]:
    args = [w.operand(p) for p in parts]
    lines = []
    for d in op.domain:
        bad = d.bad(w.ns, *args)
        if bad is False:
            continue
        error = "ZeroDivisionError" if issubclass(d.error, ZeroDivisionError) else (
            "OverflowError" if issubclass(d.error, OverflowError) else "ValueError")
        lines += [f"if {code(bad).text}:", f"    raise {error}({_message(op, d, parts, w)})"]
    w.shown[key] = f"{w.names[key]} = {code(op.forward(w.ns, *args)).text}"
    return [*lines, w.shown[key]]


class _Field:
    """A stand-in for an operand in a domain's message: formats as an f-string field."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"\0{self.text}!r\0"

    def __str__(self) -> str:
        return f"\0{self.text}\0"

    def __format__(self, spec: str) -> str:
        return f"\0{self.text}:{spec}\0" if spec else str(self)


def _message(op: ops.Op, d: ops.Domain, parts: list[Any], w: _Writer) -> str:
    """The domain's message as an f-string of the operands' names (or their values)."""
    def field(part: Any) -> Any:
        if isinstance(part, list):
            return [field(p) for p in part]
        return _Field(w.operand(part).text)

    try:
        text = f"{op.title}: {d.message(*[field(p) for p in parts])}"
    except Exception:  # noqa: BLE001 (a message that computes with its operands)
        text = f"{op.title}: input out of its domain"
    pieces = text.replace("{", "{{").replace("}", "}}").split("\0")
    body = "".join(p if i % 2 == 0 else "{" + p + "}" for i, p in enumerate(pieces))
    text = repr(body)
    if text.startswith("'") and '"' not in body:  # double quotes, as the house writes
        text = '"' + text[1:-1].replace("\\'", "'") + '"'
    return "f" + text


def _backward_lines(w: _Writer, op: ops.Op, key: Key, parts: list[Any]) -> list[str]:
    flat = _flat(parts)
    targets = [w.grad(k) if w.wants.get(k, False) else None for k in flat]
    g = w.grad(key)
    if not any(targets) or g not in w.defined:
        return []
    args, out, gc = [w.operand(p) for p in parts], Code(w.names[key]), Code(g)
    lines = [f"# {w.shown[key]}"]
    try:  # the rules on code, before any line is written
        if op in w.opaques:
            raise TypeError("rules that cannot be written")
        rules = ([code(c) for c in op.flat(op.vjp(w.ns, gc, out, *args))] if op.vjp
                 else [code(d) for d in op.flat(op.partials(w.ns, out, *args))])
    except Exception:  # noqa: BLE001 (rules that branch on values: the op's own, called)
        flat_args = ", ".join(code(a).text for a in _flat(args))
        lines.append(f"d = {w.opaque(op)}_vjp({g}, {w.names[key]}, {flat_args})")
        for i, t in enumerate(targets):
            if t:
                lines += w.add(t, Code(f"d[{i}]"))
        return lines
    if op.vjp is not None:  # the contributions written directly (g / x for log)
        for t, c in zip(targets, rules):
            if t:
                lines += w.add(t, c)
        return lines
    partials = rules
    lists = {id(d.item[0]): d.item[0] for d in partials if d.item is not None}
    if lists:  # a list-valued helper (tie_share): computed once, then indexed
        (shares,) = lists.values()
        lines.append(f"d = {shares.text}")
        partials = [Code(f"d[{d.item[1]}]") if d.item else d for d in partials]
    for i, (t, d) in enumerate(zip(targets, partials)):
        if not t:
            continue
        slot = op.layout.position(i, len(flat))[0]
        if op.mask_flags[slot]:
            lines += _masked(w, t, d, gc)
        elif op.quotient_flags[slot] and not d.is_number():
            lines += w.add(t, d * gc, condition=gc != 0.0)
        else:
            lines += w.add(t, d * gc)
    return lines


def _masked(w: _Writer, target: str, d: Code, g: Code) -> list[str]:
    """A contribution whose local derivative masks: nothing where it is 0 (0 · inf is 0)."""
    if d.is_number(0.0):
        return []
    if d.where is not None:
        cond, a, b = d.where
        if a.is_number(0.0):
            return w.add(target, b * g, condition=~cond)
        if b.is_number(0.0):
            return w.add(target, a * g, condition=cond)
    if d.is_number() or re.fullmatch(r"[\w\[\]]+", d.text):
        return w.add(target, d * g, condition=d != 0.0)
    return [f"d = {d.text}", *w.add(target, Code("d") * g, condition=Code("d") != 0.0)]


def _listed(head: str, items: list[str], tail: str, indent: str) -> list[str]:
    """``head + ", ".join(items) + tail`` on one line, or wrapped in parentheses."""
    one = f"{indent}{head}{', '.join(items)}{tail}"
    if len(one) <= _WIDTH:
        return [one]
    lines, line = [], indent + head
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else tail)
        if len(line) + len(piece) + 1 > _WIDTH and line.strip() not in ("", head.strip()):
            lines.append(line.rstrip())
            line = indent + "    "
        line += piece + " "
    return [*lines, line.rstrip()]


def _unpack(names: list[str], source: str, indent: str) -> list[str]:
    if not names:
        return []
    if len(names) == 1:
        return [f"{indent}({names[0]},) = {source}"]
    lines = _listed("(", names, f") = {source}", indent)
    return [f"{indent}{', '.join(names)} = {source}"] if len(lines) == 1 else lines


def generate(plan: Plan, names: Mapping[Key, str] | None = None
             ) -> tuple[str, dict[str, Any]]:
    """The source of ``forward(inputs, params)`` and ``backward(inputs, params, tape,
    seed)`` (one example each) and the globals it needs beyond ``math`` (a user's maths
    functions, if any). ``names``: the names of nodes, by key (``graph_names``)."""
    nodes = _nodes(plan)
    w = _Writer(plan, nodes, _variables(plan, nodes, names or {}))
    body = [line for op, key, parts in nodes for line in _forward_lines(w, op, key, parts)]
    ins = [w.names[("v", i)] for i in range(plan.n_inputs)]
    ps = [w.names[("p", i)] for i in range(plan.n_params)]
    tape = [w.names[key] for _, key, _ in nodes]
    outs = [w.names[("v", r)] for r in plan.out_rows]
    fw = ["def forward(inputs, params):",
          '    """The outputs and the tape (every node\'s value) for one example."""',
          *_unpack(ins, "inputs", "    "), *_unpack(ps, "params", "    "),
          *("    " + line for line in body)]
    ret = f"    return [{', '.join(outs)}], ({', '.join(tape)}{',' if len(tape) == 1 else ''})"
    fw += [ret] if len(ret) <= _WIDTH else [*_listed("outputs = [", outs, "]", "    "),
                                             *_listed("tape = (", tape, ")", "    "),
                                             "    return outputs, tape"]
    back = []
    for j, r in enumerate(plan.out_rows):
        back += w.add(w.grad(("v", r)), Code(f"seed[{j}]"))
    for op, key, parts in reversed(nodes):
        back += _backward_lines(w, op, key, parts)
    bw = ["def backward(inputs, params, tape, seed):",
          '    """d(seed · outputs)/d params for one example, from its tape."""',
          *_unpack(ins, "inputs", "    "), *_unpack(ps, "params", "    "),
          *_unpack(tape, "tape", "    "), *("    " + line for line in back)]
    grads = [w.grad(("p", i)) if w.grad(("p", i)) in w.defined else "0.0"
             for i in range(plan.n_params)]
    bw += _listed("return [", grads, "]", "    ")
    head = ['"""Forward and backward pass, written out by chainrule\'s compile (plain '
            'Python).', "", "forward(inputs, params) -> (outputs, tape); backward(inputs, "
            "params, tape, seed)", '-> the gradient of sum(seed[j] * outputs[j]) for each '
            'parameter, in the order of params."""', "", "import math", ""]
    for name in w.ns.external:
        if name.endswith("_vjp") and name[:-4] in w.opaques.values():
            continue
        what = next((f"op {op.name!r}, whose rules branch on values (they cannot be "
                     f"written as Python): its forward, and {name}_vjp its backward"
                     for op, n in w.opaques.items() if n == name),
                    "a maths function declared with autograd.extend.function")
        head.append(f"# {name}: {what}; define it before running this code alone")
    blocks = [HELPERS[name][0] for name in _ordered(w.ns.used)] + ["\n".join(fw),
                                                                  "\n".join(bw)]
    text = "\n".join(head) + "\n\n" + "\n\n\n".join(blocks) + "\n"
    return text, dict(w.ns.external)


def _ordered(used: Mapping[str, None]) -> list[str]:
    """The helpers used, each after those it calls."""
    out: list[str] = []
    for name in used:
        for dep in HELPERS[name][1]:
            if dep not in out:
                out.append(dep)
        if name not in out:
            out.append(name)
    return out


class PythonBackend:
    """Runs a ``Plan`` as generated Python, example by example; parameter gradients are
    summed over the batch."""

    name = "python"
    own_constants = True  # constants are written into the code as numbers

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
        self._rows = X.tolist()
        self._tapes, outs = [], []
        for k, row in enumerate(self._rows):
            try:
                out, tape = self._forward(row, self._P)
            except (ArithmeticError, ValueError) as exc:  # name the row, as the others do
                raise type(exc)(f"{exc} (batch row {k})") from None
            outs.append(out)
            self._tapes.append(tape)
        return np.array(outs, dtype=float).reshape(len(outs), len(self.plan.out_rows))

    def backward(self, seed: Any) -> Any:
        import numpy as np

        backward, P = self._backward, self._P
        total = [0.0] * self.plan.n_params
        for row, tape, s in zip(self._rows, self._tapes, seed.tolist()):
            total = list(map(add, total, backward(row, P, tape, s)))
        return np.array(total, dtype=float)
