"""A smoke test: the benchmark script runs end to end on tiny sizes (it times nothing here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import need

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_benchmark_runs_on_tiny_sizes(tmp_path):
    need("numpy")  # micrograd and torch are optional: the table says so
    need("sklearn")
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--reps", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for heading in ("### chain", "### wide", "### moons", "### digits", "### big",
                    "### compile time", "### targets"):
        assert heading in result.stdout
    results = json.loads(out.read_text())
    assert results["environment"]["gc_enabled"] is True
    for row in results["chain"].values():
        assert row["chainrule"]["total"] > 0
    assert results["moons"]["chainrule (compiled, numpy)"]["ms"] > 0
