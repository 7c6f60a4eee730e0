"""``fit``: the training loop, with mini-batches, a progress bar and early stopping."""

from __future__ import annotations

import importlib.util
import math
import numbers
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value
from autograd import arguments as _args
from autograd.core import arrays

from . import losses
from .module import MLP, Layer, Module, Neuron
from .optim import Optimizer

_OUR_LOSSES = {getattr(losses, name) for name in losses.__all__}

__all__ = ["fit", "History", "TrainingStep", "evaluate", "loss_svg"]

Loss = Callable[[Sequence[Value], Sequence[Any]], Value]


@dataclass
class TrainingStep:
    """One optimizer step, recorded by ``fit(..., record=True)``: the batch loss, and the
    weights and gradients that produced it (before the update)."""

    loss: float
    weights: list[float]
    grads: list[float]


@dataclass
class History:
    """What ``fit`` measured: mean training loss per epoch, validation loss per epoch;
    with ``record=True`` also every step, for ``parameters`` (the model's, in order)."""

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    steps: list[TrainingStep] = field(default_factory=list, repr=False)
    parameters: list[Value] = field(default_factory=list, repr=False)

    def _repr_svg_(self) -> str:
        """The loss curves as a small SVG (Jupyter shows it): training loss in blue,
        validation loss in orange, on a log scale when every loss is positive."""
        return loss_svg(self.loss, self.val_loss)


def loss_svg(loss: Sequence[float], val_loss: Sequence[float] = (),
             width: int = 360, height: int = 180) -> str:
    """An SVG line chart of one or two loss curves, with the first and last losses."""
    curves = [c for c in (list(loss), list(val_loss)) if c]
    values = [v for c in curves for v in c if math.isfinite(v)]
    if not values:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40">'
                '<text x="8" y="24" font-family="sans-serif" font-size="12">no epochs</text>'
                "</svg>")
    log = min(values) > 0
    scale = [math.log10(v) if log else v for v in values]
    lo, hi = min(scale), max(scale)
    hi = hi if hi > lo else lo + 1.0
    n = max(len(c) for c in curves)
    left, right, top, bottom = 54, 10, 12, 26

    def point(k: int, v: float) -> str:
        x = left + (width - left - right) * (k / (n - 1) if n > 1 else 0.5)
        y = top + (height - top - bottom) * (hi - (math.log10(v) if log else v)) / (hi - lo)
        return f"{x:.1f},{y:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'font-family="sans-serif" font-size="11">',
             f'<rect x="{left}" y="{top}" width="{width - left - right}" '
             f'height="{height - top - bottom}" fill="none" stroke="#bbb"/>']
    for curve, colour in zip(curves, ("#1f77b4", "#ff7f0e")):
        points = " ".join(point(k, v) for k, v in enumerate(curve) if math.isfinite(v))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                     f'points="{points}"/>')
    top_text, low_text = (10**hi, 10**lo) if log else (hi, lo)
    parts += [f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{top_text:.3g}</text>',
              f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">'
              f"{low_text:.3g}</text>",
              f'<text x="{left}" y="{height - 8}">epoch 1</text>',
              f'<text x="{width - right}" y="{height - 8}" text-anchor="end">epoch {n} · '
              f"loss {curves[0][-1]:.4g}{' (log scale)' if log else ''}</text>", "</svg>"]
    return "".join(parts)


def _targets(y: Any) -> list[Any]:
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _batch_loss(model: Module, loss_fn: Loss, xs: Sequence[Any], ys: Sequence[Any]) -> Value:
    """(1/B) Σ loss_fn(model(x), y) over the batch."""
    total = [loss_fn(model(x), _targets(y)) for x, y in zip(xs, ys)]
    return sum(total[1:], total[0]) / len(total)


def _data(xs: Any, ys: Any, who: str, names: tuple[str, str] = ("xs", "ys"),
          model: Any = None, loss_fn: Any = None) -> None:
    """Refuse a data set that is not two sequences of the same, non-zero length. For the
    modules of ``nn`` (whose number of inputs is known) every input must be one example of
    that many inputs; for the losses of ``nn`` every target a number or a list (a model or
    a loss of one's own may take other things)."""
    for name, seq, what in (("inputs", xs, names[0]), ("targets", ys, names[1])):
        if not hasattr(seq, "__len__") or isinstance(seq, (str, bytes, dict)) \
                or getattr(seq, "ndim", 1) == 0:
            raise _args.type_error(who, what, f"a list (or array) of {name}", seq)
    if len(xs) != len(ys):
        raise ValueError(f"{who}: {len(xs)} inputs but {len(ys)} targets")
    if len(xs) == 0:
        raise ValueError(f"{who}: no examples")
    n = _inputs_of(model)
    for k, x in enumerate(xs if n is not None else ()):
        if isinstance(x, (str, bytes, dict, Value)) or not hasattr(x, "__len__") \
                or getattr(x, "ndim", 1) == 0:
            raise _args.type_error(who, f"{names[0]}[{k}]", f"one example (a list of {n} "
                                   f"inputs)", x)
        if len(x) != n:
            raise ValueError(f"{who}: {names[0]}[{k}] must be an example of {n} inputs (as the "
                             f"model takes), got {len(x)} inputs: {_args.got(x)}")
    for k, y in enumerate(ys if loss_fn in _OUR_LOSSES else ()):
        if isinstance(y, (str, bytes, dict)) or y is None or not (
                isinstance(y, (Value, numbers.Real)) or hasattr(y, "__len__")):
            raise _args.type_error(who, f"{names[1]}[{k}]",
                                   "a target (a number or a list of numbers)", y)


def _inputs_of(model: Any) -> int | None:
    """How many inputs an example of ``model`` has (an MLP, a Layer or a Neuron), or None."""
    if isinstance(model, MLP):
        return len(model.layers[0].neurons[0].w)
    if isinstance(model, Layer):
        return len(model.neurons[0].w)
    if isinstance(model, Neuron):
        return len(model.w)
    return None


def _count(x: Any, what: str, smallest: int) -> int:
    """``x`` as an int >= ``smallest``, or an error naming ``what``."""
    return _args.integer(x, "fit", what, smallest)


def _model_and_loss(model: Any, loss_fn: Any, who: str) -> None:
    if not (callable(model) and callable(getattr(model, "parameters", None))):
        raise _args.type_error(who, "model", "a Module such as MLP(2, [3, 1])", model)
    _args.function(loss_fn, who, "loss_fn", "a loss function such as nn.mse")


def evaluate(model: Module, xs: Sequence[Any], ys: Sequence[Any], loss_fn: Loss) -> float:
    """The mean of ``loss_fn`` over a data set (no graph is kept)."""
    _model_and_loss(model, loss_fn, "evaluate")
    _data(xs, ys, "evaluate", model=model, loss_fn=loss_fn)
    return sum(loss_fn(model(x), _targets(y)).data for x, y in zip(xs, ys)) / len(xs)


def fit(
    model: Module,
    xs: Sequence[Any],
    ys: Sequence[Any],
    loss_fn: Loss,
    optimizer: Optimizer,
    epochs: int = 10,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int = 0,
    regularization: Callable[[Module], Value] | None = None,
    lr_schedule: Callable[[int], float] | None = None,
    validation: tuple[Sequence[Any], Sequence[Any]] | None = None,
    patience: int | None = None,
    progress: bool = True,
    compiled: bool = False,
    record: bool = False,
) -> History:
    """Train ``model`` on ``(xs, ys)`` and return the ``History``.

    Each step averages ``loss_fn(model(x), y)`` over a batch (plus ``regularization(model)``
    if given), backpropagates and steps ``optimizer``. ``batch_size=None`` uses the whole
    data set per step; ``batch_size=1`` is stochastic gradient descent, one example at a
    time. ``lr_schedule(epoch)`` sets the learning rate at the start of each epoch. With
    ``validation=(xs_val, ys_val)`` and ``patience``, training stops once the validation
    loss has not improved for ``patience`` epochs and the best weights are restored. The
    progress bar needs ``tqdm`` (``pip install tqdm``, or ``pip install -e ".[plots]"`` in a
    clone of chainrule); without it, one line per epoch is printed to stderr.

    ``compiled=True`` traces ``loss_fn(model(x), y)`` once (with the first example's values),
    and ``regularization(model)`` once, and runs every batch through ``autograd.compile``
    with NumPy: the same gradients, at array speed. Meanwhile the parameters' data and
    gradients and the optimizer's state live in arrays (``autograd/core/arrays.py``):
    ``.data`` and ``.grad`` read true at any moment (in an ``lr_schedule``, say), and the
    parameters get their own slots back when ``fit`` returns or raises. ``xs`` and ``ys``
    must then be numbers (``ys`` a number or a list per example), checked once (every
    label of ``hinge`` -1 or +1, of ``binary_cross_entropy`` in [0, 1], every target
    finite), and NumPy must be installed; see ``autograd.compile`` for what tracing
    freezes (a loss that branches on a label's ``.data`` is refused).

    Every argument is checked before training starts: ``epochs`` an int >= 0,
    ``batch_size`` None or an int >= 1, ``patience`` None or an int >= 1 (with a
    validation set), ``validation`` a pair of equally long, non-empty sequences.

    ``record=True`` keeps every step's loss, weights and gradients in ``History.steps``
    (for ``autograd.display.stepper.draw_html(loss, history=...)``).
    """
    epochs, size = _checked_sizes(model, xs, ys, loss_fn, optimizer, epochs, batch_size,
                                  shuffle, seed, regularization, lr_schedule, validation,
                                  patience, progress, compiled, record)
    if not compiled:
        _check_labels(loss_fn, ys)
    batch_loss = _CompiledLoss(model, loss_fn, xs, ys, regularization) if compiled else None
    rng = random.Random(seed)
    order = list(range(len(xs)))
    history = History(parameters=model.parameters() if record else [])
    best: tuple[float, dict] | None = None
    bar = _progress(epochs) if progress else None
    try:
        for epoch in range(epochs):
            if lr_schedule is not None:
                _set_lr(optimizer, lr_schedule, epoch)
            if shuffle and (batch_loss is None or size < len(order)):  # (compiled, one
                rng.shuffle(order)  # batch: the same examples, order alone would change)
            batches = batch_loss.batches(order, size) if batch_loss is not None else \
                [order[start:start + size] for start in range(0, len(order), size)]
            losses = [_step(model, loss_fn, xs, ys, batch, batch_loss, regularization,
                            optimizer, history if record else None) for batch in batches]
            history.loss.append(sum(losses) / len(losses))
            if validation is not None:
                best = _validate(model, loss_fn, validation, batch_loss, history, epoch, best)
            if progress:
                _report(bar, epoch, epochs, history, progress)
            if (patience is not None and history.best_epoch is not None
                    and epoch - history.best_epoch >= patience):
                history.stopped_early = True
                break
    finally:  # interrupted or not, the parameters get their own slots back
        if batch_loss is not None:
            arrays.release(batch_loss.program.params)
        if bar is not None:
            bar.close()
    if patience is not None and best is not None:
        model.load_state_dict(best[1])
    return history


def _checked_sizes(model: Any, xs: Any, ys: Any, loss_fn: Any, optimizer: Any,
                   epochs: Any, batch_size: Any, shuffle: Any, seed: Any,
                   regularization: Any, lr_schedule: Any, validation: Any,
                   patience: Any, progress: Any, compiled: Any, record: Any
                   ) -> tuple[int, int]:
    """Every argument of ``fit`` checked before training starts; the number of epochs and
    the batch size."""
    _model_and_loss(model, loss_fn, "fit")
    _data(xs, ys, "fit", model=model, loss_fn=loss_fn)
    if not (callable(getattr(optimizer, "step", None))
            and callable(getattr(optimizer, "zero_grad", None))):
        raise _args.type_error("fit", "optimizer", "an Optimizer such as "
                               "SGD(model.parameters(), lr=0.1)", optimizer)
    _same_parameters(model, optimizer)
    epochs = _count(epochs, "epochs", 0)
    size = len(xs) if batch_size is None else _count(batch_size, "batch_size", 1)
    if patience is not None:
        _count(patience, "patience", 1)
        if validation is None:
            raise ValueError("fit: early stopping (patience) needs a validation set")
    if validation is not None:
        if isinstance(validation, (str, bytes)) or not hasattr(validation, "__len__") \
                or len(validation) != 2:
            raise _args.type_error("fit", "validation", "a pair (xs_val, ys_val)", validation)
        _data(validation[0], validation[1], "fit: validation", ("xs_val", "ys_val"), model,
              loss_fn)
    for name, flag in (("shuffle", shuffle), ("progress", progress), ("compiled", compiled),
                       ("record", record)):
        _args.flag(flag, "fit", name)
    if seed is not None:
        _args.integer(seed, "fit", "seed", expected="an int or None")
    for name, fn in (("regularization", regularization), ("lr_schedule", lr_schedule)):
        if fn is not None:
            _args.function(fn, "fit", name, "a function or None")
    return epochs, size


def _set_lr(optimizer: Any, lr_schedule: Callable[[int], float], epoch: int) -> None:
    lr = lr_schedule(epoch)
    try:
        optimizer.lr = lr
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"fit: lr_schedule({epoch}) returned {lr!r}: {exc}") from None


def _validate(model: Any, loss_fn: Any, validation: Any, batch_loss: Any, history: History,
              epoch: int, best: tuple[float, dict] | None) -> tuple[float, dict] | None:
    """The validation loss after ``epoch`` into ``history``; the best loss and weights."""
    history.val_loss.append(batch_loss.mean(*validation) if batch_loss is not None
                            else evaluate(model, validation[0], validation[1], loss_fn))
    if best is None or history.val_loss[-1] < best[0]:
        history.best_epoch = epoch
        return history.val_loss[-1], model.state_dict()
    return best


def _step(model: Any, loss_fn: Any, xs: Any, ys: Any, batch: Any, batch_loss: Any,
          regularization: Any, optimizer: Any, history: History | None) -> float:
    """One training step on ``batch``: gradients, the record (if ``history``), the update;
    the batch's loss."""
    optimizer.zero_grad()
    value = _backward(model, loss_fn, xs, ys, batch, batch_loss, regularization)
    if history is not None:
        history.steps.append(TrainingStep(value, [p.data for p in history.parameters],
                                          [float(p.grad) for p in history.parameters]))
    optimizer.step()
    return value


def _backward(model: Any, loss_fn: Any, xs: Any, ys: Any, batch: Any,
              batch_loss: Any, regularization: Any) -> float:
    """One batch's loss (plus the regularization), its gradients in the parameters'
    ``.grad``: through the compiled programs, or eagerly."""
    if batch_loss is not None:  # compiled: gradients accumulate from the programs
        value: float = batch_loss.forward_backward(batch)
        return value
    loss = _batch_loss(model, loss_fn, [xs[i] for i in batch], [ys[i] for i in batch])
    if regularization is not None:
        loss = loss + regularization(model)
    loss.backward()
    return float(loss.data)


def _same_parameters(model: Any, optimizer: Any) -> None:
    """Refuse an optimizer that updates none of the model's parameters (one built for
    another model): training would change nothing."""
    params = getattr(optimizer, "params", None)
    if not isinstance(params, list):
        return
    own = {id(p) for p in model.parameters()}
    if own and not any(id(p) in own for p in params):
        raise ValueError("fit: optimizer must update the model's parameters, but none of its "
                         f"{len(params)} parameters is one of the model's; build it with "
                         f"{type(optimizer).__name__}(model.parameters(), ...) for this model")


class _CompiledLoss:
    """loss_fn(model(x), y) traced once (and the regularization, as a program of its own
    with no inputs); each call runs a whole batch with NumPy."""

    def __init__(self, model: Module, loss_fn: Loss, xs: Sequence[Any], ys: Sequence[Any],
                 regularization: Callable[[Module], Value] | None = None) -> None:
        try:
            import numpy as np
        except ImportError:
            raise ImportError(
                "fit(compiled=True) needs NumPy: pip install numpy (or, in a clone of "
                "chainrule, pip install -e \".[fast]\"); or call fit without compiled=True"
            ) from None

        from autograd.compiler import compile

        self.np, self.loss_fn = np, loss_fn
        first_x, first_y = list(xs[0]), _label_rows(ys[:1])[0]
        self.xs = [Value(float(v), label=f"x{i}") for i, v in enumerate(first_x)]
        self.ts = [Value(float(v), label=f"t{i}") for i, v in enumerate(first_y)]
        outputs = model(self.xs)
        loss = loss_fn(outputs, self.ts)
        params = model.parameters()
        self.program = compile([loss], self.xs + self.ts, params)
        self.data = self.table(xs, ys)
        self.check_frozen(model, loss_fn, xs, outputs, loss)
        reg = None if regularization is None else regularization(model)
        self.decay = _weight_decay(reg, params)  # alpha·Σ p² (nn.l2): no program needed
        self.reg = None if reg is None or self.decay is not None else compile([reg], [], params)
        self.no_inputs, self.one = np.empty((1, 0)), np.ones((1, 1))
        self.seeds: dict[int, Any] = {}
        self.tables: dict[int, Any] = {}

    def check_frozen(self, model: Module, loss_fn: Loss, xs: Sequence[Any], outputs: Any,
                     loss: Value) -> None:
        """Tracing freezes control flow that read ``.data``. The loss is traced again on the
        traced outputs with up to 8 other targets of the data (a few nodes each), and its
        graph above the outputs must not change. A model other than nn's ``MLP``, ``Layer``
        and ``Neuron`` (which record the same graph whatever their inputs) is traced again
        whole with those examples."""
        whole = type(model) not in (MLP, Layer, Neuron)
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        stop = {} if whole else {id(v): ("output", i) for i, v in enumerate(outs)}
        shape = _shape(loss, self.xs + self.ts, stop)
        nx = len(self.xs)
        seen = {tuple(self.data[0, nx:].tolist())}
        for k in range(1, len(xs)):
            key = tuple(self.data[k, nx:].tolist())
            if key in seen:
                continue
            seen.add(key)
            tk = [Value(v) for v in key]
            xk = [Value(v) for v in self.data[k, :nx].tolist()] if whole else []
            again = loss_fn(model(xk) if whole else outputs, tk)
            if _shape(again, xk + tk, stop) != shape:
                raise ValueError(
                    f"fit(compiled=True): the loss's graph for example {k} differs from the "
                    f"one traced with example 0 (the model or loss_fn reads .data of its "
                    f"inputs or targets, e.g. an if on a label): the compiled program would "
                    f"freeze example 0's choice. Train with compiled=False")
            if len(seen) > 8:
                break

    def table(self, xs: Sequence[Any], ys: Sequence[Any]) -> Any:
        """Inputs and targets side by side: one row per example (targets checked)."""
        nx, ny = len(self.xs), len(self.ts)
        for k, (x, y) in enumerate(zip(xs, ys)):  # every example, not only the first
            if len(x) != nx or len(_targets(y)) != ny:
                raise ValueError(f"fit: every example needs {nx} inputs and {ny} targets; "
                                 f"example {k} has {len(x)} and {len(_targets(y))}")
        X = self.np.asarray(xs, dtype=float).reshape(len(xs), -1)
        Y = self.np.asarray(_label_rows(ys), dtype=float).reshape(len(ys), -1)
        if X.shape[1] != len(self.xs) or Y.shape[1] != len(self.ts):
            raise ValueError(f"fit: every example needs {len(self.xs)} inputs and "
                             f"{len(self.ts)} targets, got {X.shape[1]} and {Y.shape[1]}")
        _check_targets(self.loss_fn, Y)
        return self.np.hstack([X, Y])

    def batches(self, order: list[int], size: int) -> list[Any]:
        """The batches of one epoch, as arrays of example indices (one batch of every
        example, in order: a slice, so that the table is read without a copy)."""
        if size >= len(order) and order == list(range(len(order))):
            return [slice(None)]
        index = self.np.array(order, dtype=self.np.intp)
        return [index[start:start + size] for start in range(0, len(index), size)]

    def forward_backward(self, batch: Any) -> float:
        """The batch's mean loss (plus the regularization); gradients into ``.grad``."""
        rows = self.data[batch] if type(batch) is slice else self.data.take(batch, axis=0)
        losses = self.program(rows)  # (take: a third of the time of data[batch])
        n = len(losses)
        seed = self.seeds.get(n)
        if seed is None:
            seed = self.seeds[n] = self.np.full((n, 1), 1.0 / n)
        self.program.backward(seed)
        value = float(losses.sum()) / n  # (as mean() computes it, without its overhead)
        if self.decay is not None:  # alpha·Σ p²: its gradient is 2·alpha·p
            alpha, index = self.decay
            view = self.program.bound()
            theta = view.data() if index is None else view.data()[index]
            value += alpha * float(theta @ theta)
            if index is None:
                view.add_grads((2.0 * alpha) * theta)
            else:
                extra = self.np.zeros(len(self.program.params))
                extra[index] = (2.0 * alpha) * theta
                view.add_grads(extra)
        elif self.reg is not None:
            value += float(self.reg(self.no_inputs)[0, 0])
            self.reg.backward(self.one)
        return value

    def mean(self, xs: Sequence[Any], ys: Sequence[Any]) -> float:
        """The mean loss over a data set (its table made once)."""
        table = self.tables.get(id(xs))
        if table is None:
            table = self.tables[id(xs)] = self.table(xs, ys)
        return float(self.program(table).mean())


def _weight_decay(reg: Any, params: list[Value]) -> tuple[float, Any] | None:
    """``(alpha, index)`` if ``reg`` is ``alpha * sum(p * p for p in ps)`` (``nn.l2``) over
    some of ``params``, each once (``index``: their positions, None for all in order)."""
    import numpy as np

    if not isinstance(reg, Value) or reg.op != "mul":
        return None
    alpha, total = reg.parents
    if not (alpha.is_leaf and total.op == "sum"):
        return None
    position = {id(p): i for i, p in enumerate(params)}
    index = []
    for square in total.parents:
        x = square.parents
        if square.op != "mul" or x[0] is not x[1] or id(x[0]) not in position:
            return None
        index.append(position[id(x[0])])
    if len(set(index)) != len(index) or id(alpha) in position:
        return None
    if index == list(range(len(params))):
        return alpha.data, None
    return alpha.data, np.array(index, dtype=np.intp)


def _label_rows(ys: Sequence[Any]) -> list[list[float]]:
    """Every example's targets as a list of numbers (a Value as its ``data``)."""
    return [[t.data if isinstance(t, Value) else t for t in _targets(y)] for y in ys]


def _check_labels(loss_fn: Any, ys: Sequence[Any]) -> None:
    """Eager ``fit``: every label of ``hinge`` -1 or +1, of ``binary_cross_entropy`` in
    [0, 1], Values included (the losses check labels that are numbers, not Values: a Value
    may be a placeholder traced by ``compile``). The same message as ``_check_targets``."""
    hinge = loss_fn is losses.hinge
    if not hinge and loss_fn is not losses.binary_cross_entropy:
        return
    for k, row in enumerate(_label_rows(ys)):
        for j, t in enumerate(row):
            if not isinstance(t, numbers.Real):
                continue  # the loss refuses it, naming it
            if hinge and t not in (-1.0, 1.0):
                expected = "-1 or +1 (a hinge label)"
            elif not hinge and not 0.0 <= t <= 1.0:
                expected = "in [0, 1] (a binary_cross_entropy target)"
            else:
                continue
            raise ValueError(f"fit: the target {j} of example {k} must be {expected}, got "
                             f"{float(t)!r}")


def _check_targets(loss_fn: Any, Y: Any) -> None:
    """Every target finite; every label of ``hinge`` -1 or +1, of ``binary_cross_entropy``
    in [0, 1] (the losses check them eagerly; traced, they see only placeholders)."""
    import numpy as np

    bad, expected = ~np.isfinite(Y), "a finite number"
    if loss_fn is losses.hinge:
        bad, expected = (Y != 1.0) & (Y != -1.0), "-1 or +1 (a hinge label)"
    elif loss_fn is losses.binary_cross_entropy:
        bad, expected = ~((Y >= 0.0) & (Y <= 1.0)), "in [0, 1] (a binary_cross_entropy target)"
    if bad.any():
        k, j = (int(i[0]) for i in np.nonzero(bad))
        raise ValueError(f"fit: the target {j} of example {k} must be {expected}, got "
                         f"{Y[k, j]!r}")


def _shape(loss: Value, leaves: Sequence[Value] = (), stop: dict[int, Any] | None = None
           ) -> tuple[Any, ...]:
    """A graph's structure: ops and wiring in topological order, and its constants. The
    nodes of ``stop`` count as named leaves (the walk goes no lower)."""
    stop = stop or {}
    named = {id(v) for v in leaves}
    place: dict[int, int] = {}
    out: list[Any] = []
    stack = [loss]
    while stack:
        v = stack[-1]
        if id(v) in place:
            stack.pop()
            continue
        ps = () if id(v) in stop else v.parents
        waiting = [p for p in ps if id(p) not in place]
        if waiting:
            stack.extend(reversed(waiting))
            continue
        stack.pop()
        place[id(v)] = len(out)
        out.append(stop[id(v)] if id(v) in stop else
                   (v.op, tuple(place[id(p)] for p in ps)) if ps else
                   ("leaf", None if id(v) in named else v.data))
    return tuple(out)


def _progress(epochs: int) -> Any:
    """A tqdm bar: the notebook widget when ipywidgets is installed, else the text bar
    (tqdm.auto would warn in a notebook without ipywidgets)."""
    try:
        if importlib.util.find_spec("ipywidgets") is not None:
            import tqdm.auto as flavour
        else:
            import tqdm.std as flavour
    except ImportError:
        return None
    return flavour.tqdm(total=epochs, unit="epoch", file=sys.stderr)


def _report(bar: Any, epoch: int, epochs: int, history: History, progress: bool) -> None:
    """The epoch's loss (and validation loss) on the bar, or a line on stderr."""
    status = {"loss": f"{history.loss[-1]:.4g}"}
    if history.val_loss:
        status["val_loss"] = f"{history.val_loss[-1]:.4g}"
    if bar is not None:
        bar.set_postfix(status, refresh=False)
        bar.update(1)
    elif progress:
        text = "  ".join(f"{k} {v}" for k, v in status.items())
        print(f"epoch {epoch + 1}/{epochs}  {text}", file=sys.stderr)
