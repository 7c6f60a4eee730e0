"""The benchmark's engines compute the same thing, and its report says what was met.

The agreement test runs ``bench/run.py --check`` (one worker process per engine, as the
benchmark does, nothing timed): every engine takes one SGD step from the same weights on
the same batch, and every parameter after it must agree across engines (chainrule's
``fit(compiled=True)``, its README loop and array path, the hand-written NumPy floor,
PyTorch, JAX where installed, and on moons the eager engines). No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import need

BENCH = Path(__file__).resolve().parent.parent / "bench"
FIT, LOOP, FLOOR = "chainrule fit(compiled=True)", "chainrule README loop", "hand-written NumPy"
TAPE, PURE = "pure-Python tape", "hand-written pure Python"

COMPILED = {FIT, LOOP, "chainrule array path", FLOOR}
EAGER = {"chainrule eager", TAPE, PURE}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    need("numpy")
    need("sklearn")
    out = tmp_path_factory.mktemp("bench") / "check.json"
    result = _bench("--check", str(out), "--quick", "--only", "moons,digits")
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


def _bench(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH / "run.py"), *args], capture_output=True,
                          text=True, timeout=600, env={**os.environ, **env})


def _optional(*modules: str) -> set[str]:
    names = {"torch": "PyTorch", "jax": "JAX", "micrograd": "micrograd"}
    return {names[m] for m in modules if importlib.util.find_spec(m) is not None}


def _initial_weights(workload: str) -> list[float]:
    from nn import MLP

    sizes = {"moons": (2, [16, 16, 1], "micrograd"), "digits": (64, [32, 10], "pytorch")}
    nin, nouts, init = sizes[workload]
    model = MLP(nin, nouts, activation="relu", seed=0, init=init)
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("workload", ["moons", "digits"])
def test_every_engine_takes_the_same_first_step(checked, workload):
    engines = checked[workload]
    expected = COMPILED | _optional("torch", "jax")
    if workload == "moons":
        expected |= EAGER | _optional("micrograd")
    assert set(engines) == expected
    start = _initial_weights(workload)
    reference = engines["chainrule fit(compiled=True)"]
    moved = max(abs(a - b) for a, b in zip(reference["weights"], start))
    assert moved > 1e-4  # the step changed the weights (a no-op engine would not agree)
    for name, got in engines.items():
        assert len(got["weights"]) == len(start), name
        worst = max(abs(a - b) for a, b in zip(got["weights"], reference["weights"]))
        assert worst <= 1e-9, (name, worst)
        assert got["loss"] == pytest.approx(reference["loss"], rel=1e-9, abs=1e-12), name


def test_the_first_loss_is_the_textbook_one(checked):
    """moons: the first step's loss is mean hinge + 1e-4·Σp² at the initial weights,
    computed here with plain floats."""
    from nn.datasets import make_moons

    xs, ys = make_moons(100)
    p = _initial_weights("moons")
    layers, k = [], 0
    for nin, nout in ((2, 16), (16, 16), (16, 1)):
        layers.append([(p[k + j * (nin + 1):k + j * (nin + 1) + nin], p[k + j * (nin + 1) + nin])
                       for j in range(nout)])
        k += nout * (nin + 1)
    total = 0.0
    for x, y in zip(xs, ys):
        h = x
        for i, layer in enumerate(layers):
            z = [b + sum(w * v for w, v in zip(ws, h)) for ws, b in layer]
            h = [max(v, 0.0) for v in z] if i < 2 else z
        total += max(0.0, 1.0 - y * h[0])
    expected = total / 100 + 1e-4 * sum(v * v for v in p)
    assert checked["moons"]["pure-Python tape"]["loss"] == pytest.approx(expected, rel=1e-12)


def test_an_engine_that_disagrees_stops_the_run(tmp_path):
    """The check is live: one weight off by 1e-6 in one engine fails the run, naming it."""
    need("numpy")
    args = ("--check", str(tmp_path / "c.json"), "--quick", "--only", "moons",
            "--engines", f"{TAPE},{PURE}")
    assert _bench(*args).returncode == 0
    result = _bench(*args, BENCH_PERTURB=PURE)
    assert result.returncode != 0
    assert f"moons: the weights after one step: {PURE} differs from {TAPE}" in result.stderr


def _results() -> dict:
    def row(ms: float) -> dict:
        return {"ms": ms, "min_ms": ms, "rounds": 1, "steps_per_round": 1, "setup_s": None,
                "first_setup_s": 0.0}

    steps = {"moons": {FIT: row(0.3), LOOP: row(0.14), FLOOR: row(0.1), "PyTorch": row(0.2),
                       "chainrule eager": row(12.0), TAPE: row(10.0), PURE: row(3.0)},
             "big": {FIT: {**row(8.0), "setup_s": 0.25}, FLOOR: row(6.0)}}
    return {"environment": {"python": "3.11", "cpus": 2, "peers": "torch", "rounds": 1,
                            "missing": ["JAX: not installed (jax)"]}, "steps": steps}


def test_the_report_judges_each_target_and_fills_the_readme(tmp_path):
    """--markdown: the tables and the targets from a results file, each ratio against the
    issue's limit; --write-readme puts them between the markers and nowhere else."""
    results = tmp_path / "results.json"
    results.write_text(json.dumps(_results()), encoding="utf-8")
    readme = tmp_path / "README.md"
    start, end = "<!-- results: start -->", "<!-- results: end -->"
    readme.write_text(f"# head\n{start}\nold table\n{end}\ntail\n", encoding="utf-8")
    result = _bench("--markdown", "--out", str(results), "--write-readme", "--readme",
                    str(readme))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for line in (
        f"- moons: {FIT} / {FLOOR} = 3.00x (target ≤ 1.5x): **NOT met**",
        f"- moons: {FIT} / PyTorch = 1.50x (target ≤ 1.0x): **NOT met**",
        f"- moons: {LOOP} / {FLOOR} = 1.40x (target ≤ 1.5x): met",
        f"- moons: {LOOP} / PyTorch = 0.70x (target ≤ 1.0x): met",
        f"- moons: chainrule eager / {TAPE} = 1.20x (target ≤ 1.5x): met",
        f"- moons: chainrule eager / {PURE} = 4.00x (target ≤ 3.0x): **NOT met**",
        f"- big: {FIT} / {FLOOR} = 1.33x (target ≤ 1.5x): met",
        "- big: fit(compiled=True) set-up = 0.25 s (target ≤ 0.3 s): met",
        "- JAX: not installed (jax)",
        "| moons | 3x | 1.4x | — | 1.5x | 0.7x | — | — |",
    ):
        assert line in text
    assert text.count("(target ≤") == 8
    new = readme.read_text(encoding="utf-8")
    assert "old table" not in new and text.strip() in new
    assert new.startswith(f"# head\n{start}\n") and new.endswith(f"{end}\ntail\n")


def test_a_quick_timed_run_end_to_end(tmp_path):
    """The timed path (blocks of steps, fit's set-up apart, graphs, the report) on tiny
    sizes and three engines; the numbers themselves are not judged."""
    need("numpy")
    out = tmp_path / "results.json"
    result = _bench("--quick", "--rounds", "1", "--only", "moons,chain", "--out", str(out),
                    "--engines", f"{FIT},{FLOOR},{TAPE}")
    assert result.returncode == 0, result.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    rows = results["steps"]["moons"]
    assert set(rows) == {FIT, FLOOR, TAPE}
    assert all(r["ms"] > 0 and r["rounds"] == 1 for r in rows.values())
    assert rows[FIT]["setup_s"] > 0 and rows[FIT]["first_setup_s"] > 0
    assert set(results["chain"]) == {"100", "1000"}
    assert results["chain"]["1000"]["chainrule"]["total"] > 0
    assert results["environment"]["gc_enabled"] is True
    assert "### targets (issue 22)" in result.stdout and "| moons |" in result.stdout
