"""The engines of the benchmark, one function per (workload, engine).

Each maker returns ``(run, digest)`` (steps) or ``phases`` (graphs): ``run()`` does one
timed unit of work, ``digest()`` what it computed (compared across engines before any
timing). Nothing here imports NumPy or PyTorch at module level: each worker process
(``run.py --worker FAMILY``) imports only its own family's libraries.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ALPHA = 1e-4  # L2 weight of the moons step
LR = 0.1


# --- graphs: chain and wide ---------------------------------------------------------------

class Bare:
    """The floor: the least a Python object-per-node engine allocates (no arithmetic)."""

    __slots__ = ("data", "a", "b")


def graph_makers(family: str) -> dict[str, Callable[[str, int], Any]]:
    """engine -> make(kind, n) -> (build, backward, digest) for chain and wide graphs."""
    out: dict[str, Callable[[str, int], Any]] = {}
    if family == "python":
        from autograd import Value
        from autograd import sum as vsum

        out["chainrule"] = lambda kind, n: _graph(kind, n, Value, vsum, "chainrule")
        try:
            import micrograd.engine

            out["micrograd"] = lambda kind, n: _graph(kind, n, micrograd.engine.Value, None,
                                                      "micrograd")
        except ImportError:
            pass
        out["floor: bare objects"] = _floor
    elif family == "torch":
        import torch

        def scalar(x: float) -> Any:
            return torch.tensor(x, dtype=torch.float64, requires_grad=True)

        def tsum(xs: list[Any]) -> Any:
            return torch.stack(xs).sum()

        out["torch (0-d tensors)"] = lambda kind, n: _graph(kind, n, scalar, tsum, "torch")
    return out


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
        if style == "torch":
            leaf.grad = None
            out.backward()
        else:
            leaf.grad = 0.0
            out.backward()

    def digest(out: Any) -> list[float]:
        data = out.item() if style == "torch" else out.data
        grad = leaf.grad.item() if style == "torch" else leaf.grad
        return [data, grad]

    return build, backward, digest


def _floor(kind: str, n: int) -> Any:
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


# --- training steps -----------------------------------------------------------------------

def moons_data() -> tuple[list[list[float]], list[float]]:
    from nn.datasets import make_moons

    return make_moons(100)


def digits_data(batch: int) -> tuple[list[list[float]], list[list[float]]]:
    from sklearn.datasets import load_digits

    d = load_digits()
    xs = [[float(v) / 16.0 for v in row] for row in d.data[:batch]]
    ys = [[1.0 if k == c else 0.0 for k in range(10)] for c in d.target[:batch]]
    return xs, ys


def big_data(batch: int) -> tuple[list[list[float]], list[list[float]]]:
    rng = random.Random(5)
    xs = [[rng.uniform(0.0, 1.0) for _ in range(64)] for _ in range(batch)]
    ys = [[1.0 if k == i % 10 else 0.0 for k in range(10)] for i in range(batch)]
    return xs, ys


STEPS = {
    # name: (sizes, init, loss, data)
    "moons": ([2, 16, 16, 1], "micrograd", "hinge", lambda: moons_data()),
    "digits": ([64, 32, 10], "pytorch", "ce", lambda: digits_data(32)),
    "big": ([64, 256, 256, 10], "pytorch", "ce", lambda: big_data(512)),
}


def start_model(sizes: list[int], init: str) -> Any:
    from nn import MLP

    return MLP(sizes[0], sizes[1:], activation="relu", seed=0, init=init)


def matrices(model: Any) -> list[tuple[list[list[float]], list[float]]]:
    """The model's weights as (W rows, b) per layer, as floats."""
    return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
            for layer in model.layers]


def step_makers(family: str) -> dict[str, Callable[[str], Any]]:
    """engine -> make(workload) -> (step, digest) or None where it does not apply."""
    if family == "python":
        return {"chainrule (eager)": _eager_step, "hand-written pure Python": _python_step,
                "chainrule (compiled, python)": _compiled_python_step,
                "micrograd": _micrograd_step}
    if family == "numpy":
        return {"chainrule (compiled, numpy)": lambda w: _compiled_step(w, "numpy"),
                "hand-written NumPy": _numpy_step}
    if family == "torch":
        return {"torch nn.Linear": _torch_step,
                "chainrule (compiled, torch)": lambda w: _compiled_step(w, "torch")}
    return {}


def _l2(values: list[float]) -> float:
    return ALPHA * sum(v * v for v in values)


def _eager_step(workload: str) -> Any:
    if workload == "big":
        return None  # 43 million scalar nodes per step: not run
    from nn import SGD, cross_entropy, hinge, l2

    sizes, init, loss_name, data = STEPS[workload]
    xs, ys = data()
    model = start_model(sizes, init)
    opt = SGD(model.parameters(), lr=LR)

    def step() -> float:
        if loss_name == "hinge":
            loss = hinge([model(x)[0] for x in xs], ys) + l2(model.parameters(), ALPHA)
        else:
            terms = [cross_entropy(model(x), y) for x, y in zip(xs, ys)]
            loss = sum(terms[1:], terms[0]) / len(terms)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step, lambda: [p.data for p in model.parameters()]


def _python_step(workload: str) -> Any:
    """A plain-float MLP with the backward pass written by hand (moons only)."""
    if workload != "moons":
        return None
    sizes, init, _, data = STEPS[workload]
    xs, ys = data()
    layers = matrices(start_model(sizes, init))
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
        loss = total / n + _l2([v for W, b in layers for row in W for v in row] +
                               [v for W, b in layers for v in b])
        for (W, b), (gW, gb) in zip(layers, grads):
            for row, grow in zip(W, gW):
                for k, (w, g) in enumerate(zip(row, grow)):
                    row[k] = w - LR * (g + 2.0 * ALPHA * w)
            for k, (v, g) in enumerate(zip(b, gb)):
                b[k] = v - LR * (g + 2.0 * ALPHA * v)
        return loss

    def digest() -> list[float]:
        return [v for W, b in layers for row, bj in zip(W, b) for v in (*row, bj)]

    return step, digest


def _micrograd_step(workload: str) -> Any:
    if workload != "moons":
        return None
    try:
        import micrograd.nn
    except ImportError:
        return None
    sizes, init, _, data = STEPS[workload]
    xs, ys = data()
    mg = micrograd.nn.MLP(2, [16, 16, 1])
    start = [v for W, b in matrices(start_model(sizes, init)) for row, bj in zip(W, b)
             for v in (*row, bj)]
    for p, w in zip(mg.parameters(), start):
        p.data = w

    def step() -> float:
        losses = [(1 + -y * mg(x)).relu() for x, y in zip(xs, ys)]
        loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in mg.parameters())
        mg.zero_grad()
        loss.backward()
        for p in mg.parameters():
            p.data -= LR * p.grad
        return loss.data

    return step, lambda: [p.data for p in mg.parameters()]


def _compiled_step(workload: str, backend: str) -> Any:
    """The scalar model's per-example loss traced by ``autograd.compile``; parameters in an
    array for the whole loop (``params=``, ``accumulate=False``)."""
    import numpy as np

    from autograd import Value, compile
    from nn import cross_entropy

    sizes, init, loss_name, data = STEPS[workload]
    xs, ys = data()
    model = start_model(sizes, init)
    x = [Value(0.0) for _ in range(sizes[0])]
    t = [Value(0.0) for _ in range(len(ys[0]) if loss_name == "ce" else 1)]
    out = model(x)
    loss = (1 - t[0] * out[0]).relu() if loss_name == "hinge" else cross_entropy(out, t)
    program = compile([loss], [*x, *t], model.parameters(), backend=backend)
    Y = np.array(ys, dtype=float).reshape(len(ys), -1)
    table = np.hstack([np.array(xs, dtype=float), Y])
    seed = np.full((len(xs), 1), 1.0 / len(xs))
    theta = program.parameter_values()
    l2 = loss_name == "hinge"

    def step() -> float:
        nonlocal theta
        losses = program(table, params=theta)
        g = program.backward(seed, accumulate=False)
        value = float(losses.mean())
        if l2:
            value += ALPHA * float(theta @ theta)
            g += (2.0 * ALPHA) * theta
        theta -= LR * g
        return value

    return step, lambda: theta.tolist()


def _compiled_python_step(workload: str) -> Any:
    """The pure-Python backend: generated straight-line code (moons and digits)."""
    if workload == "big":
        return None
    return _compiled_step(workload, "python")


def _numpy_step(workload: str) -> Any:
    """Weight matrices and the backward pass written by hand in NumPy (batch in rows)."""
    import numpy as np

    sizes, init, loss_name, data = STEPS[workload]
    xs, ys = data()
    layers = [(np.array(W), np.array(b)) for W, b in matrices(start_model(sizes, init))]
    X = np.array(xs, dtype=float)
    Y = np.array(ys, dtype=float).reshape(len(ys), -1)
    n = len(X)

    def step() -> float:
        acts = [X]
        h = X
        for i, (W, b) in enumerate(layers):
            h = h @ W.T + b
            if i < len(layers) - 1:
                h = np.maximum(h, 0.0)
            acts.append(h)
        if loss_name == "hinge":
            margin = 1.0 - Y[:, 0] * h[:, 0]
            value = float(np.maximum(margin, 0.0).mean())
            g = np.where(margin > 0.0, -Y[:, 0] / n, 0.0)[:, None]
            value += ALPHA * sum(float((W * W).sum() + (b * b).sum()) for W, b in layers)
        else:
            c = h.max(axis=1, keepdims=True)
            e = np.exp(h - c)
            s = e.sum(axis=1, keepdims=True)
            value = float((np.log(s) + c - (Y * h).sum(axis=1, keepdims=True)).mean())
            g = (e / s * Y.sum(axis=1, keepdims=True) - Y) / n
        for i in range(len(layers) - 1, -1, -1):
            W, b = layers[i]
            a_in = acts[i]
            gW, gb = g.T @ a_in, g.sum(axis=0)
            if i:
                g = (g @ W) * (a_in > 0.0)
            if loss_name == "hinge":
                gW += 2.0 * ALPHA * W
                gb += 2.0 * ALPHA * b
            W -= LR * gW
            b -= LR * gb
        return value

    def digest() -> list[float]:
        return [float(v) for W, b in layers for row, bj in zip(W, b) for v in (*row, bj)]

    return step, digest


def _torch_step(workload: str) -> Any:
    """What a PyTorch user writes: nn.Linear layers, float64, a plain SGD update."""
    import torch

    sizes, init, loss_name, data = STEPS[workload]
    xs, ys = data()
    mats = matrices(start_model(sizes, init))
    mods: list[Any] = []
    for i, (W, b) in enumerate(mats):
        lin = torch.nn.Linear(len(W[0]), len(W), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
        mods.append(lin)
        if i < len(mats) - 1:
            mods.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*mods)
    params = list(net.parameters())
    X = torch.tensor(xs, dtype=torch.float64)
    Y = torch.tensor(ys, dtype=torch.float64).reshape(len(ys), -1)

    def step() -> float:
        out = net(X)
        if loss_name == "hinge":
            loss = (1 - Y[:, 0] * out[:, 0]).relu().mean() \
                + ALPHA * sum((p * p).sum() for p in params)
        else:
            loss = torch.nn.functional.cross_entropy(out, Y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    def digest() -> list[float]:
        out = []
        for lin in net:
            if isinstance(lin, torch.nn.Linear):
                for row, bj in zip(lin.weight.tolist(), lin.bias.tolist()):
                    out.extend((*row, bj))
        return out

    return step, digest
