"""Maths functions are declared once (``autograd.rules.maths.function``) and every maths namespace
interprets each one, or fails naming the function and itself: never by falling back."""

from __future__ import annotations

import cmath
import math

import pytest

from autograd import Value, grad_of
from autograd.check import GradcheckError, check_op, custom_op, gradcheck
from autograd.check.rounding import MAGNITUDES
from autograd.core.functions import VALUES
from autograd.rules.maths import (
    ARRAYS,
    COMPLEX,
    FLOATS,
    FUNCTIONS,
    IEEE_FLOATS,
    STRUCTURE,
    TABLE_FUNCTIONS,
    CStep,
    MissingInterpretation,
    Namespace,
    function,
)
from autograd.rules.symbolic import SYMBOLS

from support import need


def namespaces() -> list[Namespace]:
    out: list[Namespace] = [FLOATS, IEEE_FLOATS, VALUES, COMPLEX, SYMBOLS, MAGNITUDES]
    need("numpy")
    out.append(ARRAYS())
    need("torch")
    from autograd.compiler.backends.torch_backend import TorchArrays

    out.append(TorchArrays(None, "cpu"))
    return out


def test_every_namespace_has_every_function_and_structure():
    for ns in namespaces():
        for name in (*TABLE_FUNCTIONS, *STRUCTURE):
            assert callable(getattr(ns, name)), (ns, name)


def test_a_users_function_is_interpreted_or_refused_by_name_in_every_namespace():
    for ns in namespaces():
        for name in set(FUNCTIONS) - set(TABLE_FUNCTIONS):
            try:
                assert callable(getattr(ns, name))
            except MissingInterpretation as e:
                assert repr(name) in str(e), (ns, name, e)


def test_a_function_the_namespace_cannot_interpret_is_an_error_naming_both():
    with pytest.raises(AttributeError, match="maths namespace 'floats' has no function 'atan'"):
        FLOATS.atan  # noqa: B018

    class Bare(Namespace):
        name = "bare"

    with pytest.raises(MissingInterpretation, match="'bare' cannot interpret function 'exp'"):
        Bare().exp  # noqa: B018


def test_the_builtin_functions_agree_across_interpreters():
    np = need("numpy")
    for name, f in FUNCTIONS.items():
        for x in (0.3, 1.7):
            want = f.floats(x)
            assert getattr(IEEE_FLOATS, name)(x) == want
            assert getattr(ARRAYS(), name)(np.array([x]))[0] == pytest.approx(want, rel=1e-15)
            if f.complex is not None:
                z = getattr(COMPLEX, name)(CStep(complex(x, 0.0)))
                assert complex(z).real == pytest.approx(float(want), rel=1e-15) if not \
                    f.constant else z == want


# --- a user's own function, used in a custom op --------------------------------------------

ERF = function("erf", math.erf, derivative=lambda m, x: 2.0 / math.sqrt(math.pi) * m.exp(-x * x))
ERF_OP = custom_op("erf_op", lambda m, x: m.erf(x),
                   lambda m, out, x: (2.0 / math.sqrt(math.pi) * m.exp(-x * x),),
                   sample=((-2.0, 2.0),))


def test_a_declared_function_works_in_a_custom_op_on_every_path():
    x = Value(0.5)
    y = ERF_OP(x)
    y.backward()
    assert y.data == math.erf(0.5)
    assert x.grad == pytest.approx(2 / math.sqrt(math.pi) * math.exp(-0.25), rel=1e-15)
    # second order through the rule's m.exp on Values: d²erf/dx² = −2x·erf′(x)
    (g,) = grad_of(y, [x], create_graph=True)
    (h,) = grad_of(g, [x])
    assert h == pytest.approx(-2 * 0.5 * 2 / math.sqrt(math.pi) * math.exp(-0.25), rel=1e-14)
    # erf itself on Values, through the op made from its declared derivative
    (d,) = grad_of(VALUES.erf(x), [x])
    assert d == pytest.approx(2 / math.sqrt(math.pi) * math.exp(-0.25), rel=1e-15)


def test_check_op_passes_on_the_declared_function():
    need("numpy")
    assert check_op(ERF_OP, max_examples=10)


def test_a_function_without_a_complex_version_is_checked_by_richardson():
    # erf has no complex= : gradcheck cannot take a complex step and says so by its method
    from autograd.check import gradcheck_report

    report = gradcheck_report(lambda a: ERF_OP(a) * a, [0.7])
    assert report.passed and report.method == "richardson"


def test_a_function_without_a_derivative_fails_naming_it_on_values():
    function("erfc_plain", math.erfc)
    op = custom_op("erfc_op", lambda m, x: m.erfc_plain(x),
                   lambda m, out, x: (-2.0 / math.sqrt(math.pi) * m.exp(-x * x),))
    x = Value(0.3)
    ERF_OP(x).backward()  # fine; erfc_op's own rule never calls erfc_plain on Values
    assert op(x).data == math.erfc(0.3)
    with pytest.raises(MissingInterpretation, match="'erfc_plain' is not differentiable"):
        VALUES.erfc_plain(x)
    with pytest.raises(MissingInterpretation, match="'erfc_plain' has no complex"):
        COMPLEX.erfc_plain(CStep(0.3))


def test_a_wrong_declaration_is_refused_at_the_call():
    with pytest.raises(ValueError, match="declared already"):
        function("exp", math.exp)
    with pytest.raises(ValueError, match="new identifier"):
        function("not a name", math.exp)
    with pytest.raises(TypeError, match="floats must be callable"):
        function("nothing", 3.0)  # type: ignore[arg-type]


def test_gradcheck_of_a_wrong_rule_through_a_declared_function_is_caught():
    wrong = custom_op("erf_wrong", lambda m, x: m.erf(x),
                      lambda m, out, x: (2.0 / math.sqrt(math.pi) * m.exp(-x * x) * 1.001,))
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: wrong(a), [0.4])
    assert cmath.isfinite(1.0)


def test_check_op_names_the_op_and_the_interpreter_a_rule_cannot_run_on():
    need("numpy")
    raw = custom_op("erf_raw", lambda m, x: math.erf(x),
                    lambda m, out, x: (2.0 / math.sqrt(math.pi) * m.exp(-x * x),),
                    sample=((-2.0, 2.0),))
    with pytest.raises(GradcheckError, match="op 'erf_raw' does not run on NumPy arrays.*"
                                             "autograd.core.extend.function"):
        check_op(raw, max_examples=3)
