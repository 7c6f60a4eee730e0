"""``assert_engine_passes``: a course's CI grades each learner's engine with one assertion.

A ``conftest.py`` for a course whose learners write ``engine.py`` with a ``Value`` class::

    import pytest
    from autograd.tutor.pytest_plugin import assert_engine_passes

    @pytest.fixture
    def grade():
        return assert_engine_passes

and a test::

    from engine import Value

    def test_my_engine(grade):
        grade(Value)

The assertion's message is the whole report: every behaviour, the smallest failing example
and the misconception it matches. Hypothesis must be installed (``pip install hypothesis``).
"""

from __future__ import annotations

from .grade import Grade, grade_engine

__all__ = ["assert_engine_passes"]


def assert_engine_passes(ValueClass: type, allow_warnings: bool = True,
                         max_examples: int = 100, seed: int | None = None) -> Grade:
    """Grade ``ValueClass`` (see ``grade_engine``) and raise an AssertionError carrying the
    report if a behaviour failed (or, with ``allow_warnings=False``, warned: a deep chain
    that exceeds the recursion limit, a ``backward()`` that resets gradients). Behaviours
    the class does not offer are not tested and do not fail. Returns the grade."""
    grade = grade_engine(ValueClass, max_examples=max_examples, seed=seed)
    failed = grade.with_status("failed")
    if not allow_warnings:
        failed += grade.with_status("warning")
    if failed:
        raise AssertionError(f"the engine fails {', '.join(failed)}\n{grade}")
    return grade
