"""The engine's semantics as a Hypothesis state machine (``EngineStateMachine``): random
sequences of engine operations against the complex step of the whole expression."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ..core.value import Value, apply
from ..rules.ops import Op
from .strategies import OPS, SMOOTH_OPS, operand_count

__all__ = ["EngineStateMachine"]


def _default_machine_ops() -> tuple[Op, ...]:
    from ..rules.ops import RELU, leaky_relu

    return (*(OPS[name] for name in SMOOTH_OPS), RELU, leaky_relu(0.2))


class EngineStateMachine(RuleBasedStateMachine):
    """Random sequences of engine operations checked against a reference that uses no
    derivative rule: the complex step of the whole expression, evaluated from this
    machine's own record of how each node was made (each op's forward on complex numbers).

    Rules: make leaves; apply random ops of ``ops`` to earlier nodes (reusing them); run
    ``backward`` (twice in a row, too) and check that leaf gradients accumulate;
    ``zero_grad``; ``detach``; ops under ``no_grad`` (their results are leaves);
    ``backward(create_graph=True)`` and a second derivative through ``grad_of``; and a
    ``backward`` interrupted by ``KeyboardInterrupt`` (an op whose partial raises once),
    after which ``zero_grad`` and a new ``backward`` must give exact gradients again.

    Extend it with your own ops (non-smooth ops must agree with the complex step at their
    kinks, as relu and leaky_relu do; abs and max do not, so they are left out)::

        class MyMachine(EngineStateMachine):
            ops = (*EngineStateMachine.ops, my_op)

        TestMyOps = MyMachine.TestCase
    """

    ops: Sequence[Op] = _default_machine_ops()
    max_nodes = 40
    bound = 2.0
    max_value = 1e6

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[Value] = []
        self.records: list[tuple[Op | None, tuple[int, ...]]] = []
        self.expected: dict[int, float] = {}  # leaf index -> expected .grad
        self.slack: dict[int, float] = {}  # leaf index -> allowed error
        self._armed = False
        self.interrupt_once = Op("interrupt_once", lambda m, x: x, self._interrupt_rule,
                                 doc="x; its derivative 1 raises KeyboardInterrupt once")

    def _interrupt_rule(self, m: Any, out: Any, x: Any) -> tuple[float]:
        if self._armed:
            self._armed = False
            raise KeyboardInterrupt("interrupted backward (test)")
        return (1.0,)

    # --- bookkeeping --------------------------------------------------------------------
    def _add(self, v: Value, op: Op | None, parents: tuple[int, ...] = ()) -> int:
        self.nodes.append(v)
        self.records.append((op, parents))
        i = len(self.nodes) - 1
        if op is None:
            self.expected[i], self.slack[i] = 0.0, 0.0
        return i

    def _pick(self, data: Any) -> int:
        return int(data.draw(st.integers(0, len(self.nodes) - 1)))

    def _into_domain(self, op: Op, j: int, i: int) -> int | None:
        """Node i, or a new node lo + (hi − lo)·σ(node i) when ``op`` has a domain."""
        if not op.domain:
            return i
        from ..rules.ops import ADD, MUL, SIGMOID

        slot = j if j < op.layout.heads else op.layout.heads + (j - op.layout.heads) // 2
        lo, hi = op.sample[min(slot, len(op.sample) - 1)]
        s = self._add(apply(SIGMOID, self.nodes[i]), SIGMOID, (i,))
        width = self._add(Value(hi - lo), None)
        scaled = self._add(apply(MUL, self.nodes[width], self.nodes[s]), MUL, (width, s))
        low = self._add(Value(lo), None)
        return self._add(apply(ADD, self.nodes[low], self.nodes[scaled]), ADD, (low, scaled))

    def _reach(self, r: int) -> list[int]:
        """Indices of the nodes node r is made from (itself included), ascending."""
        seen, stack = {r}, [r]
        while stack:
            for p in self.records[stack.pop()][1]:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return sorted(seen)

    def _evaluate(self, r: int, leaf: int, h: float, at: dict[int, float] | None = None
                  ) -> complex:
        """Node r on complex numbers with ``leaf`` moved by i·h (leaf values from ``at``)."""
        from ..rules.maths import COMPLEX as CX
        from ..rules.maths import CStep

        at = at or {}
        vals: dict[int, complex] = {}
        for k in self._reach(r):
            op, parents = self.records[k]
            if op is None:
                x = at.get(k, self.nodes[k].data)
                vals[k] = CStep(complex(x, h if k == leaf else 0.0))
            else:
                z = op.forward(CX, *op.split([vals[p] for p in parents]))
                vals[k] = CStep(complex(z))
        return vals[r]

    def reference_gradient(self, r: int, at: dict[int, float] | None = None
                           ) -> dict[int, float]:
        """∂node_r/∂leaf for every leaf below r, by complex step of the recorded expression."""
        out = {}
        for k in self._reach(r):
            if self.records[k][0] is None:
                x = (at or {}).get(k, self.nodes[k].data)
                h = 1e-20 * max(1.0, abs(x))
                out[k] = self._evaluate(r, k, h, at).imag / h
        return out

    def _tolerances(self, r: int) -> dict[int, float]:
        from ..check.rounding import rounding_bounds

        leaves = [k for k in self._reach(r) if self.records[k][0] is None]
        bounds = rounding_bounds(self.nodes[r], [self.nodes[k] for k in leaves])
        # the reference evaluates its own (complex) forward: allow 1e-9 of the rounding
        # scale S + T for intermediate values that differ in the last bits, and h²-size
        # truncation (1e-30) where a derivative is 0
        return {k: 1e-9 * b / 2.0**-52 + 1e-30 for k, b in zip(leaves, bounds)}

    def _expect_backward(self, r: int) -> None:
        tol = self._tolerances(r)
        for k, g in self.reference_gradient(r).items():
            self.expected[k] += g
            self.slack[k] += tol[k]

    # --- rules --------------------------------------------------------------------------
    @initialize(xs=st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=3))
    def make_leaves(self, xs: list[float]) -> None:
        for x in xs:
            self._add(Value(x), None)

    @rule(x=st.floats(-2.0, 2.0, allow_nan=False))
    def leaf(self, x: float) -> None:
        self._add(Value(x), None)

    @precondition(lambda self: len(self.nodes) < self.max_nodes)
    @rule(data=st.data())
    def apply_op(self, data: Any) -> None:
        op = data.draw(st.sampled_from(list(self.ops)))
        picks = [self._pick(data) for _ in range(operand_count(op))]
        args = [self._into_domain(op, j, i) for j, i in enumerate(picks)]
        inputs = tuple(a for a in args if a is not None)
        try:
            v = apply(op, *[self.nodes[i] for i in inputs])
        except (ArithmeticError, ValueError):
            return
        assert v.data == op.eval(*[self.nodes[i].data for i in inputs]) or v.data != v.data
        if math.isfinite(v.data) and abs(v.data) <= self.max_value:
            self._add(v, op, inputs)

    @rule(data=st.data())
    def backward(self, data: Any) -> None:
        r = self._pick(data)
        self._expect_backward(r)
        self.nodes[r].backward()

    @rule(data=st.data())
    def backward_twice(self, data: Any) -> None:
        r = self._pick(data)
        for _ in range(2):
            self._expect_backward(r)
            self.nodes[r].backward()

    @rule(data=st.data())
    def zero_grad(self, data: Any) -> None:
        r = self._pick(data)
        self.nodes[r].zero_grad()
        for k in self._reach(r):
            if self.records[k][0] is None:
                self.expected[k], self.slack[k] = 0.0, 0.0

    @rule(data=st.data())
    def detach(self, data: Any) -> None:
        r = self._pick(data)
        d = self.nodes[r].detach()
        assert d.is_leaf and d.data == self.nodes[r].data and d.grad == 0.0
        self._add(d, None)

    @rule(data=st.data())
    def op_under_no_grad(self, data: Any) -> None:
        from ..core.modes import is_grad_enabled, no_grad

        op = data.draw(st.sampled_from(list(self.ops)))
        picks = [self._pick(data) for _ in range(operand_count(op))]
        with no_grad():
            assert not is_grad_enabled()
            try:
                v = apply(op, *[self.nodes[i] for i in picks])
            except (ArithmeticError, ValueError):
                return
        assert is_grad_enabled() and v.is_leaf
        if math.isfinite(v.data) and abs(v.data) <= self.max_value:
            self._add(v, None)  # a constant as far as any gradient is concerned

    @rule(data=st.data())
    def create_graph(self, data: Any) -> None:
        from ..check.references import richardson
        from ..core.functional import grad_of

        r = self._pick(data)
        self._expect_backward(r)
        self.nodes[r].backward(create_graph=True)
        leaves = [k for k in self._reach(r) if self.records[k][0] is None]
        i = data.draw(st.sampled_from(leaves))
        (first,) = grad_of(self.nodes[r], [self.nodes[i]], create_graph=True)
        second = grad_of(first, [self.nodes[k] for k in leaves])
        for k, got in zip(leaves, second):
            def g(t: float, k: int = k) -> float:
                return self.reference_gradient(r, {k: t})[i]

            ref, est = richardson(g, self.nodes[k].data, 1e-2 * max(1.0, abs(self.nodes[k].data)))
            scale = max(1.0, abs(ref), abs(got))
            assert abs(got - ref) <= 10 * est + 1e-6 * scale, (
                f"∂²/∂leaf{i}∂leaf{k}: create_graph gives {got!r}, the reference {ref!r} "
                f"(error estimate {est:.1e})")

    @rule(data=st.data())
    def interrupted_backward(self, data: Any) -> None:
        r = self._pick(data)
        other = self._pick(data)
        from ..rules.ops import ADD

        cut = self._add(apply(self.interrupt_once, self.nodes[r]), self.interrupt_once, (r,))
        y = self._add(apply(ADD, self.nodes[other], self.nodes[cut]), ADD, (other, cut))
        self._armed = True
        try:
            self.nodes[y].backward()
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("the interrupting op's partial did not run")
        assert not self._armed
        self.zero_grad_of(y)  # leaf gradients of an interrupted pass are partial: reset
        self._expect_backward(y)
        self.nodes[y].backward()

    def zero_grad_of(self, r: int) -> None:
        self.nodes[r].zero_grad()
        for k in self._reach(r):
            if self.records[k][0] is None:
                self.expected[k], self.slack[k] = 0.0, 0.0

    @invariant()
    def leaf_gradients_match_the_reference(self) -> None:
        for k, want in self.expected.items():
            g = self.nodes[k].grad
            got = g.data if isinstance(g, Value) else g
            assert abs(got - want) <= self.slack[k] + 1e-12 * abs(want), (
                f"leaf {k} (data {self.nodes[k].data!r}): .grad is {got!r}, the reference "
                f"{want!r} (allowed error {self.slack[k]:.2e})")
