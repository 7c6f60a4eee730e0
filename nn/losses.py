"""Losses: each takes outputs and targets and returns one ``Value``."""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

import autograd
from autograd import Value, dot, sum
from autograd import arguments as _args

from .module import Module

__all__ = ["squared_error", "mse", "hinge", "binary_cross_entropy", "cross_entropy", "l2"]

Scalar = Value | int | float


def _number(x: Scalar) -> float:
    """A target's number (a Value target is read through its data)."""
    return x.data if isinstance(x, Value) else float(x)


def _scalar(x: object) -> bool:
    return isinstance(x, (Value, int, float)) or getattr(x, "ndim", None) == 0


def _list(x: Any, name: str, what: str, expected: str = "a number, a Value or a list of them"
          ) -> Sequence[Any]:
    """``x`` as a sequence: a list or tuple as it is, any other iterable read once."""
    if type(x) is list or type(x) is tuple:
        return x
    return _args.sequence(x, name, what, expected)


def _pairs(outputs: Sequence[Scalar], targets: Sequence[Scalar], name: str,
           names: tuple[str, str] = ("outputs", "targets")) -> list[tuple]:
    """(output, target) pairs: two numbers, or two sequences of the same length. Outputs
    must be numbers or Values; targets finite numbers (or Values, as when traced)."""
    listed = not (_scalar(outputs) and _scalar(targets))
    pairs: list[tuple[Any, Any]]
    if not listed:
        pairs = [(outputs, targets)]
    else:
        if _scalar(outputs) or _scalar(targets):
            one, many = ("output", "targets") if _scalar(outputs) else ("target", "outputs")
            seq = _list(targets if one == "output" else outputs, name,
                        names[1] if one == "output" else names[0])
            raise TypeError(f"{name}: one {one} but a list of {len(seq)} {many}; pass both "
                            f"as lists of the same length (a model's output is a list: "
                            f"mse(model(x), [y]))")
        outputs, targets = _list(outputs, name, names[0]), _list(targets, name, names[1])
        if len(outputs) != len(targets):
            raise ValueError(f"{name}: {len(outputs)} outputs but {len(targets)} targets")
        if not outputs:
            raise ValueError(f"{name}: no outputs")
        pairs = list(zip(outputs, targets))
    for i, (o, t) in enumerate(pairs):
        if type(o) is not Value and type(o) is not float and not _scalar(o):
            raise _args.type_error(name, _at(names[0], i, listed), "a number or a Value", o)
        if type(t) is not float and type(t) is not Value and not _scalar(t):
            raise _args.type_error(name, _at(names[1], i, listed), "a number or a Value", t)
        number = t._data if type(t) is Value else t
        if number - number != 0.0:  # inf or NaN: a target is data, and must be finite
            raise _args.value_error(name, _at(names[1], i, listed), "a finite number", t)
    return pairs


def _at(what: str, i: int, listed: bool) -> str:
    return f"{what}[{i}]" if listed else what


def squared_error(outputs: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """E = ½ Σ (target − output)², the seeds' convention: ∂E/∂output = output − target."""
    return 0.5 * sum((t - o) ** 2 for o, t in _pairs(outputs, targets, "squared_error"))


def mse(outputs: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """Mean squared error: (1/n) Σ (target − output)²."""
    pairs = _pairs(outputs, targets, "mse")
    return sum((t - o) ** 2 for o, t in pairs) / len(pairs)


def hinge(scores: Sequence[Scalar], labels: Sequence[Scalar]) -> Value:
    """Max-margin loss (1/n) Σ relu(1 − y·score), labels y in {−1, +1}.

    Labels that are numbers are checked here; a label that is a ``Value`` (such as a
    placeholder traced by ``compile``, whatever its value) is not: ``fit`` checks every
    label of its data."""
    pairs = _pairs(scores, labels, "hinge", ("scores", "labels"))
    listed = not _scalar(labels)
    for i, (_, y) in enumerate(pairs):
        if not isinstance(y, Value) and _number(y) not in (-1.0, 1.0):
            raise _args.value_error("hinge", _at("labels", i, listed), "-1 or +1", y)
    return sum((1 - y * s).relu() for s, y in pairs) / len(pairs)


def binary_cross_entropy(probs: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """(1/n) Σ −[t·log p + (1 − t)·log(1 − p)] for probabilities p in (0, 1), t in [0, 1].

    Feed it sigmoid outputs. A p outside [0, 1] or a t outside [0, 1] raises
    ``ValueError`` naming it; so does a p of exactly 0 or 1 (log 0 is −∞): a sigmoid
    saturates to 1.0 above about 37, so prefer a loss on the logits there. NaN passes.
    """
    who = "binary_cross_entropy"
    pairs = _pairs(probs, targets, who, ("probs", "targets"))
    listed = not _scalar(probs)
    terms = []
    for i, (p, t) in enumerate(pairs):
        if not 0.0 <= _number(t) <= 1.0:
            raise _args.value_error(who, _at("targets", i, listed), "in [0, 1]", t)
        q = _number(p)
        if not 0.0 < q < 1.0 and q == q:
            what = _at("probs", i, listed)
            if 0.0 <= q <= 1.0:
                raise _args.value_error(who, what, "strictly between 0 and 1 (log 0 is -inf: "
                                        "the sigmoid saturated)", p)
            raise _args.value_error(who, what, "a probability in [0, 1], such as a sigmoid "
                                    "output", p)
        p = p if isinstance(p, Value) else Value(p)
        terms.append(-(t * p.log() + (1 - t) * (1 - p).log()))
    return sum(terms) / len(pairs)


def cross_entropy(logits: Sequence[Scalar], target: int | Sequence[Scalar]) -> Value:
    """Softmax cross-entropy −Σ t_i log softmax(z)_i = log Σ exp(z_j) − Σ t_i z_i, for a
    class index or a one-hot (or probability) vector ``target``.

    log Σ exp(z_j) is one ``logsumexp`` node (computed as c + log Σ exp(z_j − c) with
    c = max z_j, so no exp overflows, also when compiled); its gradient is softmax(z).
    """
    who = "cross_entropy"
    zs = _list(logits, who, "logits")
    if not zs:
        raise ValueError(f"{who}: logits must hold at least one value, got {_args.got(logits)}")
    logits = [z if isinstance(z, Value) else Value(_args.real(z, who, f"logits[{i}]",
                                                               "a number or a Value", True))
              for i, z in enumerate(zs)]
    index = _class_index(target)
    if index is not None:
        if not 0 <= index < len(logits):
            raise _args.value_error(who, "target", f"a class index in [0, {len(logits)}) "
                                    f"(class {index} out of range for {len(logits)} logits)",
                                    target)
        weights: Sequence[Scalar] = [1.0 if i == index else 0.0 for i in range(len(logits))]
    else:
        if isinstance(target, (bool, float, str, bytes, Value)) or _scalar(target) \
                or not hasattr(target, "__iter__"):
            raise _args.type_error(who, "target", f"a class index (an int) or a list of "
                                   f"{len(logits)} numbers (one-hot or probabilities)", target)
        weights = [t if isinstance(t, Value) else _args.finite(t, who, f"target[{i}]", True)
                   for i, t in enumerate(target)]
    if len(weights) != len(logits):
        raise ValueError(f"cross_entropy: {len(logits)} logits but {len(weights)} targets")
    return autograd.logsumexp(logits) - dot(weights, logits)


def _class_index(target: Any) -> int | None:
    """``target`` as a class index if it is an int (NumPy's too; not a bool), else None."""
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        return operator.index(target)
    return None


def l2(params: Sequence[Value], alpha: float) -> Value:
    """Weight decay term alpha · Σ p² (``alpha`` >= 0: a penalty, not a reward).

    ``l2`` already multiplies by ``alpha``: micrograd's ``alpha * sum(p*p for p in
    model.parameters())`` is ``l2(model.parameters(), alpha)`` (or ``l2(model, alpha)``:
    a model stands for its parameters), and ``alpha * l2(...)`` would apply alpha twice.
    """
    if isinstance(params, Module):
        params = params.parameters()
    params = _list(params, "l2", "params", "a list of Values such as model.parameters()")
    if isinstance(alpha, Value):
        if not (math.isfinite(alpha.data) and alpha.data >= 0):
            raise _args.value_error("l2", "alpha", ">= 0 and finite", alpha)
    else:
        alpha = _args.nonnegative(alpha, "l2", "alpha")
    return alpha * sum(p * p for p in params)
