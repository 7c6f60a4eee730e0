"""Side-by-side benchmark: chainrule against micrograd and PyTorch, in one process run.

    python bench/run.py                 # the full run (a few minutes), writes bench/results.json
    python bench/run.py --quick         # tiny sizes, to check that it works

Every measurement is repeated, engines interleaved (rep 1 of every engine, then rep 2, ...),
and the median is reported. The garbage collector stays ON while timing, as users run;
``gc.collect()`` runs between measurements, outside the timings, so that no engine pays
for another's garbage. Peers are optional (``pip install -e .[bench]``); a missing one is
reported as missing.

micrograd 0.1.0 has no ``tanh``, ``exp`` or ``log``; the script gives it these, written in
micrograd's own style (a closure, as in its author's lecture). Its backward pass is
recursive, so the recursion limit is raised for it, after recording the depth where the
default limit fails.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import autograd  # noqa: E402
from autograd import Value  # noqa: E402

try:
    import micrograd.engine
    import micrograd.nn
except ImportError:  # reported in the table
    micrograd = None
try:
    import torch
except ImportError:
    torch = None

DEFAULT_RECURSION_LIMIT = sys.getrecursionlimit()


# --- engines ------------------------------------------------------------------------------

def micrograd_tanh(self):
    """tanh for micrograd, in micrograd's closure style."""
    t = math.tanh(self.data)
    out = micrograd.engine.Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def micrograd_exp(self):
    """exp for micrograd, in micrograd's closure style."""
    out = micrograd.engine.Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def micrograd_log(self):
    """log for micrograd, in micrograd's closure style."""
    out = micrograd.engine.Value(math.log(self.data), (self,), "log")

    def _backward():
        self.grad += out.grad / self.data

    out._backward = _backward
    return out


if micrograd is not None:
    micrograd.engine.Value.tanh = micrograd_tanh
    micrograd.engine.Value.exp = micrograd_exp
    micrograd.engine.Value.log = micrograd_log


def chain_builder(make: Callable[[float], Any]) -> Callable[[int], Any]:
    """x ← tanh(x·a + b), repeated: three nodes (*, +, tanh) per step."""

    def build(steps: int) -> Any:
        a, b, x = make(0.5), make(0.3), make(0.1)
        for _ in range(steps):
            x = (x * a + b).tanh()
        return x

    return build


class Bare:
    """The floor: the least a Python object-per-node engine allocates (no arithmetic)."""

    __slots__ = ("data", "a", "b")


def floor_builder(steps: int) -> Any:
    """Three bare objects per step, linked in a chain like the chain workload's nodes."""
    a = Bare()
    x = Bare()
    x.a = None
    for _ in range(steps):
        for _ in range(3):
            y = Bare()
            y.data, y.a, y.b = 0.5, x, a
            x = y
    return x


def torch_scalar(x: float) -> Any:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def wide_ours(n: int) -> Any:
    xs = [Value(0.001 * i) for i in range(n)]
    ys = [Value(0.5) for _ in range(n)]
    return lambda: autograd.sum([x * y for x, y in zip(xs, ys)])


def wide_micrograd(n: int) -> Any:
    V = micrograd.engine.Value
    xs = [V(0.001 * i) for i in range(n)]
    ys = [V(0.5) for _ in range(n)]
    return lambda: sum(x * y for x, y in zip(xs, ys))  # micrograd's way: a chain of adds


def wide_torch(n: int) -> Any:
    xs = [torch_scalar(0.001 * i) for i in range(n)]
    ys = [torch_scalar(0.5) for _ in range(n)]
    return lambda: torch.stack([x * y for x, y in zip(xs, ys)]).sum()


def engines() -> dict[str, Any]:
    """Engine name -> None when missing, else the workloads' entry points."""
    out: dict[str, Any] = {"chainrule": {"chain": chain_builder(Value), "wide": wide_ours}}
    out["micrograd"] = None if micrograd is None else {
        "chain": chain_builder(micrograd.engine.Value), "wide": wide_micrograd}
    out["torch (0-d tensors)"] = None if torch is None else {
        "chain": chain_builder(torch_scalar), "wide": wide_torch}
    return out


def bench_chain_gc_off(sizes: list[int], reps: int) -> dict:
    """chainrule's chain with the garbage collector off: the engine's own cost per node."""
    out = {}
    build = chain_builder(Value)
    gc.disable()
    try:
        for n in sizes:
            k = max(1, 30_000 // n)
            r = interleaved({"chainrule": lambda n=n, k=k: measure_graph(
                lambda: build(n // 3), k)}, reps)
            out[n] = r["chainrule"]
    finally:
        gc.enable()
    return out


def bench_floor(sizes: list[int], reps: int) -> dict:
    """ns per node to allocate bare linked objects: the interpreter's own cost, GC on."""
    out = {}
    for n in sizes:
        k = max(1, 30_000 // n)
        r = interleaved({"floor": lambda n=n, k=k: measure_alloc(
            lambda: floor_builder(n // 3), k)}, reps)
        out[n] = r["floor"]
    return out


def measure_alloc(build: Callable[[], Any], graphs: int) -> tuple[float, float]:
    """Seconds per build, as ``measure_graph`` times it, with no backward."""
    gc.collect()
    total = 0.0
    for _ in range(graphs):
        t, root = timed(build)
        total += t
        del root
    gc.collect()
    return total / graphs, 0.0


# --- measuring ----------------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def measure_graph(build: Callable[[], Any], graphs: int = 1) -> tuple[float, float]:
    """(forward seconds, backward seconds) per graph, over ``graphs`` graphs built and
    differentiated one after the other (small graphs are timed many at a time); GC on."""
    gc.collect()
    t_fwd = t_bwd = 0.0
    for _ in range(graphs):
        t0 = time.perf_counter()
        root = build()
        t1 = time.perf_counter()
        root.backward()
        t2 = time.perf_counter()
        t_fwd += t1 - t0
        t_bwd += t2 - t1
        del root
    gc.collect()
    return t_fwd / graphs, t_bwd / graphs


def interleaved(cases: dict[str, Callable[[], tuple[float, float]]], reps: int) -> dict:
    """Run every case ``reps`` times, engines interleaved; medians per case."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    failures: dict[str, str] = {}
    for _ in range(reps):
        for name, case in cases.items():
            if name in failures:
                continue
            try:
                samples[name].append(case())
            except Exception as exc:  # recorded in the table, never hidden
                failures[name] = f"{type(exc).__name__}: {str(exc)[:60]}"
    out = {}
    for name in cases:
        if name in failures:
            out[name] = {"error": failures[name]}
        else:
            fwd = statistics.median(s[0] for s in samples[name])
            bwd = statistics.median(s[1] for s in samples[name])
            out[name] = {"forward_s": fwd, "backward_s": bwd, "total_s": fwd + bwd}
    return out


def micrograd_default_limit_failure(sizes: list[int]) -> int | None:
    """The smallest chain size (nodes) whose backward fails at the default recursion limit."""
    if micrograd is None:
        return None
    build = chain_builder(micrograd.engine.Value)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
    try:
        for n in sizes:
            root = build(n // 3)
            try:
                root.backward()
            except RecursionError:
                return n
            finally:
                del root
                gc.collect()
        return None
    finally:
        sys.setrecursionlimit(old)


def bench_chain(sizes: list[int], reps: int) -> dict:
    results = {}
    for n in sizes:
        cases = {}
        for name, eng in engines().items():
            if eng is not None:
                build = eng["chain"]
                graphs = max(1, 30_000 // n)  # at least 30,000 nodes per measurement
                cases[name] = lambda build=build, n=n, k=graphs: measure_graph(
                    lambda: build(n // 3), k)
        r = reps if n <= 100_000 else max(1, reps // 2)
        results[n] = interleaved(cases, r)
        print(f"  chain N={n:,} done", file=sys.stderr)
    return results


def bench_wide(n: int, reps: int) -> dict:
    cases = {}
    for name, eng in engines().items():
        if eng is not None:
            make = eng["wide"](n)
            cases[name] = lambda make=make: measure_graph(make)
    return interleaved(cases, reps)


def bench_memory(n: int) -> dict:
    """Bytes per node (tracemalloc) held by an n-node chain after the forward pass."""
    out: dict[str, Any] = {}
    for name, eng in engines().items():
        if eng is None:
            continue
        if name.startswith("torch"):
            out[name] = {"error": "n/a: tensor storage is allocated in C++, unseen by tracemalloc"}
            continue
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        root = eng["chain"](n // 3)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del root
        gc.collect()
        out[name] = {"bytes_per_node": (after - before) / n}
    return out


def bench_peak_1m(n: int) -> dict:
    """Peak traced memory of chainrule's n-node chain, forward and backward."""
    gc.collect()
    tracemalloc.start()
    root = chain_builder(Value)(n // 3)
    root.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del root
    gc.collect()
    return {"nodes": n, "peak_MB": peak / 1e6}


# --- the MLP training step on two moons -------------------------------------------------

def bench_mlp(steps: int, n_samples: int) -> dict:
    import moons

    from nn import MLP, SGD, hinge, l2

    xs, ys = moons.make_moons(n_samples)
    ours = MLP(2, [16, 16, 1], activation="relu", seed=0, init="micrograd")
    start = [p.data for p in ours.parameters()]
    alpha = 1e-4

    def lr(k: int) -> float:
        return 1.0 - 0.9 * k / steps

    trainers: dict[str, Any] = {}

    opt = SGD(ours.parameters(), lr=1.0)

    def step_ours(k: int) -> float:
        scores = [ours(x)[0] for x in xs]
        loss = hinge(scores, ys) + l2(ours.parameters(), alpha)
        opt.zero_grad()
        loss.backward()
        opt.lr = lr(k)
        opt.step()
        return loss.data

    def accuracy_ours() -> float:
        return sum((ours(x)[0].data > 0) == (y > 0) for x, y in zip(xs, ys)) / len(ys)

    trainers["chainrule"] = (step_ours, accuracy_ours)
    trainers["chainrule (compiled)"] = compiled_mlp(start, xs, ys, alpha, lr)

    if micrograd is not None:
        mg = micrograd.nn.MLP(2, [16, 16, 1])
        for p, w in zip(mg.parameters(), start):
            p.data = w

        def step_mg(k: int) -> float:
            scores = [mg(x) for x in xs]
            losses = [(1 + -y * s).relu() for s, y in zip(scores, ys)]
            loss = sum(losses) * (1.0 / len(losses)) + alpha * sum(p * p for p in mg.parameters())
            mg.zero_grad()
            loss.backward()
            for p in mg.parameters():
                p.data -= lr(k) * p.grad
            return loss.data

        def accuracy_mg() -> float:
            return sum((mg(x).data > 0) == (y > 0) for x, y in zip(xs, ys)) / len(ys)

        trainers["micrograd"] = (step_mg, accuracy_mg)
    else:
        trainers["micrograd"] = None

    if torch is not None:
        trainers["torch (0-d tensors)"] = torch_scalar_mlp(ours, start, xs, ys, alpha, lr)
        trainers["torch (vectorized)"] = torch_vector_mlp(ours, start, xs, ys, alpha, lr)
    else:
        trainers["torch (0-d tensors)"] = trainers["torch (vectorized)"] = None

    times: dict[str, list[float]] = {n: [] for n, t in trainers.items() if t is not None}
    for k in range(steps):
        for name, trainer in trainers.items():
            if trainer is None:
                continue
            t, _ = timed(lambda trainer=trainer, k=k: trainer[0](k))
            times[name].append(t)
        gc.collect()
    out: dict[str, Any] = {}
    for name, trainer in trainers.items():
        if trainer is None:
            out[name] = {"error": "not installed"}
        else:
            out[name] = {"step_s": statistics.median(times[name]), "accuracy": trainer[1]()}
    return out


def compiled_mlp(start, xs, ys, alpha, lr):
    """The same scalar model, its per-example loss traced once by ``autograd.compile`` and
    run over the whole batch with NumPy."""
    import numpy as np

    from autograd.compiler import compile
    from nn import MLP, SGD, l2

    model = MLP(2, [16, 16, 1], activation="relu", init="micrograd")
    for p, w in zip(model.parameters(), start):
        p.data = w
    x = [Value(v) for v in xs[0]]
    y = Value(ys[0])
    program = compile([(1 - y * model(x)[0]).relu()], [*x, y], model.parameters())
    data = np.hstack([np.array(xs), np.array(ys)[:, None]])
    opt = SGD(model.parameters(), lr=1.0)
    seed = np.full((len(xs), 1), 1.0 / len(xs))

    def step(k):
        opt.zero_grad()
        losses = program(data)
        program.backward(seed)  # mean hinge loss over the batch
        reg = l2(model.parameters(), alpha)
        reg.backward()
        opt.lr = lr(k)
        opt.step()
        return float(losses.mean()) + reg.data

    def accuracy():
        return sum((model(x)[0].data > 0) == (y > 0) for x, y in zip(xs, ys)) / len(ys)

    return step, accuracy


def torch_sgd_step(loss, params, lr: float) -> float:
    """Backward and a plain SGD update, as the other engines' steps do."""
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return loss.item()


def torch_scalar_mlp(model, start, xs, ys, alpha, lr):
    """The same network with every weight a 0-d tensor: the same scalar graph in PyTorch."""
    layers = []
    it = iter(start)
    for layer in model.layers:
        rows = []
        for neuron in layer.neurons:
            w = [torch_scalar(next(it)) for _ in neuron.w]
            rows.append((w, torch_scalar(next(it))))
        layers.append(rows)
    params = [t for rows in layers for w, b in rows for t in (*w, b)]

    def forward(x):
        h = [torch.tensor(v, dtype=torch.float64) for v in x]
        for i, rows in enumerate(layers):
            z = [b + sum(wi * hi for wi, hi in zip(w, h)) for w, b in rows]
            h = [zi.relu() for zi in z] if i < len(layers) - 1 else z
        return h[0]

    def step(k):
        scores = [forward(x) for x in xs]
        loss = sum((1 - y * s).relu() for s, y in zip(scores, ys)) / len(ys)
        loss = loss + alpha * sum(p * p for p in params)
        return torch_sgd_step(loss, params, lr(k))

    def accuracy():
        with torch.no_grad():
            return sum((forward(x).item() > 0) == (y > 0) for x, y in zip(xs, ys)) / len(ys)

    return step, accuracy


def torch_vector_mlp(model, start, xs, ys, alpha, lr):
    """What a user would write in PyTorch instead: weight matrices, one batched forward."""
    it = iter(start)
    weights, biases = [], []
    for layer in model.layers:
        rows, bs = [], []
        for neuron in layer.neurons:
            rows.append([next(it) for _ in neuron.w])
            bs.append(next(it))
        weights.append(torch.tensor(rows, dtype=torch.float64, requires_grad=True))
        biases.append(torch.tensor(bs, dtype=torch.float64, requires_grad=True))
    params = weights + biases
    X = torch.tensor(xs, dtype=torch.float64)
    Y = torch.tensor(ys, dtype=torch.float64)

    def forward():
        h = X
        for i, (w, b) in enumerate(zip(weights, biases)):
            h = h @ w.T + b
            if i < len(weights) - 1:
                h = h.relu()
        return h[:, 0]

    def step(k):
        scores = forward()
        loss = (1 - Y * scores).relu().mean() + alpha * sum((p * p).sum() for p in params)
        return torch_sgd_step(loss, params, lr(k))

    def accuracy():
        with torch.no_grad():
            return ((forward() > 0) == (Y > 0)).double().mean().item()

    return step, accuracy


# --- batched: a digits epoch ------------------------------------------------------------

def bench_digits(batch_size: int, slow_batches: int, reps: int) -> dict:
    """Seconds per epoch of mini-batch SGD on the 1,437 training digits, MLP(64, [32, 10]),
    softmax cross-entropy. Engines that take minutes per epoch (eager scalar graphs) are
    timed on ``slow_batches`` batches and scaled to the epoch, which the table says."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "examples"))
    import digits

    from autograd.compiler import compile
    from nn import MLP, SGD, cross_entropy

    x_train, y_train, _, _ = digits.load()
    n_batches = math.ceil(len(x_train) / batch_size)
    batches = [list(range(i, min(i + batch_size, len(x_train))))
               for i in range(0, len(x_train), batch_size)]
    ours = MLP(64, [32, 10], activation="relu", seed=0)
    start = [p.data for p in ours.parameters()]
    out: dict[str, Any] = {}
    engines: dict[str, Any] = {}

    def eager_epoch(n):
        opt = SGD(ours.parameters(), lr=0.1)
        for batch in batches[:n]:
            loss = sum(cross_entropy(ours(x_train[i]), y_train[i]) for i in batch) / len(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()

    engines["chainrule"] = (eager_epoch, slow_batches)

    model_c = MLP(64, [32, 10], activation="relu", seed=0)
    xs = [Value(v) for v in x_train[0]]
    ts = [Value(v) for v in y_train[0]]
    program = compile([cross_entropy(model_c(xs), ts)], xs + ts, model_c.parameters())
    table = np.hstack([np.array(x_train), np.array(y_train)])
    opt_c = SGD(model_c.parameters(), lr=0.1)

    def compiled_epoch(n):
        for batch in batches[:n]:
            opt_c.zero_grad()
            program(table[batch])
            program.backward(np.full((len(batch), 1), 1.0 / len(batch)))
            opt_c.step()

    engines["chainrule (compiled)"] = (compiled_epoch, n_batches)

    if micrograd is not None:
        mg = micrograd.nn.MLP(64, [32, 10])
        for p, w in zip(mg.parameters(), start):
            p.data = w

        def mg_epoch(n):
            for batch in batches[:n]:
                total = 0
                for i in batch:
                    total = total + micrograd_cross_entropy(mg(x_train[i]), y_train[i])
                loss = total * (1.0 / len(batch))
                mg.zero_grad()
                loss.backward()
                for p in mg.parameters():
                    p.data -= 0.1 * p.grad

        engines["micrograd"] = (mg_epoch, slow_batches)
    if torch is not None:
        W = [torch.tensor(np.array([[n.w[j].data for j in range(len(n.w))] for n in layer.neurons]),
                          requires_grad=True) for layer in ours.layers]
        B = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                          requires_grad=True) for layer in ours.layers]
        X = torch.tensor(x_train, dtype=torch.float64)
        Y = torch.tensor(np.argmax(y_train, axis=1))
        opt_t = torch.optim.SGD(W + B, lr=0.1)

        def torch_epoch(n):
            for batch in batches[:n]:
                h = torch.relu(X[batch] @ W[0].T + B[0])
                loss = torch.nn.functional.cross_entropy(h @ W[1].T + B[1], Y[batch])
                opt_t.zero_grad()
                loss.backward()
                opt_t.step()

        engines["torch (vectorized)"] = (torch_epoch, n_batches)
    samples: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(reps):
        for name, (epoch, n) in engines.items():
            gc.collect()
            t, _ = timed(lambda epoch=epoch, n=n: epoch(n))
            samples[name].append(t * n_batches / n)
    for name, (_, n) in engines.items():
        out[name] = {"epoch_s": statistics.median(samples[name]),
                     "batches_timed": n, "batches": n_batches}
    if micrograd is None:
        out["micrograd"] = {"error": "not installed"}
    return out


def micrograd_cross_entropy(z, target):
    """Softmax cross-entropy log Σ exp(z - c) + c - z_target in micrograd's ops."""
    c = max(v.data for v in z)
    k = target.index(1.0)
    return sum((v - c).exp() for v in z).log() + c - z[k]


# --- report -------------------------------------------------------------------------------

def ratio(ours: dict, peer: dict, key: str) -> str:
    if "error" in ours or "error" in peer:
        return "—"
    return f"{ours[key] / peer[key]:.3g}"


def cell(r: dict, key: str, scale: float, fmt: str) -> str:
    return r["error"] if "error" in r else format(r[key] * scale, fmt)


def report(results: dict) -> str:
    env = results["environment"]
    lines = [
        f"Python {env['python']}, {env['cpus']} CPUs, garbage collector "
        f"{'on' if env['gc_enabled'] else 'off'}, micrograd {env['micrograd']}, "
        f"torch {env['torch']}; median of {env['reps']} interleaved runs.",
        "",
    ]
    if "chain" in results:
        lines += report_chain(results)
    if "wide" in results:
        wide = results["wide"]
        lines += [f"### wide: the sum of {results['wide_n']:,} products, ms", "",
                  "| engine | forward | backward | total | ours / engine |",
                  "|---|---|---|---|---|"]
        for name, r in wide.items():
            lines.append(f"| {name} | {cell(r, 'forward_s', 1e3, ',.1f')} | "
                         f"{cell(r, 'backward_s', 1e3, ',.1f')} | "
                         f"{cell(r, 'total_s', 1e3, ',.1f')} | "
                         f"{ratio(wide['chainrule'], r, 'total_s')} |")
        lines.append("")
    if "mlp" in results:
        mlp = results["mlp"]
        lines += [f"### mlp: two-moons training step, MLP(2, [16, 16, 1]), "
                  f"{results['mlp_samples']} samples, hinge + 1e-4 L2, SGD, "
                  f"{results['mlp_steps']} steps", "",
                  "| engine | ms per step (median) | accuracy after the last step "
                  "| ours / engine | ours compiled / engine |", "|---|---|---|---|---|"]
        for name, r in mlp.items():
            acc = "—" if "error" in r else f"{r['accuracy']:.0%}"
            lines.append(f"| {name} | {cell(r, 'step_s', 1e3, ',.2f')} | {acc} | "
                         f"{ratio(mlp['chainrule'], r, 'step_s')} | "
                         f"{ratio(mlp['chainrule (compiled)'], r, 'step_s')} |")
        lines.append("")
    if "digits" in results:
        dig = results["digits"]
        lines += ["### digits: one epoch of mini-batch SGD (batch 32) on 1,437 images, "
                  "MLP(64, [32, 10]), softmax cross-entropy", "",
                  "| engine | s per epoch | timed on | ours compiled / engine |",
                  "|---|---|---|---|"]
        for name, r in dig.items():
            timed_on = ("—" if "error" in r else "the whole epoch"
                        if r["batches_timed"] == r["batches"]
                        else f"{r['batches_timed']} of {r['batches']} batches, scaled")
            lines.append(f"| {name} | {cell(r, 'epoch_s', 1, ',.3f')} | {timed_on} | "
                         f"{ratio(dig['chainrule (compiled)'], r, 'epoch_s')} |")
        lines.append("")
    if "memory" in results:
        mem = results["memory"]
        lines += [f"### memory: bytes per node of a {results['memory_n']:,}-node chain "
                  "(tracemalloc, after the forward pass)", "",
                  "| engine | bytes per node | ours / engine |", "|---|---|---|"]
        for name, r in mem.items():
            lines.append(f"| {name} | {cell(r, 'bytes_per_node', 1, ',.0f')} | "
                         f"{ratio(mem['chainrule'], r, 'bytes_per_node')} |")
        peak = results["peak"]
        lines += ["", f"chainrule, {peak['nodes']:,}-node chain, forward + backward: peak "
                  f"traced memory {peak['peak_MB']:,.0f} MB.", ""]
    return "\n".join(lines)


def report_chain(results: dict) -> list[str]:
    names = ["chainrule", "micrograd", "torch (0-d tensors)"]
    lines = [
        "### chain: x ← tanh(x·a + b), ns per node: forward / backward / total",
        "",
        "| N | " + " | ".join(names) + " | ours / micrograd | ours / torch "
        "| floor: bare objects |",
        "|---|" + "---|" * (len(names) + 3),
    ]
    missing = {"error": "not installed"}
    for n, row in results["chain"].items():
        cells = []
        for name in names:
            r = row.get(name, missing)
            cells.append(r["error"] if "error" in r else " / ".join(
                f"{r[k] / int(n) * 1e9:,.0f}" for k in ("forward_s", "backward_s", "total_s")))
        floor = results["floor"][n]
        lines.append(f"| {int(n):,} | " + " | ".join(cells) + " | "
                     + ratio(row["chainrule"], row.get("micrograd", missing), "total_s") + " | "
                     + ratio(row["chainrule"], row.get("torch (0-d tensors)", missing),
                             "total_s") + " | " + cell(floor, "forward_s", 1e9 / int(n), ",.0f")
                     + " |")
    per_node = {int(n): row["chainrule"]["total_s"] / int(n)
                for n, row in results["chain"].items() if "error" not in row["chainrule"]}
    floor = {int(n): r["forward_s"] / int(n) for n, r in results["floor"].items()}
    off = {int(n): r["total_s"] / int(n) for n, r in results["chain_gc_off"].items()}
    base = min(per_node, key=lambda n: abs(n - 1000))
    top = max(per_node)
    fail = results["micrograd_recursion_failure"]
    lines += [
        "",
        f"Growth of ns per node from N = {base:,} to N = {top:,}: chainrule "
        f"{per_node[top] / per_node[base]:.2f}x; the floor (allocating bare linked objects, "
        f"no arithmetic) {floor[top] / floor[base]:.2f}x. With the collector switched off "
        f"(this line only), chainrule's total is {off[base] * 1e9:,.0f} and "
        f"{off[top] * 1e9:,.0f} ns per node: {off[top] / off[base]:.2f}x.",
        "",
        f"micrograd at the default recursion limit ({DEFAULT_RECURSION_LIMIT}): "
        + (f"backward raises RecursionError from N = {fail:,} nodes" if fail
           else "no failure at the sizes tried") + "; it ran above with the limit raised.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks it works")
    parser.add_argument("--reps", type=int, default=None, help="repetitions per measurement")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.json")
    parser.add_argument("--only", default="chain,wide,mlp,digits,memory",
                        help="comma-separated workloads to run (default: all)")
    args = parser.parse_args()

    if args.quick:
        sizes, wide_n, mem_n, peak_n, mlp_steps, mlp_samples = [30, 300], 300, 300, 3000, 3, 20
        reps = args.reps or 2
    else:
        sizes = [102, 1_002, 10_002, 100_002, 1_000_002]
        wide_n, mem_n, peak_n, mlp_steps, mlp_samples = 100_000, 100_002, 1_000_002, 100, 100
        reps = args.reps or 5

    random.seed(0)
    results: dict[str, Any] = {
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "gc_enabled": gc.isenabled(),
            "micrograd": getattr(micrograd, "__version__", "0.1.0") if micrograd else "missing",
            "torch": torch.__version__ if torch else "missing",
            "reps": reps,
            "command": "python bench/run.py" + (" --quick" if args.quick else ""),
        }
    }
    only = set(args.only.split(","))
    if "chain" in only:
        results["micrograd_recursion_failure"] = micrograd_default_limit_failure(sizes)
        sys.setrecursionlimit(max(DEFAULT_RECURSION_LIMIT, 4 * max(sizes) + 1000))
        results["chain"] = bench_chain(sizes, reps)
        results["floor"] = bench_floor(sizes, reps)
        results["chain_gc_off"] = bench_chain_gc_off(sizes, reps)
    if "wide" in only:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * wide_n + 1000))
        results["wide_n"] = wide_n
        results["wide"] = bench_wide(wide_n, reps)
        print("  wide done", file=sys.stderr)
    if "mlp" in only:
        results["mlp_steps"], results["mlp_samples"] = mlp_steps, mlp_samples
        results["mlp"] = bench_mlp(mlp_steps, mlp_samples)
        print("  mlp done", file=sys.stderr)
    if "digits" in only:
        results["digits"] = bench_digits(32, 1 if args.quick else 5, 1 if args.quick else 3)
        print("  digits done", file=sys.stderr)
    if "memory" in only:
        results["memory_n"] = mem_n
        results["memory"] = bench_memory(mem_n)
        results["peak"] = bench_peak_1m(peak_n)
    text = report(results)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str))
    print(f"results written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
