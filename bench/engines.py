"""The engines of the benchmark: one maker per engine, each run in its own worker process.

Training steps: ``STEP_ENGINES[name](workload, quick)`` sets the engine up, takes **one**
training step from the shared initial weights and returns a ``Runner`` (or ``None`` where
the engine does not run that workload): ``runner.loss`` is that first step's loss,
``runner.weights()`` every parameter after it (in chainrule's order: per neuron its
weights, then its bias), and ``runner.block(k)`` takes ``k`` more steps and returns
``(seconds for the k steps, set-up seconds or None)``.

Graphs (chain and wide): ``GRAPH_ENGINES[name](kind, n)`` returns ``(build, backward,
digest)``.

Nothing here imports NumPy, PyTorch or JAX at module level: each worker imports only what
its own engine needs.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ALPHA = 1e-4  # the L2 weight of the moons step: ALPHA * sum of every parameter squared
LR = 0.1      # SGD's learning rate, every workload


# --- the workloads ------------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    sizes: tuple[int, ...]  # MLP(sizes[0], sizes[1:]), ReLU hidden layers, linear output
    init: str               # nn.MLP's init= ("micrograd" or "pytorch"), seed 0
    loss: str               # "hinge" (mean hinge + ALPHA·Σp²) or "ce" (mean cross-entropy)
    data: Callable[[], tuple[list[list[float]], list[Any]]]


def moons_data() -> tuple[list[list[float]], list[Any]]:
    from nn.datasets import make_moons

    return make_moons(100)  # labels -1.0 / +1.0


def digits_data(batch: int = 32) -> tuple[list[list[float]], list[Any]]:
    """The first ``batch`` of scikit-learn's digits, pixels / 16, one-hot targets. The
    driver loads them once and hands the workers a file (``BENCH_DIGITS``): importing
    scikit-learn in every worker would cost more than the check itself."""
    path = os.environ.get("BENCH_DIGITS")
    if path:
        pixels, classes = json.loads(Path(path).read_text(encoding="utf-8"))
    else:
        from sklearn.datasets import load_digits

        d = load_digits()
        pixels, classes = d.data[:batch].tolist(), d.target[:batch].tolist()
    xs = [[float(v) / 16.0 for v in row] for row in pixels[:batch]]
    return xs, [_one_hot(int(c)) for c in classes[:batch]]


def big_data(batch: int) -> tuple[list[list[float]], list[Any]]:
    rng = random.Random(5)
    xs = [[rng.uniform(0.0, 1.0) for _ in range(64)] for _ in range(batch)]
    return xs, [_one_hot(i % 10) for i in range(batch)]


def _one_hot(c: int) -> list[float]:
    return [1.0 if k == c else 0.0 for k in range(10)]


WORKLOADS = {
    "moons": Workload((2, 16, 16, 1), "micrograd", "hinge", moons_data),
    "digits": Workload((64, 32, 10), "pytorch", "ce", digits_data),
    "big": Workload((64, 256, 256, 10), "pytorch", "ce", lambda: big_data(512)),
}
#: ``--quick`` (the tests): the big workload shrunk so that set-up takes a moment.
QUICK = {"big": Workload((64, 64, 64, 10), "pytorch", "ce", lambda: big_data(64))}


def workload(name: str, quick: bool = False) -> Workload:
    return QUICK.get(name, WORKLOADS[name]) if quick else WORKLOADS[name]


def start_model(w: Workload) -> Any:
    from nn import MLP

    return MLP(w.sizes[0], list(w.sizes[1:]), activation="relu", seed=0, init=w.init)


def matrices(model: Any) -> list[tuple[list[list[float]], list[float]]]:
    """The model's weights as (W rows, b) per layer, as floats."""
    return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
            for layer in model.layers]


def flat(layers: list[tuple[list[list[float]], list[float]]]) -> list[float]:
    """(W, b) per layer as chainrule orders its parameters: per neuron, weights then bias."""
    return [float(v) for W, b in layers for row, bj in zip(W, b) for v in (*row, bj)]


def labels(ys: list[Any]) -> list[int]:
    return [row.index(1.0) for row in ys]


# --- the runner ---------------------------------------------------------------------------

@dataclass
class Runner:
    block: Callable[[int], tuple[float, float | None]]
    weights: Callable[[], list[float]]
    loss: float
    setup: float | None = None  # the first call's set-up, where set-up is timed apart


def stepper(step: Callable[[], float], weights: Callable[[], list[float]],
            sync: Callable[[], None] | None = None) -> Runner:
    """A Runner from a one-step function: the first step now, blocks of k steps timed
    together (``sync`` waits for an asynchronous engine at the end of a block)."""
    loss = float(step())
    if sync is not None:
        sync()

    def block(k: int) -> tuple[float, float | None]:
        t = time.perf_counter()
        for _ in range(k):
            step()
        if sync is not None:
            sync()
        return time.perf_counter() - t, None

    return Runner(block, weights, loss)


def chainrule_weights(model: Any) -> Callable[[], list[float]]:
    params = model.parameters()
    return lambda: [p.data for p in params]


# --- chainrule, compiled: the two user paths and the array path ---------------------------

def fit_engine(name: str, quick: bool) -> Runner:
    """``nn.fit(..., compiled=True)``, the public call: one ``fit`` of k epochs per block
    (full batch: one step per epoch). ``lr_schedule`` returns the constant learning rate
    and notes the clock when epoch 0 starts: before it is set-up, after it the steps."""
    from nn import SGD, cross_entropy, fit, hinge, l2

    w = workload(name, quick)
    xs, ys = w.data()
    model = start_model(w)
    opt = SGD(model.parameters(), lr=LR)
    loss_fn = hinge if w.loss == "hinge" else cross_entropy
    reg = (lambda m: l2(m.parameters(), ALPHA)) if w.loss == "hinge" else None
    started = [0.0]

    def schedule(epoch: int) -> float:
        if epoch == 0:
            started[0] = time.perf_counter()
        return LR

    def run(k: int) -> tuple[Any, float, float]:
        t0 = time.perf_counter()
        history = fit(model, xs, ys, loss_fn, opt, epochs=k, batch_size=None, shuffle=False,
                      regularization=reg, lr_schedule=schedule, progress=False, compiled=True)
        t1 = time.perf_counter()
        return history, t1 - started[0], started[0] - t0

    history, _, first_setup = run(1)

    def block(k: int) -> tuple[float, float | None]:
        _, steps, setup = run(k)
        return steps, setup

    return Runner(block, chainrule_weights(model), history.loss[0], first_setup)


def _traced_loss(w: Workload, model: Any) -> tuple[list[Any], list[Any], Any]:
    """Placeholders and the per-example loss, as the README's compile section builds them
    (hinge's label placeholder is +1.0: a 0.0 placeholder is refused by ``hinge``)."""
    from autograd import Value
    from nn import cross_entropy, hinge

    xv = [Value(0.0) for _ in range(w.sizes[0])]
    if w.loss == "hinge":
        ts = [Value(1.0)]
        return xv, ts, hinge([model(xv)[0]], ts)
    ts = [Value(0.0) for _ in range(w.sizes[-1])]
    return xv, ts, cross_entropy(model(xv), ts)


def _table(w: Workload) -> tuple[Any, Any]:
    import numpy as np

    xs, ys = w.data()
    Y = np.array(ys, dtype=float).reshape(len(ys), -1)
    return np.hstack([np.array(xs, dtype=float), Y]), np.full((len(xs), 1), 1.0 / len(xs))


def readme_engine(name: str, quick: bool) -> Runner:
    """The loop of the README's "Train at array speed: compile": ``program(X)``,
    ``program.backward(seed)``, ``opt.step()`` with ``nn.SGD``; the moons L2 term compiled
    too, as the README teaches (a program with no inputs over the same parameters)."""
    import numpy as np

    from autograd import compile
    from nn import SGD, l2

    w = workload(name, quick)
    model = start_model(w)
    xv, ts, loss = _traced_loss(w, model)
    params = model.parameters()
    program = compile([loss], xv + ts, params)
    reg = compile([l2(params, ALPHA)], [], params) if w.loss == "hinge" else None
    opt = SGD(params, lr=LR)
    table, seed = _table(w)
    no_inputs, one = np.empty((1, 0)), np.ones((1, 1))

    def step() -> float:
        opt.zero_grad()
        losses = program(table)
        program.backward(seed)
        value = float(losses.mean())
        if reg is not None:
            value += float(reg(no_inputs)[0, 0])
            reg.backward(one)
        opt.step()
        return value

    return stepper(step, chainrule_weights(model))


def compile_seconds(name: str, quick: bool) -> float:
    """Seconds for ``compile`` of the per-example loss (trace + NumPy backend), the graph
    built beforehand."""
    from autograd import compile

    w = workload(name, quick)
    model = start_model(w)
    xv, ts, loss = _traced_loss(w, model)
    t = time.perf_counter()
    compile([loss], xv + ts, model.parameters())
    return time.perf_counter() - t


def array_engine(name: str, quick: bool) -> Runner:
    """The parameters in an array for the whole loop: ``program(X, params=theta)``,
    ``program.backward(seed, accumulate=False)``, the update on ``theta``."""
    from autograd import compile

    w = workload(name, quick)
    model = start_model(w)
    xv, ts, loss = _traced_loss(w, model)
    program = compile([loss], xv + ts, model.parameters())
    table, seed = _table(w)
    theta = program.parameter_values()
    hinge = w.loss == "hinge"

    def step() -> float:
        nonlocal theta
        losses = program(table, params=theta)
        g = program.backward(seed, accumulate=False)
        value = float(losses.mean())
        if hinge:
            value += ALPHA * float(theta @ theta)
            g += (2.0 * ALPHA) * theta
        theta -= LR * g
        return value

    return stepper(step, lambda: theta.tolist())


# --- hand-written NumPy: the floor of the compiled step -----------------------------------

def numpy_engine(name: str, quick: bool) -> Runner:
    """Weight matrices and the backward pass written by hand in NumPy, doing the work the
    compiled step does: the parameters in one flat vector ``theta`` (each layer's ``W`` and
    ``b`` views of it), the gradient into one flat vector, the moons L2 as ``theta @ theta``
    and ``g += 2α·theta``, the update ``theta -= lr·g``; the loss value computed."""
    import numpy as np

    w = workload(name, quick)
    xs, ys = w.data()
    layers = matrices(start_model(w))
    theta = np.empty(sum(len(W) * len(W[0]) + len(b) for W, b in layers))
    grad = np.empty_like(theta)
    views = []
    o = 0
    for W, b in layers:
        nout, nin = len(W), len(W[0])
        views.append((theta[o:o + nout * nin].reshape(nout, nin),
                      theta[o + nout * nin:o + nout * nin + nout],
                      grad[o:o + nout * nin].reshape(nout, nin),
                      grad[o + nout * nin:o + nout * nin + nout]))
        views[-1][0][...] = W
        views[-1][1][...] = b
        o += nout * (nin + 1)
    X = np.array(xs, dtype=float)
    Y = np.array(ys, dtype=float).reshape(len(ys), -1)
    n, last = len(X), len(views) - 1
    hinge = w.loss == "hinge"

    def step() -> float:
        acts = [X]
        h = X
        for i, (W, b, _, _) in enumerate(views):
            h = h @ W.T + b
            if i < last:
                h = np.maximum(h, 0.0)
            acts.append(h)
        if hinge:
            margin = 1.0 - Y[:, 0] * h[:, 0]
            value = float(np.maximum(margin, 0.0).mean()) + ALPHA * float(theta @ theta)
            g = np.where(margin > 0.0, -Y[:, 0] / n, 0.0)[:, None]
        else:
            c = h.max(axis=1, keepdims=True)
            e = np.exp(h - c)
            s = e.sum(axis=1, keepdims=True)
            value = float((np.log(s) + c - (Y * h).sum(axis=1, keepdims=True)).mean())
            g = (e / s - Y) / n
        for i in range(last, -1, -1):
            W, _, gW, gb = views[i]
            a_in = acts[i]
            np.matmul(g.T, a_in, out=gW)
            g.sum(axis=0, out=gb)
            if i:
                g = (g @ W) * (a_in > 0.0)
        if hinge:
            grad[...] += (2.0 * ALPHA) * theta
        theta[...] -= LR * grad
        return value

    def weights() -> list[float]:
        return flat([(W.tolist(), b.tolist()) for W, b, _, _ in views])

    return stepper(step, weights)


# --- the peers: PyTorch and JAX -----------------------------------------------------------

def torch_engine(name: str, quick: bool) -> Runner:
    """What a PyTorch user writes: ``nn.Linear`` layers in float64, ``torch.optim.SGD``
    (the moons L2 as its ``weight_decay = 2·ALPHA``, the same gradient), one thread."""
    import torch

    w = workload(name, quick)
    xs, ys = w.data()
    mats = matrices(start_model(w))
    mods: list[Any] = []
    for i, (W, b) in enumerate(mats):
        lin = torch.nn.Linear(len(W[0]), len(W), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
        mods += [lin, torch.nn.ReLU()] if i < len(mats) - 1 else [lin]
    net = torch.nn.Sequential(*mods)
    hinge = w.loss == "hinge"
    opt = torch.optim.SGD(net.parameters(), lr=LR, weight_decay=2.0 * ALPHA if hinge else 0.0)
    X = torch.tensor(xs, dtype=torch.float64)
    if hinge:
        Y = torch.tensor(ys, dtype=torch.float64)
    else:
        C = torch.tensor(labels(ys), dtype=torch.long)

    def step() -> float:
        opt.zero_grad()
        out = net(X)
        if hinge:
            loss = torch.relu(1.0 - Y * out[:, 0]).mean()
        else:
            loss = torch.nn.functional.cross_entropy(out, C)
        loss.backward()
        opt.step()
        return loss.item()  # the loss without the L2 term (weight decay is not in it)

    def weights() -> list[float]:
        lins = [m for m in net if isinstance(m, torch.nn.Linear)]
        return flat([(m.weight.tolist(), m.bias.tolist()) for m in lins])

    runner = stepper(step, weights)
    if hinge:
        runner.loss += ALPHA * sum(v * v for v in flat(mats))
    return runner


def jax_engine(name: str, quick: bool) -> Runner | None:
    """``jax.jit`` of value-and-grad plus the SGD update, float64, on the CPU; the worker
    runs with XLA's intra-op threads at one and, where ``taskset`` exists, on one core."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    w = workload(name, quick)
    xs, ys = w.data()
    params = [(jnp.array(W, dtype=jnp.float64).T, jnp.array(b, dtype=jnp.float64))
              for W, b in matrices(start_model(w))]
    X = jnp.array(xs, dtype=jnp.float64)
    Y = jnp.array(ys, dtype=jnp.float64).reshape(len(ys), -1)
    hinge = w.loss == "hinge"

    def loss_fn(params: Any, X: Any, Y: Any) -> Any:
        h = X
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = jax.nn.relu(h)
        if hinge:
            penalty = sum(jnp.vdot(W, W) + jnp.vdot(b, b) for W, b in params)
            return jnp.mean(jax.nn.relu(1.0 - Y[:, 0] * h[:, 0])) + ALPHA * penalty
        return jnp.mean(jax.nn.logsumexp(h, axis=1) - jnp.sum(Y * h, axis=1))

    @jax.jit
    def update(params: Any, X: Any, Y: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(params, X, Y)
        return jax.tree.map(lambda p, g: p - LR * g, params, grads), loss

    state = [params]

    def step() -> Any:
        state[0], loss = update(state[0], X, Y)
        return loss

    def weights() -> list[float]:
        return flat([(W.T.tolist(), b.tolist()) for W, b in state[0]])

    return stepper(step, weights, sync=lambda: jax.block_until_ready(state[0]))


# --- eager (moons only): chainrule, hand-written pure Python, a tape, micrograd -----------

def eager_engine(name: str, quick: bool) -> Runner | None:
    """The eager loop the README teaches: build the loss, ``opt.zero_grad()``,
    ``loss.backward()``, ``opt.step()``."""
    if name != "moons":
        return None
    from nn import SGD, hinge, l2

    w = workload(name, quick)
    xs, ys = w.data()
    model = start_model(w)
    opt = SGD(model.parameters(), lr=LR)

    def step() -> float:
        loss = hinge([model(x)[0] for x in xs], ys) + l2(model.parameters(), ALPHA)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return stepper(step, chainrule_weights(model))


def python_engine(name: str, quick: bool) -> Runner | None:
    """A plain-float MLP with the backward pass written out by hand (moons only)."""
    if name != "moons":
        return None
    w = workload(name, quick)
    xs, ys = w.data()
    layers = matrices(start_model(w))
    n = len(xs)

    def step() -> float:
        grads = [([[0.0] * len(W[0]) for _ in W], [0.0] * len(b)) for W, b in layers]
        total = 0.0
        for x, y in zip(xs, ys):
            acts = [x]
            h = x
            for i, (W, b) in enumerate(layers):
                z = [bj + sum([w * v for w, v in zip(row, h)]) for row, bj in zip(W, b)]
                h = [v if v > 0.0 else 0.0 for v in z] if i < len(layers) - 1 else z
                acts.append(h)
            margin = 1.0 - y * h[0]
            if margin <= 0.0:
                continue
            total += margin
            g = [-y / n]
            for i in range(len(layers) - 1, -1, -1):
                W, _ = layers[i]
                gW, gb = grads[i]
                a_in = acts[i]
                for j, gj in enumerate(g):
                    gb[j] += gj
                    row = gW[j]
                    for k, v in enumerate(a_in):
                        row[k] += gj * v
                if i:
                    g = [sum([W[j][k] * g[j] for j in range(len(g))]) if a_in[k] > 0.0 else 0.0
                         for k in range(len(a_in))]
        loss = total / n + ALPHA * sum(v * v for v in flat(layers))
        for (W, b), (gW, gb) in zip(layers, grads):
            for row, grow in zip(W, gW):
                for k, (v, g) in enumerate(zip(row, grow)):
                    row[k] = v - LR * (g + 2.0 * ALPHA * v)
            for k, (v, g) in enumerate(zip(b, gb)):
                b[k] = v - LR * (g + 2.0 * ALPHA * v)
        return loss

    return stepper(step, lambda: flat(layers))


def tape_engine(name: str, quick: bool) -> Runner | None:
    """The floor of an eager engine: ``bench/tape.py``, floats and a list of records."""
    if name != "moons":
        return None
    import tape

    w = workload(name, quick)
    xs, ys = w.data()
    layers = matrices(start_model(w))
    params = flat(layers)
    shape = [(len(W[0]), len(W)) for W, _ in layers]

    def step() -> float:
        t = tape.Tape(params)
        loss = tape.moons_loss(t, shape, xs, ys, ALPHA)
        grad = t.backward(loss)
        for k in range(len(params)):
            params[k] -= LR * grad[k]
        return t.values[loss]

    return stepper(step, lambda: list(params))


def micrograd_engine(name: str, quick: bool) -> Runner | None:
    if name != "moons":
        return None
    try:
        import micrograd.nn
    except ImportError:
        return None
    w = workload(name, quick)
    xs, ys = w.data()
    mg = micrograd.nn.MLP(2, [16, 16, 1])
    for p, v in zip(mg.parameters(), flat(matrices(start_model(w)))):
        p.data = v

    def step() -> float:
        losses = [(1 + -y * mg(x)).relu() for x, y in zip(xs, ys)]
        loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in mg.parameters())
        mg.zero_grad()
        loss.backward()
        for p in mg.parameters():
            p.data -= LR * p.grad
        return loss.data

    return stepper(step, lambda: [p.data for p in mg.parameters()])


#: engine name -> (maker, the modules it needs: it is left out where one is missing)
STEP_ENGINES: dict[str, tuple[Callable[[str, bool], Runner | None], tuple[str, ...]]] = {
    "chainrule fit(compiled=True)": (fit_engine, ("numpy",)),
    "chainrule README loop": (readme_engine, ("numpy",)),
    "chainrule array path": (array_engine, ("numpy",)),
    "hand-written NumPy": (numpy_engine, ("numpy",)),
    "PyTorch": (torch_engine, ("torch",)),
    "JAX": (jax_engine, ("jax",)),
    "chainrule eager": (eager_engine, ()),
    "pure-Python tape": (tape_engine, ()),
    "hand-written pure Python": (python_engine, ()),
    "micrograd": (micrograd_engine, ("micrograd",)),
}


# --- graphs: chain and wide ---------------------------------------------------------------

class Bare:
    """The floor: the least a Python object-per-node engine allocates (no arithmetic)."""

    __slots__ = ("data", "a", "b")


def _micrograd_tanh(self: Any) -> Any:
    """tanh for micrograd 0.1.0 (which has none), in its own closure style."""
    import micrograd.engine

    t = math.tanh(self.data)
    out = micrograd.engine.Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def _graph(kind: str, n: int, make: Any, total: Any, style: str) -> Any:
    """chain: x ← tanh(x·a + b), three nodes per step, n//3 steps. wide: Σ x_i·y_i over
    n//2 pairs (each engine sums its own way; micrograd: Python's sum, a chain of adds)."""
    if style == "micrograd" and not hasattr(make, "tanh"):
        make.tanh = _micrograd_tanh
    if kind == "chain":
        a, b, x0 = make(0.5), make(0.3), make(0.1)

        def build() -> Any:
            x = x0
            for _ in range(n // 3):
                x = (x * a + b).tanh()
            return x
        leaf = x0
    else:
        xs = [make(0.001 * i) for i in range(n // 2)]
        ys = [make(0.5) for _ in range(n // 2)]

        def build() -> Any:
            prods = [x * y for x, y in zip(xs, ys)]
            return total(prods) if total is not None else sum(prods)
        leaf = xs[1]

    def backward(out: Any) -> None:
        leaf.grad = None if style == "torch" else 0.0
        out.backward()

    def digest(out: Any) -> list[float]:
        if style == "torch":
            return [out.item(), leaf.grad.item()]
        return [out.data, leaf.grad]

    return build, backward, digest


def _chainrule_graph(kind: str, n: int) -> Any:
    from autograd import Value
    from autograd import sum as vsum

    return _graph(kind, n, Value, vsum, "chainrule")


def _micrograd_graph(kind: str, n: int) -> Any:
    import micrograd.engine

    return _graph(kind, n, micrograd.engine.Value, None, "micrograd")


def _torch_graph(kind: str, n: int) -> Any:
    import torch

    def scalar(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    return _graph(kind, n, scalar, lambda xs: torch.stack(xs).sum(), "torch")


def _floor_graph(kind: str, n: int) -> Any:
    """Bare slotted objects linked like the graph's nodes, no arithmetic, no backward."""
    def build() -> Any:
        a = Bare()
        x = Bare()
        x.a = None
        if kind == "chain":
            for _ in range(n // 3 * 3):
                y = Bare()
                y.data, y.a, y.b = 0.5, x, a
                x = y
            return x
        prods = []
        for _ in range(n // 2):
            y = Bare()
            y.data, y.a, y.b = 0.5, x, a
            prods.append(y)
        y = Bare()
        y.data, y.a, y.b = 0.5, prods, a
        return y

    return build, lambda out: None, lambda out: None


GRAPH_ENGINES: dict[str, tuple[Callable[[str, int], Any], tuple[str, ...]]] = {
    "chainrule": (_chainrule_graph, ()),
    "micrograd": (_micrograd_graph, ("micrograd",)),
    "floor: bare objects": (_floor_graph, ()),
    "torch (0-d tensors)": (_torch_graph, ("torch",)),
}
