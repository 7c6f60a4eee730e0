"""``Module`` and the scalar layers: ``Neuron``, ``Layer``, ``MLP``."""

from __future__ import annotations

import itertools
import math
import os
import random
from collections.abc import Iterator, Sequence
from typing import Any

from autograd import Value
from autograd import arguments as _args
from autograd.core.functions import neuron
from autograd.display.graph import Cluster

from . import _format
from .outputs import Outputs

__all__ = ["Module", "Neuron", "Layer", "MLP", "Outputs", "ACTIVATIONS"]

Number = int | float
StateDict = dict[str, float | list[float]]


def _linear(v: Value) -> Value:
    return v


#: Activation name -> function of a Value. Modules store the name and look it up here
#: at each call, so a model pickles and deep-copies.
ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": _linear,
}


class Module:
    """Base class: finds parameters in attributes (Values, lists of Values, Modules, lists
    of Modules), in the order they were set, as PyTorch's ``nn.Module`` does."""

    def __call__(self, x: Sequence[Value | Number]) -> Any:
        """The module's output for one example (subclasses define it)."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward computation")

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value | list[Value]]]:
        """``(name, Value)`` for scalars and ``(name, [Value, ...])`` for lists."""
        if not isinstance(prefix, str):  # checked at the call, not at the first next()
            raise _args.type_error("named_parameters", "prefix", "a str", prefix)
        return self._named_parameters(prefix)

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Value | list[Value]]]:
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

    def name_parameters(self, style: str = "place") -> Module:
        """Label every parameter by its place and return the module. ``style="place"``:
        ``L1.n2.w1``, ``L1.n2.b`` (layer 1, neuron 2, weight 1 and bias); ``"flat"``: the
        tutorials' ``w1 … wn`` numbered across the model, neuron by neuron, with biases
        ``b_h1``, ``b_o1``. Labels cost nothing per step; ``autograd.display.naming`` names the
        other nodes from them."""
        _args.choice(style, "name_parameters", "style", ("place", "flat"))
        self._name(style)
        return self

    def _name(self, style: str) -> None:
        """Label each parameter: by its attribute path, unless a subclass knows better."""
        for name, p in self.named_parameters():
            if isinstance(p, Value):
                p.label = name
            else:
                for i, v in enumerate(p, 1):
                    v.label = f"{name}{i}"

    def clusters(self) -> list[Cluster]:
        """Boxes for ``draw_dot(..., clusters=module)``: one around all of its parameters."""
        return [Cluster(type(self).__name__, self.parameters())]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``.grad`` to 0.0. ``set_to_none`` is accepted for
        PyTorch's code and changes nothing: a gradient here is never None, so either value
        sets 0.0."""
        _args.flag(set_to_none, "zero_grad", "set_to_none")
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> StateDict:
        """Parameter values by name: a float, or a list of floats."""
        return {
            name: p.data if isinstance(p, Value) else [v.data for v in p]
            for name, p in self.named_parameters()
        }

    def load_state_dict(self, state: StateDict, strict: bool = True
                        ) -> tuple[list[str], list[str]]:
        """Set every parameter from ``state`` and return ``(missing_keys, unexpected_keys)``
        as PyTorch does. With ``strict=True`` (the default) a missing or unexpected key
        raises ``KeyError``; with ``strict=False`` the parameters ``state`` names are set,
        the others keep their values, and the keys are only returned. Everything is checked
        before anything is set, so a bad ``state`` (a key ``strict`` refuses, a wrong length,
        a non-number) leaves the model unchanged."""
        if not isinstance(state, dict):
            raise _args.type_error("load_state_dict", "state", "a dict such as "
                                   "model.state_dict()", state)
        strict = _args.flag(strict, "load_state_dict", "strict")
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict: missing keys {missing}, unexpected keys {unexpected} "
                f"(strict=False loads the others and returns these)"
            )
        updates: list[tuple[Value, float]] = []
        for name, p in own.items():
            if name not in state:
                continue
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
        return missing, unexpected


def _real(x: Any, where: str) -> float:
    """A weight of a state dict: a number (not a bool), named by its key ``where``."""
    return _args.real(x, "load_state_dict", repr(where))


def _activation(name: str, who: str = "Neuron", what: str = "activation") -> Any:
    """The function of the activation called ``name``, or an error listing the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        _args.choice(name, who, what, sorted(ACTIVATIONS))
        raise  # (not reached: choice raises for any name ACTIVATIONS lacks)


def _size(n: Any, who: str, what: str) -> int:
    """``n`` as a positive int (NumPy ints too), or an error naming ``who`` and ``what``."""
    return _args.integer(n, who, what, 1, "a positive int")


def _rng(rng: Any, who: str) -> random.Random:
    """``rng``: a ``random.Random`` (or None: a fixed one)."""
    if rng is None:
        return random.Random(0)
    if not isinstance(rng, random.Random):
        hint = (f"; for a seed pass rng=random.Random({rng!r})"
                if isinstance(rng, int) and not isinstance(rng, bool) else "")
        raise _args.type_error(who, "rng", "a random.Random or None", rng, hint)
    return rng


_INITS = ("pytorch", "micrograd")


def _check_example(x: Any, n: int, who: str) -> None:
    """Refuse anything but one example of ``n`` inputs, naming ``who``."""
    ndim = getattr(x, "ndim", None)
    if ndim is not None and ndim != 1:
        if ndim == 0:
            raise TypeError(f"{who}: expected a list of {n} inputs, got a 0-d array")
        raise TypeError(
            f"{who}: takes one example (a list of {n} inputs), got an array of shape "
            f"{tuple(x.shape)}; for a batch use autograd.compile or fit(..., compiled=True)"
        )
    if isinstance(x, (Value, int, float, str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(f"{who}: expected a list of {n} inputs (one example), got "
                        f"{type(x).__name__} {x!r:.60}")
    if len(x) != n:
        raise ValueError(f"{who}: expected {n} inputs, got {len(x)}")
    if n and isinstance(x, (list, tuple)) and isinstance(x[0], (list, tuple)):
        raise TypeError(
            f"{who}: takes one example (a list of {n} numbers or Values), got a list of "
            f"lists; call it once per example, or for a batch use autograd.compile or "
            f"fit(..., compiled=True)"
        )


def _lift_inputs(x: Sequence[Value | Number]) -> list[Value]:
    """An example's inputs as Values, numbers lifted once for the whole layer: each input
    is one node of the graph (not one per neuron), and the neurons skip checking them."""
    return [v if type(v) is Value else Value(v) for v in x]  # type: ignore[arg-type]


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
        nin = _size(nin, "Neuron", "nin")
        _activation(activation, "Neuron")
        rng = _rng(rng, "Neuron")
        _args.choice(init, "Neuron", "init", _INITS)
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
        self._label("")

    def _label(self, prefix: str, weights: list[str] | None = None, bias: str = "") -> None:
        """Label the weights ``{prefix}w1…`` (or ``weights``) and the bias ``{prefix}b``."""
        for i, w in enumerate(self.w, 1):
            w.label = weights[i - 1] if weights else f"{prefix}w{i}"
        self.b.label = bias or f"{prefix}b"

    def _name(self, style: str) -> None:
        self._label("")

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        _check_example(x, len(self.w), "Neuron")
        return self._forward(_lift_inputs(x))

    def _forward(self, x: list[Value]) -> Value:
        """The output for inputs that are all Values (a layer lifts them once for all of
        its neurons, so only the weights are checked)."""
        try:
            act = ACTIVATIONS[self.activation]
        except (KeyError, TypeError):
            act = _activation(self.activation)  # raises, naming the choices
        return neuron(self.w, x, self.b, None if act is _linear else act)

    def set_weights(self, row: Sequence[Number]) -> None:
        """Set ``[b, w1, ..., wn]`` (bias first, as the seeds' Theta matrices)."""
        row = _args.sequence(row, "set_weights", "row", "a list of numbers [b, w1, ..., wn]")
        if len(row) != len(self.w) + 1:
            raise ValueError(
                f"set_weights: expected {len(self.w) + 1} numbers [b, w1..w{len(self.w)}], "
                f"got {len(row)}"
            )
        values = [_args.real(x, "set_weights", f"row[{i}]")
                  for i, x in enumerate(row)]  # all checked before any is set
        self.b.data = values[0]
        for v, x in zip(self.w, values[1:]):
            v.data = x

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
        nin, nout = _size(nin, "Layer", "nin"), _size(nout, "Layer", "nout")
        _activation(activation, "Layer")
        rng = _rng(rng, "Layer")
        _args.choice(init, "Layer", "init", _INITS)
        self.neurons = [Neuron(nin, activation, rng, init) for _ in range(nout)]
        self._name("place")

    def _name(self, style: str) -> None:
        for j, n in enumerate(self.neurons, 1):
            n._label(f"n{j}.")

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        _check_example(x, len(self.neurons[0].w), "Layer")
        return Outputs(self._forward(x))

    def _forward(self, x: Sequence[Value | Number]) -> list[Value]:
        lifted = _lift_inputs(x)
        acts = ACTIVATIONS
        out = []
        for n in self.neurons:  # Neuron._forward, written out (the hot path of a network)
            try:
                act = acts[n.activation]
            except (KeyError, TypeError):
                act = _activation(n.activation)  # raises, naming the choices
            out.append(neuron(n.w, lifted, n.b, act))
        return out

    def set_weights(self, theta: Sequence[Sequence[Number]]) -> None:
        """Set from a matrix with one row ``[b, w1, ..., wn]`` per neuron."""
        theta = _args.sequence(theta, "set_weights", "theta",
                               "a matrix (a list of rows [b, w1, ..., wn])")
        if len(theta) != len(self.neurons):
            raise ValueError(
                f"set_weights: expected {len(self.neurons)} rows, one per neuron, got {len(theta)}"
            )
        rows = [_args.sequence(row, "set_weights", f"theta[{k}]", "a row [b, w1, ..., wn]")
                for k, row in enumerate(theta)]
        for k, (n, row) in enumerate(zip(self.neurons, rows)):
            if len(row) != len(n.w) + 1:
                raise ValueError(f"set_weights: every row needs {len(n.w) + 1} numbers; "
                                 f"theta[{k}] has {len(row)}")
            for i, x in enumerate(row):
                _args.real(x, "set_weights", f"theta[{k}][{i}]")
        for n, row in zip(self.neurons, rows):
            n.set_weights(row)

    @classmethod
    def from_matrix(cls, theta: Sequence[Sequence[Number]], activation: str = "relu") -> Layer:
        """A layer whose weights are ``theta`` (rows ``[b, w1, ..., wn]``, bias first)."""
        theta = _matrix(theta, "Layer.from_matrix", "theta")
        _activation(activation, "Layer.from_matrix")
        layer = cls(len(theta[0]) - 1, len(theta), activation)
        layer.set_weights(theta)
        return layer

    def clusters(self, name: str = "layer") -> list[Cluster]:
        if not isinstance(name, str):
            raise _args.type_error("Layer.clusters", "name", "a str", name)
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
        nin = _size(nin, "MLP", "nin")
        nouts = _args.sequence(nouts, "MLP", "nouts",
                               f"a list of layer sizes, e.g. MLP({nin}, [3, 1]),")
        nouts = [_size(n, "MLP", f"nouts[{i}]") for i, n in enumerate(nouts)]
        if not nouts:
            raise ValueError("MLP: nouts must name at least one layer size, got []")
        _activation(activation, "MLP")
        _activation(output_activation, "MLP", "output_activation")
        if seed is not None:
            _args.integer(seed, "MLP", "seed", expected="an int or None")
        _args.choice(init, "MLP", "init", _INITS)
        self.config: dict[str, Any] = {"nin": nin, "nouts": nouts, "activation": activation,
                       "output_activation": output_activation}
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1],
                  activation if i < len(nouts) - 1 else output_activation, rng, init)
            for i in range(len(nouts))
        ]
        self.name_parameters()

    def _name(self, style: str) -> None:
        count = 0
        last = len(self.layers) - 1
        for k, layer in enumerate(self.layers):
            for j, n in enumerate(layer.neurons, 1):
                if style == "place":
                    n._label(f"L{k + 1}.n{j}.")
                    continue
                tag = f"o{j}" if k == last else (f"h{j}" if last == 1 else f"h{k + 1}_{j}")
                n._label("", [f"w{count + i}" for i in range(1, len(n.w) + 1)], f"b_{tag}")
                count += len(n.w)

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        _check_example(x, len(self.layers[0].neurons[0].w), "MLP")
        out: list[Value] = self.layers[0]._forward(x)
        for layer in self.layers[1:]:
            out = layer._forward(out)
        return Outputs(out)

    def _repr_svg_(self) -> str | None:  # Jupyter: the network as tutorials draw it
        from .draw import draw_network

        try:
            return draw_network(self).pipe(format="svg").decode()
        except (RuntimeError, OSError):  # Graphviz's dot is missing: Jupyter shows repr
            return None

    @classmethod
    def from_matrices(
        cls, thetas: Sequence[Sequence[Sequence[Number]]], activation: str = "sigmoid",
        output_activation: str | None = None,
    ) -> MLP:
        """An MLP from one Theta matrix per layer (rows ``[b, w1, ..., wn]``)."""
        who = "MLP.from_matrices"
        thetas = _args.sequence(thetas, who, "thetas", "a list of matrices, one per layer")
        if not thetas:
            raise ValueError(f"{who}: thetas must hold at least one matrix, got []")
        thetas = [_matrix(t, who, f"thetas[{k}]") for k, t in enumerate(thetas)]
        _activation(activation, who)
        if output_activation is not None:
            _activation(output_activation, who, "output_activation")
        for k in range(1, len(thetas)):
            if len(thetas[k][0]) != len(thetas[k - 1]) + 1:
                raise ValueError(f"{who}: thetas[{k}] must have {len(thetas[k - 1]) + 1} "
                                 f"columns (a bias and one weight per neuron of thetas[{k - 1}]"
                                 f"), got {len(thetas[k][0])}")
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
        """Write the architecture and every weight to a JSON file, atomically (see
        ``nn.serialize``); a NaN or infinite weight raises ``ValueError`` and writes nothing."""
        self._check_config()
        _format.write(path, _format.encode(self.config, self.state_dict()))

    def _check_config(self) -> None:
        """Refuse to save a model that its ``config`` no longer describes (layers or
        activations changed after it was built): the file would load as another model."""
        config = self.config
        sizes = [config["nin"], *config["nouts"]]
        shape = [(name, len(v) if isinstance(v, list) else None)
                 for name, v in self.state_dict().items()]
        acts = [config["activation"]] * (len(sizes) - 2) + [config["output_activation"]]
        actual = [n.activation for layer in self.layers for n in layer.neurons]
        wanted = [a for a, n in zip(acts, sizes[1:]) for _ in range(n)]
        if shape != list(_state_shape(sizes)) or actual != wanted:
            raise ValueError(
                f"save: the model no longer matches its config {config} (its layers, sizes "
                f"or activations were changed after it was built); not saved"
            )

    @classmethod
    def load(cls, path: str | os.PathLike) -> MLP:
        """An MLP read back from a file written by ``save``. A missing file raises
        ``FileNotFoundError``; any other wrong or corrupt file raises ``ValueError`` naming
        the file and what is wrong. Loading never runs code from the file, and a file can
        ask for no more parameters than it holds numbers, so a small file cannot make it
        allocate much."""
        config, state = _format.read(path, ACTIVATIONS)
        sizes = [config["nin"], *config["nouts"]]
        needed = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        held = sum(len(v) if isinstance(v, list) else 1 for v in state.values())
        if needed > held:  # refused before building anything
            names = itertools.islice(_state_names(config["nouts"]), len(state) + 5)
            missing = [name for name in names if name not in state][:5]  # names are short
            nouts = _format.shorten(repr(sizes[1:]), 80)
            raise ValueError(
                f"{path}: weights do not match the architecture: the config (nin={sizes[0]}, "
                f"nouts={nouts}) needs {needed} numbers but the file holds {held}; "
                f"missing keys {missing}"
            )
        model = cls(**config)
        try:
            model.load_state_dict(state)
        except (KeyError, TypeError, ValueError) as exc:
            message = _format.shorten(str(exc.args[0] if exc.args else exc), 400)
            raise ValueError(f"{path}: weights do not match the architecture: {message}") from None
        return model

    def __repr__(self) -> str:
        return f"MLP({', '.join(map(repr, self.layers))})"


def _matrix(theta: Any, who: str, what: str) -> list[list[Any]]:
    """``theta`` as a list of rows ``[b, w1, ..., wn]`` of one length >= 2, numbers only."""
    rows = _args.sequence(theta, who, what, "a matrix (a list of rows [b, w1, ..., wn])")
    if not rows:
        raise ValueError(f"{who}: {what} must be a non-empty matrix, got []")
    rows = [_args.sequence(r, who, f"{what}[{k}]", "a row [b, w1, ..., wn]")
            for k, r in enumerate(rows)]
    width = len(rows[0])
    if width < 2:
        raise ValueError(f"{who}: {what}[0] must hold a bias and at least one weight, got "
                         f"{_args.got(rows[0])}")
    for k, r in enumerate(rows):
        if len(r) != width:
            raise ValueError(f"{who}: every row of {what} must have {width} numbers (as "
                             f"{what}[0]), {what}[{k}] has {len(r)}")
        for i, x in enumerate(r):
            _args.real(x, who, f"{what}[{k}][{i}]")
    return rows


def _state_shape(sizes: Sequence[int]) -> Iterator[tuple[str, int | None]]:
    """``(key, length)`` of an ``MLP``'s ``state_dict`` (length None for a number), lazily
    and in order, from its sizes ``[nin, *nouts]``."""
    for i, n in enumerate(sizes[1:]):
        for j in range(n):
            yield f"layers.{i}.neurons.{j}.w", sizes[i]
            yield f"layers.{i}.neurons.{j}.b", None


def _state_names(nouts: Sequence[int]) -> Iterator[str]:
    """The keys of an ``MLP``'s ``state_dict``, lazily and in order (any ``nin``)."""
    return (name for name, _ in _state_shape([1, *nouts]))
