"""Compile (a wing on the core): a traced graph replayed over batches by a backend."""

from .program import GroupPlan, Plan, Program, compile

__all__ = ["compile", "Program", "Plan", "GroupPlan"]
