"""The plan of a traced graph: what ``compile`` hands to a backend.

``trace`` collects the graph below the outputs; ``_plan`` groups its nodes by depth and op
(one array call per group), lays them out in the rows of ``V`` (computed nodes and inputs)
and the vector ``P`` (parameters and constants), and marks each group of ``dot`` nodes that
is a dense layer. Backends read only this module.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..core.modes import enable_grad
from ..core.value import Value, make_node, op_of, topological_order
from ..rules import ops

__all__ = ["Plan", "GroupPlan", "trace", "plan", "collector_paused"]


@dataclass
class GroupPlan:
    """Every node of one op at one depth. ``operands[j]`` lists operand j of every node
    (for a run of an n-ary op: every term of every node, node after node); ``scalar[j]``
    says whether those are indices into ``P`` (parameters and constants) or rows of ``V``.
    ``counts``: terms per node, for n-ary ops. ``dense``: for a dense ``dot`` group,
    (bias indices into P, weight indices into P as k rows of n, the n shared rows of V)."""

    op: ops.Op
    out: list[int]
    operands: list[list[int]]
    scalar: list[bool]
    counts: list[int] | None
    dense: tuple[list[int], list[list[int]], list[int]] | None = None


@dataclass
class Plan:
    """A traced graph, free of ``Value``s: what a backend needs to run it."""

    n_inputs: int
    n_params: int
    const_values: list[float]
    n_rows: int
    copy_rows: list[int]
    copy_index: list[int]
    out_rows: list[int]
    groups: list[GroupPlan]


def trace(outputs: Sequence[Value], inputs: Sequence[Value], params: Sequence[Value],
          dense: bool = True) -> Plan:
    """The plan of the graph from ``inputs`` and ``params`` to ``outputs``. Linear in the
    number of nodes: one pass over the graph, dictionaries keyed by ``id``."""
    # Rows of V: inputs, then computed nodes by depth. Entries of P: params, then
    # constants. An output that is itself a leaf is given a node (x + 0), also under no_grad.
    with enable_grad():
        outputs = [v if not v.is_leaf else v + 0.0 for v in outputs]
    root = make_node(0.0, None)  # a throwaway node above every output, made by hand so
    root._op, root._x = ops.SUM, tuple(outputs)  # that no_grad cannot turn it into a leaf
    with collector_paused():
        return plan(topological_order(root)[:-1], outputs, inputs, params, dense)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Compiling allocates no reference cycles, but millions of objects: with the cyclic
    collector on, each full collection would rescan the whole graph (quadratic growth)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def plan(nodes: list[Value], outputs: list[Value], inputs: Sequence[Value],
         params: Sequence[Value], dense: bool) -> Plan:
    """The plan of ``nodes`` (topological order, inputs first): buckets of nodes with the
    same depth, op and operand kinds become groups, laid out in the rows of ``V``."""
    known = {id(v) for v in (*inputs, *params)}
    consts = [v for v in nodes if v._x is None and id(v) not in known]
    scalars = {id(v): i for i, v in enumerate([*params, *consts])}
    buckets, mixed = _buckets(nodes, inputs, params, consts, scalars)
    # Rows of V: inputs, copies of mixed parameters, then each group's nodes together, the
    # groups by depth (so that every group writes one contiguous block of rows).
    copies = list(mixed.values())
    order = sorted(buckets, key=lambda k: k[0])  # stable: keeps topological order
    rows = {id(v): i for i, v in enumerate([*inputs, *copies])}
    for key in order:
        for v, _ in buckets[key]:
            rows[id(v)] = len(rows)
    groups = [_group(buckets[key], key[3], scalars, rows, dense) for key in order]
    return Plan(
        n_inputs=len(inputs), n_params=len(params), const_values=[v.data for v in consts],
        n_rows=len(rows), copy_rows=[rows[id(v)] for v in copies],
        copy_index=[scalars[id(v)] for v in copies],
        out_rows=[rows[id(v)] for v in outputs], groups=groups)


def _buckets(nodes: list[Value], inputs: Sequence[Value], params: Sequence[Value],
             consts: list[Value], scalars: dict[int, int]
             ) -> tuple[dict[tuple[Any, ...], list[tuple[Value, Any]]], dict[int, Value]]:
    """One pass in topological order: each node's depth, its operands as the op's layout
    splits them and their kinds (see ``_kinds``), bucketed by (depth, op, kinds); and the
    parameters that share a run with computed values (they get a row of their own)."""
    depth: dict[int, int] = dict.fromkeys(map(id, (*inputs, *params, *consts)), 0)
    buckets: dict[tuple[Any, ...], list[tuple[Value, Any]]] = {}
    mixed: dict[int, Value] = {}
    for v in nodes:
        x = v._x
        if x is None:
            continue
        ps = v.parents
        d = 1 + max([depth[id(p)] for p in ps])
        depth[id(v)] = d
        op = op_of(v)
        if op.layout.runs:
            parts = op.layout.split(ps)
            kind = _kinds(parts, scalars)
            if None in kind:
                mixed.update((id(p), p) for p in ps if id(p) in scalars)
        else:
            parts = list(ps)
            kind = tuple([id(p) in scalars for p in ps])
        buckets.setdefault((d, id(op), type(x) is tuple, kind), []).append((v, parts))
    return buckets, mixed


def _group(members: list[tuple[Value, Any]], kind: tuple[bool | None, ...],
           scalars: dict[int, int], rows: dict[int, int], dense: bool) -> GroupPlan:
    """One group: the rows of its nodes and of each operand (``P`` indices for scalars)."""
    op = op_of(members[0][0])
    lay = op.layout
    parts = [p for _, p in members]
    operands, scalar = [], []
    for j in range(len(parts[0])):
        is_scalar = kind[j] is True
        table = scalars if is_scalar else rows
        if j < lay.heads:
            operands.append([table[id(p[j])] for p in parts])
        else:
            operands.append([table[id(x)] for p in parts for x in p[j]])
        scalar.append(is_scalar)
    counts = [len(p[lay.heads]) for p in parts] if lay.runs else None
    if counts is not None and min(counts) == 0:
        raise ValueError(f"compile: an empty '{op.name}' node cannot be compiled")
    group = GroupPlan(op, [rows[id(v)] for v, _ in members], operands, scalar, counts)
    if dense and op is ops.DOT:
        group.dense = _dense(parts, kind, scalars, rows)
    return group


def _dense(parts: list[Any], kind: tuple[bool | None, ...], scalars: dict[int, int],
           rows: dict[int, int]) -> tuple[list[int], list[list[int]], list[int]] | None:
    """A dot group as a dense layer, if it is one: a parameter (or constant) start, one
    run of parameters (the weights) and one run of rows shared by every node (the
    layer's input). None otherwise: the generic segmented path runs it."""
    if kind not in ((True, True, False), (True, False, True)):
        return None
    w, x = (1, 2) if kind[1] else (2, 1)
    shared = parts[0][x]
    if any(p[x] != shared for p in parts):  # tuples of Values: compared by identity first
        return None
    if len({id(v) for v in shared}) != len(shared):
        return None
    return ([scalars[id(p[0])] for p in parts],
            [[scalars[id(v)] for v in p[w]] for p in parts],
            [rows[id(v)] for v in shared])


def _kinds(parts: list[Any], scalars: dict[int, int]) -> tuple[bool | None, ...]:
    """Per operand (head or run, as the op's layout splits them): True if it is
    parameters or constants only, False if computed values or inputs only, None if mixed
    (only runs can mix)."""
    out: list[bool | None] = []
    for part in parts:
        if isinstance(part, tuple):
            flags = {id(p) in scalars for p in part}
            out.append(flags.pop() if len(flags) == 1 else None)
        else:
            out.append(id(part) in scalars)
    return tuple(out)
