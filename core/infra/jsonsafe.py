"""Decoded JSON made safe to store and send back: non-finite floats become null and nesting is bounded."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from core.infra.errors import ServiceError

# Deeper JSON than this is refused, so that encoding a response can never hit Python's recursion limit.
MAX_JSON_DEPTH = 64


def finite_json(value: Any) -> Any:
    """Replace NaN and ±inf anywhere inside `value` by None, in place; return `value`.

    Walks iteratively so that deep input cannot exhaust the interpreter stack; nesting deeper than
    MAX_JSON_DEPTH is a 400.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        entries: Iterable[tuple[Any, Any]]
        if isinstance(node, dict):
            entries = node.items()
        elif isinstance(node, list):
            entries = enumerate(node)
        else:
            continue
        if depth >= MAX_JSON_DEPTH:
            raise ServiceError(400, "Payload nested too deeply")
        for key, child in entries:
            if isinstance(child, float):
                if not math.isfinite(child):
                    node[key] = None
            elif isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return value


def finite_copy(value: Any) -> Any:
    """A JSON-safe copy for error bodies: non-finite floats become their repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {key: finite_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_copy(item) for item in value]
    return value
