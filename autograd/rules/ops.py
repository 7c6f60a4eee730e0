"""The op table: every primitive op, declared once.

An ``Op`` entry holds everything about an op: its name, how its inputs are laid out, its
forward, its local derivatives (``partials``), the inputs it rejects (``domain``), and the
facts the tests and tools need (is it smooth, where does its derivative jump, which inputs
exercise it). Forward and partials are written against the maths namespace ``m``
(``autograd.rules.maths``), so the same text runs on floats (the engine), ``Value`` objects
(higher order), NumPy arrays (``compile``), complex numbers (complex-step checks) and
symbols (the formulas that ``explain`` and ``draw_dot`` show)::

    SIN = Op("sin", forward=lambda m, x: m.sin(x), partials=lambda m, out, x: (m.cos(x),))

**To add an op: add one entry here** (and ``OPS`` picks it up). ``Value`` gains a method
named ``Op.method``; the backward pass, ``jvp``, ``compile``, ``explain``, the drawings,
the Hypothesis strategies and the test suite all read this table. A test fails if an
entry lacks anything they need. An op that needs a new maths function (``m.atan``) also
declares it once, in ``maths.py`` (``function``): see ``docs/how-to/add-an-op.md``.

(``Op.__init__`` is longer than 60 lines: one documented line per field of the op.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from .. import arguments as _args
from .maths import FLOATS, IEEE, IEEE_FLOATS, MissingInterpretation
from .maths import Function as MathsFunction
from .symbolic import SYMBOLS, Symbol, symbol

__all__ = ["Op", "Layout", "Domain", "Family", "OPS", "FAMILIES", "all_ops", "function_op",
           "pow_const",
           "leaky_relu", "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "EXP", "LOG", "TANH",
           "SIGMOID", "RELU", "SQRT", "SIN", "COS", "ABS", "SOFTPLUS", "SUM", "DOT", "MAX",
           "MIN", "LOGSUMEXP"]

Rule = Callable[..., Any]


@dataclass(frozen=True)
class Layout:
    """How a node's inputs are arranged: ``heads`` single operands, then ``runs`` runs of
    one common length n. ``Layout(2)`` is a binary op; ``Layout(1, 2)`` is
    ``(start, a1..an, b1..bn)`` (dot); ``Layout(0, 1)`` is ``(x1..xn)`` (sum, max)."""

    heads: int
    runs: int = 0

    @property
    def nary(self) -> bool:
        return self.runs > 0

    def run_length(self, n_inputs: int) -> int:
        """n, the length of each run, for a node with ``n_inputs`` inputs."""
        return (n_inputs - self.heads) // self.runs if self.runs else 0

    def valid(self, n_inputs: int) -> bool:
        if not self.runs:
            return n_inputs == self.heads
        rest = n_inputs - self.heads
        return rest >= self.runs and rest % self.runs == 0

    def split(self, inputs: Sequence[Any]) -> list[Any]:
        """The operands as the rules see them: each head, then each run as a tuple."""
        if not self.runs:
            return list(inputs)
        h, n = self.heads, self.run_length(len(inputs))
        return [*inputs[:h], *(tuple(inputs[h + k * n:h + (k + 1) * n])
                               for k in range(self.runs))]

    def flatten(self, parts: Sequence[Any]) -> list[Any]:
        """The inverse of ``split``: one entry per input."""
        if not self.runs:
            return list(parts)
        out = list(parts[:self.heads])
        for run in parts[self.heads:]:
            out.extend(run)
        return out

    def words(self) -> str:
        """How many inputs an op of this layout takes, in words (for error messages)."""
        heads = f"{self.heads} input{'s' if self.heads != 1 else ''}"
        if not self.runs:
            return heads
        runs = f"{self.runs} run{'s' if self.runs != 1 else ''} of equal length"
        return f"{heads} and {runs}" if self.heads else runs

    def position(self, i: int, n_inputs: int) -> tuple[int, int | None]:
        """Input ``i`` as (operand index in ``split``, index within its run or None)."""
        if i < self.heads or not self.runs:
            return i, None
        n = self.run_length(n_inputs)
        k, j = divmod(i - self.heads, n)
        return self.heads + k, j


@dataclass(frozen=True)
class Domain:
    """Inputs an op rejects: ``bad(m, *xs)`` is true (elementwise, for arrays) where the
    forward is undefined; ``error`` is raised with ``message(*xs)``. Written so that NaN is
    never bad (NaN propagates). ``loud``: the forward in IEEE arithmetic is inf or NaN
    wherever ``bad`` holds, so a finite result proves the input good (``compile`` checks such
    a domain only when some result is not finite; a test holds each entry to it)."""

    bad: Rule
    error: type[Exception]
    message: Callable[..., str]
    loud: bool = False


class Op:
    """A primitive operation. See the module doc; every field is read by some consumer."""

    def __init__(
        self,
        name: str,
        forward: Rule,
        partials: Rule,
        *,
        layout: Layout | int = 1,
        domain: Sequence[Domain] = (),
        method: str | None = None,
        masks: bool | tuple[bool, ...] = False,
        quotients: bool | tuple[bool, ...] = False,
        vjp: Rule | None = None,
        smooth: bool = True,
        kinks: Sequence[float] = (),
        sample: Sequence[tuple[float, float]] = ((-10.0, 10.0),),
        overflows: bool = False,
        params: tuple[float, ...] = (),
        family: str | None = None,
        title: str | None = None,
        doc: str = "",
    ) -> None:
        _check_fields("Op" if type(self) is Op else "custom_op", locals())
        self.name = name
        #: the name error messages give (``pow`` for ``**``)
        self.title = title or name
        #: the rules: forward(m, *operands) and partials(m, out, *operands)
        self.forward = forward
        self.partials = partials
        self.layout = layout if isinstance(layout, Layout) else Layout(layout)
        self.arity = self.layout.heads if not self.layout.nary else None
        self.domain = tuple(domain)
        #: the ``Value`` method that applies it (None: an operator or a function)
        self.method = method
        #: a local derivative of exactly 0 blocks the gradient (0 × inf is 0, not NaN), as
        #: PyTorch's relu and max do with a mask instead of a product; a tuple says it per
        #: operand (head or run): pow masks d/da where b = 0, not d/db
        n_slots = self.layout.heads + self.layout.runs
        self.mask_flags = masks if isinstance(masks, tuple) else (bool(masks),) * n_slots
        #: a partial that PyTorch computes as a quotient (log: grad/x): a gradient of
        #: exactly 0 gives 0 there even where the partial is infinite (0/x, not 0·inf)
        self.quotient_flags = (quotients if isinstance(quotients, tuple)
                               else (bool(quotients),) * n_slots)
        #: ``vjp(m, g, out, *operands)``: each input's contribution g·∂out/∂input written
        #: directly, for a partial that overflows where the contribution does not (log's
        #: 1/x at a subnormal x is inf, g/x is not); used where g·partial is not finite
        self.vjp = vjp
        if vjp is not None and self.layout.nary:
            raise ValueError(f"Op {name!r}: a vjp rule is for ops of fixed arity")
        #: some rule above applies: the passes look again at a product that is not finite
        self.masks = any(self.mask_flags) or any(self.quotient_flags) or vjp is not None
        #: differentiable everywhere in its domain except at ``kinks`` (finite differences
        #: and complex steps apply)
        self.smooth = smooth
        self.kinks = tuple(kinks)
        #: for each operand (head or run), a range of inputs that exercises the op
        self.sample = tuple(sample)
        #: the float forward raises OverflowError where the result leaves the float range
        self.overflows = overflows
        #: parameters of a parametrized op (the c of x**c) and the family it belongs to
        self.params, self.family = params, family or name
        self.doc = doc
        #: the operands as the rules see them, and back: per layout (see _fast_layout)
        self._split, self._flatten = _fast_layout(self.layout)
        #: every partial is the constant 1 (sums): the backward pass skips the multiply
        self.unit = all(isinstance(p, Symbol) and p.is_number(1) for p in self._symbolic())

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def exact_zero(self, i: int, n_inputs: int, d: float, g: float) -> bool:
        """Is the contribution of input ``i`` (of ``n_inputs``) exactly 0, given its local
        derivative ``d`` and the gradient ``g``? True for a zero ``d`` of an operand that
        masks, and for a zero ``g`` through an operand whose partial is a quotient."""
        slot = self.layout.position(i, n_inputs)[0]
        return ((d == 0.0 and self.mask_flags[slot])
                or (g == 0.0 and self.quotient_flags[slot]))

    def settle(self, i: int, xs: Sequence[float], out: float, d: float, g: float,
               c: float) -> float:
        """The contribution of input ``i`` to its gradient when ``c = d·g`` is ±inf or NaN
        (floats): 0 where a mask or a quotient makes it exactly 0, the ``vjp`` rule where
        the op has one and ``g`` is finite, else ``c``."""
        if self.exact_zero(i, len(xs), d, g):
            return 0.0
        if self.vjp is None or g - g != 0.0:
            return c
        try:
            return float(self._flatten(self.vjp(FLOATS, g, out, *self._split(xs)))[i])
        except ArithmeticError:
            parts = self.vjp(IEEE_FLOATS, IEEE(g), IEEE(out), *self._split([IEEE(x) for x in xs]))
            return float(self._flatten(parts)[i])

    def __reduce__(self) -> Any:  # pickled by name: rules are code, not data
        if self.params:
            return (_family_op, (self.family, *self.params))
        return (_op_by_name, (self.name,))

    # --- running the rules on floats ------------------------------------------------------
    def eval(self, *xs: Any) -> float:
        """The forward on floats (flat inputs), with the domain checked; errors name the op."""
        parts = self.layout.split(xs) if self.layout.nary else xs
        for d in self.domain:
            if d.bad(FLOATS, *parts):
                raise d.error(f"{self.title}: {d.message(*parts)}")
        try:
            return self.forward(FLOATS, *parts)
        except (OverflowError, ZeroDivisionError) as exc:
            shown = ", ".join(repr(x) for x in xs)
            raise type(exc)(f"{self.title}: '{self.name}' of {shown} overflows the float "
                            f"range ({exc})") from None

    def local(self, out: float, *xs: float) -> Sequence[float]:
        """The local derivatives on floats, one per input (flat), following IEEE arithmetic
        where the plain float rule raises (±inf and NaN, as PyTorch)."""
        return self.local_flat(out, xs)

    def local_flat(self, out: float, xs: Sequence[float]) -> Sequence[float]:
        """``local`` with the inputs as one sequence (the backward pass's n-ary path)."""
        try:
            return self._flatten(self.partials(FLOATS, out, *self._split(xs)))
        except ArithmeticError:
            ieee = [IEEE(x) for x in xs]
            parts = self.partials(IEEE_FLOATS, IEEE(out), *self._split(ieee))
            return [float(p) for p in self._flatten(parts)]

    def split(self, inputs: Sequence[Any]) -> Sequence[Any]:
        """Flat inputs as the rules take them (each head, then each run as a sequence)."""
        return self._split(inputs)

    def flat(self, parts: Sequence[Any]) -> list[Any]:
        """What a rule returned per operand, flat: one entry per input."""
        return list(self._flatten(parts))

    # --- formulas -------------------------------------------------------------------------
    def formulas(self, out: str = "out", inputs: Sequence[str] | None = None) -> list[Symbol]:
        """Each local derivative as a formula in the given names (derived from ``partials``
        run on symbols). Default names: ``x`` for one input, ``a, b`` for two, and for
        n-ary ops one symbol per run element."""
        if inputs is None:
            inputs = _default_names(self)
        syms = [symbol(n) for n in inputs]
        return [_as_symbol(p) for p in
                self.flat(self.partials(SYMBOLS, symbol(out), *self._split(syms)))]

    def _symbolic(self) -> list[Any]:
        """The formulas that decide ``unit`` (``CustomOp`` tolerates rules that cannot run
        on symbols)."""
        return self.formulas()



def check_layout(layout: Any, who: str) -> Layout:
    """``layout`` as a ``Layout``: one, or a positive int (the number of inputs)."""
    if isinstance(layout, Layout):
        return layout
    return Layout(_args.integer(layout, who, "layout", 1, "a Layout or a positive int (the "
                                "number of inputs)"))


def _check_fields(who: str, fields: dict[str, Any]) -> None:
    """Refuse an ``Op`` field of the wrong kind, naming it (``fields``: ``Op.__init__``'s
    arguments; fields this does not know are left to ``Op`` itself)."""
    name = fields["name"]
    if not isinstance(name, str):
        raise _args.type_error(who, "name", "a non-empty str", name)
    if not name:
        raise _args.value_error(who, "name", "a non-empty str", name)
    for rule in ("forward", "partials"):
        _args.function(fields[rule], who, rule, "callable (a rule such as lambda m, x: ...)")
    lay = check_layout(fields["layout"], who)
    domain = _args.sequence(fields["domain"], who, "domain", "a list of Domain")
    for i, d in enumerate(domain):
        if not isinstance(d, Domain):
            raise _args.type_error(who, f"domain[{i}]", "a Domain", d)
    for key in ("method", "family", "title"):
        if fields[key] is not None and not isinstance(fields[key], str):
            raise _args.type_error(who, key, "a str or None", fields[key])
    if fields["method"] is not None and not fields["method"].isidentifier():
        raise _args.value_error(who, "method", "a Python name (the Value method)",
                                fields["method"])
    if not isinstance(fields["doc"], str):
        raise _args.type_error(who, "doc", "a str", fields["doc"])
    n_slots = lay.heads + lay.runs
    for key in ("masks", "quotients"):
        flags = fields[key]
        if isinstance(flags, tuple):
            if len(flags) != n_slots:
                raise _args.value_error(who, key, f"a bool or a tuple of {n_slots} bools (one "
                                        "per operand)", flags)
            for i, f in enumerate(flags):
                _args.flag(f, who, f"{key}[{i}]")
        else:
            _args.flag(flags, who, key)
    for key in ("smooth", "overflows"):
        _args.flag(fields[key], who, key)
    kinks = _args.sequence(fields["kinks"], who, "kinks", "a list of numbers")
    for i, k in enumerate(kinks):
        _args.real(k, who, f"kinks[{i}]")
    sample = _args.sequence(fields["sample"], who, "sample", "a list of (lo, hi) ranges")
    if not sample:
        raise _args.value_error(who, "sample", "a non-empty list of (lo, hi) ranges", sample)
    for i, pair in enumerate(sample):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise _args.type_error(who, f"sample[{i}]", "a pair (lo, hi)", pair)
        lo = _args.finite(pair[0], who, f"sample[{i}][0]")
        hi = _args.finite(pair[1], who, f"sample[{i}][1]")
        if not lo < hi:
            raise _args.value_error(who, f"sample[{i}]", "a range (lo, hi) with lo < hi", pair)
    params = fields["params"]
    if not isinstance(params, tuple):
        raise _args.type_error(who, "params", "a tuple of numbers", params)
    for i, c in enumerate(params):
        _args.real(c, who, f"params[{i}]")


def _fast_layout(lay: Layout) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``split`` and ``flatten`` for a layout, written out for the common ones (they run
    once per n-ary node in every backward pass)."""
    if not lay.nary:
        return (lambda xs: xs), (lambda parts: parts)
    if (lay.heads, lay.runs) == (0, 1):
        return (lambda xs: (xs,)), (lambda parts: parts[0])

    if (lay.heads, lay.runs) == (1, 2):
        def split(xs: Sequence[Any]) -> tuple[Any, ...]:
            n = (len(xs) + 1) // 2
            return xs[0], xs[1:n], xs[n:]

        return split, (lambda parts: [parts[0], *parts[1], *parts[2]])
    return lay.split, lay.flatten


def _as_symbol(p: Any) -> Symbol:
    return p if isinstance(p, Symbol) else Symbol("num", (), float(p))


def _default_names(op: Op) -> list[str]:
    lay = op.layout
    if not lay.nary:
        return ["x"] if lay.heads == 1 else ["a", "b", "c"][:lay.heads]
    heads = ["start"] if lay.heads == 1 else [f"h{i}" for i in range(lay.heads)]
    letters = "x" if lay.runs == 1 else "ab"
    return heads + [f"{letters[k]}{i}" for k in range(lay.runs) for i in (1, 2)]


def _op_by_name(name: str) -> Op:
    return OPS[name]


def _family_op(family: str, *params: float) -> Op:
    return FAMILIES[family](*params)


# --- domains ------------------------------------------------------------------------------

def _bad_divisor(m: Any, a: Any, b: Any) -> Any:
    return b == 0.0


def _positive_required(m: Any, x: Any) -> Any:
    return x <= 0.0


_LOG_DOMAIN = Domain(_positive_required, ValueError,
                     lambda x: f"input must be positive, got {x!r}", loud=True)
# sin and cos of ±inf are NaN in IEEE arithmetic and a domain error for Python's math:
# refused on every path, naming the op (PyTorch returns NaN)
_FINITE_DOMAIN = Domain(lambda m, x: (x == math.inf) | (x == -math.inf), ValueError,
                        lambda x: f"input must be finite, got {x!r}", loud=True)
_EXP_MAX = 709.782712893384  # the largest x with a finite exp(x)


# --- the ops ------------------------------------------------------------------------------

ADD = Op("+", lambda m, a, b: a + b, lambda m, out, a, b: (1.0, 1.0), layout=2,
         sample=((-100, 100), (-100, 100)), doc="a + b")
SUB = Op("-", lambda m, a, b: a - b, lambda m, out, a, b: (1.0, -1.0), layout=2,
         sample=((-100, 100), (-100, 100)), doc="a − b")
MUL = Op("*", lambda m, a, b: a * b, lambda m, out, a, b: (b, a), layout=2,
         sample=((-100, 100), (-100, 100)), doc="a · b")
DIV = Op("/", lambda m, a, b: a / b, lambda m, out, a, b: (1.0 / b, -out / b), layout=2,
         title="div", quotients=True, vjp=lambda m, g, out, a, b: (g / b, -(g / b) * out),
         domain=[Domain(_bad_divisor, ZeroDivisionError,
                        lambda a, b: f"division by zero ({a!r} / {b!r})", loud=True)],
         sample=((-100, 100), (0.1, 100)), doc="a / b; ZeroDivisionError for b = 0")
NEG = Op("neg", lambda m, x: -x, lambda m, out, x: (-1.0,), sample=((-100, 100),), doc="−x")
POW = Op(
    "**", lambda m, a, b: a**b,
    # d/da = b·a^(b−1), written b·out/a (a > 0): exactly 0 where b = 0 even if 1/a is inf,
    # and its own derivative there is b′/a (a mask where(b = 0, 0, …) would drop it)
    lambda m, out, a, b: (b * out / a, out * m.log(a)), layout=2,
    title="pow", masks=(True, False),
    domain=[Domain(lambda m, a, b: a <= 0.0, ValueError,
                   lambda a, b: f"base {a!r} must be positive when the exponent is a Value: "
                   "d(a**b)/db = a**b·log(a) is real only for a > 0 (for a constant "
                   "exponent, write x ** 2)")],
    overflows=True, sample=((0.1, 10), (-3, 3)), doc="a ** b for a Value exponent b, a > 0",
)
EXP = Op("exp", lambda m, x: m.exp(x), lambda m, out, x: (out,), method="exp",
         domain=[Domain(lambda m, x: (x > _EXP_MAX) & (x < math.inf), OverflowError,
                        lambda x: f"exp({x!r}) overflows the float range (x > 709.78)",
                        loud=True)],
         overflows=True, sample=((-20, 20),), doc="e^x; OverflowError above x ≈ 709.78")
LOG = Op("log", lambda m, x: m.log(x), lambda m, out, x: (1.0 / x,), method="log",
         quotients=True, vjp=lambda m, g, out, x: (g / x,),
         domain=[_LOG_DOMAIN], sample=((0.01, 1000),), doc="natural log; ValueError for x ≤ 0")
SQRT = Op("sqrt", lambda m, x: m.sqrt(x), lambda m, out, x: (0.5 / out,), method="sqrt",
          quotients=True,
          domain=[Domain(lambda m, x: x < 0.0, ValueError,
                         lambda x: f"input must be ≥ 0, got {x!r}", loud=True)],
          sample=((0.01, 100),), doc="√x; ValueError for x < 0; derivative 1/(2√x), inf at 0")
TANH = Op("tanh", lambda m, x: m.tanh(x), lambda m, out, x: (1.0 - out * out,),
          method="tanh", sample=((-20, 20),), doc="tanh(x); derivative 1 − tanh²(x)")
SIGMOID = Op("sigmoid", lambda m, x: m.sigmoid(x), lambda m, out, x: (out * (1.0 - out),),
             method="sigmoid", sample=((-30, 30),),
             doc="σ(x) = 1/(1 + e^−x), computed without overflow; derivative σ(1 − σ)")
RELU = Op("relu", lambda m, x: m.where(x <= 0.0, 0.0, x),
          lambda m, out, x: (m.where(x <= 0.0, 0.0, 1.0),), method="relu", masks=True,
          smooth=False, kinks=(0.0,), sample=((-100, 100),),
          doc="max(x, 0) (NaN stays NaN); derivative 1 for x > 0, else 0")
SIN = Op("sin", lambda m, x: m.sin(x), lambda m, out, x: (m.cos(x),), method="sin",
         domain=[_FINITE_DOMAIN], sample=((-10, 10),), doc="sin(x); derivative cos(x)")
COS = Op("cos", lambda m, x: m.cos(x), lambda m, out, x: (-m.sin(x),), method="cos",
         domain=[_FINITE_DOMAIN], sample=((-10, 10),), doc="cos(x); derivative −sin(x)")
ABS = Op("abs", lambda m, x: m.abs(x), lambda m, out, x: (m.sign(x),), method="abs",
         smooth=False, kinks=(0.0,), sample=((-100, 100),),
         doc="|x|; derivative sign(x) (0 at 0, as PyTorch)")
SOFTPLUS = Op(
    "softplus",
    # log(1 + e^x) = max(x, 0) + log1p(e^−|x|), never overflowing; x above 20 gives x
    # itself, as PyTorch's softplus (threshold 20)
    lambda m, x: m.where(x > 20.0, x, m.where(x >= 0.0, x, 0.0) + m.log1p(m.exp(-m.abs(x)))),
    lambda m, out, x: (m.where(x > 20.0, 1.0, m.sigmoid(x)),),
    method="softplus", sample=((-30, 19),),
    doc="log(1 + e^x) (x itself above 20, as PyTorch); derivative σ(x)",
)

# n-ary ops: one node for any number of inputs
SUM = Op("sum", lambda m, xs: m.total(xs), lambda m, out, xs: (m.ones(xs),),
         layout=Layout(0, 1), sample=((-100, 100),), doc="Σ x_i")
DOT = Op("dot", lambda m, start, a, b: start + m.dot(a, b),
         lambda m, out, start, a, b: (1.0, b, a), layout=Layout(1, 2),
         sample=((-10, 10), (-10, 10), (-10, 10)), doc="start + Σ a_i·b_i (a neuron)")
MAX = Op("max", lambda m, xs: m.largest(xs), lambda m, out, xs: (m.tie_share(xs, out),),
         layout=Layout(0, 1), masks=True, smooth=False, sample=((-100, 100),),
         doc="max_i x_i; the gradient goes to the largest, split evenly between ties "
             "(as torch.max); NaN if any x_i is NaN")
MIN = Op("min", lambda m, xs: m.smallest(xs), lambda m, out, xs: (m.tie_share(xs, out),),
         layout=Layout(0, 1), masks=True, smooth=False, sample=((-100, 100),),
         doc="min_i x_i; the gradient goes to the smallest, split evenly between ties")
LOGSUMEXP = Op("logsumexp", lambda m, xs: m.logsumexp(xs),
               lambda m, out, xs: (m.softmax(xs, out),), layout=Layout(0, 1),
               sample=((-30, 30),),
               doc="log Σ e^x_i, as c + log Σ e^(x_i − c) with c = max x_i (no overflow); "
                   "derivative softmax_i = e^(x_i − out)")


# --- parametrized ops: one Op per parameter value, made on demand -------------------------

@lru_cache(maxsize=512)
def pow_const(c: float) -> Op:
    """The op ``x ** c`` for a constant exponent ``c``. Its derivative c·x^(c−1) is 0 for
    c = 0 at any x (PyTorch's convention), ±inf where x^(c−1) overflows."""
    domain = [Domain(lambda m, x: (x < 0.0) & (c != int(c)), ValueError,
                     lambda x: f"negative base {x!r} with non-integer exponent {c!r}",
                     loud=c > 0)]  # (−inf) ** −0.5 is 0.0: not loud for c < 0
    if c < 0:
        domain.append(Domain(lambda m, x: x == 0.0, ZeroDivisionError,
                             lambda x: f"{x!r} ** {c!r} (zero to a negative power)",
                             loud=True))
    if c == 0:  # d(x**0)/dx = 0 everywhere, with no 0·inf at x = 0
        partials: Rule = lambda m, out, x: (0.0,)  # noqa: E731
    elif c == 0.5:  # 0.5·x^−½ as PyTorch computes it (1/√x keeps the sign of −0.0)
        partials = lambda m, out, x: (0.5 / m.sqrt(x),)  # noqa: E731
    elif c < 0:  # c·out/x: x^(c−1) alone can overflow where c·x^(c−1) does not (x ≠ 0 here)
        partials = lambda m, out, x: (c * out / x,)  # noqa: E731
    else:
        partials = lambda m, out, x: (c * x ** (c - 1),)  # noqa: E731
    lo = 0.01 if c != int(c) or c < 0 else -20.0
    return Op(f"**{c:g}", lambda m, x: x**c, partials, domain=domain, overflows=True,
              masks=c == 0,
              sample=((lo, 20.0),), params=(c,), family="**c", title="pow",
              doc=f"x ** {c:g}; derivative {c:g}·x^{c - 1:g}")


@lru_cache(maxsize=512)
def leaky_relu(slope: float) -> Op:
    """The op ``x if x > 0 else slope·x``."""
    return Op(f"leaky_relu({slope:g})", lambda m, x: m.where(x > 0.0, x, slope * x),
              lambda m, out, x: (m.where(x > 0.0, 1.0, slope),), method="leaky_relu",
              smooth=False, kinks=(0.0,), sample=((-100, 100),), params=(slope,),
              family="leaky_relu", doc=f"x for x > 0, else {slope:g}·x")


@dataclass(frozen=True)
class Family:
    """A parametrized op: ``make(param)`` gives the op; ``examples`` are parameters the
    test suite runs; ``default`` is the method's default parameter (None: required)."""

    make: Callable[[float], Op]
    examples: tuple[float, ...]
    method: str | None = None
    default: float | None = None

    def __call__(self, param: float) -> Op:
        return self.make(_args.real(param, self.make.__name__, "param"))


#: Every fixed op by name.
OPS: dict[str, Op] = {op.name: op for op in (
    ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS, ABS,
    SOFTPLUS, SUM, DOT, MAX, MIN, LOGSUMEXP)}

#: Every parametrized op family by name.
FAMILIES: dict[str, Family] = {
    "**c": Family(pow_const, (2.0, 3.0, 0.5, -1.0, 0.0, 1.0, 2.5, -0.5)),
    "leaky_relu": Family(leaky_relu, (0.01, 0.2, 0.0), method="leaky_relu", default=0.01),
}


def all_ops() -> list[Op]:
    """Every fixed op and one op per example parameter of each family: what tests run."""
    return [*OPS.values(), *(f(p) for f in FAMILIES.values() for p in f.examples)]


@cache
def function_op(f: MathsFunction) -> Op:
    """The op that applies maths function ``f`` to a Value: the table's op whose ``method``
    is ``f``'s name (``Value.exp`` for ``exp``), else one made from ``f.derivative`` (what
    ``create_graph`` records where a rule calls ``m.log1p`` or a user's function)."""
    for op in OPS.values():
        if op.method == f.name and op.arity == 1:
            return op
    if f.derivative is None:
        raise MissingInterpretation(
            f"maths function {f.name!r} is not differentiable on Values: it has no op of "
            "its own and no derivative= in its declaration")
    derivative = f.derivative
    return Op(f.name, lambda m, x: getattr(m, f.name)(x),
              lambda m, out, x: (derivative(m, x),), title=f.name,
              doc=f"{f.name}(x), a declared maths function")
