"""Checking (a wing on the core): gradients against references computed without any
derivative rule, and the property suite for one op.

* ``gradients.py``  ``gradcheck``, its report, and ``find_culprit`` (the guilty op);
* ``references.py`` the references: complex step, Richardson, central differences;
* ``rounding.py``   the tolerances: how far a gradient may round (``rounding_bounds``);
* ``op_check.py``   ``check_op``: the property suite for one op (``sample_inputs``).

``custom_op`` and ``CustomOp`` live in the core (``autograd.core.extend``, the extension
API); they are re-exported here, where they were first.
"""

from ..core.extend import CustomOp, custom_op
from .gradients import (
    METHODS,
    Culprit,
    GradcheckError,
    GradcheckReport,
    find_culprit,
    gradcheck,
    gradcheck_report,
)
from .op_check import check_op, sample_inputs
from .references import complex_step_gradient, numerical_gradient, richardson

__all__ = ["gradcheck", "gradcheck_report", "numerical_gradient", "complex_step_gradient",
           "richardson", "GradcheckError", "GradcheckReport", "Culprit", "find_culprit",
           "custom_op", "CustomOp", "check_op", "sample_inputs", "METHODS"]
