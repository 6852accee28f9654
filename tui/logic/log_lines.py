"""What the log pane shows (tui.md §6 step 3, §12.4): one display line per sidecar log item or miner
event, and the style its prefix gives it.

Miner events read exactly as the sidecar renders them (`sidecar.events.log_line`), so a line looks the
same whether it came through `/logs` or straight from a miner (the profiling harness).
"""

from __future__ import annotations

from typing import Any

from sidecar.events import log_line

# prefix -> style name of §12.4; the first matching prefix wins
PREFIX_STYLES = (
    ("[error]", "error"),
    ("[candidate]", "candidate"),
    ("[submit", "submit"),
    ("[pool]", "pool"),
    ("[w", "progress"),
)


def event_line(event: dict) -> str:
    """The display text of a miner event."""
    return log_line(event)[0]


def item_line(item: dict) -> str:
    """The display text of a `/logs` item: its `message`, or `[submit-result] …` for submission results."""
    if item.get("type") == "submission_result":
        return f"[submit-result] status={item.get('status')} score={_score(item.get('score'))}"
    message = item.get("message")
    return str(message) if message is not None else event_line(item)


def dropped_line(skipped: int) -> str:
    """The line standing for log items the sidecar evicted before the TUI read them."""
    return f"… {skipped} lines dropped"


def page_lines(items: list[dict], skipped: int = 0) -> list[str]:
    """All lines of one `/logs` page, the dropped-lines notice first."""
    lines = [dropped_line(skipped)] if skipped > 0 else []
    lines.extend(item_line(item) for item in items)
    return lines


def line_style(line: str) -> str | None:
    """`error`, `candidate`, `submit`, `pool` or `progress` by the line's prefix; None for plain lines."""
    for prefix, style in PREFIX_STYLES:
        if line.startswith(prefix):
            return style
    return None


def _score(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.6f}"
    return "-"
