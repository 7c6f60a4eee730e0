"""The NumPy backend's cheap cases (issue 22): a division by a nonzero constant, a sum of
one term, relu's gradient copied into place, the vector of ones kept between calls, and
parameters bound and released in C loops. Each equals the eager engine bit for bit at
edge values, and stays loud where the eager engine raises."""

from __future__ import annotations

import math

import pytest

from support import need

np = need("numpy")

from autograd import Value  # noqa: E402
from autograd.compiler.program import compile  # noqa: E402
from autograd.core import arrays  # noqa: E402
from autograd.core.value import apply  # noqa: E402
from autograd.rules.ops import SUM  # noqa: E402

EDGES = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 1.0, -1.0, 2.0, -2.5, 709.0, 1e308, -1e308,
         math.inf, -math.inf, math.nan]
SEEDS = [1.0, -3.0, 1e308, math.inf, math.nan, 0.0]


def same(a: float, b: float) -> bool:
    """Equal bit for bit, up to NaN's payload (the sign of zero counts)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def eager(build, v: float, seed: float) -> tuple[float, float]:
    """The eager engine's value of build(v + q) and q's gradient for ``seed``."""
    q = Value(0.0)
    y = build(Value(v) + q)
    y.backward(seed)
    return y.data, q.grad


def check(build, values: list[float]) -> None:
    """Compiled build(x + p) over a batch of ``values``, for each seed: every output and the
    gradient of p (summed over the batch, one row at a time) equal the eager engine's."""
    for v in values:
        x, p = Value(1.0), Value(0.0)
        program = compile([build(x + p)], [x], [p])
        for seed in SEEDS:
            out = program(np.array([[v]]))
            p.grad = 0.0
            program.backward(np.array([[seed]]))
            want, grad = eager(build, v, seed)
            assert same(float(out[0, 0]), want), (v, seed, out, want)
            assert same(p.grad, grad), (v, seed, p.grad, grad)


@pytest.mark.parametrize("c", [3.0, -0.5, 7e-3, 1e308, -1e-300])
def test_division_by_a_nonzero_constant_equals_eager_at_edge_values(c):
    x = Value(1.0)
    assert "np.divide(" in compile([x / c], [x], []).source()  # the specialised path
    check(lambda v: v / c, EDGES)


@pytest.mark.parametrize("c", [1e-310, 5e-324])
def test_division_by_a_constant_with_an_infinite_reciprocal_keeps_the_rule(c):
    x = Value(1.0)
    assert "np.divide(" not in compile([x / c], [x], []).source()
    check(lambda v: v / c, [v for v in EDGES if abs(v) < 1e300])


def test_division_by_zero_at_runtime_still_raises_with_its_row():
    x, y = Value(1.0), Value(2.0)
    program = compile([x / y], [x, y], [])
    with pytest.raises(ZeroDivisionError, match=r"division by zero.*\(batch row 1\)"):
        program(np.array([[1.0, 2.0], [3.0, 0.0]]))


def test_a_sum_of_one_term_is_zero_plus_the_term_as_eager():
    x = Value(1.0)
    assert "np.add(" in compile([apply(SUM, x * 2.0)], [x], []).source()
    check(lambda v: apply(SUM, v), EDGES)
    check(lambda v: apply(SUM, v.relu()) / 4.0, EDGES)


def test_relu_gradient_copied_into_place_blocks_where_x_is_not_positive():
    x, p = Value(1.0), Value(0.0)
    program = compile([((x + p) * 1.5).relu()], [x], [p])
    assert "np.copyto(" in program.source()
    check(lambda v: (v * 1.5).relu(), EDGES)


def test_batch_sizes_can_change_between_calls_and_outputs_are_not_overwritten():
    x, w = Value(1.0), Value(0.5)
    program = compile([(x * w).relu() / 2.0], [x], [w])
    first = program(np.array([[1.0], [2.0], [-1.0]]))
    kept = first.copy()
    for rows in ([[3.0]], [[1.0], [2.0], [4.0], [5.0], [6.0]], [[1.0], [2.0], [-1.0]]):
        X = np.array(rows)
        w.grad = 0.0
        out = program(X)
        program.backward(np.ones_like(out))
        assert w.grad == sum(v / 2.0 for (v,) in rows if v * 0.5 > 0.0)
        assert out[:, 0].tolist() == [max(v * 0.5, 0.0) / 2.0 for (v,) in rows]
    assert np.array_equal(first, kept)


def test_binding_and_release_keep_data_grads_and_the_clock():
    ps = [Value(float(i), label=f"p{i}") for i in range(300)]
    ps[3].grad = 2.5
    binding = arrays.Binding(ps)
    assert all(isinstance(p, arrays.Bound) for p in ps)
    assert arrays.covering(ps).index is None and arrays.covering(ps[::-1]).index is not None
    view = arrays.View(binding, None)
    view.write(view.data() * 2.0)  # one tick: graphs built before are stale
    t = binding.t
    ps[7].data = -1.0  # a later write of its own
    arrays.release(ps)
    assert all(type(p) is Value for p in ps)
    assert [p.data for p in ps] == [2.0 * i if i != 7 else -1.0 for i in range(300)]
    assert ps[3].grad == 2.5 and ps[0].grad == 0.0
    assert ps[0]._t == t and ps[7]._t > t


def test_a_sum_of_one_node_spreads_its_gradient_over_distinct_and_repeated_terms():
    """One sum node: g broadcast over distinct rows, summed where a row is named twice,
    and summed over the batch for parameters; x · x gives 2·x·g."""
    x, y, p = Value(1.0), Value(1.0), Value(0.5)
    a, b = x * 2.0, y - 1.0
    out = apply(SUM, a, b, a, p, p, b * b)
    program = compile([out], [x, y], [p])
    X = np.array([[1.0, 3.0], [-2.0, 0.5]])
    program(X)
    program.backward(np.array([[1.0], [2.0]]))
    # eager: for each row, d out / d p = 2; summed with the seeds
    assert p.grad == 2.0 * 1.0 + 2.0 * 2.0
    xs, ys = Value(0.0), Value(0.0)
    program = compile([apply(SUM, xs * 2.0, ys - 1.0, xs * 2.0, (ys - 1.0) * (ys - 1.0))],
                      [xs, ys], [])
    for row in X:
        q, r = Value(0.0), Value(0.0)
        xa, ya = Value(row[0]) + q, Value(row[1]) + r
        aa, bb = xa * 2.0, ya - 1.0
        apply(SUM, aa, bb, aa, bb * bb).backward()
        x2, y2, t = Value(1.0), Value(1.0), Value(0.0)
        prog = compile([apply(SUM, (x2 + t) * 2.0, y2 - 1.0, (x2 + t) * 2.0,
                              (y2 - 1.0) * (y2 - 1.0))], [x2, y2], [t])
        prog(np.array([row]))
        prog.backward(np.array([[1.0]]))
        assert t.grad == q.grad == 4.0


@pytest.mark.parametrize("terms", ["aaa", "aba", "ab"])
def test_a_row_named_several_times_in_one_sum_gets_each_share(terms):
    """sum of a = 2(x + t) and b = 3(x + t), as named: d/dt = 2·#a + 3·#b per row (by hand)."""
    x, t = Value(1.0), Value(0.0)
    a, b = (x + t) * 2.0, (x + t) * 3.0
    program = compile([apply(SUM, *[a if c == "a" else b for c in terms])], [x], [t])
    program(np.array([[1.0], [-4.0], [0.25]]))
    program.backward(np.ones((3, 1)))
    assert t.grad == 3 * (2.0 * terms.count("a") + 3.0 * terms.count("b"))


def test_relu_as_one_maximum_equals_the_rule_bit_for_bit_on_long_batches():
    """relu's lowering, on batches long enough for NumPy's vector loops too: −0.0 gives
    0.0, NaN stays NaN, as where(x ≤ 0, 0, x) (the rule) gives. (NumPy's maximum(0.0, x)
    alone keeps −0.0, whatever its documentation says: checked with NumPy 2.4.)"""
    rng = np.random.default_rng(0)
    values = np.array(EDGES)[rng.integers(0, len(EDGES), 4099)]
    x = Value(1.0)
    program = compile([x.relu()], [x], [])
    out = program(values[:, None])[:, 0]
    want = np.where(values <= 0.0, 0.0, values)
    assert all(same(float(a), float(b)) for a, b in zip(out, want))
    for start in range(1, 9):  # unaligned starts and odd lengths
        got = program(values[start:start + 37, None])[:, 0]
        assert all(same(float(a), float(b)) for a, b in zip(got, want[start:start + 37]))
