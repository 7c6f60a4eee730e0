"""Checking (a wing on the core): gradients against references computed without any
derivative rule, and the property suite for one op."""

from .gradients import *  # noqa: F403
from .gradients import __all__  # noqa: F401
