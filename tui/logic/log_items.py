"""Display lines for the logs pane (tui.md §6 step 3, §12.4): sidecar log items to text plus a style."""

from __future__ import annotations

import re
from typing import NamedTuple

WORKER_PROGRESS = re.compile(r"^\[w\d+\] Iter ")
STYLE_PREFIXES = (("[error]", "error"), ("ERROR", "error"), ("[candidate]", "candidate"),
                  ("[submit", "submit"), ("[pool]", "pool"))


class LogLine(NamedTuple):
    text: str
    style: str  # "", "error", "candidate", "submit", "pool" or "progress"


def style_of(text: str) -> str:
    for prefix, style in STYLE_PREFIXES:
        if text.startswith(prefix):
            return style
    if WORKER_PROGRESS.match(text):
        return "progress"
    return ""


def line(text: str) -> LogLine:
    return LogLine(text, style_of(text))


def _number(value) -> str:
    return "-" if value is None else f"{float(value):.6f}"


def item_text(item: dict) -> str:
    """The display text of one sidecar log item."""
    if item.get("type") == "submission_result":
        return f"[submit-result] status={item.get('status')} score={_number(item.get('score'))}"
    message = item.get("message")
    return str(message) if message is not None else str(item)


def page_lines(items: list[dict], skipped: int = 0) -> list[LogLine]:
    """Lines for one `/logs` page, with a notice first when the sidecar evicted lines we never saw."""
    lines = [line(f"… {skipped} lines dropped")] if skipped > 0 else []
    return lines + [line(item_text(item)) for item in items]
