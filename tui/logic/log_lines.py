"""What the log pane shows (tui.md §6 step 3, §12.4): one display line per sidecar log item or miner
event, and the style its prefix gives it.

Miner events read exactly as the sidecar renders them (`sidecar.events.log_line`), so a line looks the
same whether it came through `/logs` or straight from a miner (the profiling harness).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sidecar.events import log_line

# prefix -> style name of §12.4; the first matching prefix wins
PREFIX_STYLES = (
    ("[error]", "error"),
    ("ERROR", "error"),
    ("Traceback", "error"),
    ("[warning]", "warning"),
    ("WARNING", "warning"),
    ("[candidate]", "candidate"),
    ("[submit", "submit"),
    ("[pool]", "pool"),
    ("[population]", "progress"),
    ("[w", "progress"),
)
SERVICE_TAGS = ("[relay] ", "[validator] ")
SERVICE_LEVELS = ((" - ERROR - ", "error"), (" - CRITICAL - ", "error"), (" - WARNING - ", "warning"))
PROGRESS = re.compile(r"^\[(w\d+\] Iter|population\])")
LEVELS = ("progress", "info", "warning", "error")  # the log pane shows lines at or above its level
SOURCES = ("all", "miner", "submitter", "sidecar", "relay", "validator", "tui")
# line prefix -> the process that wrote the line; anything else is the TUI's own
SOURCE_PREFIXES = (
    (("[w", "[population]", "[candidate]", "[coord]", "[error]", "Miner ", "[miner]"), "miner"),
    (("[submit", "[verify]", "[sota]", "[pool]", "[submitter]"), "submitter"),
    (("[sidecar]", "Sidecar", "… "), "sidecar"),
    (("[relay]",), "relay"),
    (("[validator]",), "validator"),
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
    """`error`, `warning`, `candidate`, `submit`, `pool` or `progress` by the line's prefix; None for plain
    lines. A service line (`[relay] …`, `[validator] …`) is styled by what follows its tag, or by the level
    of the Python log format the services write (`<time> - <logger> - ERROR - <message>`)."""
    if line.startswith(SERVICE_TAGS):
        line = line.split("] ", 1)[1]
        for level, style in SERVICE_LEVELS:
            if level in line:
                return style
    for prefix, style in PREFIX_STYLES:
        if line.startswith(prefix):
            return style
    return None


def line_level(line: str) -> str:
    """`error`, `warning`, `progress` (worker progress and population lines) or `info`."""
    style = line_style(line)
    if style in ("error", "warning"):
        return style
    return "progress" if PROGRESS.match(line) else "info"


def line_source(line: str) -> str:
    """Which process wrote the line, by its prefix: miner, submitter, sidecar, relay, validator or tui."""
    for prefixes, source in SOURCE_PREFIXES:
        if line.startswith(prefixes):
            return source
    return "tui"


@dataclass(frozen=True)
class LogFilter:
    """What the log pane shows: lines at or above `level`, from `source` (or all sources)."""

    level: str = "info"
    source: str = "all"

    def passes(self, line: str) -> bool:
        if LEVELS.index(line_level(line)) < LEVELS.index(self.level):
            return False
        return self.source == "all" or line_source(line) == self.source

    def next_level(self) -> LogFilter:
        return LogFilter(LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)], self.source)

    def next_source(self) -> LogFilter:
        return LogFilter(self.level, SOURCES[(SOURCES.index(self.source) + 1) % len(SOURCES)])

    def describe(self) -> str:
        level = "all levels" if self.level == "progress" else f"{self.level}+"
        return f"{level} · {'all sources' if self.source == 'all' else self.source}"


def _score(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.6f}"
    return "-"
