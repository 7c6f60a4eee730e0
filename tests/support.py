"""Helpers shared by the tests."""

import os


def in_ci() -> bool:
    """CI sets CI=true; there an optional tool that is missing is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
