"""Hypothesis strategies for property-testing code built on the engine (``strategies.py``)
and the engine's semantics as a state machine (``machine.py``).

``expressions()`` draws random expression graphs over the op table, with input values,
such that every op stays inside its domain and no value overflows::

    from hypothesis import given
    from autograd.check import gradcheck
    from autograd.testing import expressions

    @given(expressions())
    def test_gradients(expr):
        assert gradcheck(expr, expr.inputs)

Requires ``hypothesis`` (from a clone: ``pip install -e ".[test]"``).
"""

from .machine import EngineStateMachine
from .strategies import (
    OPS,
    SMOOTH_OPS,
    Expression,
    Network,
    check_expression,
    expressions,
    in_domain,
    networks,
    op_inputs,
    operand_count,
)

__all__ = ["Expression", "expressions", "OPS", "SMOOTH_OPS", "operand_count", "in_domain",
           "op_inputs", "check_expression", "Network", "networks", "EngineStateMachine"]
