"""The order in which a dot node's inputs receive their contributions: start, then a_i and
b_i pair by pair (a1, b1, a2, b2, …), in the fast pass and the reference pass alike. It
matters only for an input that a node reads twice, where floats sum in that order."""

from __future__ import annotations

import autograd
from autograd import Value
from autograd.core.backward import adjoints
from autograd.core.functions import neuron


def _crossed(make):
    """p read at a2 and b1 of one dot, and also by a newer consumer (p·1, so its gradient
    is 1 before the dot's turn). u·p + p·v: ∂/∂p from b1 is u, from a2 is v."""
    u, p, v, s = Value(1e-16), Value(0.5), Value(-1.0), Value(0.0)
    d = make([u, p], [p, v], s)
    root = d + p * 1.0
    return root, p


def test_a_node_read_twice_sums_pair_by_pair_in_both_passes():
    # by hand, in the documented order: p's gradient is 1 (from p·1, the newer consumer),
    # then + u (b1, paired with a1) then + v (a2): (1 + 1e-16) − 1 = 0.0 in floats; the
    # a-half-first order would give (1 − 1) + 1e-16 = 1e-16
    for make in (lambda a, b, s: autograd.dot(a, b, s), lambda a, b, s: neuron(a, b, s)):
        root, p = _crossed(make)
        _, adj = adjoints(root)
        assert adj[id(p)] == (1.0 + 1e-16) + -1.0 == 0.0
        root.backward()
        assert p.grad == 0.0


def test_self_dot_and_disjoint_halves_are_unchanged():
    # dot(x, x): each x_i gets x_i·g twice; disjoint halves: each gets the other's value
    xs = [Value(0.1), Value(-0.3), Value(2.5)]
    root = autograd.dot(xs, xs, 0.0)
    root.backward()
    assert [x.grad for x in xs] == [0.1 + 0.1, -0.3 + -0.3, 2.5 + 2.5]
    a, b = [Value(1.5), Value(-2.0)], [Value(0.25), Value(4.0)]
    root = autograd.dot(a, b, Value(1.0)) * 2.0
    root.backward()
    assert [v.grad for v in a] == [0.5, 8.0] and [v.grad for v in b] == [3.0, -4.0]
