"""Optimizers: ``step()`` updates each parameter's ``data`` from its ``grad``."""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Holds the parameters; ``zero_grad()`` resets their gradients."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameters must be Values, "
                                f"got {type(p).__name__}")
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: lr must be positive, got {lr!r}")
        self.lr = float(lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """w ← w − lr·∂E/∂w (seed 003's rule); with momentum, v ← μ·v + ∂E/∂w, w ← w − lr·v
    (PyTorch's form)."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum = momentum
        self._velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, mu = self.lr, self.momentum
        if mu == 0.0:
            for p in self.params:
                p.data -= lr * p.grad
            return
        v = self._velocity
        for i, p in enumerate(self.params):
            v[i] = mu * v[i] + p.grad
            p.data -= lr * v[i]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction, as ``torch.optim.Adam``."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        for i, p in enumerate(self.params):
            g = p.grad
            self._m[i] = b1 * self._m[i] + (1.0 - b1) * g
            self._v[i] = b2 * self._v[i] + (1.0 - b2) * g * g
            p.data -= self.lr * (self._m[i] / c1) / (math.sqrt(self._v[i] / c2) + self.eps)
