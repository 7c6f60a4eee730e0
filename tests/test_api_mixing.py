"""The derivative APIs mixed, against PyTorch in float64.

The other tests take ``backward``, ``grad_of``, ``grad``, ``hessian``, ``jvp``, ``detach``,
``no_grad`` and stale graphs one at a time. ``ApiMixingMachine`` interleaves them on one
small pool of leaves, each a ``Value`` with a twin ``torch.tensor(float64,
requires_grad=True)``; every node it makes is made twice, by the same expression on the
Values and on the tensors, so PyTorch works out every expected number:

* leaf gradients: the machine runs ``backward`` on the tensor whenever it runs it on the
  Value, and after each step every leaf's ``.grad`` must equal its tensor's ``.grad``;
* ``grad_of`` against ``torch.autograd.grad``; ``grad``, ``hessian``, ``jvp`` against
  ``torch.func.grad``, ``torch.func.hessian``, ``torch.func.jvp`` (function transforms: a
  value closed over is a constant of the inner derivative but stays differentiable
  outside, and an outer ``no_grad`` does not change what a transform computes);
* stale graphs (``StaleGraphError``): each torch graph node is stamped with the count of
  ``.data`` assignments made when it was created; a graph is stale when one of its nodes
  reads a leaf whose ``.data`` was set after that node was made. The rule is read off the
  torch graph, so it covers the gradients made by ``create_graph=True`` (their nodes read
  the leaves too) without asking chainrule how it builds them.

Two choices: ``grad(f)(x)`` for a Value ``x`` that ``f`` also closes over is f'(y) at y = x
with the closed-over ``x`` held constant (``torch.func.grad``, JAX and HIPS autograd: no
perturbation confusion); and second derivatives are taken with respect to leaves only
(with respect to an interior node, the derivative of a gradient depends on how the
gradient was written).

Below it, plain regression tests for the wrong answers the machine found.
"""

from __future__ import annotations

import math
from contextlib import nullcontext

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from autograd import (
    StaleGraphError,
    Value,
    grad,
    grad_of,
    hessian,
    is_grad_enabled,
    jvp,
    no_grad,
)

from support import need

torch = need("torch")

pytestmark = [
    pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning"),
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
]

F64 = torch.float64
TOL = 1e-9  # relative, and absolute near 0
BIG = 1e6  # draws whose expected numbers exceed this are skipped (conditioning)
MAX_NODES = 30


def T(x: float):
    return torch.tensor(float(x), dtype=F64)


def num(x) -> float:
    """The number in a float, a Value (a gradient with create_graph) or a 0-d tensor."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, torch.Tensor):
        return x.item()
    return 0.0 if x is None else float(x)


def close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=TOL, abs_tol=TOL)


def all_close(got, want) -> bool:
    return len(got) == len(want) and all(close(num(g), num(w)) for g, w in zip(got, want))


def big(*values) -> bool:
    return any(not math.isfinite(num(v)) or abs(num(v)) > BIG for v in values)


def raises_stale(call) -> bool:
    """True if ``call()`` raises StaleGraphError, False if it returns."""
    try:
        call()
    except StaleGraphError:
        return True
    return False


def torch_grads(out, inputs, seed: float = 1.0, create_graph: bool = False) -> list:
    """torch.autograd.grad, with 0 for inputs ``out`` does not reach (and for an ``out``
    that reaches nothing)."""
    if not out.requires_grad:
        return [T(0.0) for _ in inputs]
    return list(torch.autograd.grad(out, inputs, grad_outputs=T(seed), retain_graph=True,
                                    create_graph=create_graph, allow_unused=True,
                                    materialize_grads=True))


# --- ops: each written once, run on Values and on tensors ----------------------------------
# name: (function, guard on the operands' data: division keeps away from 0, exp from
# overflow; log only of x*x + 1)
UNARY = {
    "tanh": (lambda a: a.tanh(), None),
    "sin": (lambda a: a.sin(), None),
    "exp": (lambda a: a.exp(), lambda a: abs(a) <= 3.0),
    "sigmoid": (lambda a: a.sigmoid(), None),
    "sq": (lambda a: a**2, None),
    "cube": (lambda a: a**3, None),
    "log1sq": (lambda a: (a * a + 1).log(), None),
    "neg": (lambda a: -a, None),
}
BINARY = {
    "+": (lambda a, b: a + b, None),
    "-": (lambda a, b: a - b, None),
    "*": (lambda a, b: a * b, None),
    "/": (lambda a, b: a / b, lambda a, b: abs(b) >= 0.5),
}
WITH_NUMBER = {  # a node and a number c, the number on either side
    "a+c": (lambda a, c: a + c, None),
    "c-a": (lambda a, c: c - a, None),
    "c*a": (lambda a, c: c * a, None),
    "a/c": (lambda a, c: a / c, None),
    "c/a": (lambda a, c: c / a, lambda a, c: abs(a) >= 0.5),
}
NUMBERS = (-1.5, -0.5, 0.5, 2.0, 3.0)
SEEDS = st.sampled_from([1.0, -1.0, 0.5, 2.0, 0.0, -0.3])
# Inputs in [-2, 2]. The first values are where draws start and shrink to: not 0, where
# many derivatives vanish (3x², 6x) and a wrong one could hide.
REALS = st.one_of(st.sampled_from([0.7, -1.3, 1.6]), st.floats(-2.0, 2.0, allow_nan=False))

# Functions for grad / hessian / jvp: trees over their arguments ("arg", i) and the pool's
# leaves ("leaf", k: the k-th pool leaf, modulo the pool's size), with ops that stay finite
# for every input: no exp but of a sine, division only by b*b + 1.
FN_UNARY = {
    "tanh": lambda a: a.tanh(),
    "sin": lambda a: a.sin(),
    "sigmoid": lambda a: a.sigmoid(),
    "sq": lambda a: a**2,
    "cube": lambda a: a**3,
    "log1sq": lambda a: (a * a + 1).log(),
    "exp_sin": lambda a: a.sin().exp(),
}
FN_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/1+b²": lambda a, b: a / (b * b + 1),
}
FN_NUMBER = {name: fn for name, (fn, _) in WITH_NUMBER.items() if name != "c/a"}
FN_OPS = {**FN_UNARY, **FN_BINARY, **FN_NUMBER}
NUMBER_FORMS = {"a+c": "({a} + {c})", "c-a": "({c} - {a})", "c*a": "{c}*{a}", "a/c": "{a}/{c}"}


def trees(arity: int, uses: int = 0) -> st.SearchStrategy:
    """Trees over ``arity`` arguments that use argument ``uses``."""
    terminals = st.one_of(st.tuples(st.just("arg"), st.integers(0, arity - 1)),
                          st.tuples(st.just("leaf"), st.integers(0, 5)))

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.tuples(st.sampled_from(sorted(FN_UNARY)), children),
            st.tuples(st.sampled_from(sorted(FN_BINARY)), children, children),
            st.tuples(st.sampled_from(sorted(FN_NUMBER)), children, st.sampled_from(NUMBERS)),
        )

    def using(tree):  # a tree that misses the argument is multiplied by it
        return tree if ("arg", uses) in _terminals(tree) else ("*", tree, ("arg", uses))

    return st.recursive(terminals, extend, max_leaves=4).map(using)


def _terminals(tree) -> list:
    if tree[0] in ("arg", "leaf"):
        return [tree]
    return [t for sub in tree[1:] if isinstance(sub, tuple) for t in _terminals(sub)]


def evaluate(tree, args, leaf):
    """The tree on Values or on tensors: ``args`` and ``leaf(k)`` give the terminals."""
    kind = tree[0]
    if kind == "arg":
        return args[tree[1]]
    if kind == "leaf":
        return leaf(tree[1])
    if kind in FN_NUMBER:
        return FN_NUMBER[kind](evaluate(tree[1], args, leaf), tree[2])
    return FN_OPS[kind](*(evaluate(t, args, leaf) for t in tree[1:]))


def show(tree, leaf=lambda k: f"leaf[{k}]", names=("y", "z", "w")) -> str:
    """The tree as a formula; ``leaf(k)`` names the k-th pool leaf."""
    kind = tree[0]
    if kind == "arg":
        return names[tree[1]]
    if kind == "leaf":
        return leaf(tree[1])
    if kind in FN_NUMBER:
        return NUMBER_FORMS[kind].format(a=show(tree[1], leaf, names), c=tree[2])
    return f"{kind}({', '.join(show(t, leaf, names) for t in tree[1:])})"


@st.composite
def functions(draw, max_arity: int = 2):
    """(arity, tree, argnums) for grad: argnums an int or a tuple."""
    arity = draw(st.integers(1, max_arity))
    argnums = draw(st.sampled_from([0, 1, (0, 1)] if arity == 2 else [0, (0,)]))
    return arity, draw(trees(arity)), argnums


class Node:
    """A Value and its tensor. ``parents`` are the Nodes it was made from (none for a
    leaf); ``mut`` is the clock when a leaf's ``.data`` was last set."""

    def __init__(self, name: str, v: Value, t, parents: tuple = (), desc: str = "") -> None:
        self.name, self.v, self.t, self.parents, self.desc = name, v, t, parents, desc
        self.mut = 0

    @property
    def is_leaf(self) -> bool:
        return not self.parents

    def __repr__(self) -> str:
        return self.name


class Grad:
    """A gradient that is a Value (create_graph=True, or grad called with Values) and the
    same gradient in torch."""

    def __init__(self, name: str, v: Value, t) -> None:
        self.name, self.v, self.t = name, v, t

    def __repr__(self) -> str:
        return self.name


def reach(node: Node) -> list[Node]:
    """The Nodes ``node`` is made from, itself included."""
    seen, stack, out = {id(node)}, [node], []
    while stack:
        n = stack.pop()
        out.append(n)
        for p in n.parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return out


class ApiMixingMachine(RuleBasedStateMachine):
    pool = Bundle("pool")  # leaves made by Value(x): `set_data` changes them
    nodes = Bundle("nodes")  # every node, leaves included
    graphs = Bundle("graphs")  # the nodes made by ops: roots of graphs
    grads = Bundle("grads")  # gradients that are Values

    def __init__(self) -> None:
        super().__init__()
        self.clock = 0  # how many .data assignments so far
        self.count = 0
        self.n_nodes = 0  # made by ops
        self.pool_list: list[Node] = []
        self.leaves: list[Node] = []  # every leaf whose .grad is checked after each step
        self.by_tensor: dict[int, Node] = {}  # id(leaf tensor) -> leaf
        self.graph_list: list[Node] = []  # the graphs bundle, and the grads bundle:
        self.grad_list: list[Grad] = []  # for set_data's check

    # --- bookkeeping -------------------------------------------------------------------
    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _leaf(self, prefix: str, v: Value, t, desc: str = "") -> Node:
        node = Node(self._name(prefix), v, t, desc=desc)
        self.leaves.append(node)
        self.by_tensor[id(t)] = node
        return node

    def _stamp(self, t) -> None:
        """Stamp the torch graph nodes of ``t`` made since the last stamp with the clock."""
        stack = [t.grad_fn] if isinstance(t, torch.Tensor) and t.grad_fn is not None else []
        while stack:
            fn = stack.pop()
            if "made" in fn.metadata:
                continue  # and so is everything below it
            fn.metadata["made"] = self.clock
            stack.extend(c for c, _ in fn.next_functions
                         if c is not None and not hasattr(c, "variable"))

    def _stale(self, t) -> bool:
        """Is the graph of ``t`` stale: does one of its nodes read a leaf whose .data was
        set after the node was made?"""
        if not isinstance(t, torch.Tensor) or t.grad_fn is None:
            return False
        seen = {id(t.grad_fn): t.grad_fn}  # (the objects are kept: their ids stay unique)
        stack = [t.grad_fn]
        while stack:
            fn = stack.pop()
            for c, _ in fn.next_functions:
                if c is None or id(c) in seen:
                    continue
                if hasattr(c, "variable"):  # AccumulateGrad: fn reads a leaf
                    leaf = self.by_tensor.get(id(c.variable))
                    if leaf is not None and leaf.mut > fn.metadata["made"]:
                        return True
                else:
                    seen[id(c)] = c
                    stack.append(c)
        return False

    def _torch_leaves(self, t) -> list[Node]:
        """The machine's leaves that the graph of ``t`` reaches."""
        if not isinstance(t, torch.Tensor) or not t.requires_grad:
            return []
        if t.grad_fn is None:
            return [self.by_tensor[id(t)]] if id(t) in self.by_tensor else []
        found: dict[int, Node] = {}
        seen = {id(t.grad_fn): t.grad_fn}
        stack = [t.grad_fn]
        while stack:
            for c, _ in stack.pop().next_functions:
                if c is None or id(c) in seen:
                    continue
                seen[id(c)] = c
                if hasattr(c, "variable"):
                    if id(c.variable) in self.by_tensor:
                        found[id(c.variable)] = self.by_tensor[id(c.variable)]
                else:
                    stack.append(c)
        return list(found.values())

    def _made(self, v: Value, t, parents: tuple, desc: str):
        """Register a node made by an op, after checking its value against torch."""
        assert close(v.data, t.item()), f"{desc}: data {v.data!r}, torch {t.item()!r}"
        if not math.isfinite(v.data) or abs(v.data) > 100.0:
            return multiple()
        self._stamp(t)
        self.n_nodes += 1
        node = Node(self._name("n"), v, t, parents, desc)
        self.graph_list.append(node)
        return node

    def _grad(self, prefix: str, v: Value, t) -> Grad:
        g = Grad(self._name(prefix), v, t)
        self.grad_list.append(g)
        return g

    def _f(self, tree):
        return lambda *args: evaluate(tree, args, lambda k: self.pool_list[k % len(
            self.pool_list)].v)

    def _ft(self, tree):
        return lambda *args: evaluate(tree, args, lambda k: self.pool_list[k % len(
            self.pool_list)].t)

    def _leaf_values(self) -> list[Value]:
        return [n.v for n in self.leaves]

    def _leaf_tensors(self) -> list:
        return [n.t for n in self.leaves]

    def _interior_mismatches(self, r: Node, seed: float) -> list[str]:
        """Interior nodes below r whose .grad is not seed·∂r/∂node (the latest pass)."""
        interior = [n for n in reach(r) if not n.is_leaf]
        if not interior:
            return []
        want = torch_grads(r.t, [n.t for n in interior], seed)
        return [f"{n} = {n.desc}: .grad {num(n.v.grad)!r}, torch {w.item()!r}"
                for n, w in zip(interior, want) if not close(num(n.v.grad), w.item())]

    def _stash(self, leaves: list[Node]) -> list[Grad]:
        """After backward(create_graph=True): each leaf's .grad as a Grad. The tensor's
        .grad is replaced by a copy, since torch adds later gradients into it in place
        (chainrule makes a new Value)."""
        out = []
        for leaf in leaves:
            assert isinstance(leaf.v.grad, Value), (
                f"{leaf}.grad after backward(create_graph=True) is {leaf.v.grad!r}, "
                "not a Value")
            g = leaf.t.grad
            leaf.t.grad = g.clone()
            self._stamp(g)
            self._stamp(leaf.t.grad)
            out.append(self._grad(f"{leaf}.grad@", leaf.v.grad, g))
        return out

    # --- leaves --------------------------------------------------------------------------
    def _new_leaf(self, x: float) -> Node:
        node = self._leaf("x", Value(x), T(x).requires_grad_())
        self.pool_list.append(node)
        return node

    @initialize(targets=(pool, nodes), x=REALS)
    def first_leaf(self, x):
        return self._new_leaf(x)

    @initialize(targets=(pool, nodes), x=REALS)
    def second_leaf(self, x):
        return self._new_leaf(x)

    @precondition(lambda self: len(self.pool_list) < 5)
    @rule(targets=(pool, nodes), x=REALS)
    def new_leaf(self, x):
        return self._new_leaf(x)

    @rule(leaf=pool, x=REALS, data=st.data())
    def set_data(self, leaf, x, data):
        """x.data = ... (an optimizer step): graphs that read x before now are stale. Then
        grad_of on one graph and on one gradient made stale by it must raise."""
        self.clock += 1
        leaf.v.data = x
        with torch.no_grad():
            leaf.t.copy_(T(x))
        leaf.mut = self.clock
        assert leaf.v.data == x
        for kind, made in (("graph", self.graph_list), ("gradient", self.grad_list)):
            stale = [n for n in made if self._stale(n.t)]
            if stale:
                n = data.draw(st.sampled_from(stale), label=f"a stale {kind}")
                assert raises_stale(lambda n=n: grad_of(n.v, self._leaf_values())), (
                    f"{leaf}.data = {x!r}, then grad_of({n}, ...) did not raise: that {kind} "
                    f"read {leaf} before")

    # --- graphs --------------------------------------------------------------------------
    @precondition(lambda self: self.n_nodes < MAX_NODES)
    @rule(targets=(nodes, graphs), steps=st.lists(
        st.tuples(st.sampled_from([*UNARY, *BINARY, *WITH_NUMBER]), st.integers(0, 9),
                  st.integers(0, 9), st.sampled_from(NUMBERS)), min_size=1, max_size=6))
    def grow(self, steps):
        """A few nodes at once, over the pool's leaves and each other."""
        made = list(self.pool_list)
        for name, i, j, c in steps:
            a, b = made[i % len(made)], made[j % len(made)]
            if name in UNARY:
                node = self.unary(a, name)
            elif name in BINARY:
                node = self.binary(a, b, name)
            else:
                node = self.with_number(a, c, name)
            if isinstance(node, Node):
                made.append(node)
        return multiple(*made[len(self.pool_list):])

    @precondition(lambda self: self.n_nodes < MAX_NODES)
    @rule(targets=(nodes, graphs), a=nodes, name=st.sampled_from(sorted(UNARY)))
    def unary(self, a, name):
        fn, guard = UNARY[name]
        if guard is not None and not guard(a.v.data):
            return multiple()
        return self._made(fn(a.v), fn(a.t), (a,), f"{name}({a})")

    @precondition(lambda self: self.n_nodes < MAX_NODES)
    @rule(targets=(nodes, graphs), a=nodes, b=nodes, name=st.sampled_from(sorted(BINARY)))
    def binary(self, a, b, name):
        fn, guard = BINARY[name]
        if guard is not None and not guard(a.v.data, b.v.data):
            return multiple()
        return self._made(fn(a.v, b.v), fn(a.t, b.t), (a, b), f"{a} {name} {b}")

    @precondition(lambda self: self.n_nodes < MAX_NODES)
    @rule(targets=(nodes, graphs), a=nodes, c=st.sampled_from(NUMBERS),
          name=st.sampled_from(sorted(WITH_NUMBER)))
    def with_number(self, a, c, name):
        fn, guard = WITH_NUMBER[name]
        if guard is not None and not guard(a.v.data, c):
            return multiple()
        return self._made(fn(a.v, c), fn(a.t, c), (a,), f"{name} (a={a}, c={c})")

    @rule(target=nodes, a=nodes)
    def detach(self, a):
        d = a.v.detach()
        assert d.is_leaf and d.data == a.v.data and d.grad == 0.0, repr(d)
        node = self._leaf("d", d, a.t.detach().clone().requires_grad_(), f"{a}.detach()")
        if not self._stale(a.t):  # the gradient stops at d: ∂(a·d)/∂a is d, not 2a
            got = grad_of(a.v * d, [a.v, d])
            want = torch_grads(a.t * node.t, [a.t, node.t])
            assert all_close(got, want), (f"grad_of({a} * {node}, [{a}, {node}]), {node} = "
                                          f"{a}.detach(): {got}, torch {[num(w) for w in want]}")
        return node

    @rule(target=nodes, a=nodes, b=nodes, name=st.sampled_from(sorted(BINARY)))
    def op_under_no_grad(self, a, b, name):
        fn, guard = BINARY[name]
        if guard is not None and not guard(a.v.data, b.v.data):
            return multiple()
        with no_grad():
            assert not is_grad_enabled()
            v = fn(a.v, b.v)
        assert is_grad_enabled() and v.is_leaf, f"{a} {name} {b} under no_grad: {v.op!r}"
        with torch.no_grad():
            t = fn(a.t, b.t)
        assert close(v.data, t.item())
        return self._leaf("q", v, t.requires_grad_(), f"no_grad({a} {name} {b})")

    # --- backward ------------------------------------------------------------------------
    @rule(r=nodes, seed=SEEDS, times=st.integers(1, 2))
    def backward(self, r, seed, times):
        """r.backward(seed), once or twice (leaf gradients accumulate)."""
        if self._stale(r.t):
            assert raises_stale(lambda: r.v.backward(seed)), (
                f"backward on stale {r} = {r.desc} did not raise StaleGraphError")
            return
        for _ in range(times):
            r.v.backward(seed)
            r.t.backward(T(seed), retain_graph=True)
        bad = self._interior_mismatches(r, seed)
        assert not bad, f"after {r}.backward({seed}): {bad}"
        bad = self._leaf_grad_mismatches([n for n in reach(r) if n.is_leaf])
        assert not bad, f"after {r}.backward({seed}), the leaves' gradients' graphs: {bad}"

    @rule(r=graphs, seed=SEEDS)
    def backward_under_no_grad(self, r, seed):
        if self._stale(r.t):
            with no_grad():
                assert raises_stale(lambda: r.v.backward(seed))
            return
        with no_grad():
            r.v.backward(seed)
        with torch.no_grad():
            r.t.backward(T(seed), retain_graph=True)
        bad = [f"{n}.grad {num(n.v.grad)!r}, torch {num(n.t.grad)!r}" for n in self.leaves
               if not close(num(n.v.grad), num(n.t.grad))]
        assert not bad, f"after {r}.backward({seed}) inside no_grad: {bad}"
        bad = self._leaf_grad_mismatches([n for n in reach(r) if n.is_leaf])
        assert not bad, (f"after {r}.backward({seed}) inside no_grad, the leaves' gradients' "
                         f"graphs: {bad}")

    @rule(r=nodes)
    def zero_grad(self, r):
        r.v.zero_grad()
        for n in reach(r):
            if n.is_leaf:
                n.t.grad = None
        bad = [n for n in reach(r) if not (type(n.v.grad) is float and n.v.grad == 0.0)]
        assert not bad, f"after {r}.zero_grad(): {[(n, n.v.grad) for n in bad]}"

    @rule(target=grads, r=graphs, seed=SEEDS, data=st.data(),
          then=st.sampled_from(["grad_of", "backward inside no_grad", "backward", "nothing"]))
    def backward_create_graph(self, r, seed, then, data):
        """r.backward(create_graph=True), then at once grad_of(x.grad, leaves) for one leaf
        x, or a plain r.backward() (inside no_grad or not) that adds to the leaves' Value
        gradients, or nothing. The gradients also go to the grads bundle, for later steps."""
        if self._stale(r.t):
            assert raises_stale(lambda: r.v.backward(seed, create_graph=True)), (
                f"backward(create_graph=True) on stale {r} = {r.desc} did not raise")
            return multiple()
        r.v.backward(seed, create_graph=True)
        r.t.backward(T(seed), create_graph=True)
        out = self._stash([n for n in reach(r) if n.is_leaf])
        bad = self._interior_mismatches(r, seed)
        assert not bad, f"after {r}.backward({seed}, create_graph=True): {bad}"
        if then == "nothing":
            return multiple(*out)
        if then != "grad_of":
            with no_grad() if then == "backward inside no_grad" else nullcontext():
                r.v.backward(seed)
            r.t.backward(T(seed), retain_graph=True)
            bad = self._leaf_grad_mismatches([n for n in reach(r) if n.is_leaf])
            assert not bad, (f"{r}.backward({seed}, create_graph=True), then {then}, {r} = "
                             f"{r.desc}: {bad}")
            return multiple(*out)
        g = data.draw(st.sampled_from(out))
        if self._stale(g.t):  # x.grad adds up gradients made before a leaf's .data was set
            assert raises_stale(lambda: grad_of(g.v, self._leaf_values())), (
                f"grad_of on {g}, stale, did not raise")
            return multiple(*out)
        got = grad_of(g.v, self._leaf_values())
        want = torch_grads(g.t, self._leaf_tensors())
        assert all_close(got, want), (
            f"grad_of({g}, {self.leaves}) after {r}.backward({seed}, create_graph=True), "
            f"{r} = {r.desc}: {[num(x) for x in got]}, torch {[num(x) for x in want]}")
        return multiple(*out)

    @rule(r=graphs, seed=SEEDS)
    def backward_create_graph_under_no_grad(self, r, seed):
        """backward(create_graph=True) inside no_grad: the same gradients, and the same
        second derivatives (torch builds the gradients' graphs all the same). Its
        gradients are not kept for later steps: a wrong one here would fail them too."""
        if self._stale(r.t):
            return
        with no_grad():
            r.v.backward(seed, create_graph=True)
        with torch.no_grad():
            r.t.backward(T(seed), create_graph=True)
        leaves = [n for n in reach(r) if n.is_leaf]
        bad = [f"{n}.grad {num(n.v.grad)!r}, torch {num(n.t.grad)!r}" for n in leaves
               if not close(num(n.v.grad), num(n.t.grad))]
        assert not bad, (f"after {r}.backward({seed}, create_graph=True) inside no_grad, "
                         f"{r} = {r.desc}: {bad}")
        for g in self._stash(leaves):
            if not self._stale(g.t):
                got = grad_of(g.v, self._leaf_values())
                want = torch_grads(g.t, self._leaf_tensors())
                if not all_close(got, want):
                    bad.append(f"grad_of({g}, {self.leaves}) {[num(x) for x in got]}, "
                               f"torch {[num(x) for x in want]}")
        assert not bad, (f"second derivatives after {r}.backward({seed}, create_graph=True) "
                         f"inside no_grad, {r} = {r.desc}: {bad}")

    @rule(target=grads, g=grads, seed=SEEDS)
    def backward_create_graph_on_gradient(self, g, seed):
        """A third derivative: backward(create_graph=True) on a gradient."""
        if self._stale(g.t):
            assert raises_stale(lambda: g.v.backward(seed, create_graph=True)), (
                f"backward(create_graph=True) on stale gradient {g} did not raise")
            return multiple()
        leaves = self._torch_leaves(g.t)
        g.v.backward(seed, create_graph=True)
        if g.t.requires_grad:
            g.t.backward(T(seed), create_graph=True)
        return multiple(*self._stash(leaves))

    @rule(g=grads, seed=SEEDS)
    def backward_on_gradient(self, g, seed):
        """.backward() on a gradient: its gradients accumulate into the leaves."""
        if self._stale(g.t):
            assert raises_stale(lambda: g.v.backward(seed)), (
                f"backward on gradient {g} whose leaves changed did not raise "
                "StaleGraphError")
            return
        g.v.backward(seed)
        if g.t.requires_grad:
            g.t.backward(T(seed), retain_graph=True)

    @rule(g=grads)
    def grad_of_gradient(self, g):
        if self._stale(g.t):
            assert raises_stale(lambda: grad_of(g.v, self._leaf_values())), (
                f"grad_of on gradient {g} whose leaves changed did not raise")
            return
        got = grad_of(g.v, self._leaf_values())
        want = torch_grads(g.t, self._leaf_tensors())
        assert all_close(got, want), (
            f"grad_of({g}, {self.leaves}): {[num(x) for x in got]}, "
            f"torch {[num(x) for x in want]}")

    def _leaf_grad_mismatches(self, leaves: list[Node]) -> list[str]:
        """grad_of(x.grad, leaves) for each leaf x whose .grad is a Value (or torch's has a
        graph), against torch: the gradient a leaf holds now, whatever backward passes,
        with create_graph or not, inside no_grad or not, added up in it."""
        bad = []
        for leaf in leaves:
            g, gt = leaf.v.grad, leaf.t.grad
            has_graph = gt is not None and gt.requires_grad
            if not isinstance(g, Value):
                if has_graph:
                    bad.append(f"{leaf}.grad is {g!r}, torch's has a graph: {gt!r}")
                continue
            if has_graph and self._stale(gt):
                if not raises_stale(lambda g=g: grad_of(g, self._leaf_values())):
                    bad.append(f"grad_of({leaf}.grad, ...) did not raise, its graph is stale")
                continue
            got = grad_of(g, self._leaf_values())
            want = torch_grads(gt, self._leaf_tensors()) if has_graph else [0.0] * len(got)
            if not all_close(got, want):
                bad.append(f"grad_of({leaf}.grad, {self.leaves}): {[num(x) for x in got]}, "
                           f"torch {[num(x) for x in want]}")
        return bad

    @rule(leaf=pool)
    def grad_of_a_leaf_grad(self, leaf):
        bad = self._leaf_grad_mismatches([leaf])
        assert not bad, bad

    # --- grad_of -------------------------------------------------------------------------
    @rule(target=grads, r=graphs, wrt=st.lists(nodes, min_size=1, max_size=3),
          data=st.data())
    def grad_of_twice(self, r, wrt, data):
        """grad_of(r, wrt), the same with create_graph=True, then grad_of of one of those
        (second order). ``wrt`` may hold interior nodes and repeats."""
        inputs = [w.v for w in wrt]
        if self._stale(r.t):
            assert raises_stale(lambda: grad_of(r.v, inputs)), (
                f"grad_of on stale {r} = {r.desc} did not raise")
            assert raises_stale(lambda: grad_of(r.v, inputs, create_graph=True))
            return multiple()
        tensors = [w.t for w in wrt]
        got = grad_of(r.v, inputs)
        want = torch_grads(r.t, tensors)
        assert all_close(got, want), (f"grad_of({r}, {wrt}), {r} = {r.desc}: {got}, "
                                      f"torch {[num(x) for x in want]}")
        got = grad_of(r.v, inputs, create_graph=True)
        want = torch_grads(r.t, tensors, create_graph=True)
        assert all(isinstance(g, Value) for g in got), got
        assert all_close(got, want), (f"grad_of({r}, {wrt}, create_graph=True): "
                                      f"{[num(x) for x in got]}, torch {[num(x) for x in want]}")
        # then with respect to the leaves (with respect to an interior node, a gradient's
        # derivative depends on how it was written: out/b or a/b² for a/b)
        k = data.draw(st.integers(0, len(wrt) - 1))
        wrt2 = self.leaves
        second = grad_of(got[k], [w.v for w in wrt2])
        want2 = torch_grads(want[k], [w.t for w in wrt2])
        assert all_close(second, want2), (
            f"grad_of(grad_of({r}, {wrt}, create_graph=True)[{k}], {wrt2}), {r} = {r.desc}: "
            f"{second}, torch {[num(x) for x in want2]}")
        for w in want:
            self._stamp(w)
        return multiple(*[self._grad(f"d{r}/d{w}@", g, t)
                          for w, g, t in zip(wrt, got, want)])

    @rule(r=graphs, wrt=st.lists(nodes, min_size=1, max_size=3), create_graph=st.booleans())
    def grad_of_under_no_grad(self, r, wrt, create_graph):
        if self._stale(r.t):
            return
        with no_grad():
            got = grad_of(r.v, [w.v for w in wrt], create_graph=create_graph)
        want = torch_grads(r.t, [w.t for w in wrt])
        assert all_close(got, want), (
            f"grad_of({r}, {wrt}, create_graph={create_graph}) inside no_grad, {r} = {r.desc}: "
            f"{[num(x) for x in got]}, torch {[num(x) for x in want]}")

    # --- grad, hessian, jvp --------------------------------------------------------------
    def _leaf_names(self) -> str:
        return ", ".join(f"{n}={n.v.data!r}" for n in self.pool_list)

    def _show(self, tree, names=("y", "z", "w")) -> str:
        return show(tree, lambda k: self.pool_list[k % len(self.pool_list)].name, names)

    @rule(fn=functions(), xs=st.tuples(REALS, REALS))
    def grad_with_numbers(self, fn, xs):
        arity, tree, argnums = fn
        args = xs[:arity]
        got = grad(self._f(tree), argnums)(*args)
        want = torch.func.grad(self._ft(tree), argnums)(*map(T, args))
        got, want = (list(x) if isinstance(x, tuple) else [x] for x in (got, want))
        if big(*want):
            return
        assert all_close(got, want), (
            f"grad(f, {argnums})(*{args}), f = {self._show(tree)}, {self._leaf_names()}: "
            f"{got}, torch {[num(x) for x in want]}")

    @rule(target=grads, fn=functions(), xs=st.tuples(REALS, REALS))
    def grad_with_values(self, fn, xs):
        """grad(f)(Values): Values that can be differentiated again (fresh leaves)."""
        arity, tree, argnums = fn
        args = [self._leaf("v", Value(x), T(x).requires_grad_()) for x in xs[:arity]]
        got = grad(self._f(tree), argnums)(*[a.v for a in args])
        want = torch.func.grad(self._ft(tree), argnums)(*[a.t for a in args])
        got, want = (list(x) if isinstance(x, tuple) else [x] for x in (got, want))
        if big(*want):
            return multiple()
        what = f"grad(f, {argnums})(*{args}), f = {self._show(tree)}, {self._leaf_names()}"
        assert all(isinstance(g, Value) for g in got), f"{what}: {got}"
        assert all_close(got, want), f"{what}: {got}, torch {[num(x) for x in want]}"
        second = grad_of(got[0], self._leaf_values())
        want2 = torch_grads(want[0], self._leaf_tensors())
        assert all_close(second, want2), (
            f"grad_of({what}, {self.leaves}): {second}, torch {[num(x) for x in want2]}")
        for w in want:
            self._stamp(w)
        return multiple(*[self._grad("grad(f)@", g, t) for g, t in zip(got, want)])

    @rule(target=grads, tree=trees(1), at=pool)
    def grad_at_a_leaf_it_closes_over(self, tree, at):
        """grad(f)(x) for a pool leaf x, f closing over pool leaves (x among them, maybe):
        f'(y) at y = x, the leaves inside f held constant (torch.func.grad, HIPS, JAX)."""
        got = grad(self._f(tree))(at.v)
        want = torch.func.grad(self._ft(tree))(at.t)
        if big(want):
            return multiple()
        what = f"grad(f)({at}={at.v.data!r}), f = {self._show(tree)}, {self._leaf_names()}"
        assert isinstance(got, Value) and close(got.data, want.item()), (
            f"{what}: {got}, torch {want.item()!r}")
        second = grad_of(got, self._leaf_values())
        want2 = torch_grads(want, self._leaf_tensors())
        assert all_close(second, want2), (
            f"grad_of({what}, {self.leaves}): {second}, torch {[num(x) for x in want2]}")
        self._stamp(want)
        return self._grad("grad(f)@", got, want)

    @rule(tree=trees(1), x=REALS, as_value=st.booleans())
    def grad_of_grad(self, tree, x, as_value):
        """grad(grad(f)) at a number, or at a fresh Value (then differentiated once more)."""
        if as_value:
            arg = self._leaf("v", Value(x), T(x).requires_grad_())
            got = grad(grad(self._f(tree)))(arg.v)
            want = torch.func.grad(torch.func.grad(self._ft(tree)))(arg.t)
        else:
            got = grad(grad(self._f(tree)))(x)
            want = torch.func.grad(torch.func.grad(self._ft(tree)))(T(x))
        if big(want):
            return
        what = f"grad(grad(f))({x!r}), f = {self._show(tree)}, {self._leaf_names()}"
        assert close(num(got), want.item()), f"{what}: {got}, torch {want.item()!r}"
        if as_value:
            third = grad_of(got, self._leaf_values())
            want3 = torch_grads(want, self._leaf_tensors())
            assert all_close(third, want3), (
                f"grad_of({what} at a Value, {self.leaves}): {third}, "
                f"torch {[num(w) for w in want3]}")

    @rule(tree=trees(1), c=REALS, anchor=pool)
    def grad_closing_over_leaves_used_in_a_graph(self, tree, c, anchor):
        """h = grad(f)(c) at a number c, f closing over pool leaves; then anchor * h is
        differentiated: h depends on the leaves f closes over."""
        h = grad(self._f(tree))(c)
        got = grad_of(anchor.v * h, self._leaf_values())
        ht = torch.func.grad(self._ft(tree))(T(c))
        want = torch_grads(anchor.t * ht, self._leaf_tensors())
        if big(ht, *want):
            return
        assert all_close(got, want), (
            f"grad_of({anchor} * grad(f)({c!r}), {self.leaves}), f = {self._show(tree)}, "
            f"{self._leaf_names()}: {got}, torch {[num(w) for w in want]}")

    @rule(inner=trees(2), outer=trees(1), c=REALS, x=REALS)
    def nested_grad_inner_at_a_number(self, inner, outer, c, x):
        """grad(lambda x: g(x) * grad(lambda y: h(y, x))(c))(x): the inner grad, called
        with a number, closes over the outer argument."""
        def f(xv):
            return self._f(outer)(xv) * grad(lambda y: self._f(inner)(y, xv))(c)

        def ft(xt):
            return self._ft(outer)(xt) * torch.func.grad(
                lambda y: self._ft(inner)(y, xt))(T(c))

        got = grad(f)(x)
        want = torch.func.grad(ft)(T(x))
        if big(want, ft(T(x))):
            return
        assert close(num(got), want.item()), (
            f"grad(lambda z: g(z) * grad(lambda y: h(y, z))({c!r}))({x!r}), "
            f"g = {self._show(outer, ('z',))}, h = {self._show(inner)}, "
            f"{self._leaf_names()}: {got}, torch {want.item()!r}")

    @rule(inner=trees(2), outer=trees(1), x=REALS)
    def nested_grad_inner_at_the_outer_argument(self, inner, outer, x):
        """grad(lambda x: g(x) * grad(lambda y: h(y, x))(x))(x): the inner derivative is
        taken at the outer argument itself (no perturbation confusion)."""
        def f(xv):
            return self._f(outer)(xv) * grad(lambda y: self._f(inner)(y, xv))(xv)

        def ft(xt):
            return self._ft(outer)(xt) * torch.func.grad(lambda y: self._ft(inner)(y, xt))(xt)

        got = grad(f)(x)
        want = torch.func.grad(ft)(T(x))
        if big(want, ft(T(x))):
            return
        assert close(num(got), want.item()), (
            f"grad(lambda z: g(z) * grad(lambda y: h(y, z))(z))({x!r}), "
            f"g = {self._show(outer, ('z',))}, h = {self._show(inner)}, "
            f"{self._leaf_names()}: {got}, torch {want.item()!r}")

    @rule(arity=st.integers(1, 3), data=st.data(), xs=st.tuples(REALS, REALS, REALS))
    def hessian_of_a_function(self, arity, data, xs):
        tree = data.draw(trees(arity))
        args = xs[:arity]
        got = hessian(self._f(tree))(*args)
        want = torch.func.hessian(self._ft(tree), argnums=tuple(range(arity)))(*map(T, args))
        want = [[want[i][j].item() for j in range(arity)] for i in range(arity)]
        if big(*[w for row in want for w in row]):
            return
        assert all(all_close(g, w) for g, w in zip(got, want)) and len(got) == arity, (
            f"hessian(f)(*{args}), f = {self._show(tree)}, {self._leaf_names()}: {got}, "
            f"torch {want}")

    @rule(arity=st.integers(1, 3), data=st.data(), xs=st.tuples(REALS, REALS, REALS),
          ts=st.tuples(REALS, REALS, REALS))
    def jvp_of_a_function(self, arity, data, xs, ts):
        tree = data.draw(trees(arity))
        primals, tangents = xs[:arity], ts[:arity]
        got = jvp(self._f(tree), primals, tangents)
        want = torch.func.jvp(self._ft(tree), tuple(map(T, primals)), tuple(map(T, tangents)))
        if big(*want):
            return
        assert all_close(got, want), (
            f"jvp(f, {primals}, {tangents}), f = {self._show(tree)}, {self._leaf_names()}: {got}, "
            f"torch {[num(w) for w in want]}")

    @rule(which=st.sampled_from(["grad", "hessian", "jvp"]), tree=trees(1), x=REALS)
    def transforms_under_no_grad(self, which, tree, x):
        """grad, hessian and jvp compute the same inside no_grad (as torch.func's do)."""
        what = f"{which} of f = {self._show(tree)} at {x!r} inside no_grad, {self._leaf_names()}"
        if which == "grad":
            with no_grad():
                got = grad(self._f(tree))(x)
            want = torch.func.grad(self._ft(tree))(T(x))
            if not big(want):
                assert close(num(got), want.item()), f"{what}: {got}, torch {want.item()!r}"
        elif which == "hessian":
            with no_grad():
                got = hessian(self._f(tree))(x)
            want = torch.func.hessian(self._ft(tree))(T(x))
            if not big(want):
                assert close(num(got[0][0]), want.item()), f"{what}: {got}, torch {want.item()!r}"
        else:
            with no_grad():
                got = jvp(self._f(tree), [x], [1.0])
            want = torch.func.jvp(self._ft(tree), (T(x),), (T(1.0),))
            if not big(*want):
                assert all_close(got, want), f"{what}: {got}, torch {[num(w) for w in want]}"

    # --- after every step ---------------------------------------------------------------
    @invariant()
    def leaf_gradients_match_torch(self):
        bad = [f"{n}.grad {num(n.v.grad)!r}, torch {num(n.t.grad)!r}" for n in self.leaves
               if not close(num(n.v.grad), num(n.t.grad))]
        assert not bad, bad

    @invariant()
    def leaves_hold_their_data_and_grad_mode_is_back(self):
        assert is_grad_enabled()
        for n in self.pool_list:  # (a detached leaf copies its own engine's rounding)
            assert n.v.data == n.t.item(), (n, n.v.data, n.t.item())


# 60 examples of 25 steps: a few seconds when every check holds. A failing run reports the
# first failure it finds, shrunk (seconds to a minute); report_multiple_bugs=True reports
# every distinct one, but shrinking them all can take Hypothesis's limit of 5 minutes.
MACHINE = settings(max_examples=60, stateful_step_count=25, deadline=None, derandomize=True,
                   database=None, report_multiple_bugs=False,
                   suppress_health_check=list(HealthCheck))


def test_api_mixing_machine():
    run_state_machine_as_test(ApiMixingMachine, settings=MACHINE)


# --- regressions: the machine's findings, each as a plain test (expected values by hand) ---

def test_grad_at_a_number_keeps_the_values_it_closes_over():
    # h = ∂(a·y)/∂y = a, so a·h = a² and its derivative is 2a = 6
    a = Value(3.0)
    h = grad(lambda y: a * y)(2.0)
    assert num(h) == 3.0
    assert grad_of(a * h, [a]) == (6.0,)


# (grad_of after create_graph, grad with a number inside grad, and the stale create_graph
# gradient: tests/test_right_or_loud.py)


def test_backward_create_graph_inside_no_grad():
    # torch builds the gradient's graph inside no_grad too: x.grad = 3x² = 12, then 6x = 12
    x = Value(2.0)
    y = x**3
    with no_grad():
        y.backward(create_graph=True)
    assert num(x.grad) == 12.0
    assert grad_of(x.grad, [x]) == (12.0,)


def test_backward_inside_no_grad_keeps_the_graph_of_a_value_gradient():
    # x.grad = 3x² (a Value, create_graph) + 3x² (a number): its derivative is still
    # 6x = 12 at x = 2, as in torch (where backward inside no_grad adds in place)
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    with no_grad():
        y.backward()
    g = x.grad
    assert g.data == 24.0
    x.grad = 0.0
    g.backward()
    assert x.grad == 12.0


@pytest.mark.parametrize("which", ["grad", "hessian", "jvp"])
def test_function_transforms_inside_no_grad(which):
    # as torch.func's transforms: an outer no_grad does not change what they compute
    with no_grad():
        if which == "grad":
            assert num(grad(lambda y: y * y * y)(2.0)) == 12.0
        elif which == "hessian":
            assert hessian(lambda y: y * y * y)(2.0) == [[12.0]]
        else:
            assert jvp(lambda y: y * y * y, [2.0], [1.0]) == (8.0, 12.0)


def test_grad_at_a_value_it_closes_over():
    # f(y) = a·y, f'(y) = a for every y, a included (torch.func.grad, JAX, HIPS: 1.5);
    # ∂/∂a of f'(a) = 1
    a = Value(1.5)
    g = grad(lambda y: a * y)(a)
    assert g.data == 1.5
    assert grad_of(g, [a]) == (1.0,)


def test_nested_grad_at_the_outer_argument():
    # ∂(x·y)/∂y = x at y = x, so f(x) = x·x, f'(1) = 2 (torch.func.grad gives 2)
    assert num(grad(lambda x: x * grad(lambda y: x * y)(x))(1.0)) == 2.0
