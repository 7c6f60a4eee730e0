"""diagnose: a learner's backward rule, each with one hand-written mistake, is named from
the catalogue of mutations; right rules are diagnosed right; bad arguments are refused at
the call. Expected derivatives are worked out by hand below, at the point the diagnosis
reports."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from autograd.tutor import CATALOGUE, Diagnosis, diagnose


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def smallest_nonzero(d: Diagnosis) -> float:
    return min(abs(xs[0]) for xs in d.points if xs[0] != 0.0)


# --- one test per misconception ------------------------------------------------------------

def test_tanh_input_used_for_output():
    d = diagnose(math.tanh, lambda x, out: (1 - x**2,))  # should be 1 - out**2
    assert not d.right and d.mistake.key == "input-for-output"
    assert d.mistake.name == "input used for output"
    (x,) = d.where
    assert abs(x) == smallest_nonzero(d)  # wrong everywhere but at 0: the smallest |x|
    assert d.learner[0] == pytest.approx(1 - x * x, rel=1e-12)
    assert d.expected[0] == pytest.approx(1 / math.cosh(x) ** 2, rel=1e-8)
    assert "input used for output" in str(d)


def test_sigmoid_input_used_for_output():
    d = diagnose(sigmoid, lambda x, out: (x * (1 - x),))  # should be out * (1 - out)
    assert d.mistake.key == "input-for-output" and "sigmoid" in d.mistake.detail
    (x,) = d.where
    s = sigmoid(x)
    assert d.expected[0] == pytest.approx(s * (1 - s), rel=1e-8)


def test_sigmoid_function_for_its_derivative():
    d = diagnose(sigmoid, lambda x, out: out)  # σ where σ′ = σ(1 − σ) belongs
    assert d.mistake.key == "function-for-derivative"
    (x,) = d.where
    assert d.learner[0] == pytest.approx(sigmoid(x), rel=1e-12)


def test_sign_flipped_neg_and_sub():
    d = diagnose(lambda x: -x, lambda x, out: 1.0)  # d(−x)/dx is −1
    assert d.mistake.key == "sign" and d.mistake.name == "sign flipped"
    assert d.learner == (1.0,) and d.expected[0] == pytest.approx(-1.0, rel=1e-12)
    d = diagnose(lambda a, b: a - b, lambda a, b, out: (1.0, 1.0))  # ∂(a − b)/∂b is −1
    assert d.mistake.key == "sign-one" and "input 1" in d.mistake.detail
    assert d.expected == pytest.approx((1.0, -1.0), rel=1e-12)


def test_sin_2x_missing_chain_factor():
    d = diagnose(lambda x: math.sin(2 * x), lambda x, out: math.cos(2 * x))  # forgot × 2
    assert d.mistake.key == "chain-factor" and d.mistake.name == "missing chain factor"
    assert d.mistake.value == pytest.approx(2.0, rel=1e-8)
    (x,) = d.where
    assert d.expected[0] == pytest.approx(2 * math.cos(2 * x), rel=1e-8)


@pytest.mark.parametrize("wrong, key", [
    (lambda x: 3 * x**3, "power-n-x^n"),           # exponent not lowered
    (lambda x: 3 * x, "power-n-x^(n-2)"),          # lowered twice
    (lambda x: 2 * x**2, "power-(n-1)-x^(n-1)"),   # wrong factor in front
])
def test_cube_power_rule_off_by_one(wrong, key):
    d = diagnose(lambda x: x**3, lambda x, out: wrong(x))
    assert d.mistake.key == key and d.mistake.name == "power rule off by one"
    assert d.mistake.value == pytest.approx(3.0)
    (x,) = d.where
    assert d.expected[0] == pytest.approx(3 * x * x, rel=1e-8)


def test_division_quotient_rule_order_and_sign():
    sample = ((-2.0, 2.0), (0.5, 3.0))
    # (u v′ − u′ v)/v²: both partials negated
    d = diagnose(lambda a, b: a / b, lambda a, b, out: (-1 / b, a / b**2), sample)
    assert d.mistake.key == "quotient-order" and d.mistake.name == "quotient rule order"
    a, b = d.where
    assert d.expected == pytest.approx((1 / b, -a / b**2), rel=1e-8)
    assert d.learner == pytest.approx((-1 / b, a / b**2), rel=1e-12)
    # (u′ v + u v′)/v²: ∂/∂a right, ∂/∂b with the wrong sign
    d = diagnose(lambda a, b: a / b, lambda a, b, out: (1 / b, a / b**2), sample)
    assert d.mistake.key == "quotient-sign"


def number(v):
    """A float copy of out: what reading ``out.data`` in a rule does."""
    return v.data if isinstance(v, Value) else v


def test_out_data_frozen_passes_first_order_fails_second():
    d = diagnose(lambda m, x: m.tanh(x), lambda m, out, x: (1 - number(out) ** 2,))
    assert not d.right and d.mistake.key == "frozen-out" and d.order == 2
    assert d.max_rel_error < 1e-12  # right at first order
    (x,) = d.where
    t = math.tanh(x)
    assert d.learner == (0.0,)  # a constant's derivative
    assert d.expected[0] == pytest.approx(-2 * t * (1 - t * t), rel=1e-6)
    assert "create_graph" in str(d) and "wrong" in d.second_order


def test_no_known_mistake_matches():
    d = diagnose(math.tanh, lambda x, out: 1 - out**3)
    assert not d.right and d.mistake.key == "unknown"
    assert d.learner[0] == pytest.approx(1 - math.tanh(d.where[0]) ** 3)


# --- right rules --------------------------------------------------------------------------

@pytest.mark.parametrize("forward, partials, sample", [
    (math.tanh, lambda x, out: 1 - out**2, None),
    (sigmoid, lambda x, out: out * (1 - out), None),
    (math.exp, lambda x, out: out, None),
    (math.log, lambda x, out: 1 / x, ((0.1, 5.0),)),
    (lambda x: x**3, lambda x, out: 3 * x**2, None),
    (lambda a, b: a / b, lambda a, b, out: (1 / b, -a / b**2), ((-2.0, 2.0), (0.5, 3.0))),
])
def test_right_rules_on_numbers(forward, partials, sample):
    d = diagnose(forward, partials, sample)
    assert d.right and d.mistake is None and d.where is None
    assert d.max_rel_error < 1e-8
    assert str(d).startswith("right") and "not checked" in d.second_order


@pytest.mark.parametrize("forward, partials, sample", [
    (lambda m, x: m.tanh(x), lambda m, out, x: (1 - out * out,), None),
    (lambda m, x: m.sigmoid(x), lambda m, out, x: (out * (1 - out),), None),
    (lambda m, x: m.exp(x), lambda m, out, x: (out,), None),
    (lambda m, x: m.log(x), lambda m, out, x: (1 / x,), ((0.1, 5.0),)),
    (lambda m, x: x**3, lambda m, out, x: (3 * x**2,), None),
    (lambda m, a, b: a / b, lambda m, out, a, b: (1 / b, -out / b), ((-2.0, 2.0), (0.5, 3.0))),
])
def test_right_rules_against_m_also_right_at_second_order(forward, partials, sample):
    d = diagnose(forward, partials, sample)
    assert d.right and d.second_order == "right" and d.method == "complex step"


def test_points_are_seeded_and_sorted_by_size():
    a = diagnose(math.tanh, lambda x, out: 1 - out**2, n=8, seed=3)
    b = diagnose(math.tanh, lambda x, out: 1 - out**2, n=8, seed=3)
    c = diagnose(math.tanh, lambda x, out: 1 - out**2, n=8, seed=4)
    assert a.points == b.points != c.points
    assert [abs(x) for (x,) in a.points] == sorted(abs(x) for (x,) in a.points)
    assert all(-2 <= x <= 2 for (x,) in a.points)


def test_views():
    d = diagnose(math.tanh, lambda x, out: 1 - x**2)
    assert d.markdown().startswith("**wrong: input used for output")
    assert d._repr_markdown_() == d.markdown()
    page = d._repr_html_()
    assert "input used for output" in page and page.startswith("<div")
    assert set(CATALOGUE) >= {"input-for-output", "sign", "chain-factor", "quotient-order",
                              "frozen-out", "unknown"}


# --- bad arguments ------------------------------------------------------------------------

def test_bad_arguments_are_refused_at_the_call():
    ok = lambda x, out: 1 - out**2  # noqa: E731
    with pytest.raises(TypeError, match="diagnose: forward must be callable"):
        diagnose(2.0, ok)
    with pytest.raises(TypeError, match="diagnose: partials must be callable"):
        diagnose(math.tanh, "1 - out**2")
    with pytest.raises(ValueError, match="same form"):
        diagnose(lambda m, x: m.tanh(x), ok)
    with pytest.raises(ValueError, match="forward takes 1 inputs but sample gives 2"):
        diagnose(math.tanh, ok, ((-1, 1), (-1, 1)))
    with pytest.raises(ValueError, match=r"sample\[0\] must be a range with lo < hi"):
        diagnose(math.tanh, ok, ((1, -1),))
    with pytest.raises(TypeError, match=r"sample\[0\] must be a pair"):
        diagnose(math.tanh, ok, (3.0,))
    with pytest.raises(ValueError, match="diagnose: n must be at least 1"):
        diagnose(math.tanh, ok, n=0)
    with pytest.raises(TypeError, match="diagnose: seed must be an int"):
        diagnose(math.tanh, ok, seed=1.5)
    with pytest.raises(ValueError, match="inside its domain"):
        diagnose(math.log, lambda x, out: 1 / x, ((-2.0, 2.0),))
    with pytest.raises(TypeError, match="partials returned 2 derivatives for 1 inputs"):
        diagnose(math.tanh, lambda x, out: (1.0, 2.0))
    with pytest.raises(TypeError, match="give sample="):
        diagnose(lambda *xs: xs[0], lambda *xs: 1.0)
