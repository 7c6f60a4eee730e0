"""Extending the engine (the core, layer 2): the public extension API in one place.

* ``function(name, floats, ...)`` declares a maths function (``autograd.rules.maths``): from
  then on rules may call ``m.<name>`` in every maths namespace;
* ``custom_op(name, forward, partials, ...)`` makes an op from rules written against that
  namespace, as the op table's (``autograd.rules.ops``); it applies like a function.

``from autograd.core.extend import custom_op, function``. The checking wing
(``autograd.check.check_op``) checks a new op's rules against its forward.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .. import arguments as _args
from ..rules.maths import function
from ..rules.ops import Op, check_layout
from .value import Value, apply

__all__ = ["custom_op", "CustomOp", "function"]


class CustomOp(Op):
    """An ``Op`` made by ``custom_op``: call it (``op(x, y)``) to apply it."""

    def __call__(self, *inputs: Any) -> Value:
        return apply(self, *inputs)

    def __reduce__(self) -> Any:
        raise TypeError(f"custom op {self.name!r} cannot be pickled by name: its rules are "
                        "code defined outside the op table")

    def _symbolic(self) -> list[Any]:
        try:
            return super()._symbolic()
        except Exception:  # rules that cannot run on symbols: no formulas, no unit shortcut
            return []


def custom_op(name: str, forward: Callable[..., Any], partials: Callable[..., Any],
              **op_fields: Any) -> CustomOp:
    """A user's op from its rules, written against the maths namespace ``m`` as in
    ``ops.py``: ``forward(m, *operands)`` and ``partials(m, out, *operands)`` (a tuple, one
    derivative per input). ``op_fields`` are ``Op``'s keyword fields (``layout``, ``domain``,
    ``smooth``, ``kinks``, ``sample``, ``doc``, ...); without ``layout`` the arity is read
    from ``forward``'s signature. The result applies with ``op(x, y)`` or
    ``apply(op, x, y)``; check its rules with ``check_op(op)``."""
    if not isinstance(name, str):
        raise _args.type_error("custom_op", "name", "a non-empty str", name)
    if not name:
        raise _args.value_error("custom_op", "name", "a non-empty str", name)
    for what, rule in (("forward", forward), ("partials", partials)):
        _args.function(rule, "custom_op", what, "callable (a rule such as lambda m, x: ...)")
    fields = [p for p in inspect.signature(Op.__init__).parameters
              if p not in ("self", "name", "forward", "partials")]
    for key in op_fields:
        if key not in fields:
            raise TypeError(f"custom_op: unknown field {key!r}; Op's fields are "
                            f"{', '.join(fields)}")
    if "layout" not in op_fields:
        params = list(inspect.signature(forward).parameters.values())
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params) or len(params) < 2:
            raise TypeError(f"custom_op {name!r}: give layout= (forward's arity cannot be "
                            "read from its signature)")
        op_fields["layout"] = len(params) - 1
    lay = check_layout(op_fields["layout"], "custom_op")
    if "sample" not in op_fields:
        op_fields["sample"] = ((-10.0, 10.0),) * (lay.heads + lay.runs)
    op_fields.setdefault("doc", f"custom op {name}")
    return CustomOp(name, forward, partials, **op_fields)
