"""Compiled training keeps the parameters, their gradients and the optimizer's state in
arrays (``autograd/core/arrays.py``): ``fit(compiled=True)`` and the README's loop agree
with PyTorch and with the eager engine, ``.data`` and ``.grad`` read true mid-run, the
clock ticks once per update, and every way of mixing eager and compiled work stays right."""

from __future__ import annotations

import copy
import pickle

import pytest

from support import need  # noqa: E402

np = need("numpy")

from autograd import StaleGraphError, Value  # noqa: E402
from autograd.compiler.program import compile  # noqa: E402
from autograd.core import arrays  # noqa: E402
from autograd.core.value import last_write, now  # noqa: E402
from nn import MLP, SGD, Adam, cross_entropy, fit, hinge, l2, mse  # noqa: E402

XS = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.75], [-0.5, 2.0, 1.0], [0.0, -0.5, 0.5],
      [1.0, 1.0, -1.0], [-1.5, 0.25, 0.75]]
YS = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]


def traced(model: MLP, n_in: int = 3, n_out: int = 2):
    """The README's loop: the per-example loss compiled with placeholders."""
    xs = [Value(0.0) for _ in range(n_in)]
    ts = [Value(0.0) for _ in range(n_out)]
    return compile([cross_entropy(model(xs), ts)], xs + ts, model.parameters())


def table(rows: list[int]) -> np.ndarray:
    return np.hstack([np.array([XS[i] for i in rows]), np.array([YS[i] for i in rows])])


def eager_step(model: MLP, rows: list[int]) -> None:
    """Gradients of the batch's mean loss into .grad, eagerly."""
    losses = [cross_entropy(model(XS[i]), YS[i]) for i in rows]
    (sum(losses[1:], losses[0]) / len(rows)).backward()


def close(a: list[float], b: list[float], tol: float = 1e-12) -> bool:
    return all(abs(x - y) <= tol * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))


BATCHES = [[0, 1, 2], [3, 4, 5], [1, 3, 5], [0, 2, 4]]


@pytest.mark.parametrize("make_opt", [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: Adam(ps, lr=0.01),
])
def test_readme_loop_reads_true_mid_run_and_equals_eager(make_opt):
    compiled, eager = MLP(3, [4, 2], seed=1), MLP(3, [4, 2], seed=1)
    program = traced(compiled)
    opt_c, opt_e = make_opt(compiled.parameters()), make_opt(eager.parameters())
    for rows in BATCHES:
        out = program(table(rows))
        program.backward(np.full(out.shape, 1.0 / len(rows)))
        eager_step(eager, rows)
        # read between the steps: every .grad and .data is the eager run's
        assert close([p.grad for p in compiled.parameters()],
                     [p.grad for p in eager.parameters()])
        opt_c.step()
        opt_e.step()
        assert close([p.data for p in compiled.parameters()],
                     [p.data for p in eager.parameters()])
        assert isinstance(compiled.parameters()[0], arrays.Bound)  # no eager op released them
        opt_c.zero_grad()
        opt_e.zero_grad()
        assert all(p.grad == 0.0 for p in compiled.parameters())


def test_fit_compiled_equals_pytorch_read_mid_training():
    """Weights read from an lr_schedule callback at each epoch equal PyTorch's nn.Linear
    trained by torch.optim.SGD with momentum on the same batches."""
    torch = need("torch")
    model = MLP(3, [4, 2], seed=2)
    layers = [torch.nn.Linear(3, 4).double(), torch.nn.Linear(4, 2).double()]
    with torch.no_grad():
        for layer, ours in zip(layers, model.layers):
            layer.weight.copy_(torch.tensor([[w.data for w in n.w] for n in ours.neurons],
                                            dtype=torch.float64))
            layer.bias.copy_(torch.tensor([n.b.data for n in ours.neurons],
                                          dtype=torch.float64))
    opt_t = torch.optim.SGD([p for layer in layers for p in layer.parameters()], lr=0.1,
                            momentum=0.5)
    X, Y = torch.tensor(XS, dtype=torch.float64), torch.tensor(YS, dtype=torch.float64)
    seen: list[list[float]] = []

    def schedule(epoch: int) -> float:
        seen.append([p.data for p in model.parameters()])
        return 0.1

    fit(model, XS, YS, cross_entropy, SGD(model.parameters(), lr=0.1, momentum=0.5),
        epochs=4, batch_size=3, shuffle=False, lr_schedule=schedule, progress=False,
        compiled=True)
    seen.append([p.data for p in model.parameters()])
    for epoch in range(4):
        assert close(seen[epoch], _torch_weights(layers), 1e-10), epoch
        for start in (0, 3):
            opt_t.zero_grad()
            out = layers[1](torch.relu(layers[0](X[start:start + 3])))
            loss = torch.nn.functional.cross_entropy(out, Y[start:start + 3])
            loss.backward()
            opt_t.step()
    assert close(seen[4], _torch_weights(layers), 1e-10)
    assert all(type(p) is Value for p in model.parameters())  # fit gave them back


def _torch_weights(layers) -> list[float]:
    out = []
    for layer in layers:
        for row, b in zip(layer.weight.tolist(), layer.bias.tolist()):
            out += [*row, b]
    return out


def test_an_eager_graph_built_before_compiled_steps_is_stale_after():
    model = MLP(3, [4, 2], seed=3)
    old = cross_entropy(model(XS[0]), YS[0])  # built before the compiled steps
    program = traced(model)
    opt = SGD(model.parameters(), lr=0.1)
    out = program(table([0, 1]))
    program.backward(np.ones_like(out))
    opt.step()
    with pytest.raises(StaleGraphError):
        old.backward()


def test_an_update_of_every_parameter_is_one_tick():
    model = MLP(3, [8, 8, 2], seed=3)
    program = traced(model)
    opt = SGD(model.parameters(), lr=0.1)
    out = program(table([0, 1]))
    program.backward(np.ones_like(out))
    # now() takes a stamp of the clock itself and a step makes no node, so between two
    # readings the clock moves by 1 plus the number of ticks
    before = now()
    opt.step()
    after = now()
    assert after == before + 2 and last_write() == after - 1
    program.write_parameters(program.parameter_values())
    assert now() == after + 2


def test_eager_steps_between_compiled_steps_stay_right():
    """An eager forward, backward and step on the same model between compiled steps (on
    bound parameters, or ones an eager op gave their own slots back) trains as eager does."""
    mixed, eager = MLP(3, [4, 2], seed=4), MLP(3, [4, 2], seed=4)
    program = traced(mixed)
    opt_m, opt_e = SGD(mixed.parameters(), lr=0.1), SGD(eager.parameters(), lr=0.1)
    for k, rows in enumerate(BATCHES):
        if k % 2:
            eager_step(mixed, rows)
        else:
            out = program(table(rows))
            program.backward(np.full(out.shape, 1.0 / len(rows)))
        eager_step(eager, rows)
        opt_m.step()
        opt_e.step()
        opt_m.zero_grad()
        opt_e.zero_grad()
        assert close([p.data for p in mixed.parameters()], [p.data for p in eager.parameters()])


def test_an_eager_backward_on_bound_parameters_accumulates_into_the_arrays():
    model = MLP(3, [4, 2], seed=5)
    program = traced(model)
    out = program(table([0]))
    program.backward(np.ones_like(out))
    w = model.parameters()[0]
    assert isinstance(w, arrays.Bound)
    before = w.grad
    x = Value(3.0)
    (w * x).backward()  # w on the left: its own method, no release
    assert isinstance(w, arrays.Bound)
    assert w.grad == before + 3.0
    assert program.bound().grads()[0] == before + 3.0
    (x * w).backward()  # w as the other operand: released first, still right
    assert type(w) is Value and w.grad == before + 6.0


def test_two_programs_and_an_optimizer_over_a_subset_share_the_arrays():
    model = MLP(3, [4, 2], seed=6)
    params = model.parameters()
    xs, ts = [Value(0.0) for _ in range(3)], [Value(0.0) for _ in range(2)]
    loss = cross_entropy(model(xs), ts)
    first = compile([loss], xs + ts, params)
    second = compile([loss], xs + ts, params[::-1])  # the same parameters, reversed
    reference = MLP(3, [4, 2], seed=6)
    opt = SGD(params[:5], lr=0.5)  # the first neuron's weights and bias only
    opt_ref = SGD(reference.parameters()[:5], lr=0.5)
    for rows in BATCHES[:2]:
        for program in (first, second):  # each adds the batch's mean gradient
            out = program(table(rows))
            program.backward(np.full(out.shape, 1.0 / len(rows)))
            eager_step(reference, rows)
        assert close([p.grad for p in params], [p.grad for p in reference.parameters()])
        opt.step()
        opt_ref.step()
        assert close([p.data for p in params], [p.data for p in reference.parameters()])
        opt.zero_grad()
        opt_ref.zero_grad()
        model.zero_grad()
        reference.zero_grad()


def test_load_state_dict_and_data_writes_mid_run_land_in_the_arrays():
    model = MLP(3, [4, 2], seed=7)
    fresh = MLP(3, [4, 2], seed=8)
    program = traced(model)
    program(table([0]))
    model.load_state_dict(fresh.state_dict())
    assert isinstance(model.parameters()[0], arrays.Bound)
    assert np.allclose(program(table([0, 1])), traced(fresh)(table([0, 1])), rtol=0, atol=1e-14)
    w = model.parameters()[0]
    w.data = 2.5
    assert w.data == 2.5 and program.parameter_values()[0] == 2.5
    with pytest.raises(TypeError, match="Value.data"):
        w.data = "x"


def test_fit_compiled_interrupted_leaves_the_parameters_true_and_plain():
    model = MLP(3, [4, 2], seed=9)
    seen: list[list[float]] = []

    def schedule(epoch: int) -> float:
        seen.append([p.data for p in model.parameters()])
        if epoch == 2:
            raise KeyboardInterrupt
        return 0.1

    with pytest.raises(KeyboardInterrupt):
        fit(model, XS, YS, cross_entropy, SGD(model.parameters(), lr=0.1), epochs=5,
            lr_schedule=schedule, progress=False, compiled=True)
    assert all(type(p) is Value for p in model.parameters())
    assert [p.data for p in model.parameters()] == seen[-1]


def test_fit_compiled_with_regularization_record_and_patience_equals_eager():
    runs = []
    for compiled in (False, True):
        model = MLP(3, [4, 2], seed=10)
        history = fit(model, XS, YS, cross_entropy, SGD(model.parameters(), lr=0.2),
                      epochs=6, batch_size=2, regularization=lambda m: l2(m, 1e-3),
                      validation=(XS[:3], YS[:3]), patience=2, record=True, progress=False,
                      compiled=compiled)
        runs.append((history, [p.data for p in model.parameters()]))
    (h_e, w_e), (h_c, w_c) = runs
    assert close(h_e.loss, h_c.loss, 1e-10) and close(h_e.val_loss, h_c.val_loss, 1e-10)
    assert h_e.best_epoch == h_c.best_epoch and close(w_e, w_c, 1e-10)
    assert len(h_e.steps) == len(h_c.steps)
    for a, b in zip(h_e.steps, h_c.steps):
        assert close(a.weights, b.weights, 1e-10) and close(a.grads, b.grads, 1e-10)


def test_hinge_traces_with_any_placeholder_and_fit_checks_the_labels():
    model = MLP(2, [3, 1], seed=0)
    x, t = [Value(0.0), Value(0.0)], Value(0.0)  # the README's placeholders
    program = compile([hinge(model(x), [t])], [*x, t], model.parameters())
    out = program(np.array([[1.0, 2.0, 1.0], [0.5, -1.0, -1.0]]))
    assert out.shape == (2, 1)
    with pytest.raises(ValueError, match=r"hinge: labels\[0\] must be -1 or \+1"):
        hinge([Value(0.3)], [0.0])  # numbers are still checked eagerly
    with pytest.raises(ValueError, match=r"target 0 of example 2 must be -1 or \+1"):
        fit(model, [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], [1.0, -1.0, 0.0], hinge,
            SGD(model.parameters(), lr=0.1), epochs=1, progress=False, compiled=True)


def test_fit_compiled_refuses_a_model_of_ones_own_that_branches_on_an_input():
    class Picky(MLP):
        def __call__(self, x):  # reads an input's .data: tracing would freeze it
            out = super().__call__(x)
            return [out[0] * 2.0] if x[0].data > 0 else [out[0] * 3.0]

    model = Picky(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="example 1 differs from the one traced"):
        fit(model, [[1.0, 0.0], [-1.0, 0.0]], [[1.0], [0.0]], mse,
            SGD(model.parameters(), lr=0.1), epochs=1, progress=False, compiled=True)


def test_bound_parameters_pickle_copy_and_take_a_value_gradient():
    model = MLP(3, [4, 2], seed=11)
    program = traced(model)
    out = program(table([0, 1]))
    program.backward(np.ones_like(out))
    data = [p.data for p in model.parameters()]
    grads = [p.grad for p in model.parameters()]
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert all(type(p) is Value for p in clone.parameters())
        assert [p.data for p in clone.parameters()] == data
        assert [p.grad for p in clone.parameters()] == grads
    w = model.parameters()[0]
    w.grad = 0.0
    (w * w).backward(create_graph=True)  # a .grad that is a Value: released, then set
    assert type(w) is Value and isinstance(w.grad, Value)
    assert w.grad.data == 2.0 * data[0]


@pytest.mark.parametrize("regularization", [
    lambda m: l2(m, 1e-2),  # all parameters: one dot product
    lambda m: l2(m.layers[0].parameters()[::-1], 1e-2),  # some, in another order
    lambda m: 1e-2 * sum(abs(p) for p in m.parameters()),  # anything else: a program
])
def test_fit_compiled_regularization_equals_eager(regularization):
    runs = []
    for compiled in (False, True):
        model = MLP(3, [4, 2], seed=12)
        history = fit(model, XS, YS, cross_entropy, SGD(model.parameters(), lr=0.2),
                      epochs=3, batch_size=4, regularization=regularization, progress=False,
                      compiled=compiled)
        runs.append((history.loss, [p.data for p in model.parameters()]))
    assert close(runs[0][0], runs[1][0], 1e-10) and close(runs[0][1], runs[1][1], 1e-10)


def test_fit_compiled_hinge_one_batch_equals_eager():
    """One batch of every example: compiled fit skips the shuffle (the same examples; the
    eager run's order changes only the order of a sum)."""
    xs = [[0.5, 1.0], [-1.0, 0.5], [1.5, -0.5], [-0.5, -1.0], [0.25, 0.75]]
    ys = [1.0, -1.0, 1.0, -1.0, 1.0]
    runs = []
    for compiled in (False, True):
        model = MLP(2, [4, 4, 1], seed=13, init="micrograd")
        history = fit(model, xs, ys, hinge, SGD(model.parameters(), lr=0.1, momentum=0.9),
                      epochs=5, regularization=lambda m: l2(m, 1e-4), progress=False,
                      compiled=compiled)
        runs.append((history.loss, [p.data for p in model.parameters()]))
    assert close(runs[0][0], runs[1][0], 1e-10) and close(runs[0][1], runs[1][1], 1e-10)


@pytest.mark.parametrize("compiled", [False, True])
def test_fit_refuses_hinge_labels_that_are_values_of_0_and_1(compiled):
    """hinge cannot check a label that is a Value (a traced placeholder may hold anything),
    so fit checks its data's labels on both paths: 0/1 labels as Values would otherwise
    train silently wrong (relu(1 − 0·s) = 1 carries no gradient)."""
    model = MLP(2, [3, 1], seed=1)
    xs = [[0.1, 0.2], [0.3, -0.4]]
    ys = [Value(1.0), Value(0.0)]
    with pytest.raises(ValueError, match=r"fit: the target 0 of example 1 must be -1 or \+1"):
        fit(model, xs, ys, hinge, SGD(model.parameters(), lr=0.1), epochs=1,
            progress=False, compiled=compiled)
