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
import subprocess
import sys
from pathlib import Path

import pytest

from support import need

BENCH = Path(__file__).resolve().parent.parent / "bench"
# bench/run.py imports only the standard library at module level
_spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

COMPILED = {"chainrule fit(compiled=True)", "chainrule README loop", "chainrule array path",
            "hand-written NumPy"}
EAGER = {"chainrule eager", "pure-Python tape", "hand-written pure Python"}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    need("numpy")
    need("sklearn")
    out = tmp_path_factory.mktemp("bench") / "check.json"
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--check", str(out), "--quick",
         "--only", "moons,digits"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


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


def test_a_disagreement_is_refused():
    bench.check_equal({"a": [1.0, 2.0], "b": [1.0, 2.0 + 1e-12]}, "ok")
    with pytest.raises(AssertionError, match="b differs from a"):
        bench.check_equal({"a": [1.0, 2.0], "b": [1.0, 2.0 + 1e-6]}, "step")
    with pytest.raises(AssertionError, match="2 numbers"):
        bench.check_equal({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0]}, "step")
    with pytest.raises(AssertionError):
        bench.check_equal({"a": [1.0], "b": [float("nan")]}, "step")


def _results() -> dict:
    def row(ms: float) -> dict:
        return {"ms": ms, "min_ms": ms, "rounds": 1, "steps_per_round": 1, "setup_s": None,
                "first_setup_s": 0.0}

    steps = {"moons": {bench.FIT: row(0.3), bench.LOOP: row(0.14), bench.NUMPY_FLOOR: row(0.1),
                       bench.TORCH: row(0.2), bench.EAGER: row(12.0), bench.TAPE: row(10.0),
                       bench.PURE: row(3.0)},
             "big": {bench.FIT: {**row(8.0), "setup_s": 0.25}, bench.NUMPY_FLOOR: row(6.0)}}
    return {"environment": {"python": "3.11", "cpus": 2, "peers": "torch", "rounds": 1,
                            "missing": ["JAX: not installed (jax)"]}, "steps": steps}


def test_targets_are_judged_against_the_issue_limits():
    got = {t["what"]: (round(t["value"], 6), t["met"]) for t in bench.targets(_results())}
    assert got == {
        "moons: chainrule fit(compiled=True) / hand-written NumPy": (3.0, False),
        "moons: chainrule fit(compiled=True) / PyTorch": (1.5, False),
        "moons: chainrule README loop / hand-written NumPy": (1.4, True),
        "moons: chainrule README loop / PyTorch": (0.7, True),
        "moons: chainrule eager / pure-Python tape": (1.2, True),
        "moons: chainrule eager / hand-written pure Python": (4.0, False),
        "big: chainrule fit(compiled=True) / hand-written NumPy": (round(8 / 6, 6), True),
        "big: fit(compiled=True) set-up": (0.25, True),
    }


def test_the_report_and_the_readme_section(tmp_path):
    text = bench.report(_results())
    assert "| moons | 3x | 1.4x | — | 1.5x | 0.7x | — | — |" in text
    assert "JAX: not installed" in text
    assert "set-up = 0.25 s (target ≤ 0.3 s): met" in text
    readme = tmp_path / "README.md"
    start, end = bench.README_MARKERS
    readme.write_text(f"# head\n{start}\nold table\n{end}\ntail\n", encoding="utf-8")
    bench.write_readme(text, readme)
    new = readme.read_text(encoding="utf-8")
    assert "old table" not in new and text in new
    assert new.startswith(f"# head\n{start}\n") and new.endswith(f"{end}\ntail\n")
