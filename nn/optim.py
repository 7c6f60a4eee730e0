"""Optimizers: ``step()`` updates each parameter's ``data`` from its ``grad``.

Each update rule is written once, as a function of the parameter, its gradient and its
state, with plain arithmetic: the same function updates one float at a time, or, with
NumPy installed and many parameters, all of them at once as arrays (same results: the
operations are the same, in the same order).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd import Value
from autograd import arguments as _args

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
        if len(self.params) >= VECTORIZE_FROM:
            try:
                import numpy

                self._np = numpy
                self.state = {name: numpy.zeros(len(self.params)) for name in self.state_names}
            except ImportError:
                pass

    @property
    def lr(self) -> float:
        """The learning rate: a positive finite number, checked whenever it is set."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _args.positive(value, type(self).__name__, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def update(self, data: Any, grad: Any, **state: Any) -> tuple[Any, dict[str, Any]]:
        """The rule: new data and new state from data, grad and state (floats or arrays)."""
        raise NotImplementedError

    def step(self) -> None:
        self.before_step()
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

    def update(  # type: ignore[override]  # the state arrives by name
        self, data: Any, grad: Any, m: Any, v: Any
    ) -> tuple[Any, dict[str, Any]]:
        b1, b2 = self.beta1, self.beta2
        m = b1 * m + (1.0 - b1) * grad
        v = b2 * v + (1.0 - b2) * grad * grad
        step = self.lr * (m / (1.0 - b1**self.t)) / (_sqrt(v / (1.0 - b2**self.t)) + self.eps)
        return data - step, {"m": m, "v": v}
