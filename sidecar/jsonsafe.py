"""Make decoded JSON safe to store and send back: non-finite floats become null, nesting is bounded."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sidecar.caps import MAX_JSON_DEPTH
from sidecar.errors import ApiError


def finite_json(value: Any) -> Any:
    """Replace NaN and ±inf anywhere inside `value` by None, in place; return `value`.

    Walks iteratively so that deep input cannot exhaust the interpreter stack; refuses nesting deeper
    than MAX_JSON_DEPTH with a 400.
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
            raise ApiError(400, "Payload nested too deeply")
        for key, child in entries:
            if isinstance(child, float):
                if not math.isfinite(child):
                    node[key] = None
            elif isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return value
