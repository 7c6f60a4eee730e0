"""Losses: each takes outputs and targets and returns one ``Value``."""

from __future__ import annotations

from collections.abc import Sequence

import autograd
from autograd import Value, dot, sum

__all__ = ["squared_error", "mse", "hinge", "binary_cross_entropy", "cross_entropy", "l2"]

Scalar = Value | int | float


def _number(x: Scalar) -> float:
    """A target's number (a Value target is read through its data)."""
    return x.data if isinstance(x, Value) else float(x)


def _scalar(x: object) -> bool:
    return isinstance(x, (Value, int, float)) or getattr(x, "ndim", None) == 0


def _pairs(outputs: Sequence[Scalar], targets: Sequence[Scalar], name: str) -> list[tuple]:
    """(output, target) pairs: two numbers, or two sequences of the same length."""
    if _scalar(outputs) and _scalar(targets):
        return [(outputs, targets)]
    if _scalar(outputs) or _scalar(targets):
        one, many = ("output", "targets") if _scalar(outputs) else ("target", "outputs")
        count = len(targets) if one == "output" else len(outputs)
        raise TypeError(f"{name}: one {one} but a list of {count} {many}; pass both as lists "
                        f"of the same length (a model's output is a list: mse(model(x), [y]))")
    if len(outputs) != len(targets):
        raise ValueError(f"{name}: {len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError(f"{name}: no outputs")
    return list(zip(outputs, targets))


def squared_error(outputs: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """E = ½ Σ (target − output)², the seeds' convention: ∂E/∂output = output − target."""
    return 0.5 * sum((t - o) ** 2 for o, t in _pairs(outputs, targets, "squared_error"))


def mse(outputs: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """Mean squared error: (1/n) Σ (target − output)²."""
    pairs = _pairs(outputs, targets, "mse")
    return sum((t - o) ** 2 for o, t in pairs) / len(pairs)


def hinge(scores: Sequence[Scalar], labels: Sequence[Scalar]) -> Value:
    """Max-margin loss (1/n) Σ relu(1 − y·score), labels y in {−1, +1}."""
    pairs = _pairs(scores, labels, "hinge")
    for _, y in pairs:
        if _number(y) not in (-1.0, 1.0):
            raise ValueError(f"hinge: labels must be -1 or +1, got {y!r}")
    return sum((1 - y * s).relu() for s, y in pairs) / len(pairs)


def binary_cross_entropy(probs: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """(1/n) Σ −[t·log p + (1 − t)·log(1 − p)] for probabilities p in (0, 1), t in [0, 1].

    Feed it sigmoid outputs; a p of exactly 0 or 1 raises ``ValueError`` from ``log``.
    """
    pairs = _pairs(probs, targets, "binary_cross_entropy")
    terms = []
    for p, t in pairs:
        if not 0.0 <= _number(t) <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets must lie in [0, 1], got {t!r}")
        p = p if isinstance(p, Value) else Value(p)
        terms.append(-(t * p.log() + (1 - t) * (1 - p).log()))
    return sum(terms) / len(pairs)


def cross_entropy(logits: Sequence[Scalar], target: int | Sequence[Scalar]) -> Value:
    """Softmax cross-entropy −Σ t_i log softmax(z)_i = log Σ exp(z_j) − Σ t_i z_i, for a
    class index or a one-hot (or probability) vector ``target``.

    log Σ exp(z_j) is one ``logsumexp`` node (computed as c + log Σ exp(z_j − c) with
    c = max z_j, so no exp overflows, also when compiled); its gradient is softmax(z).
    """
    logits = [z if isinstance(z, Value) else Value(z) for z in logits]
    if isinstance(target, int) and not isinstance(target, bool):
        if not 0 <= target < len(logits):
            raise ValueError(f"cross_entropy: class {target} out of range for "
                             f"{len(logits)} logits")
        weights: Sequence[Scalar] = [1.0 if i == target else 0.0 for i in range(len(logits))]
    else:
        weights = target  # type: ignore[assignment]  # a bool target is refused above
    if len(weights) != len(logits):
        raise ValueError(f"cross_entropy: {len(logits)} logits but {len(weights)} targets")
    return autograd.logsumexp(logits) - dot(weights, logits)


def l2(params: Sequence[Value], alpha: float) -> Value:
    """Weight decay term alpha · Σ p²."""
    return alpha * sum(p * p for p in params)
