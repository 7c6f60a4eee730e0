"""Stand-ins: the nodes of a gradient graph made by ``backward(create_graph=True)``.

``x.grad`` after ``backward(create_graph=True)`` is a Value whose graph is built on
*stand-ins* of the original graph's nodes (``twin_graph``), so that no node's ``.grad``
refers back to the node (no reference cycles). One rule for every API (the module doc of
``functional.py``): a stand-in *is* its original. ``grad_of``, ``jvp`` and ``backward``
credit the original with a stand-in's share, and a stand-in goes stale with its original.
A stand-in leaf finds its original through ``_y`` (a weak reference); an interior stand-in
through ``_STANDS_FOR`` (weak on both sides, so neither keeps the other alive).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from .value import Value, check_fresh, make_node, topological_order

__all__ = ["twin_graph", "stands_for", "credit_originals", "original_of", "accumulate_leaf",
           "made"]

#: has any stand-in been made yet? (until then the passes skip looking for them)
made = False

_STANDS_FOR: weakref.WeakKeyDictionary[Value, weakref.ref[Value]] = weakref.WeakKeyDictionary()


def stands_for(node: Value) -> Value:
    """The node a stand-in stands for (alive), or ``node`` itself."""
    if node._x is None:
        ref = node._y
    else:
        ref = _STANDS_FOR.get(node) if made else None
    original = ref() if ref is not None else None
    return node if original is None else original


def credit_originals(order: Sequence[Value], adj: dict[int, Any]) -> dict[int, Any]:
    """``adj`` with every stand-in's entry added to its original's (a new dict when any
    stand-in is among ``order``)."""
    if not made:
        return adj
    out = adj
    for node in order:
        original = stands_for(node)
        if original is not node and id(node) in adj:
            if out is adj:
                out = dict(adj)
            out[id(original)] = out.get(id(original), 0.0) + adj[id(node)]
    return out


def twin_graph(root: Value) -> dict[int, Value]:
    """A stand-in for every node of ``root``'s graph: leaves become new leaves that point
    back (weakly) to the original, interior nodes repeat the op on the stand-ins. Built so
    that the gradient graph of ``backward(create_graph=True)`` never refers to the nodes
    whose ``.grad`` holds it."""
    global made
    made = True
    order = topological_order(root)
    check_fresh(order)
    twin: dict[int, Value] = {}
    for node in order:
        if node._x is None:
            t = make_node(node._data, None)
            t._y = node._y if node._y is not None else weakref.ref(node)
        else:
            if type(node._x) is tuple:
                t = make_node(node._data, node._op, tuple(twin[id(p)] for p in node._x))
            else:
                t = make_node(node._data, node._op, *[twin[id(p)] for p in node.parents])
            _STANDS_FOR[t] = weakref.ref(stands_for(node))
        t.label = node.label
        twin[id(node)] = t
    return twin


def original_of(leaf: Value) -> Value | None:
    """The leaf whose gradient a leaf receives: itself, or for a stand-in the original
    (None once the original is gone)."""
    ref = leaf._y
    return leaf if ref is None else ref()


def accumulate_leaf(leaf: Value, extra: Any) -> None:
    """Add ``extra`` to a leaf's grad; a stand-in leaf passes its gradient to the original."""
    ref = leaf._y
    if ref is None:
        leaf.grad += extra
        return
    original = ref()
    g, leaf.grad = leaf.grad + extra, 0.0
    if original is not None:
        original.grad += g
