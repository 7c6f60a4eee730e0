"""Checking (a wing on the core): gradients against references computed without any
derivative rule, and the property suite for one op."""

from .gradients import (
    METHODS,
    Culprit,
    CustomOp,
    GradcheckError,
    GradcheckReport,
    check_op,
    complex_step_gradient,
    custom_op,
    find_culprit,
    gradcheck,
    gradcheck_report,
    numerical_gradient,
    richardson,
    sample_inputs,
)

__all__ = ["gradcheck", "gradcheck_report", "numerical_gradient", "complex_step_gradient",
           "richardson", "GradcheckError", "GradcheckReport", "Culprit", "find_culprit",
           "custom_op", "CustomOp", "check_op", "sample_inputs", "METHODS"]
