"""Side-by-side benchmark: chainrule eager and compiled, micrograd, PyTorch, hand-written
floors. One worker process per engine family, timed interleaved, ratios reported.

    python bench/run.py                 # the full run (about 10 minutes), writes bench/results.json
    python bench/run.py --quick         # tiny sizes, to check that it works (the tests do this)
    python bench/run.py --only moons,big

Methodology (bench/README.md says more):

* one long-lived worker process per family: ``python`` (chainrule eager, micrograd,
  hand-written pure Python, the bare-object floor: neither NumPy nor PyTorch is imported
  there), ``numpy`` (chainrule compiled with NumPy, hand-written NumPy) and ``torch``
  (PyTorch, chainrule's torch backend). chainrule's pure-Python backend runs in the
  ``python`` worker too (``Program`` itself reads and returns NumPy arrays, so that one
  imports NumPy when its workload is set up, after the graph workloads). Repetitions are
  interleaved: rep 1 of every family, then rep 2, ...; medians (and minimums) are
  reported;
* one thread everywhere: OMP/MKL/OpenBLAS variables set to 1 in every worker and
  ``torch.set_num_threads(1)``;
* before any timing, every engine's result is computed once (which is also the warm-up)
  and asserted equal to the others' (graphs: output and a gradient; training steps: the
  loss and every parameter after one step from the same weights);
* graphs: building (forward), backward and freeing are timed separately; freeing is
  ``del`` plus one ``gc.collect()``, so an engine that leaves reference cycles pays for
  them here; the collector stays on while timing and is never run outside the timings to
  hide a cost.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FAMILIES = ("python", "numpy", "torch")
THREADS = 1


# --- the worker -----------------------------------------------------------------------------

def worker(family: str) -> None:
    """Answer JSON commands on stdin, one per line."""
    sys.path.insert(0, str(HERE))
    sys.setrecursionlimit(10_000_000)  # micrograd's backward is recursive
    import engines

    if family == "torch":
        import torch

        torch.set_num_threads(THREADS)
    graph_cache: dict[tuple[str, int], dict[str, Any]] = {}
    step_cache: dict[str, dict[str, Any]] = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        kind = cmd["cmd"]
        if kind == "quit":
            break
        if kind == "info":
            reply: Any = {"modules": sorted(m for m in ("numpy", "torch", "micrograd")
                                            if m in sys.modules)}
            if family == "torch":
                import torch

                reply["torch_threads"] = torch.get_num_threads()
                reply["torch"] = torch.__version__
        elif kind == "graph_setup":
            key = (cmd["kind"], cmd["n"])
            makers = {name: make(*key) for name, make in engines.graph_makers(family).items()}
            graph_cache[key] = makers
            reply = {}
            for name, (build, backward, digest) in makers.items():
                out = build()
                backward(out)
                reply[name] = digest(out)
                del out
        elif kind == "graph_time":
            reply = {}
            for name, (build, backward, _) in graph_cache[(cmd["kind"], cmd["n"])].items():
                reply[name] = _time_graphs(build, backward, cmd["graphs"])
        elif kind == "graph_drop":
            graph_cache.clear()
            gc.collect()
            reply = {}
        elif kind == "step_setup":
            made = {name: make(cmd["workload"])
                    for name, make in engines.step_makers(family).items()}
            step_cache[cmd["workload"]] = {k: v for k, v in made.items() if v is not None}
            reply = {}
            for name, (step, digest) in step_cache[cmd["workload"]].items():
                reply[name] = [step(), *digest()]
        elif kind == "step_time":
            reply = {name: [] for name in step_cache[cmd["workload"]]}
            for _ in range(cmd["steps"]):
                for name, (step, _) in step_cache[cmd["workload"]].items():
                    if sum(reply[name]) > cmd["budget"]:
                        continue  # a slow engine (micrograd): fewer steps, reported
                    t = time.perf_counter()
                    step()
                    reply[name].append(time.perf_counter() - t)
        elif kind == "compile_time":
            reply = _compile_time(cmd["what"], cmd["n"])
        else:
            raise ValueError(kind)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def _time_graphs(build: Any, backward: Any, graphs: int) -> dict[str, float]:
    t0 = time.perf_counter()
    outs = [build() for _ in range(graphs)]
    t1 = time.perf_counter()
    for out in outs:
        backward(out)
    t2 = time.perf_counter()
    del out, outs
    gc.collect()
    t3 = time.perf_counter()
    return {"forward": (t1 - t0) / graphs, "backward": (t2 - t1) / graphs,
            "free": (t3 - t2) / graphs}


def _compile_time(what: str, n: int) -> dict[str, float]:
    """Seconds to compile (trace + the NumPy backend), the graph built beforehand."""
    from autograd import Value, compile
    from autograd import sum as vsum
    from nn import MLP

    if what == "mlp":
        model = MLP(64, [256, 256, 10], seed=0)
        xs = [Value(0.0) for _ in range(64)]
        outs, params = model(xs), model.parameters()
    elif what == "chain":
        x, a, b = Value(0.1), Value(0.5), Value(0.3)
        y = x
        for _ in range(n // 3):
            y = (y * a + b).tanh()
        outs, xs, params = [y], [x], [a, b]
    else:
        xs = [Value(0.001 * i) for i in range(n // 2)]
        ws = [Value(0.5) for _ in range(n // 2)]
        outs, params = [vsum([x * w for x, w in zip(xs, ws)])], ws
    t = time.perf_counter()
    program = compile(outs, xs, params)
    seconds = time.perf_counter() - t
    from autograd.core.value import topological_order

    nodes = len(topological_order(outs[0])) if len(outs) == 1 else None
    return {"seconds": seconds, "nodes": nodes, "groups": program.n_groups}


# --- the driver -----------------------------------------------------------------------------

class Worker:
    def __init__(self, family: str) -> None:
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
            env[var] = str(THREADS)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self.family = family
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", family],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)

    def ask(self, **cmd: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.family} worker died on {cmd}")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.ask(cmd="quit")
        except (RuntimeError, BrokenPipeError, ValueError):
            pass
        self.proc.wait(timeout=60)


def check_equal(digests: dict[str, Any], what: str, rtol: float = 1e-9) -> None:
    """Every engine computed the same thing (to rtol, scaled by the largest entry)."""
    ref_name, ref = next((k, v) for k, v in digests.items() if v is not None)
    scale = max(1.0, *(abs(v) for v in ref))
    for name, d in digests.items():
        if d is None:
            continue
        if len(d) != len(ref):
            raise AssertionError(f"{what}: {name} returned {len(d)} numbers, {ref_name} "
                                 f"{len(ref)}")
        worst = max(abs(a - b) for a, b in zip(d, ref))
        if worst > rtol * scale:
            raise AssertionError(f"{what}: {name} differs from {ref_name} by {worst:g}")


def bench_graphs(workers: list[Worker], kind: str, sizes: list[int], reps: int,
                 budget: float) -> dict:
    out: dict[str, Any] = {}
    for n in sizes:
        digests: dict[str, Any] = {}
        for w in workers:
            if w.family != "numpy":
                digests.update(w.ask(cmd="graph_setup", kind=kind, n=n))
        check_equal(digests, f"{kind} N={n}")
        graphs = max(1, 30_000 // n)
        times: dict[str, list[dict[str, float]]] = {}
        reps_here = reps + 2 if n >= 100_000 else reps  # one graph per measurement there
        started = time.perf_counter()
        for rep in range(reps_here):
            for w in workers:
                if w.family == "numpy":
                    continue
                for name, t in w.ask(cmd="graph_time", kind=kind, n=n, graphs=graphs).items():
                    times.setdefault(name, []).append(t)
            if rep >= 2 and time.perf_counter() - started > budget:
                break  # the slow peers at a million nodes: fewer repetitions (reported)
        for w in workers:
            if w.family != "numpy":
                w.ask(cmd="graph_drop")
        row = {}
        for name, ts in times.items():
            row[name] = {ph: statistics.median(t[ph] for t in ts) / n * 1e9
                         for ph in ("forward", "backward", "free")}
            row[name]["total"] = sum(row[name][ph] for ph in ("forward", "backward", "free"))
            row[name]["min_total"] = min(sum(t.values()) for t in ts) / n * 1e9
            row[name]["reps"] = len(ts)
        out[str(n)] = row
        print(f"  {kind} N={n}: done ({len(next(iter(times.values())))} reps)", file=sys.stderr)
    return out


def bench_steps(workers: list[Worker], workload: str, reps: int, steps: int) -> dict:
    digests: dict[str, Any] = {}
    for w in workers:
        digests.update(w.ask(cmd="step_setup", workload=workload))
    check_equal(digests, f"{workload} step", rtol=1e-9)
    times: dict[str, list[float]] = {}
    for _ in range(reps):
        for w in workers:
            for name, ts in w.ask(cmd="step_time", workload=workload, steps=steps,
                                  budget=2.0).items():
                times.setdefault(name, []).extend(ts)
    print(f"  {workload}: done", file=sys.stderr)
    return {name: {"ms": statistics.median(ts) * 1e3, "min_ms": min(ts) * 1e3, "n": len(ts)}
            for name, ts in times.items()}


def bench_compile(worker: Worker, sizes: list[int], reps: int) -> dict:
    out: dict[str, Any] = {"mlp": None, "chain": {}, "wide": {}}
    runs = [worker.ask(cmd="compile_time", what="mlp", n=0) for _ in range(reps)]
    out["mlp"] = {"seconds": statistics.median(r["seconds"] for r in runs),
                  "groups": runs[0]["groups"]}
    for what in ("chain", "wide"):
        for n in sizes:
            k = 1 if n >= 1_000_000 else reps
            runs = [worker.ask(cmd="compile_time", what=what, n=n) for _ in range(k)]
            s = statistics.median(r["seconds"] for r in runs)
            nodes = runs[0]["nodes"]
            out[what][str(n)] = {"seconds": s, "nodes": nodes, "ns_per_node": s / nodes * 1e9,
                                 "reps": k}
    print("  compile: done", file=sys.stderr)
    return out


# --- the report -----------------------------------------------------------------------------

def fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def report(results: dict) -> str:
    env = results["environment"]
    lines = [f"Python {env['python']}, {env['cpus']} CPUs, {env['threads']} thread per engine, "
             f"garbage collector on; {env['peers']}; median of interleaved repetitions.", ""]
    for kind in ("chain", "wide"):
        if kind not in results:
            continue
        title = ("x ← tanh(x·a + b)" if kind == "chain" else "Σ x_i·y_i")
        lines += [f"### {kind}: {title}, ns per node: forward / backward / free = total", ""]
        rows = results[kind]
        names = list(next(iter(rows.values())))
        lines.append("| N | " + " | ".join(names) + " | chainrule / floor | chainrule / "
                     "micrograd | chainrule / torch |")
        lines.append("|---" * (len(names) + 4) + "|")
        for n, row in rows.items():
            cells = []
            for name in names:
                r = row.get(name)
                cells.append("—" if r is None else
                             f"{fmt(r['forward'])} / {fmt(r['backward'])} / {fmt(r['free'])} "
                             f"= **{fmt(r['total'])}**")
            ours = row["chainrule"]["total"]

            def rat(peer: str, ours: float = ours, row: dict = row) -> str:
                return fmt(ours / row[peer]["total"]) if peer in row else "n/a"
            lines.append(f"| {int(n):,} | " + " | ".join(cells) + f" | "
                         f"{rat('floor: bare objects')} | {rat('micrograd')} | "
                         f"{rat('torch (0-d tensors)')} |")
        first, last = list(rows)[0], list(rows)[-1]
        if len(rows) > 2:
            growth = rows[last]["chainrule"]["total"] / rows[list(rows)[1]]["chainrule"]["total"]
            lines.append(f"\nchainrule's ns per node grows {growth:.2f}x from N = "
                         f"{int(list(rows)[1]):,} to {int(last):,}.")
        del first
        lines.append("")
    for workload, title in (("moons", "moons step: MLP(2, [16, 16, 1]), 100 samples, hinge "
                             "+ 1e-4 L2, SGD"),
                            ("digits", "digits step: MLP(64, [32, 10]), batch 32, softmax "
                             "cross-entropy, SGD"),
                            ("big", "big MLP step: MLP(64, [256, 256, 10]), batch 512, "
                             "softmax cross-entropy, SGD")):
        if workload not in results:
            continue
        rows = results[workload]
        floors = [f for f in ("hand-written pure Python", "hand-written NumPy",
                              "torch nn.Linear") if f in rows]
        lines += [f"### {workload}: {title}", "",
                  "| engine | ms per step (median) | min | steps timed | " +
                  " | ".join(f"/ {f}" for f in floors) + " |",
                  "|---|---|---|---|" + "---|" * len(floors)]
        for name, r in rows.items():
            lines.append(f"| {name} | {fmt(r['ms'])} | {fmt(r['min_ms'])} | {r['n']} | " +
                         " | ".join(fmt(r["ms"] / rows[f]["ms"]) for f in floors) + " |")
        lines.append("")
    if "compile" in results:
        c = results["compile"]
        lines += ["### compile time (trace + NumPy backend; the graph built beforehand)", "",
                  f"MLP(64, [256, 256, 10]): {c['mlp']['seconds']:.3f} s "
                  f"({c['mlp']['groups']} groups).", "",
                  "| graph | N (nodes) | seconds | µs per node |", "|---|---|---|---|"]
        for what in ("chain", "wide"):
            for r in c[what].values():
                lines.append(f"| {what} | {r['nodes']:,} | {r['seconds']:.3f} | "
                             f"{r['ns_per_node'] / 1000:.2f} |")
        for what in ("chain", "wide"):
            per = [r["ns_per_node"] for r in c[what].values()]
            if len(per) > 1:
                lines.append(f"\n{what}: µs per node, largest over smallest N: "
                             f"{per[-1] / per[0]:.2f}x")
        lines.append("")
    lines += ["### targets", ""] + [f"- {t}" for t in targets(results)]
    return "\n".join(lines)


def targets(results: dict) -> list[str]:
    out = []

    def ms(w: str, e: str) -> float | None:
        return results.get(w, {}).get(e, {}).get("ms")

    for w in ("moons", "digits", "big"):
        c = ms(w, "chainrule (compiled, numpy)")
        for floor, limit in (("hand-written NumPy", 1.5), ("torch nn.Linear", 1.0)):
            f = ms(w, floor)
            if c and f:
                out.append(f"{w}: compiled / {floor} = {c / f:.2f} (target ≤ {limit}): "
                           f"{'met' if c / f <= limit else 'NOT met'}")
    e, h = ms("moons", "chainrule (eager)"), ms("moons", "hand-written pure Python")
    if e and h:
        out.append(f"moons: eager / hand-written pure Python = {e / h:.2f} (target ≤ 6): "
                   f"{'met' if e / h <= 6 else 'NOT met'}")
    c = ms("moons", "chainrule (compiled, python)")
    if c and h:
        out.append(f"moons: compiled pure-Python backend / hand-written pure Python = "
                   f"{c / h:.2f} (target ≤ 1.5): {'met' if c / h <= 1.5 else 'NOT met'}")
    if "compile" in results:
        s = results["compile"]["mlp"]["seconds"]
        out.append(f"compile MLP(64, [256, 256, 10]) = {s:.2f} s (target < 3 s): "
                   f"{'met' if s < 3 else 'NOT met'}")
        for what in ("chain", "wide"):
            per = [r["ns_per_node"] for r in results["compile"][what].values()]
            if len(per) > 1:
                out.append(f"compile time per node, {what}, largest / smallest N = "
                           f"{per[-1] / per[0]:.2f} (target ≤ 2): "
                           f"{'met' if per[-1] / per[0] <= 2 else 'NOT met'}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="chain,wide,moons,digits,big,compile")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--worker", choices=FAMILIES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    only = set(args.only.split(","))
    families = ["python"] + [f for f, mod in (("numpy", "numpy"), ("torch", "torch"))
                             if importlib.util.find_spec(mod) is not None]
    workers = [Worker(f) for f in families]
    try:
        info = {w.family: w.ask(cmd="info") for w in workers}
        assert info["python"]["modules"] == [] or info["python"]["modules"] == ["micrograd"], \
            info  # the pure-Python engines run without NumPy or PyTorch imported
        peers = []
        if importlib.util.find_spec("micrograd") is not None:
            peers.append("micrograd 0.1.0")
        if "torch" in info:
            peers.append(f"torch {info['torch']['torch']} "
                         f"({info['torch']['torch_threads']} thread)")
        results: dict[str, Any] = {"environment": {
            "python": platform.python_version(), "cpus": os.cpu_count(), "threads": THREADS,
            "peers": ", ".join(peers) or "no peers installed", "gc_enabled": gc.isenabled(),
            "quick": args.quick, "reps": args.reps, "families": families}}
        sizes = [100, 1000] if args.quick else [100, 1000, 10_000, 100_000, 1_000_000]
        for kind in ("chain", "wide"):
            if kind in only:
                results[kind] = bench_graphs(workers, kind, sizes, args.reps,
                                             budget=5.0 if args.quick else 60.0)
        for workload in ("moons", "digits", "big"):
            if workload in only:
                steps = 2 if args.quick else (10 if workload == "big" else 20)
                results[workload] = bench_steps(workers, workload, args.reps, steps)
        if "compile" in only and "numpy" in families:
            np_worker = next(w for w in workers if w.family == "numpy")
            results["compile"] = bench_compile(
                np_worker, [1000, 10_000] if args.quick else [10_000, 100_000, 1_000_000],
                1 if args.quick else 3)
    finally:
        for w in workers:
            w.close()
    text = report(results)
    print(text)
    args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
