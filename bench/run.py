"""Side-by-side benchmark: chainrule on the paths users take (``fit(compiled=True)``, the
README's compile loop, eager training), its array path, hand-written floors, PyTorch, JAX
and micrograd. One worker process per engine, one thread each, timed interleaved.

    python bench/run.py                 # the full run (3 to 6 minutes on 2 cores)
    python bench/run.py --quick         # tiny sizes, one round: checks that it works
    python bench/run.py --only moons,big
    python bench/run.py --markdown      # the tables again, from bench/results.json
    python bench/run.py --markdown --write-readme   # ... into bench/README.md

Method (bench/README.md says more):

* one long-lived worker process per engine, driven over pipes; each imports only what
  its engine needs;
* one thread everywhere: OMP/MKL/OpenBLAS variables at 1, ``torch.set_num_threads(1)``,
  XLA's CPU threads at 1 for JAX (pinned to one core with ``taskset`` where it exists);
* before any timing every engine takes one step from the same weights on the same batch,
  and every parameter after that step (and the loss) is asserted equal across engines to
  1e-9;
* then rounds: in each round every engine, in a shuffled order, runs one block of k steps
  (k chosen once per engine so that a block takes about 0.2 s; ``fit`` runs k epochs in
  one call, its set-up timed apart); the tables give the median over rounds of the time
  per step, and the minimum;
* the garbage collector stays on; nothing is collected outside a timing to hide a cost.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THREADS = 1
BLOCK_SECONDS = 0.2      # the time one block of steps should take
MIN_FIT_EPOCHS = 20      # a fit call runs at least this many epochs (its start and end amortized)
README_MARKERS = ("<!-- results: start -->", "<!-- results: end -->")

NUMPY_FLOOR, TORCH, JAX = "hand-written NumPy", "PyTorch", "JAX"
FIT, LOOP, ARRAY = "chainrule fit(compiled=True)", "chainrule README loop", "chainrule array path"
EAGER, TAPE, PURE = "chainrule eager", "pure-Python tape", "hand-written pure Python"


# --- the worker -----------------------------------------------------------------------------

def worker(engine: str) -> None:
    """Answer JSON commands on stdin, one per line, for one engine."""
    sys.path.insert(0, str(HERE))
    sys.setrecursionlimit(10_000_000)  # micrograd's backward is recursive
    import engines

    if engine in (TORCH, "torch (0-d tensors)"):
        import torch

        torch.set_num_threads(THREADS)
    runners: dict[str, Any] = {}
    graphs: dict[tuple[str, int], Any] = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        kind = cmd["cmd"]
        if kind == "quit":
            break
        if kind == "info":
            reply: Any = {"modules": sorted(m for m in ("numpy", "torch", "jax", "micrograd")
                                            if m in sys.modules)}
        elif kind == "setup":
            maker = engines.STEP_ENGINES[engine][0]
            t = time.perf_counter()
            runner = maker(cmd["workload"], cmd["quick"])
            seconds = time.perf_counter() - t
            reply = {"applies": runner is not None}
            if runner is not None:
                runners[cmd["workload"]] = runner
                reply.update(loss=runner.loss, weights=runner.weights(), seconds=seconds,
                             setup=runner.setup)
                if os.environ.get("BENCH_PERTURB") == engine:  # the tests: a wrong engine
                    reply["weights"][0] += 1e-6
        elif kind == "block":
            steps, setup = runners[cmd["workload"]].block(cmd["k"])
            reply = {"seconds": steps / cmd["k"], "setup": setup}
        elif kind == "drop":
            runners.pop(cmd["workload"], None)
            gc.collect()
            reply = {}
        elif kind == "compile":
            reply = {"seconds": engines.compile_seconds(cmd["workload"], cmd["quick"])}
        elif kind == "graph_setup":
            key = (cmd["kind"], cmd["n"])
            graphs[key] = engines.GRAPH_ENGINES[engine][0](*key)
            build, backward, digest = graphs[key]
            out = build()
            backward(out)
            reply = {"digest": digest(out)}
            del out
        elif kind == "graph_time":
            build, backward, _ = graphs[(cmd["kind"], cmd["n"])]
            reply = _time_graphs(build, backward, cmd["graphs"])
        elif kind == "graph_drop":
            graphs.clear()
            gc.collect()
            reply = {}
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


# --- the driver -----------------------------------------------------------------------------

class Worker:
    """One engine's process."""

    def __init__(self, engine: str) -> None:
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
            env[var] = str(THREADS)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["BENCH_DIGITS"] = digits_file()
        command = [sys.executable, __file__, "--worker", engine]
        self.pinned: int | None = None
        if engine == JAX:
            env["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                "intra_op_parallelism_threads=1")
            cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
            if shutil.which("taskset") and cpus:
                self.pinned = cpus[-1]
                command = ["taskset", "-c", str(self.pinned), *command]
        self.engine = engine
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)

    def send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker of {self.engine!r} died")
        return json.loads(line)

    def ask(self, **cmd: Any) -> Any:
        self.send(**cmd)
        return self.receive()

    def close(self) -> None:
        try:
            self.send(cmd="quit")
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait(timeout=60)


_DIGITS: list[str] = []


def digits_file() -> str:
    """A file holding the first 32 digits of scikit-learn (loaded once, here), for the
    workers; "" without scikit-learn."""
    if not _DIGITS:
        path = ""
        if importlib.util.find_spec("sklearn") is not None:
            from sklearn.datasets import load_digits

            d = load_digits()
            fd, path = tempfile.mkstemp(prefix="bench-digits-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump([d.data[:32].tolist(), d.target[:32].tolist()], f)
            atexit.register(os.remove, path)
        _DIGITS.append(path)
    return _DIGITS[0]


def ask_all(workers: dict[str, Worker], **cmd: Any) -> dict[str, Any]:
    """The same command to every worker at once (set-up is not timed), then every reply."""
    for w in workers.values():
        w.send(**cmd)
    return {name: w.receive() for name, w in workers.items()}


def check_equal(digests: dict[str, list[float]], what: str, rtol: float = 1e-9) -> float:
    """Every engine computed the same numbers, to rtol scaled by the largest entry (at
    least 1); the worst difference found."""
    ref_name, ref = next(iter(digests.items()))
    scale = max([1.0, *(abs(v) for v in ref)])
    worst_all = 0.0
    for name, d in digests.items():
        if len(d) != len(ref):
            raise AssertionError(f"{what}: {name} gave {len(d)} numbers, {ref_name} {len(ref)}")
        worst = max(abs(a - b) for a, b in zip(d, ref))
        if not worst <= rtol * scale:
            raise AssertionError(f"{what}: {name} differs from {ref_name} by {worst:g} "
                                 f"(allowed {rtol * scale:g})")
        worst_all = max(worst_all, worst)
    return worst_all


def agree(workers: dict[str, Worker], workload: str, quick: bool,
          parallel: bool = True) -> dict[str, Any]:
    """Set every engine up (one step from the shared weights) and check that they agree;
    the engines that run this workload, with their set-up replies. ``parallel=False``
    sets them up one after the other (then ``fit``'s first set-up is timed alone)."""
    if parallel:
        replies = ask_all(workers, cmd="setup", workload=workload, quick=quick)
    else:
        replies = {n: w.ask(cmd="setup", workload=workload, quick=quick)
                   for n, w in workers.items()}
    replies = {n: r for n, r in replies.items() if r["applies"]}
    if len(replies) < 2:
        raise AssertionError(f"{workload}: fewer than two engines ran")
    worst = check_equal({n: r["weights"] for n, r in replies.items()},
                        f"{workload}: the weights after one step")
    check_equal({n: [r["loss"]] for n, r in replies.items()},
                f"{workload}: the loss of the first step")
    print(f"  {workload}: {len(replies)} engines agree after one step (worst weight "
          f"difference {worst:.1e})", file=sys.stderr)
    return replies


def bench_steps(workers: dict[str, Worker], workload: str, rounds: int, quick: bool,
                rng: random.Random) -> dict[str, Any]:
    replies = agree(workers, workload, quick, parallel=False)
    active = {n: workers[n] for n in replies}
    target = 0.01 if quick else BLOCK_SECONDS
    ks = {}
    for name, w in active.items():  # calibration (and a second warm-up)
        k = (2 if quick else MIN_FIT_EPOCHS) if name == FIT else 2  # fit: its per-call
        per = w.ask(cmd="block", workload=workload, k=k)["seconds"]  # costs amortized
        ks[name] = max(1, min(1000, round(target / max(per, 1e-9))))
        if name == FIT and not quick:
            ks[name] = max(ks[name], MIN_FIT_EPOCHS)
    times: dict[str, list[float]] = {n: [] for n in active}
    setups: dict[str, list[float]] = {n: [] for n in active}
    for _ in range(rounds):
        order = list(active)
        rng.shuffle(order)
        for name in order:
            r = active[name].ask(cmd="block", workload=workload, k=ks[name])
            times[name].append(r["seconds"])
            if r["setup"] is not None:
                setups[name].append(r["setup"])
    for w in active.values():
        w.ask(cmd="drop", workload=workload)
    print(f"  {workload}: timed", file=sys.stderr)
    out: dict[str, Any] = {}
    for name in active:
        ts = times[name]
        out[name] = {"ms": statistics.median(ts) * 1e3, "min_ms": min(ts) * 1e3,
                     "rounds": len(ts), "steps_per_round": ks[name],
                     "setup_s": statistics.median(setups[name]) if setups[name] else None,
                     "first_setup_s": replies[name]["setup"]}
    return out


def bench_compile(w: Worker, workloads: list[str], rounds: int, quick: bool) -> dict:
    out = {}
    for workload in workloads:
        runs = [w.ask(cmd="compile", workload=workload, quick=quick)["seconds"]
                for _ in range(rounds)]
        out[workload] = {"seconds": statistics.median(runs), "min_seconds": min(runs)}
    return out


def bench_graphs(workers: dict[str, Worker], kind: str, sizes: list[int], reps: int,
                 budget: float, rng: random.Random) -> dict:
    out: dict[str, Any] = {}
    for n in sizes:
        digests = ask_all(workers, cmd="graph_setup", kind=kind, n=n)
        check_equal({k: v["digest"] for k, v in digests.items() if v["digest"] is not None},
                    f"{kind} N={n}")
        graphs = max(1, 30_000 // n)
        times: dict[str, list[dict[str, float]]] = {name: [] for name in workers}
        started = time.perf_counter()
        for rep in range(reps):
            order = list(workers)
            rng.shuffle(order)
            for name in order:
                times[name].append(workers[name].ask(cmd="graph_time", kind=kind, n=n,
                                                     graphs=graphs))
            if rep >= 2 and time.perf_counter() - started > budget:
                break  # the slow peers at large N: fewer repetitions (reported)
        ask_all(workers, cmd="graph_drop")
        row = {}
        for name, ts in times.items():
            row[name] = {ph: statistics.median(t[ph] for t in ts) / n * 1e9
                         for ph in ("forward", "backward", "free")}
            row[name]["total"] = sum(row[name][ph] for ph in ("forward", "backward", "free"))
            row[name]["min_total"] = min(sum(t.values()) for t in ts) / n * 1e9
            row[name]["reps"] = len(ts)
        out[str(n)] = row
        print(f"  {kind} N={n}: timed", file=sys.stderr)
    return out


# --- the report -----------------------------------------------------------------------------

TITLES = {
    "moons": "moons: `MLP(2, [16, 16, 1])`, batch 100 (the whole set), mean hinge + 1e-4·Σp², "
             "SGD lr 0.1",
    "digits": "digits: `MLP(64, [32, 10])`, batch 32 of scikit-learn's digits, softmax "
              "cross-entropy, SGD lr 0.1",
    "big": "big: `MLP(64, [256, 256, 10])`, batch 512, softmax cross-entropy, SGD lr 0.1",
}
#: (what, numerator, denominator, limit)
STEP_TARGETS = [(FIT, NUMPY_FLOOR, 1.5), (FIT, TORCH, 1.0), (LOOP, NUMPY_FLOOR, 1.5),
                (LOOP, TORCH, 1.0)]
EAGER_TARGETS = [(EAGER, TAPE, 1.5), (EAGER, PURE, 3.0)]
SETUP_LIMIT = 0.3


def fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def ratio(rows: dict, a: str, b: str) -> float | None:
    if a in rows and b in rows:
        return float(rows[a]["ms"] / rows[b]["ms"])
    return None


def targets(results: dict) -> list[dict[str, Any]]:
    """Every target of issue 22 with its measured value and whether it is met."""
    out = []
    for workload in ("moons", "digits", "big"):
        rows = results.get("steps", {}).get(workload, {})
        for a, b, limit in STEP_TARGETS + (EAGER_TARGETS if workload == "moons" else []):
            r = ratio(rows, a, b)
            if r is not None:
                out.append({"what": f"{workload}: {a} / {b}", "value": r, "limit": limit,
                            "unit": "x", "met": r <= limit})
    fit = results.get("steps", {}).get("big", {}).get(FIT)
    if fit and fit.get("setup_s") is not None:
        s = fit["setup_s"]
        out.append({"what": "big: fit(compiled=True) set-up", "value": s, "limit": SETUP_LIMIT,
                    "unit": " s", "met": s <= SETUP_LIMIT})
    return out


def _summary(steps: dict) -> list[str]:
    cols = [(FIT, NUMPY_FLOOR), (LOOP, NUMPY_FLOOR), (ARRAY, NUMPY_FLOOR), (FIT, TORCH),
            (LOOP, TORCH), (FIT, JAX), (JAX, NUMPY_FLOOR)]
    short = {FIT: "`fit(compiled=True)`", LOOP: "README loop", ARRAY: "array path",
             NUMPY_FLOOR: "hand NumPy", TORCH: "PyTorch", JAX: "JAX"}
    lines = ["| workload | " + " | ".join(f"{short[a]} / {short[b]}" for a, b in cols) + " |",
             "|---" * (len(cols) + 1) + "|"]
    for workload, rows in steps.items():
        cells = [fmt(ratio(rows, a, b)) + ("x" if ratio(rows, a, b) is not None else "")
                 for a, b in cols]
        lines.append(f"| {workload} | " + " | ".join(cells) + " |")
    return lines


def _workload_table(rows: dict, eager: bool) -> list[str]:
    floors = [f for f in ((TAPE, PURE) if eager else (NUMPY_FLOOR, TORCH, JAX)) if f in rows]
    names = [n for n in rows if (n in (EAGER, TAPE, PURE, "micrograd")) == eager]
    lines = ["| engine | ms per step (median) | min | rounds × steps | " +
             " | ".join(f"/ {f}" for f in floors) + " |",
             "|---|---|---|---|" + "---|" * len(floors)]
    for name in names:
        r = rows[name]
        lines.append(f"| {name} | {fmt(r['ms'])} | {fmt(r['min_ms'])} | "
                     f"{r['rounds']} × {r['steps_per_round']} | " +
                     " | ".join(fmt(ratio(rows, name, f)) for f in floors) + " |")
    return lines


def _graph_tables(results: dict) -> list[str]:
    lines: list[str] = []
    for kind in ("chain", "wide"):
        if kind not in results:
            continue
        title = "x ← tanh(x·a + b)" if kind == "chain" else "Σ x_i·y_i"
        lines += [f"### {kind}: {title}, ns per node: forward / backward / free = total", ""]
        rows = results[kind]
        names = list(next(iter(rows.values())))
        peers = [p for p in ("floor: bare objects", "micrograd", "torch (0-d tensors)")
                 if p in names]
        lines.append("| N | " + " | ".join(names) + " | " +
                     " | ".join(f"chainrule / {p}" for p in peers) + " |")
        lines.append("|---" * (len(names) + len(peers) + 1) + "|")
        for n, row in rows.items():
            cells = [f"{fmt(r['forward'])} / {fmt(r['backward'])} / {fmt(r['free'])} = "
                     f"**{fmt(r['total'])}**" for r in (row[name] for name in names)]
            ours = row["chainrule"]["total"]
            lines.append(f"| {int(n):,} | " + " | ".join(cells) + " | " +
                         " | ".join(fmt(ours / row[p]["total"]) for p in peers) + " |")
        lines.append("")
    return lines


def report(results: dict) -> str:
    env = results["environment"]
    lines = [f"Python {env['python']}, {env['cpus']} CPUs, one thread per engine, garbage "
             f"collector on; {env['peers']}; {env['rounds']} interleaved rounds, medians."]
    if env.get("load_start") is not None:
        lines[0] += (f" Load average {env['load_start']} at the start, {env.get('load_end')} "
                     f"at the end, on {env['cpus']} CPUs; {env.get('seconds')} s in all.")
    lines.append("")
    steps = results.get("steps", {})
    if steps:
        lines += ["### Time per training step, as ratios (lower is faster for chainrule)", ""]
        lines += _summary(steps) + [""]
    for workload, rows in steps.items():
        lines += [f"### {TITLES[workload]}", ""] + _workload_table(rows, eager=False) + [""]
        if EAGER in rows:
            lines += [f"### eager, {workload}", ""] + _workload_table(rows, eager=True) + [""]
    if steps:
        lines += ["### set-up (seconds)", "",
                  "| workload | `fit(compiled=True)` set-up, median | its first call | "
                  "`compile` (trace + NumPy), median |", "|---|---|---|---|"]
        for workload, rows in steps.items():
            fit = rows.get(FIT, {})
            comp = results.get("compile", {}).get(workload, {}).get("seconds")
            lines.append(f"| {workload} | {fmt(fit.get('setup_s'))} | "
                         f"{fmt(fit.get('first_setup_s'))} | {fmt(comp)} |")
        lines.append("")
    lines += _graph_tables(results)
    lines += ["### targets (issue 22)", ""]
    for t in targets(results):
        lines.append(f"- {t['what']} = {t['value']:.2f}{t['unit']} (target ≤ {t['limit']}"
                     f"{t['unit']}): {'met' if t['met'] else '**NOT met**'}")
    if env.get("missing"):
        lines += [""] + [f"- {m}" for m in env["missing"]]
    return "\n".join(lines) + "\n"


def write_readme(text: str, path: Path = HERE / "README.md") -> None:
    """Replace the part of bench/README.md between the two result markers."""
    doc = path.read_text(encoding="utf-8")
    start, end = (doc.index(m) for m in README_MARKERS)
    path.write_text(doc[:start + len(README_MARKERS[0])] + "\n\n" + text + "\n" + doc[end:],
                    encoding="utf-8")


# --- main -----------------------------------------------------------------------------------

def available(needs: tuple[str, ...]) -> str | None:
    """The first module of ``needs`` that is not installed, or None."""
    return next((m for m in needs if importlib.util.find_spec(m) is None), None)


def run(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import engines

    only = set(args.only.split(","))
    rounds = args.rounds or (1 if args.quick else 7)
    rng = random.Random(0)
    workloads = [w for w in ("moons", "digits", "big") if w in only]
    workers, missing = step_workers(args.engines) if workloads else ({}, [])
    results: dict[str, Any] = {"environment": environment(args, rounds, missing)}
    if workloads:
        try:
            results["steps"] = {w: bench_steps(workers, w, rounds, args.quick, rng)
                                for w in workloads}
            if LOOP in workers:
                results["compile"] = bench_compile(workers[LOOP], workloads,
                                                   1 if args.quick else 3, args.quick)
        finally:
            for w in workers.values():
                w.close()
    kinds = [k for k in ("chain", "wide") if k in only]
    if kinds:
        graph_names = [n for n, (_, needs) in engines.GRAPH_ENGINES.items()
                       if not available(needs)]
        workers = {name: Worker(name) for name in graph_names}
        try:
            imported = workers["chainrule"].ask(cmd="info")["modules"]
            assert "numpy" not in imported and "torch" not in imported, imported
            sizes = [100, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
            for kind in kinds:
                results[kind] = bench_graphs(workers, kind, sizes, rounds,
                                             5.0 if args.quick else 30.0, rng)
        finally:
            for w in workers.values():
                w.close()
    return results


def step_workers(chosen: str = "") -> tuple[dict[str, Worker], list[str]]:
    """A worker for every step engine (of ``chosen``, comma-separated, if given) whose
    modules are installed; the missing ones."""
    sys.path.insert(0, str(HERE))
    import engines

    unknown = set(chosen.split(",")) - set(engines.STEP_ENGINES) if chosen else set()
    if unknown:
        raise SystemExit(f"run.py: no engine named {sorted(unknown)}; the engines are "
                         f"{', '.join(engines.STEP_ENGINES)}")
    missing, names = [], []
    for name, (_, needs) in engines.STEP_ENGINES.items():
        if chosen and name not in chosen.split(","):
            continue
        absent = available(needs)
        if absent:
            missing.append(f"{name}: not installed ({absent})")
        else:
            names.append(name)
    return {name: Worker(name) for name in names}, missing


def check(args: argparse.Namespace) -> dict[str, Any]:
    """Every engine's loss and weights after one step, per workload (asserted equal)."""
    workers, missing = step_workers(args.engines)
    out: dict[str, Any] = {"missing": missing}
    try:
        for w in ("moons", "digits", "big"):
            if w in args.only.split(","):
                replies = agree(workers, w, args.quick)
                out[w] = {n: {"loss": r["loss"], "weights": r["weights"]}
                          for n, r in replies.items()}
                ask_all({n: workers[n] for n in replies}, cmd="drop", workload=w)
    finally:
        for worker in workers.values():
            worker.close()
    return out


def environment(args: argparse.Namespace, rounds: int, missing: list[str]) -> dict[str, Any]:
    peers = []
    for module in ("numpy", "torch", "jax", "micrograd"):
        if importlib.util.find_spec(module) is not None:
            from importlib.metadata import PackageNotFoundError, version

            try:
                peers.append(f"{module} {version(module)}")
            except PackageNotFoundError:
                peers.append(module)
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "threads": THREADS,
            "peers": ", ".join(peers) or "no peers installed", "gc_enabled": gc.isenabled(),
            "quick": args.quick, "rounds": rounds, "missing": missing,
            "openblas": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
            "taskset": shutil.which("taskset") is not None, "load_start": _load()}


def _load() -> float | None:
    """The machine's 1-minute load average (other processes slow every engine)."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one round (seconds)")
    ap.add_argument("--rounds", type=int, default=0, help="interleaved rounds (default 7)")
    ap.add_argument("--only", default="moons,digits,big,chain,wide",
                    help="workloads, comma-separated: moons,digits,big,chain,wide")
    ap.add_argument("--sizes", default="1000,100000",
                    help="graph sizes for chain and wide (e.g. 100,1000,10000,100000,1000000)")
    ap.add_argument("--engines", default="",
                    help="training-step engines, comma-separated (default: all installed)")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--check", type=Path, metavar="FILE",
                    help="no timing: set every engine up (one step), check that they agree "
                         "and write each engine's weights and loss to FILE (JSON)")
    ap.add_argument("--markdown", action="store_true",
                    help="print the tables from --out (no timing)")
    ap.add_argument("--write-readme", action="store_true",
                    help="with --markdown: put the tables into --readme")
    ap.add_argument("--readme", type=Path, default=HERE / "README.md", help=argparse.SUPPRESS)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.markdown:
        text = report(json.loads(args.out.read_text(encoding="utf-8")))
        if args.write_readme:
            write_readme(text, args.readme)
        print(text)
        return
    if args.check:
        args.check.write_text(json.dumps(check(args)), encoding="utf-8")
        return
    started = time.perf_counter()
    results = run(args)
    results["environment"]["seconds"] = round(time.perf_counter() - started, 1)
    results["environment"]["load_end"] = _load()
    print(report(results))
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
