"""The floor of an eager engine: a minimal reverse-mode tape in pure Python.

Values are floats in one list and a node is its index there; every op appends its result
and one record ``(op, out, inputs...)`` to the tape, so the tape is already in the order of
creation and the backward pass is one reverse sweep over it: no node objects, no ordering
pass, no checks, no modes, no names. It builds the same graph as chainrule's eager moons
step, node for node: a ``dot`` per neuron (bias + Σ w·x, one n-ary node, as
``autograd.dot``), ``relu``, the hinge terms ``relu(1 − y·s)``, Python's ``sum`` (a chain
of adds from 0), the division by the batch size, the L2 term ``α · Σ p·p``.
"""

from __future__ import annotations

from operator import mul
from typing import Any

# op codes, in the order the backward sweep tests them (most frequent first)
RELU, DOT, DOTC, MUL, ADD, ADDC, MULC, RSUBC, DIVC = range(9)


class Tape:
    """Parameters are the first ``len(params)`` values; ``backward`` returns every
    value's gradient (the parameters' first)."""

    __slots__ = ("values", "records")

    def __init__(self, params: list[float]) -> None:
        self.values: list[float] = list(params)
        self.records: list[tuple[Any, ...]] = []

    def dot(self, b: int, ws: list[int], xs: list[int]) -> int:
        v = self.values
        out = len(v)
        get = v.__getitem__
        v.append(v[b] + sum(map(mul, map(get, ws), map(get, xs))))
        self.records.append((DOT, out, b, ws, xs))
        return out

    def dot_const(self, b: int, ws: list[int], xs: list[float]) -> int:
        """A weighted sum of constant inputs (a first layer's): gradients to w and b only."""
        v = self.values
        out = len(v)
        v.append(v[b] + sum(map(mul, map(v.__getitem__, ws), xs)))
        self.records.append((DOTC, out, b, ws, xs))
        return out

    def relu(self, a: int) -> int:
        v = self.values
        out = len(v)
        x = v[a]
        v.append(x if x > 0.0 else 0.0)
        self.records.append((RELU, out, a))
        return out

    def mul(self, a: int, b: int) -> int:
        v = self.values
        out = len(v)
        v.append(v[a] * v[b])
        self.records.append((MUL, out, a, b))
        return out

    def add(self, a: int, b: int) -> int:
        v = self.values
        out = len(v)
        v.append(v[a] + v[b])
        self.records.append((ADD, out, a, b))
        return out

    def add_const(self, a: int, c: float) -> int:
        v = self.values
        out = len(v)
        v.append(v[a] + c)
        self.records.append((ADDC, out, a))
        return out

    def mul_const(self, a: int, c: float) -> int:
        v = self.values
        out = len(v)
        v.append(v[a] * c)
        self.records.append((MULC, out, a, c))
        return out

    def rsub_const(self, c: float, a: int) -> int:
        v = self.values
        out = len(v)
        v.append(c - v[a])
        self.records.append((RSUBC, out, a))
        return out

    def div_const(self, a: int, c: float) -> int:
        v = self.values
        out = len(v)
        v.append(v[a] / c)
        self.records.append((DIVC, out, a, c))
        return out

    def backward(self, root: int) -> list[float]:
        """One reverse sweep over the records: grad[input] += grad[out] · ∂out/∂input."""
        v = self.values
        grad = [0.0] * len(v)
        grad[root] = 1.0
        for rec in reversed(self.records):
            op = rec[0]
            g = grad[rec[1]]
            if op == RELU:
                if v[rec[1]] > 0.0:
                    grad[rec[2]] += g
            elif op == DOT:
                grad[rec[2]] += g
                for w, x in zip(rec[3], rec[4]):
                    grad[w] += g * v[x]
                    grad[x] += g * v[w]
            elif op == DOTC:
                grad[rec[2]] += g
                for w, x in zip(rec[3], rec[4]):
                    grad[w] += g * x
            elif op == MUL:
                a, b = rec[2], rec[3]
                grad[a] += g * v[b]
                grad[b] += g * v[a]
            elif op == ADD:
                grad[rec[2]] += g
                grad[rec[3]] += g
            elif op == ADDC:
                grad[rec[2]] += g
            elif op == MULC:
                grad[rec[2]] += g * rec[3]
            elif op == RSUBC:
                grad[rec[2]] -= g
            else:  # DIVC
                grad[rec[2]] += g / rec[3]
        return grad


def total(t: Tape, terms: list[int]) -> int:
    """Python's ``sum(terms)``: 0 + terms[0], then one add per further term."""
    out = t.add_const(terms[0], 0.0)
    for k in terms[1:]:
        out = t.add(out, k)
    return out


def moons_loss(t: Tape, shape: list[tuple[int, int]], xs: list[list[float]],
               ys: list[float], alpha: float) -> int:
    """mean hinge of ``MLP(2, [16, 16, 1])`` (ReLU hidden layers) + alpha · Σ p·p.

    ``shape`` is (inputs, outputs) per layer; the parameters are the tape's first values in
    chainrule's order (per neuron, its weights then its bias)."""
    layers = []
    k = 0
    for nin, nout in shape:
        neurons = []
        for _ in range(nout):
            neurons.append((list(range(k, k + nin)), k + nin))
            k += nin + 1
        layers.append(neurons)
    n_params = k
    terms = []
    last = len(layers) - 1
    for x, y in zip(xs, ys):
        h = [t.dot_const(b, ws, x) for ws, b in layers[0]]
        for i, neurons in enumerate(layers):
            if i:
                h = [t.dot(b, ws, h) for ws, b in neurons]
            if i < last:
                h = [t.relu(a) for a in h]
        terms.append(t.relu(t.rsub_const(1.0, t.mul_const(h[0], y))))
    hinge = t.div_const(total(t, terms), float(len(terms)))
    squares = [t.mul(p, p) for p in range(n_params)]
    return t.add(hinge, t.mul_const(total(t, squares), alpha))
