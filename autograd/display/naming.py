"""Readable names for every node of a graph, derived at display time.

``names(root)`` gives each node a name that ``draw_dot``, ``explain`` and the network view
share, with no labelling by hand and no work during the forward or backward pass:

* a node with a ``label`` keeps it (a model's parameters are labelled by place, ``L1.n2.w1``);
* a neuron's weighted sum (a ``dot`` whose bias is labelled ``P.b``, or ``b_X``) is
  ``P.net`` (``net_X``) and the one-input op applied to it is ``P.out`` (``out_X``);
* on a graph built by hand, a weighted sum (``w1*i1 + w2*i2 + b1``: products with a
  labelled leaf, and labelled leaves, with a bias or two products) that feeds an activation
  (a one-input op other than a negation or a power), or that reads a neuron's output, is a
  neuron too: numbered by layer as the tutorials do, ``net_h1``/``out_h1`` in the hidden
  layers (``net_h2_1`` with several) and ``net_o1``/``out_o1`` in the last;
* an unlabelled leaf fed to a neuron is an input ``x1``, ``x2``, ... (by its place);
* an unlabelled root is ``loss``;
* any other leaf is a constant and shows its value (``0.5``), even when the value repeats;
* any other node is a short expression of its inputs' names (``0.6905 − L2.n1.out``,
  ``(0.6905 − L2.n1.out)²``, ``relu(L1.n2.net)``), or ``op(…)`` when that grows long.

Names other than unlabelled leaves' are unique: a repeated one gets primes (``a·2``,
``a·2′``, ``a·2″``, ``a·2‴``, ``a·2⁗5``). A constant, or an input given as a plain number
(``w1*0.05`` and ``w3*0.05`` each make a leaf: both are ``x1``), is never primed (``1′``
would read as a derivative): views that need a key per node use its place, not its name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..core.value import Value, topological_order
from ..rules.symbolic import number_text

__all__ = ["names", "is_named", "operand", "hand_neurons", "MAX_EXPRESSION"]

#: The longest expression used as a name; longer ones become ``op(…)``.
MAX_EXPRESSION = 32

_BINARY = {"+": " + ", "-": " − ", "*": "·", "/": "/"}
_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")
_PRIMES = ["", "′", "″", "‴"]


def names(root_or_order: Value | Sequence[Value]) -> dict[int, str]:
    """``id(node) -> name`` for every node of the graph of a root (or of a topological
    order, inputs first, root last), each unique but an unlabelled leaf's (see the module
    doc)."""
    order = (topological_order(root_or_order) if isinstance(root_or_order, Value)
             else list(root_or_order))
    inputs = _input_places(order)
    nets, outs = _find_neurons(order)
    built = _number_neurons(nets, outs)
    for key, place in _hand_inputs(nets).items():
        inputs.setdefault(key, place)
    out: dict[int, str] = {}
    precs: dict[int, int] = {}
    taken: dict[str, int] = {}
    root = order[-1] if order else None
    for node in order:
        if node.label:
            name, prec = node.label, _ATOM
        elif id(node) in built and node is not root:
            name, prec = built[id(node)][1], _ATOM
        else:
            name, prec = _derived(node, node is root, out, precs, inputs)
        data = node.is_leaf and not node.label  # a constant, or an input given as a number
        out[id(node)] = name if data else _unique(name, taken)
        precs[id(node)] = prec
    return out


def is_named(node: Value, name: str) -> bool:
    """True when ``name`` is a label or a place name (``x1``, ``P.net``, ``out_X``,
    ``loss``) rather than an expression or a constant's value: ``explain`` stops there."""
    if node.label:
        return True
    base = re.sub(r"(′|″|‴|⁗\d+)$", "", name)
    return bool(re.fullmatch(r"x\d+|loss|net|out|[\w.]+\.(net|out)|(net|out)_\w+", base))


# --- neurons of a graph built by hand -------------------------------------------------------

def _terms(top: Value) -> list[Value]:
    """The terms of a sum: ``top``'s inputs, unlabelled ``+`` nodes opened up, in order."""
    out, stack = [], [top]
    while stack:
        node = stack.pop()
        if node is top or (node.op in ("+", "sum") and not node.label):
            stack.extend(reversed(node.parents))
        else:
            out.append(node)
    return out


def _weight_of(term: Value) -> Value | None:
    """The weight of a term ``w·x`` (a labelled leaf, the first one), else None."""
    if term.op != "*":
        return None
    return next((p for p in term.parents if p.is_leaf and p.label), None)


def _weighted_sum(node: Value) -> list[Value] | None:
    """The terms of ``node`` if it is a weighted sum (``w1·x1 + w2·x2 + b``: labelled
    leaves and products with a labelled leaf, with a bias or two products), else None."""
    if node.op not in ("+", "sum"):
        return None
    terms = _terms(node)
    if not all((t.is_leaf and t.label) or _weight_of(t) is not None for t in terms):
        return None  # a constant term (x·2 + 1) is no neuron's: its bias has a name
    products = sum(not t.is_leaf for t in terms)
    return terms if products and (products >= 2 or len(terms) > products) else None


def _is_activation(node: Value) -> bool:
    """A one-input op that bends: not a negation, not a power."""
    return len(node.parents) == 1 and node.op != "neg" and not node.op.startswith("**")


def hand_neurons(order: Sequence[Value]) -> dict[int, tuple[str, str]]:
    """The neurons of a graph built by hand (see the module doc): ``id -> (role, name)``
    for each unlabelled weighted sum (role ``"net"``) and its activation (``"out"``),
    numbered by layer; ``dot`` neurons are left to their biases' labels."""
    return _number_neurons(*_find_neurons(order))


def _find_neurons(order: Sequence[Value]) -> tuple[list[tuple[int, Value]], dict[int, Value]]:
    """(layer, weighted sum) of each neuron, inputs first, and each one's activation."""
    consumers: dict[int, list[Value]] = {}
    for node in order:
        for p in node.parents:
            consumers.setdefault(id(p), []).append(node)
    outs: dict[int, Value] = {}  # id(net) -> its activation
    out_ids: set[int] = set()
    layer: dict[int, int] = {}  # id(node) -> the deepest neuron layer it reads
    nets: list[tuple[int, Value]] = []
    for node in order:
        depth = max((layer.get(id(p), 0) for p in node.parents), default=0)
        layer[id(node)] = depth
        above = consumers.get(id(node), [])
        if any(u.op in ("+", "sum") and not u.label for u in above):
            continue  # an inner part of a longer sum
        terms = _weighted_sum(node)
        if terms is None:
            continue
        act = next((u for u in above if _is_activation(u)), None)
        if act is None and not any(id(q) in out_ids for t in terms for q in t.parents):
            continue
        layer[id(node)] = depth + 1
        nets.append((depth + 1, node))
        if act is not None:
            outs[id(node)] = act
            out_ids.add(id(act))
    return nets, outs


def _number_neurons(nets: list[tuple[int, Value]], outs: dict[int, Value]
                    ) -> dict[int, tuple[str, str]]:
    """Tags by layer: ``h1``, ``h2`` (``h1_1``, ``h2_1`` with several hidden layers) and
    ``o1``, ``o2`` in the last layer."""
    last = max((k for k, _ in nets), default=0)
    count: dict[int, int] = {}
    out: dict[int, tuple[str, str]] = {}
    for k, net in nets:
        count[k] = count.get(k, 0) + 1
        j = count[k]
        tag = f"o{j}" if k == last else (f"h{j}" if last == 2 else f"h{k}_{j}")
        if not net.label:
            out[id(net)] = ("net", f"net_{tag}")
        act = outs.get(id(net))
        if act is not None and not act.label:
            out[id(act)] = ("out", f"out_{tag}")
    return out


def _hand_inputs(nets: list[tuple[int, Value]]) -> dict[int, int]:
    """The unlabelled leaves the first layer's neurons weigh, numbered by their place."""
    places: dict[int, int] = {}
    for k, net in nets:
        if k != 1:
            continue
        terms = [t for t in _weighted_sum(net) or [] if not t.is_leaf]
        for i, t in enumerate(terms, 1):
            for p in t.parents:
                if p.is_leaf and not p.label:
                    places.setdefault(id(p), i)
    return places


def _input_places(order: list[Value]) -> dict[int, int]:
    """Unlabelled leaves read by a neuron's dot, numbered by their place in its run."""
    places: dict[int, int] = {}
    for node in order:
        if node.op != "dot" or _neuron(node) is None:
            continue
        parents = node.parents
        n = (len(parents) - 1) // 2
        for i, x in enumerate(parents[1 + n:], 1):
            if x.is_leaf and not x.label:
                places.setdefault(id(x), i)
    return places


def _neuron(dot: Value) -> tuple[str, str] | None:
    """(prefix, separator) of a neuron's dot node, from its bias's label: ``P.b`` gives
    ('P', '.'), ``b_X`` gives ('X', '_'); None when it is not a labelled neuron."""
    bias = dot.parents[0].label
    if bias == "b":
        return "", ""
    if bias.endswith(".b"):
        return bias[:-2], "."
    if bias.startswith("b_"):
        return bias[2:], "_"
    return None


def _derived(
    node: Value, is_root: bool, done: dict[int, str], precs: dict[int, int],
    inputs: dict[int, int],
) -> tuple[str, int]:
    """The name of an unlabelled node and its precedence (see the module doc)."""
    if node.is_leaf:
        if id(node) in inputs:
            return f"x{inputs[id(node)]}", _ATOM
        text = number_text(node.data)
        return text, _precedence(text)
    if is_root:
        return "loss", _ATOM
    parents = node.parents
    if node.op == "dot" and (place := _neuron(node)) is not None:
        return _place("net", *place), _ATOM
    if len(parents) == 1 and parents[0].op == "dot" and (place := _neuron(parents[0])):
        if not parents[0].label:  # a relabelled net: leave it to the expression
            return _place("out", *place), _ATOM
    return _expression(node, [done[id(p)] for p in parents], [precs[id(p)] for p in parents])


def _place(what: str, prefix: str, sep: str) -> str:
    """'net' of neuron 'L1.n2' is 'L1.n2.net'; of 'h1' (biases 'b_h1') 'net_h1'."""
    return {".": f"{prefix}.{what}", "_": f"{what}_{prefix}"}.get(sep, what)


# Precedence of a name's top operator: higher binds tighter.
_ATOM, _POWER, _NEGATION, _PRODUCT, _SUM = 9, 8, 7, 6, 5
_BINARY_PREC = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT}


def _expression(
    node: Value, args: list[str], precs: list[int], shorten: bool = True
) -> tuple[str, int]:
    """A short expression of the inputs' names and its precedence; with its operands
    elided (``(…)·(…)``) when that is long, ``op(…)`` when that is still long."""
    op = node.op

    def arg(k: int, least: int) -> str:
        return f"({args[k]})" if precs[k] < least else args[k]

    if op in _BINARY and len(args) == 2:
        p = _BINARY_PREC[op]
        tight = p + 1 if op in "-/" else p  # a − (b − c), a/(b·c)
        text, prec = f"{arg(0, p)}{_BINARY[op]}{arg(1, tight)}", p
    elif op == "neg":
        text, prec = f"−{arg(0, _PRODUCT + 1)}", _NEGATION
    elif op.startswith("**") and len(args) == 1:
        power = op[2:]
        sup = "²" if power == "2" else power.translate(_SUPERSCRIPT)
        text, prec = f"{arg(0, _ATOM)}{sup}", _POWER
    elif op == "**":
        text, prec = f"{arg(0, _ATOM)}^{arg(1, _ATOM)}", _POWER
    elif op == "sum":
        text, prec = "Σ(" + ", ".join(args) + ")", _ATOM
    elif op == "abs":
        text, prec = f"|{args[0]}|", _ATOM
    else:
        text, prec = f"{op}({', '.join(args)})", _ATOM
    if len(text) > MAX_EXPRESSION and shorten:  # the same shape, operands elided
        text = _expression(node, ["…"] * len(args), [_ATOM] * len(args), False)[0]
        if len(text) > MAX_EXPRESSION:  # many operands
            text = "Σ(…)" if op == "sum" else f"{op}(…)"
    return text, prec


def _precedence(name: str) -> int:
    """The precedence of a label or a constant: an atom, unless it starts with a sign."""
    return _NEGATION if name.startswith(("-", "−")) else _ATOM


def operand(name: str) -> str:
    """``name`` in parentheses when it is compound (``(1 − out)``), for use in a formula."""
    return _wrap(name)


def _wrap(name: str) -> str:
    """Parenthesise a compound name used as an operand."""
    compound = any(ch in name for ch in " ·/²") and not re.fullmatch(r"\w+\(.*\)", name)
    return f"({name})" if compound or name.startswith("−") else name


def _unique(name: str, taken: dict[str, int]) -> str:
    """``name``, or it with primes if it is taken (``a′``, ``a″``, ``a‴``, then ``a⁗5``)."""
    k = taken.get(name, 0)
    taken[name] = k + 1
    if k == 0:
        return name
    candidate = name + (_PRIMES[k] if k < len(_PRIMES) else f"⁗{k + 1}")
    return _unique(candidate, taken) if candidate in taken else _register(candidate, taken)


def _register(name: str, taken: dict[str, int]) -> str:
    taken[name] = 1
    return name
