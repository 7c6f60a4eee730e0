"""The examples run and tell their stories (run as scripts, as a user would)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support import need, need_dot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_w5_update(tmp_path):
    need_dot()
    out = run("w5_update.py", str(tmp_path))
    assert "tutorial's 0.0428 x 0.1958 x 0.5854 = 0.00490579" in out
    assert re.search(r"engine's dE/dw5\s+= 0\.00490\d+", out)
    assert "-> 0.3995" in out
    svg = (tmp_path / "w5_graph.svg").read_text()
    for label in ("w5", "out_h1", "net_o1", "E_total"):
        assert label in svg


def test_gradient_descent_converges_to_minus_two(tmp_path):
    out = run("gradient_descent.py", str(tmp_path))
    assert "at x = +0: y = 4, dy/dx = +4" in out and "at x = -4: y = 4, dy/dx = -4" in out
    final = float(re.search(r"after 100 steps x = ([-+0-9.]+)", out).group(1))
    assert abs(final + 2) < 1e-6


def test_teacher_student_loss_falls_tenfold(tmp_path):
    out = run("teacher_student.py", str(tmp_path))
    first, last = map(float, re.search(r"loss fell from ([\d.]+) to ([\d.]+)", out).groups())
    assert last < first / 10


def test_house_prices_error_falls_every_epoch(tmp_path):
    out = run("house_prices.py", str(tmp_path))
    before = float(re.search(r"error fell from ([\d.]+) before", out).group(1))
    epochs = [float(x) for x in re.findall(r"during the epoch = ([\d.]+)", out)]
    errors = [before, *epochs]
    assert len(epochs) >= 10 and all(b < a for a, b in zip(errors, errors[1:]))


def test_moons_reaches_full_training_accuracy(tmp_path):
    out = run("moons.py", str(tmp_path))
    assert "final training accuracy: 100%" in out
    need("matplotlib")  # the figure is checked only where matplotlib is installed
    assert (tmp_path / "moons.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_newton_needs_far_fewer_steps_than_gradient_descent():
    out = run("newton.py")
    steps = [int(m.replace(",", "")) for m in re.findall(r"([\d,]+) steps", out)]
    newton, descent = steps
    assert newton <= 10 and descent > 1000 * newton
    assert "(1.0000000000, 1.0000000000)" in out


def test_digits_reach_95_percent_through_the_compiled_path():
    need("numpy")
    need("sklearn")
    out = run("digits.py")
    accuracy = float(re.search(r"test accuracy on 360 held-out images: ([\d.]+)%", out).group(1))
    assert accuracy >= 95.0
