"""``Module`` and the scalar layers: ``Neuron``, ``Layer``, ``MLP``."""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator, Sequence
from typing import Any

from autograd import Value, dot
from autograd.graph import Cluster

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]

Number = int | float
StateDict = dict[str, float | list[float]]

#: Activation name -> function of a Value.
ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": lambda v: v,
}


class Module:
    """Base class: finds parameters in attributes (Values, lists of Values, Modules, lists
    of Modules), in the order they were set, as PyTorch's ``nn.Module`` does."""

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value | list[Value]]]:
        """``(name, Value)`` for scalars and ``(name, [Value, ...])`` for lists."""
        for name, attr in vars(self).items():
            if isinstance(attr, Value):
                yield prefix + name, attr
            elif isinstance(attr, Module):
                yield from attr.named_parameters(f"{prefix}{name}.")
            elif isinstance(attr, (list, tuple)) and attr:
                if all(isinstance(a, Value) for a in attr):
                    yield prefix + name, list(attr)
                elif all(isinstance(a, Module) for a in attr):
                    for i, child in enumerate(attr):
                        yield from child.named_parameters(f"{prefix}{name}.{i}.")

    def parameters(self) -> list[Value]:
        """Every parameter, in a fixed order."""
        out: list[Value] = []
        for _, p in self.named_parameters():
            if isinstance(p, Value):
                out.append(p)
            else:
                out.extend(p)
        return out

    def clusters(self) -> list[Cluster]:
        """Boxes for ``draw_dot(..., clusters=module)``: one around all of its parameters."""
        return [Cluster(type(self).__name__, self.parameters())]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> StateDict:
        """Parameter values by name: a float, or a list of floats."""
        return {
            name: p.data if isinstance(p, Value) else [v.data for v in p]
            for name, p in self.named_parameters()
        }

    def load_state_dict(self, state: StateDict) -> None:
        """Set every parameter from ``state``. Everything is checked before anything is set,
        so a bad ``state`` (missing or unexpected key, wrong length, non-number) leaves the
        model unchanged."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if missing or unexpected:
            raise KeyError(
                f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        updates: list[tuple[Value, float]] = []
        for name, p in own.items():
            value = state[name]
            if isinstance(p, Value):
                updates.append((p, _real(value, name)))
                continue
            if not isinstance(value, (list, tuple)):
                raise ValueError(
                    f"load_state_dict: {name!r} must be a list of {len(p)} numbers, "
                    f"got {type(value).__name__}"
                )
            if len(value) != len(p):
                raise ValueError(
                    f"load_state_dict: {name!r} has {len(p)} entries in the model but "
                    f"{len(value)} in the state dict"
                )
            updates.extend((v, _real(x, f"{name}[{i}]")) for i, (v, x) in enumerate(zip(p, value)))
        for v, x in updates:
            v.data = x


def _real(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"load_state_dict: {where!r} must be a number, got {type(x).__name__}")
    return float(x)


def _activation(name: str) -> Any:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None


class Neuron(Module):
    """``activation(b + Σ w_i·x_i)``, computed as one ``dot`` node plus the activation.

    ``init="pytorch"``: weights and bias uniform in ±1/√nin (``torch.nn.Linear``'s default);
    ``init="micrograd"``: weights uniform in ±1, bias 0 (micrograd's). Numbers are drawn
    from ``rng`` (a ``random.Random``), so a run repeats exactly.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        rng: random.Random | None = None,
        init: str = "pytorch",
    ):
        if not isinstance(nin, int) or isinstance(nin, bool) or nin < 1:
            raise ValueError(f"Neuron: nin must be a positive int, got {nin!r}")
        rng = rng if rng is not None else random.Random(0)
        if init == "pytorch":
            bound = 1.0 / math.sqrt(nin)
            self.w = [Value(rng.uniform(-bound, bound)) for _ in range(nin)]
            self.b = Value(rng.uniform(-bound, bound))
        elif init == "micrograd":
            self.w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
            self.b = Value(0.0)
        else:
            raise ValueError(f"Neuron: init must be 'pytorch' or 'micrograd', got {init!r}")
        self.activation = activation
        self._act = _activation(activation)

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        return self._act(dot(self.w, x, self.b))

    def set_weights(self, row: Sequence[Number]) -> None:
        """Set ``[b, w1, ..., wn]`` (bias first, as the seeds' Theta matrices)."""
        if len(row) != len(self.w) + 1:
            raise ValueError(
                f"set_weights: expected {len(self.w) + 1} numbers [b, w1..w{len(self.w)}], "
                f"got {len(row)}"
            )
        self.b.data = _real(row[0], "b")
        for i, (v, x) in enumerate(zip(self.w, row[1:])):
            v.data = _real(x, f"w[{i}]")

    def clusters(self) -> list[Cluster]:
        return [Cluster(f"neuron ({self.activation})", self.parameters())]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same inputs. Calling it always returns a list, even for
    one neuron."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        rng: random.Random | None = None,
        init: str = "pytorch",
    ):
        rng = rng if rng is not None else random.Random(0)
        self.neurons = [Neuron(nin, activation, rng, init) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        return [n(x) for n in self.neurons]

    def set_weights(self, theta: Sequence[Sequence[Number]]) -> None:
        """Set from a matrix with one row ``[b, w1, ..., wn]`` per neuron."""
        if len(theta) != len(self.neurons):
            raise ValueError(
                f"set_weights: expected {len(self.neurons)} rows, one per neuron, got {len(theta)}"
            )
        for n, row in zip(self.neurons, theta):
            if len(row) != len(n.w) + 1:
                raise ValueError(f"set_weights: every row needs {len(n.w) + 1} numbers")
        for n, row in zip(self.neurons, theta):
            n.set_weights(row)

    @classmethod
    def from_matrix(cls, theta: Sequence[Sequence[Number]], activation: str = "relu") -> Layer:
        """A layer whose weights are ``theta`` (rows ``[b, w1, ..., wn]``, bias first)."""
        layer = cls(len(theta[0]) - 1, len(theta), activation)
        layer.set_weights(theta)
        return layer

    def clusters(self, name: str = "layer") -> list[Cluster]:
        act = self.neurons[0].activation
        neurons = [Cluster(f"neuron {j + 1}", n.parameters()) for j, n in enumerate(self.neurons)]
        return [Cluster(f"{name} ({len(self.neurons)} × {act})", children=neurons)]

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)}, {len(self.neurons)}, activation={n.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(nin, [h1, ..., nout])``.

    Hidden layers use ``activation``, the last layer ``output_activation``. ``seed`` makes
    the initial weights repeat exactly; ``init`` is as for ``Neuron``. Calling it returns a
    list (one Value per output), even when the last layer has one neuron.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | None = 0,
        init: str = "pytorch",
    ):
        if not nouts:
            raise ValueError("MLP: nouts must name at least one layer size")
        self.config = {"nin": nin, "nouts": list(nouts), "activation": activation,
                       "output_activation": output_activation}
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1],
                  activation if i < len(nouts) - 1 else output_activation, rng, init)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        out: Sequence[Value | Number] = x
        for layer in self.layers:
            out = layer(out)
        return list(out)

    @classmethod
    def from_matrices(
        cls, thetas: Sequence[Sequence[Sequence[Number]]], activation: str = "sigmoid",
        output_activation: str | None = None,
    ) -> MLP:
        """An MLP from one Theta matrix per layer (rows ``[b, w1, ..., wn]``)."""
        sizes = [len(t) for t in thetas]
        model = cls(len(thetas[0][0]) - 1, sizes, activation,
                    output_activation if output_activation is not None else activation)
        for layer, theta in zip(model.layers, thetas):
            layer.set_weights(theta)
        return model

    def clusters(self) -> list[Cluster]:
        last = len(self.layers) - 1
        return [c for i, layer in enumerate(self.layers)
                for c in layer.clusters("output layer" if i == last else f"hidden layer {i + 1}")]

    def save(self, path: str | os.PathLike) -> None:
        """Write the architecture and every weight to a JSON file (see ``nn.serialize``)."""
        from .serialize import save

        save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> MLP:
        """An MLP read back from a file written by ``save``; a wrong or corrupt file raises
        ``ValueError`` naming what is wrong. Loading never runs code from the file."""
        from .serialize import load

        return load(path)

    def __repr__(self) -> str:
        return f"MLP({', '.join(map(repr, self.layers))})"
