"""Small micrograd-style engines for the tests of ``autograd.tutor.grade``: ``Scalar``, a
correct one written for these tests, and subclasses that each make ONE known mistake."""

from __future__ import annotations

import math


class Core:
    """A scalar node: data, grad, the nodes it was made from (``_prev``) and ``_step``,
    which passes the node's grad on to them. Everything but ``__radd__``."""

    def __init__(self, data, children=()):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(children)
        self._step = lambda: None

    def __repr__(self):
        return f"{type(self).__name__}({self.data!r}, grad={self.grad!r})"

    def lift(self, other):
        return other if isinstance(other, Core) else type(self)(other)

    def node(self, data, *children):
        return type(self)(data, children)

    def __add__(self, other):
        other = self.lift(other)
        out = self.node(self.data + other.data, self, other)

        def step():
            self.grad += out.grad
            other.grad += out.grad
        out._step = step
        return out

    def __sub__(self, other):
        other = self.lift(other)
        out = self.node(self.data - other.data, self, other)

        def step():
            self.grad += out.grad
            other.grad -= out.grad
        out._step = step
        return out

    def __mul__(self, other):
        other = self.lift(other)
        out = self.node(self.data * other.data, self, other)

        def step():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._step = step
        return out

    def __truediv__(self, other):
        other = self.lift(other)
        out = self.node(self.data / other.data, self, other)

        def step():
            self.grad += out.grad / other.data
            other.grad -= out.data / other.data * out.grad
        out._step = step
        return out

    def __pow__(self, n):
        out = self.node(self.data ** n, self)

        def step():
            self.grad += n * self.data ** (n - 1) * out.grad
        out._step = step
        return out

    def __neg__(self):
        return self * -1.0

    def __rsub__(self, other):
        return self.lift(other) - self

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        return self.lift(other) / self

    def unary(self, value, slope):
        """A node of one input whose local derivative is slope(input data, output data)."""
        out = self.node(value, self)

        def step():
            self.grad += slope(self.data, out.data) * out.grad
        out._step = step
        return out

    def tanh(self):
        return self.unary(math.tanh(self.data), lambda x, y: 1 - y * y)

    def exp(self):
        return self.unary(math.exp(self.data), lambda x, y: y)

    def relu(self):
        return self.unary(max(self.data, 0.0), lambda x, y: float(x > 0))

    def sigmoid(self):
        return self.unary(1 / (1 + math.exp(-self.data)), lambda x, y: y * (1 - y))

    def log(self):
        return self.unary(math.log(self.data), lambda x, y: 1 / x)

    def order(self):
        """Every node this one depends on, each after its children (no recursion)."""
        order, seen, stack = [], {id(self)}, [(self, iter(self._prev))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child._prev)))
                    break
            else:
                stack.pop()
                order.append(node)
        return order

    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order()):
            node._step()


class Scalar(Core):
    """The correct engine."""

    def __radd__(self, other):
        return self + other


class NoRadd(Core):
    """Forgot ``__radd__``: ``2 + x`` and ``sum()`` fail."""


class Overwrite(Scalar):
    """``=`` instead of ``+=`` in ``+`` and ``*``: a node used twice keeps one share."""

    def __add__(self, other):
        other = self.lift(other)
        out = self.node(self.data + other.data, self, other)

        def step():
            self.grad = out.grad
            other.grad = out.grad
        out._step = step
        return out

    def __mul__(self, other):
        other = self.lift(other)
        out = self.node(self.data * other.data, self, other)

        def step():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad
        out._step = step
        return out


class SubSign(Scalar):
    """d(x - y)/dy taken as +1."""

    def __sub__(self, other):
        other = self.lift(other)
        out = self.node(self.data - other.data, self, other)

        def step():
            self.grad += out.grad
            other.grad += out.grad
        out._step = step
        return out


class TanhInput(Scalar):
    """d tanh written with the input where the output belongs: 1 - self.data**2."""

    def tanh(self):
        return self.unary(math.tanh(self.data), lambda x, y: 1 - x * x)


class SigmaForPrime(Scalar):
    """sigmoid's derivative taken as sigmoid itself."""

    def sigmoid(self):
        return self.unary(1 / (1 + math.exp(-self.data)), lambda x, y: y)


class PowOffByOne(Scalar):
    """The power rule without lowering the exponent: n * x**n."""

    def __pow__(self, n):
        out = self.node(self.data ** n, self)

        def step():
            self.grad += n * self.data ** n * out.grad
        out._step = step
        return out


class NoTopo(Scalar):
    """backward() walks the graph breadth first from the output, running each node's step
    as it meets it: no topological order."""

    def backward(self):
        self.grad = 1.0
        queue, seen = [self], {id(self)}
        while queue:
            node = queue.pop(0)
            node._step()
            for child in node._prev:
                if id(child) not in seen:
                    seen.add(id(child))
                    queue.append(child)


class Recursive(Scalar):
    """A recursive topological order: right, but not beyond Python's recursion limit."""

    def order(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)
        visit(self)
        return order


class Reset(Scalar):
    """backward() sets every gradient of the graph to 0 first (unlike micrograd)."""

    def backward(self):
        for node in self.order():
            node.grad = 0.0
        super().backward()


class Minimal:
    """Only data and +: no grad, no backward: nothing can be tested."""

    def __init__(self, data):
        self.data = data

    def __add__(self, other):
        return Minimal(self.data + other.data)
