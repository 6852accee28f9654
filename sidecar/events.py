"""How a miner event reads in the log pane (sidecar.md §5): pure functions over one event dict."""

from __future__ import annotations

import json
from typing import Any


def as_int(value: Any) -> int:
    """Worker ids and iterations that are not integers count as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def as_number(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def event_type(event: dict) -> str:
    """The event's `type`; absent or null means `log`, any non-string is an unknown type."""
    kind = event.get("type")
    if kind is None:
        return "log"
    return kind if isinstance(kind, str) else "unknown"


def log_line(event: dict) -> tuple[str, str]:
    """The display text of `event` and its level (`info` or `error`)."""
    format_line = _LINE_FORMATS.get(event_type(event), _message_or_event)
    return format_line(event)


def _message_or_event(event: dict) -> tuple[str, str]:
    message = event.get("message")
    return (str(message) if message is not None else _as_text(event)), "info"


def _as_text(event: dict) -> str:
    return json.dumps(event, separators=(",", ":"), default=str)


def _log(event: dict) -> tuple[str, str]:
    text, _ = _message_or_event(event)
    return text, "error" if event.get("level") == "error" else "info"


def _progress(event: dict) -> tuple[str, str]:
    parts = [f"[w{as_int(event.get('worker_id'))}] Iter {as_int(event.get('iteration')):04d}:"]
    for name in ("engine_best", "pop_best"):
        value = as_number(event.get(name))
        if value is not None:
            parts.append(f"{name}={value:.4f}")
    rate = as_number(event.get("rate"))
    if rate is not None:
        parts.append(f"rate={rate:.2f}")
    return " ".join(parts), "info"


def _candidate(event: dict) -> tuple[str, str]:
    score = as_number(event.get("validator_score"))
    shown = f"{score:.6f}" if score is not None else "null"
    worker, iteration = as_int(event.get("worker_id")), as_int(event.get("iteration"))
    return f"[candidate] w{worker} iter {iteration}: verified_score={shown}", "info"


def _population(event: dict) -> tuple[str, str]:
    population = event.get("population")
    size = len(population) if isinstance(population, list) else 0
    worker, iteration = as_int(event.get("worker_id")), as_int(event.get("iteration"))
    return f"[population] w{worker} iter {iteration}: pop_size={size}", "info"


def _done(event: dict) -> tuple[str, str]:
    if event.get("worker_id") is None:
        return "[coord] done", "info"
    return f"[w{as_int(event['worker_id'])}] done", "info"


def _error(event: dict) -> tuple[str, str]:
    detail = event.get("traceback") or event.get("message") or _as_text(event)
    return f"[error] {detail}", "error"


_LINE_FORMATS = {
    "log": _log,
    "progress": _progress,
    "candidate": _candidate,
    "population": _population,
    "done": _done,
    "error": _error,
}
