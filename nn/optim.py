"""Optimizers: ``step()`` updates each parameter's ``data`` from its ``grad``.

Each update rule is written once, as a function of the parameter, its gradient and its
state, with plain arithmetic: the same function updates one float at a time, or, with
NumPy installed and many parameters, all of them at once as arrays (same results: the
operations are the same, in the same order).

While a compiled program holds the parameters in arrays (``autograd/core/arrays.py``:
from its first call on), ``step`` and ``zero_grad`` work on those arrays directly: a few
NumPy calls per step and one tick of the clock, whatever the number of parameters. The
per-parameter state is then an array too.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd import Value
from autograd import arguments as _args
from autograd.core import arrays

from .module import Module

__all__ = ["Optimizer", "SGD", "Adam"]

#: From this many parameters on, steps run on NumPy arrays (when NumPy is installed).
VECTORIZE_FROM = 256


def _sqrt(x: Any) -> Any:
    if isinstance(x, float):
        return math.sqrt(x)
    import numpy

    return numpy.sqrt(x)


def _number(g: Any, p: Value, who: str) -> float:
    """A gradient as a float (a Value after backward(create_graph=True)); anything else
    that was stored in ``.grad`` raises, naming the parameter."""
    if type(g) is float:
        return g
    if isinstance(g, Value):
        return g.data
    if isinstance(g, numbers.Real):
        return float(g)
    what = f"the .grad of parameter {p.label!r}" if p.label else "a parameter's .grad"
    raise _args.type_error(f"{who}.step", what, "a number", g,
                           "; reset gradients with zero_grad()")


def _parameters(params: Any, who: str) -> list[Value]:
    """The parameters as a list: Values only, each once."""
    expected = "a list of Values such as model.parameters()"
    if isinstance(params, Module):
        raise _args.type_error(who, "params", expected, params,
                               f"; pass model.parameters(), not the {type(params).__name__} "
                               f"itself: {who}(model.parameters(), lr=...)")
    if isinstance(params, Value):
        raise _args.type_error(who, "params", expected, params,
                               "; got one Value: pass [value]")
    out = _args.sequence(params, who, "params", expected)
    if not out:
        raise ValueError(f"{who}: params must hold at least one Value, got no parameters")
    seen: dict[int, int] = {}
    for i, p in enumerate(out):
        if not isinstance(p, Value):
            raise _args.type_error(who, f"params[{i}]", "a Value", p)
        if id(p) in seen:
            raise ValueError(f"{who}: the same Value is at positions {seen[id(p)]} and {i}; "
                             f"each step would update it twice")
        seen[id(p)] = i
    return out


class Optimizer:
    """Holds the parameters and per-parameter state; ``zero_grad()`` resets gradients."""

    #: names of the per-parameter state, each starting at 0.0
    state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = _parameters(params, type(self).__name__)
        self.lr = lr
        #: per-parameter state by name: lists of floats, or NumPy arrays (many parameters)
        self.state: dict[str, Any] = {name: [0.0] * len(self.params) for name in self.state_names}
        self._np = None
        self._view: arrays.View | None = None  # the arrays of a compiled program, if any
        if len(self.params) >= VECTORIZE_FROM:
            try:
                import numpy

                self._np = numpy
                self.state = {name: numpy.zeros(len(self.params)) for name in self.state_names}
            except ImportError:
                pass

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"

    def _settings(self) -> dict[str, Any]:
        """The optimizer's settings, for its repr."""
        return {"lr": self.lr, **{k: getattr(self, k) for k in ("momentum", "beta1", "beta2", "eps")
                                  if hasattr(self, k)}}

    @property
    def lr(self) -> float:
        """The learning rate: a positive finite number, checked whenever it is set."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _args.positive(value, type(self).__name__, "lr")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``.grad`` to 0.0. ``set_to_none`` is accepted for
        PyTorch's code and changes nothing: a gradient here is never None, so either value
        sets 0.0."""
        _args.flag(set_to_none, f"{type(self).__name__}.zero_grad", "set_to_none")
        view = self._bound()
        if view is not None:
            view.zero_grad()
            return
        for p in self.params:
            p.grad = 0.0

    def _bound(self) -> arrays.View | None:
        """The arrays that hold every parameter now (a compiled program's), or None."""
        view = self._view
        if view is None or not view.live:
            view = self._view = arrays.covering(self.params)
        return view

    def hyperparameters(self) -> dict[str, Any]:
        """The settings ``state_dict`` saves (subclasses add theirs)."""
        return {"lr": self.lr}

    def set_hyperparameters(self, settings: dict[str, Any]) -> None:
        """Check every setting of a ``state_dict``, then set them all."""
        self.lr = _args.positive(settings["lr"], self._who(), "'lr'")

    def state_dict(self) -> dict[str, Any]:
        """Everything ``step`` depends on besides the parameters, as JSON-safe plain data
        (names, ints, floats and lists of floats; floats round-trip exactly): the
        optimizer's type, its settings (``lr`` ...), the per-parameter state by name, one
        float per parameter in the order of ``params``, and for Adam the step count ``t``."""
        return {
            "type": type(self).__name__,
            "hyperparameters": self.hyperparameters(),
            "state": {name: [float(x) for x in values] for name, values in self.state.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned, as PyTorch's ``load_state_dict`` does
        (the settings too). The optimizer must be of the same type, over the same number of
        parameters. Everything is checked before anything is set, so a bad ``state``
        leaves the optimizer unchanged."""
        who = self._who()
        if not isinstance(state, dict):
            raise _args.type_error(who, "state", "a dict such as opt.state_dict()", state)
        expected = set(self.state_dict())
        if set(state) != expected or state["type"] != type(self).__name__:
            raise ValueError(f"{who}: state must come from {type(self).__name__}.state_dict()"
                             f" (keys {sorted(expected)}), got keys {sorted(map(str, state))} "
                             f"of type {state.get('type')!r}")
        hyper, per = state["hyperparameters"], state["state"]
        if not isinstance(hyper, dict) or set(hyper) != set(self.hyperparameters()):
            raise ValueError(f"{who}: 'hyperparameters' must hold "
                             f"{sorted(self.hyperparameters())}, got {_args.got(hyper)}")
        if not isinstance(per, dict) or set(per) != set(self.state_names):
            raise ValueError(f"{who}: 'state' must hold {sorted(self.state_names)}, got "
                             f"{_args.got(per)}")
        loaded = {name: self._column(per[name], name) for name in self.state_names}
        self.check_counters(state)
        self.set_hyperparameters(hyper)  # checks all before setting any
        self.set_counters(state)
        for name, values in loaded.items():
            self.state[name] = self._np.array(values) if self._np is not None else values

    def _column(self, values: Any, name: str) -> list[float]:
        """One per-parameter state from a state dict: ``len(params)`` real numbers."""
        who = self._who()
        values = _args.sequence(values, who, f"state[{name!r}]", "a list of numbers")
        if len(values) != len(self.params):
            raise ValueError(f"{who}: state[{name!r}] has {len(values)} numbers but the "
                             f"optimizer has {len(self.params)} parameters")
        return [_args.real(x, who, f"state[{name!r}][{i}]") for i, x in enumerate(values)]

    def check_counters(self, state: dict[str, Any]) -> None:
        """Check the counters of a state dict (Adam's step count)."""

    def set_counters(self, state: dict[str, Any]) -> None:
        """Set the counters of a state dict (Adam's step count), already checked."""

    def _who(self) -> str:
        return f"{type(self).__name__}.load_state_dict"

    def update(self, data: Any, grad: Any, **state: Any) -> tuple[Any, dict[str, Any]]:
        """The rule: new data and new state from data, grad and state (floats or arrays)."""
        raise NotImplementedError

    def step(self) -> None:
        """Update every parameter from its gradient (and the optimizer's state)."""
        self.before_step()
        view = self._bound()
        if view is not None:  # in a program's arrays: update them, one tick of the clock
            import numpy

            state = {name: numpy.asarray(values, dtype=float)
                     for name, values in self.state.items()}
            data, self.state = self.update(view.data(), view.grads(), **state)
            view.write(data)
            return
        if self._np is not None:  # all parameters at once
            data = self._np.array([p.data for p in self.params])
            who = type(self).__name__
            grad = self._np.array([_number(p.grad, p, who) for p in self.params])
            data, self.state = self.update(data, grad, **self.state)
            for p, x in zip(self.params, data.tolist()):
                p.data = x
            return
        who = type(self).__name__
        for i, p in enumerate(self.params):
            state = {name: values[i] for name, values in self.state.items()}
            p.data, new = self.update(p.data, _number(p.grad, p, who), **state)
            for name, value in new.items():
                self.state[name][i] = value

    def before_step(self) -> None:
        """Per-step bookkeeping (Adam's step count)."""


class SGD(Optimizer):
    """w ← w − lr·∂E/∂w (seed 003's rule); with momentum, v ← μ·v + ∂E/∂w, w ← w − lr·v
    (PyTorch's form)."""

    state_names = ("velocity",)

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _args.fraction(momentum, "SGD", "momentum")

    def hyperparameters(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum}

    def set_hyperparameters(self, settings: dict[str, Any]) -> None:
        who = self._who()
        lr = _args.positive(settings["lr"], who, "'lr'")
        self.momentum = _args.fraction(settings["momentum"], who, "'momentum'")
        self.lr = lr

    def update(  # type: ignore[override]  # the state arrives by name
        self, data: Any, grad: Any, velocity: Any
    ) -> tuple[Any, dict[str, Any]]:
        if self.momentum == 0.0:
            return data - self.lr * grad, {"velocity": velocity}
        velocity = self.momentum * velocity + grad
        return data - self.lr * velocity, {"velocity": velocity}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction, as ``torch.optim.Adam``."""

    state_names = ("m", "v")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise _args.type_error("Adam", "betas", "a pair (beta1, beta2)", betas)
        self.beta1 = _args.fraction(betas[0], "Adam", "betas[0]")
        self.beta2 = _args.fraction(betas[1], "Adam", "betas[1]")
        self.eps = _args.positive(eps, "Adam", "eps")
        self.t = 0

    def before_step(self) -> None:
        self.t += 1

    def hyperparameters(self) -> dict[str, Any]:
        return {"lr": self.lr, "betas": [self.beta1, self.beta2], "eps": self.eps}

    def set_hyperparameters(self, settings: dict[str, Any]) -> None:
        who = self._who()
        betas = _args.sequence(settings["betas"], who, "'betas'", "a pair [beta1, beta2]")
        if len(betas) != 2:
            raise _args.value_error(who, "'betas'", "a pair [beta1, beta2]", betas)
        b1 = _args.fraction(betas[0], who, "betas[0]")
        b2 = _args.fraction(betas[1], who, "betas[1]")
        lr = _args.positive(settings["lr"], who, "'lr'")
        self.eps = _args.positive(settings["eps"], who, "'eps'")
        self.lr, self.beta1, self.beta2 = lr, b1, b2

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "t": self.t}

    def check_counters(self, state: dict[str, Any]) -> None:
        _args.integer(state["t"], self._who(), "'t'", 0, "a step count (an int >= 0)")

    def set_counters(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])

    def update(  # type: ignore[override]  # the state arrives by name
        self, data: Any, grad: Any, m: Any, v: Any
    ) -> tuple[Any, dict[str, Any]]:
        b1, b2 = self.beta1, self.beta2
        m = b1 * m + (1.0 - b1) * grad
        v = b2 * v + (1.0 - b2) * grad * grad
        step = self.lr * (m / (1.0 - b1**self.t)) / (_sqrt(v / (1.0 - b2**self.t)) + self.eps)
        return data - step, {"m": m, "v": v}
