"""check_derivation: seed 003's hand derivation of the w5 update, and one test per known
misconception. Every expected number is worked out here by hand from the network's maths
(sigmoid neurons, E = ½ Σ (target − out)²), never read from the tutor's output."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import Value
from autograd.tutor import DerivationReport, StepVerdict, check_derivation
from autograd.tutor.derivation import (
    FACTORS,
    LEARNING_RATE,
    RIGHT,
    ROUNDED,
    SLIP,
    UNKNOWN,
    UNREADABLE,
    WRONG,
)
from nn import datasets
from nn.datasets import seed_003

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# The seed's network by hand: x = (0.85, 0.25); rows [bias, w, w] per neuron.
NET_H1 = 0.1 + 0.2 * 0.85 + 0.3 * 0.25  # 0.345
NET_H2 = 0.4 + 0.5 * 0.85 + 0.6 * 0.25  # 0.975
H1, H2 = sigmoid(NET_H1), sigmoid(NET_H2)  # 0.58540, 0.72611
O1 = sigmoid(0.24 + 0.4 * H1 + 0.74 * H2)  # 0.73331
O2 = sigmoid(0.40 + 0.1 * H1 + 0.75 * H2)  # 0.73167
T1, T2 = 0.6905, 0.8657
D_O1 = O1 - T1  # ∂E/∂out_o1 = ½ · 2 · (t − o) · (−1)
D_W5 = D_O1 * O1 * (1 - O1) * H1
D_W6 = D_O1 * O1 * (1 - O1) * H2
#: the two paths from E_total to w1: through out_o1 (w5) and through out_o2 (w7)
W1_VIA_O1 = D_O1 * O1 * (1 - O1) * 0.4 * H1 * (1 - H1) * 0.85
W1_VIA_O2 = (O2 - T2) * O2 * (1 - O2) * 0.1 * H1 * (1 - H1) * 0.85

TUTORIAL = [
    "∂E_total/∂out_o1 = -(0.6905 - 0.7333) = 0.0428",
    "∂out_o1/∂net_o1 = 0.7333 * (1 - 0.7333) = 0.1958",
    "∂net_o1/∂w5 = out_h1 = 0.5854",
    "∂E_total/∂w5 = 0.0428 * 0.1958 * 0.5854 = 0.00490579",
    "w5 = 0.4 - 0.1 * 0.00490579 = 0.3995",
]


@pytest.fixture
def error() -> Value:
    return seed_003()[1]


def check(error: Value, step: str) -> StepVerdict:
    return check_derivation(error, [step])[0]


def test_the_hand_numbers_are_the_tutorials():
    assert round(O1, 4) == 0.7333 and round(H1, 4) == 0.5854
    assert abs(D_W5 - 0.00490123) < 5e-9


def test_the_tutorials_w5_derivation_step_by_step(error):
    report = check_derivation(error, TUTORIAL)
    assert isinstance(report, DerivationReport) and len(report) == 5
    first, second, third, fourth, fifth = report.steps
    # 1: 0.0428 is ∂E/∂out_o1 = 0.042811… to the four decimals written
    assert first.verdict == ROUNDED and first.ok
    assert abs(first.exact - D_O1) < 1e-12
    assert "0.0428" in first.message and "4th decimal place" in first.message
    # 2: 0.7333 × (1 − 0.7333) = 0.19557111, not 0.1958
    assert second.verdict == SLIP and not second.ok
    assert f"{0.7333 * (1 - 0.7333):.8f}" == "0.19557111"
    assert "0.19557111, not 0.1958" in second.message
    # 3: out_h1 = 0.58540… written 0.5854
    assert third.ok and third.verdict in (RIGHT, ROUNDED)
    # 4: right for the factors 0.0428, 0.1958, 0.5854, and so far from the exact value
    assert fourth.verdict == FACTORS
    assert abs(0.0428 * 0.1958 * 0.5854 - 0.00490579) < 5e-9
    assert abs(fourth.exact - D_W5) < 1e-15
    diff = 0.00490579 - D_W5  # the slip carried into the product
    assert f"{diff:+.3g}" == "+4.56e-06" and f"{diff:+.3g} away" in fourth.message
    assert "0.0049012307" in fourth.message
    assert any("0.1958" in n and "0.1956" in n for n in fourth.notes)
    # 5: 0.4 − 0.1 × 0.0049012… = 0.39951 rounds to 0.3995
    assert fifth.verdict == ROUNDED
    assert abs(fifth.exact - (0.4 - 0.1 * D_W5)) < 1e-15
    assert not report.ok


def test_a_sign_flipped_first_step_is_wrong(error):
    v = check(error, "∂E_total/∂out_o1 = (0.6905 - 0.7333) = -0.0428")
    assert v.verdict == WRONG and v.misconception == "sign flipped"
    assert "out_o1 − 0.6905" in v.message  # the engine's formula


def test_an_update_with_a_negative_gradient_is_read_as_an_update(error):
    # 0.4 − 0.1·(−0.00490579) = 0.4005: an update (not a statement of w5's value); the
    # engine's update is 0.4 − 0.1 × 0.0049012307 = 0.39950988 (the gradient from the
    # tutorial's network, seed data: see test_the_w5_derivation...)
    v = check(error, "w5 = 0.4 - 0.1 * -0.00490579 = 0.4005")
    assert v.verdict == WRONG
    assert abs(v.exact - (0.4 - 0.1 * 0.0049012307)) < 1e-9


def test_the_tutorials_own_notation_and_ascii(error):
    steps = ["dE_total/dout_o1 = -(0.6905 − 0.7333) = 0.0428",
             "∂out_o1/∂net_o1 = 0.7333(1 − 0.7333) = 0.1956",
             "dnet_o1/dw5 = out_h1 = 0.5854",
             "dE_total/dw5 = 0.0428 · 0.1956 × 0.5854 = 0.0049008",
             "w5 = 0.4 − 0.1 · 0.0049008 = 0.3995"]
    report = check_derivation(error, steps)
    assert [s.verdict for s in report.steps] == [ROUNDED] * 5, str(report)
    assert report.ok


def test_missing_factor_2():
    o = Value(0.7, label="o")
    e = (0.5 - o) ** 2  # ∂e/∂o = −2·(0.5 − 0.7) = 0.4
    e.label = "E"
    v = check(e, "∂E/∂o = 0.7 - 0.5 = 0.2")
    assert v.verdict == WRONG and v.misconception == "missing factor 2"
    assert abs(v.exact - 0.4) < 1e-12


def test_missing_factor_half(error):
    v = check(error, "∂E_total/∂out_o1 = 2 * (0.7333 - 0.6905) = 0.0856")
    assert v.misconception == "missing factor ½"


def test_sigma_for_sigma_prime(error):
    v = check(error, "∂out_o1/∂net_o1 = out_o1 = 0.7333")
    assert v.verdict == WRONG and v.misconception == "σ for σ′"
    product = check(error, f"∂E_total/∂w5 = 0.0428 × 0.7333 × 0.5854 = "
                           f"{0.0428 * 0.7333 * 0.5854:.6f}")
    assert product.misconception == "σ for σ′"


def test_net_for_out(error):
    assert round(NET_H1, 3) == 0.345
    v = check(error, "∂net_o1/∂w5 = net_h1 = 0.345")
    assert v.verdict == WRONG and v.misconception == "net for out"


def test_out_for_net(error):
    s = sigmoid(O1)  # σ′ taken at the output instead of at the net input
    v = check(error, f"∂out_o1/∂net_o1 = {s:.4f} * (1 - {s:.4f}) = {s * (1 - s):.4f}")
    assert v.verdict == WRONG and v.misconception == "out for net"


def test_a_path_left_out_of_a_hidden_weights_sum(error):
    v = check(error, f"∂E_total/∂w1 = {W1_VIA_O1:.4g}")
    assert v.verdict == WRONG and v.misconception == "path left out"
    assert abs(v.exact - (W1_VIA_O1 + W1_VIA_O2)) < 1e-15
    assert "out_o2" in v.message  # the path that was left out


def test_update_sign(error):
    v = check(error, f"w5 = 0.4 + 0.1 * 0.0049012 = {0.4 + 0.1 * D_W5:.5f}")
    assert v.verdict == WRONG and v.misconception == "update sign"
    bare = check(error, f"w5 = {0.4 + 0.1 * D_W5:.5f}")
    assert bare.misconception == "update sign"


def test_learning_rate_twice(error):
    v = check(error, f"w5 = 0.4 - 0.1 * 0.1 * 0.0049012 = {0.4 - 0.01 * D_W5:.6f}")
    assert v.verdict == WRONG and v.misconception == "learning rate twice"


def test_wrong_node(error):
    v = check(error, f"∂E_total/∂w6 = {D_W5:.4f}")  # ∂E/∂w5's number for ∂E/∂w6
    assert abs(v.exact - D_W6) < 1e-15
    assert v.verdict == WRONG and v.misconception == "wrong node"
    assert "w5" in v.message


def test_an_update_uses_the_learning_rate_written_else_the_tutorials(error):
    assert LEARNING_RATE == datasets.LEARNING_RATE
    assert check(error, "w5 = 0.3995").verdict == ROUNDED
    v = check(error, f"w5 = 0.4 - 0.5 * 0.0049 = {0.4 - 0.5 * D_W5:.4f}")
    assert v.verdict == ROUNDED and abs(v.exact - (0.4 - 0.5 * D_W5)) < 1e-15
    assert check_derivation(error, ["w5 = 0.3975"], learning_rate=0.5)[0].ok


def test_unknown_names_list_the_graphs_names_closest_first(error):
    v = check(error, "dE/dw5 = 0.0049")
    assert v.verdict == UNKNOWN and "'E'" in v.message
    assert v.message.split("it has ")[1].startswith("E_total")
    middle = check(error, "∂net_o1/∂w5 = out_h9 = 0.5854")
    assert middle.verdict == UNKNOWN and "out_h1" in middle.message


@pytest.mark.parametrize("step", ["∂E_total/∂w5 = __import__('os').getcwd()",
                                  "∂E_total/∂w5 = [0.1][0]", "∂E_total/∂w5 = 2 ** 100",
                                  "no equals sign", "∂E_total/∂w5 = = 1"])
def test_anything_but_arithmetic_is_unreadable_and_never_run(error, step):
    assert check(error, step).verdict == UNREADABLE


def test_a_formula_without_a_number(error):
    v = check(error, "∂net_o1/∂w5 = out_h1")
    assert v.verdict == RIGHT


def test_the_renderings(error):
    report = check_derivation(error, TUTORIAL + ["dE_total/dw5 = a < b"])
    text = str(report)
    assert text.startswith("Derivation of E_total: 3 of 6 steps right")
    assert "Step 2: ∂out_o1/∂net_o1" in text and "ARITHMETIC SLIP" in text
    md = report.to_markdown()
    assert "**arithmetic slip**" in md and "`w5 = 0.4 - 0.1 * 0.00490579 = 0.3995`" in md
    page = report._repr_html_()
    assert page == report.to_html() and "<table>" in page and "a &lt; b" in page
    assert report._repr_markdown_() == md and repr(report) == text


def test_bad_arguments(error):
    with pytest.raises(TypeError):
        check_derivation(1.0, TUTORIAL)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        check_derivation(error, TUTORIAL[0])


def test_the_example_prints_both_reports():
    result = subprocess.run([sys.executable, str(EXAMPLES / "w5_tutor.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Derivation of E_total: 3 of 5 steps right" in out
    assert "ARITHMETIC SLIP: the formula is right, but 0.7333 * (1 - 0.7333) = 0.19557111, " \
        "not 0.1958" in out
    assert "RIGHT FOR THE FACTORS WRITTEN" in out and "+4.56e-06 away" in out
    assert "most likely misconception: sign flipped" in out


def test_a_forward_value_is_checked_as_a_value_not_an_update(error):
    assert check(error, f"out_o1 = {O1:.4f}").verdict == ROUNDED
    assert check(error, "x1 = 0.85").verdict == RIGHT
    assert check(error, f"out_h1 = {H2:.4f}").verdict == WRONG


def test_an_overflowing_middle_is_not_taken_for_the_right_formula(error):
    assert check(error, "∂E_total/∂w5 = 1e308 * 1e308 = 1").verdict == WRONG
