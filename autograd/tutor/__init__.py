"""The tutor: check a learner's hand derivation step by step (``check_derivation``), name
the misconception behind a wrong backward rule (``diagnose``), and grade a learner's own
micrograd-style engine (``grade_engine``). A layer above the checks and the display: it
knows every local derivative, every path and every name the engine knows."""

from .derivation import DerivationReport, StepVerdict, check_derivation
from .diagnose import CATALOGUE, Diagnosis, Mistake, diagnose
from .grade import Grade, grade_engine

__all__ = ["check_derivation", "DerivationReport", "StepVerdict", "diagnose", "Diagnosis",
           "Mistake", "CATALOGUE", "grade_engine", "Grade"]
