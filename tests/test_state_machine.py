"""The engine's semantics as a Hypothesis state machine (``autograd.testing``): random
nodes, backward (repeated: gradients accumulate), zero_grad, detach, no_grad,
create_graph and an interrupted backward, against the complex step of the whole
expression; a machine with a wrong rule must fail."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from autograd.check import custom_op
from autograd.testing import EngineStateMachine

SMALL = settings(max_examples=20, stateful_step_count=30, deadline=None, derandomize=True,
                 database=None, suppress_health_check=list(HealthCheck))


def test_engine_state_machine():
    run_state_machine_as_test(EngineStateMachine, settings=SMALL)


CUBE = custom_op("cube", lambda m, x: x * x * x, lambda m, out, x: (3.0 * x * x,),
                 sample=((-3.0, 3.0),))


class WithCube(EngineStateMachine):
    ops = (*EngineStateMachine.ops, CUBE)


def test_users_extend_the_machine_with_their_ops():
    run_state_machine_as_test(WithCube, settings=SMALL)


# d(x³)/dx written as 3x²·(1 + 1e-6): the machine must notice
WRONG_CUBE = custom_op("cube", lambda m, x: x * x * x,
                       lambda m, out, x: (3.0 * x * x * (1 + 1e-6),), sample=((-3.0, 3.0),))


class WithWrongCube(EngineStateMachine):
    ops = (WRONG_CUBE, *EngineStateMachine.ops[:3])


def test_the_machine_catches_a_wrong_rule():
    no_shrinking = settings(SMALL, phases=[Phase.explicit, Phase.generate])
    with pytest.raises(AssertionError, match="the reference"):
        run_state_machine_as_test(WithWrongCube, settings=no_shrinking)
