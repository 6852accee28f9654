"""The bounded, batched logs pane (tui.md §12.4): lines wait in a LineBuffer and are written every 200 ms in
one call; long lines wrap; colour comes from the line prefix (errors red); a filter by level and source picks
what is shown; follow mode pauses while the user reads older lines, and the title says so."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import events
from textual.widgets import RichLog

from tui.logic.line_buffer import FLUSH_INTERVAL_S, LineBuffer
from tui.logic.log_lines import LogFilter, line_style

STYLES = {"error": "bold red", "warning": "yellow", "candidate": "green", "submit": "cyan", "pool": "magenta",
          "progress": "dim"}


def styled(lines: Iterable[str]) -> Text:
    """The lines as one Text, each coloured by its prefix."""
    text = Text()
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        text.append(line, STYLES.get(line_style(line) or ""))
    return text


class LogPane(RichLog):
    def __init__(self, max_lines: int, **kwargs) -> None:
        super().__init__(max_lines=max_lines, wrap=True, min_width=10, markup=False, highlight=False, **kwargs)
        self.buffer = LineBuffer(max_lines)
        self.log_filter = LogFilter()
        self.follow = True
        self._wrapped_at = 0  # the width the shown lines were wrapped at

    def on_mount(self) -> None:
        self.set_interval(FLUSH_INTERVAL_S, self.flush)
        self._show_title()

    def add_lines(self, lines: Iterable[str]) -> None:
        self.buffer.extend(lines)

    def flush(self) -> None:
        batch = [line for line in self.buffer.flush() if self.log_filter.passes(line)]
        if batch:
            self.write(styled(batch), scroll_end=self.follow)

    def shown_lines(self) -> list[str]:
        """The retained lines that pass the filter (what the pane shows, before wrapping)."""
        return [line for line in self.buffer.shown if self.log_filter.passes(line)]

    def _rewrite(self) -> None:
        self.clear()
        lines = self.shown_lines()
        if lines:
            self.write(styled(lines), scroll_end=self.follow)

    def on_resize(self, event: events.Resize) -> None:
        width, self._wrapped_at = self._wrapped_at, event.size.width
        if width and width != event.size.width:
            self._rewrite()  # wrap the kept lines again at the new width

    def set_filter(self, log_filter: LogFilter) -> None:
        self.flush()
        self.log_filter = log_filter
        self._rewrite()
        self._show_title()

    def toggle_follow(self) -> bool:
        self.follow = not self.follow
        self.auto_scroll = self.follow
        if self.follow:
            self.scroll_end(animate=False)
        self._show_title()
        return self.follow

    def _show_title(self) -> None:
        self.border_title = f"Logs · {self.log_filter.describe()} (e level, o source)"
        self.border_subtitle = "" if self.follow else "follow paused · space resumes"

    def _pause_follow(self) -> None:
        if self.follow:
            self.follow = self.auto_scroll = False  # the user scrolled up to read older lines
            self._show_title()

    def on_mouse_scroll_up(self) -> None:
        self._pause_follow()

    def action_scroll_up(self) -> None:
        self._pause_follow()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._pause_follow()
        super().action_page_up()

    def clear_lines(self) -> None:
        self.buffer.flush()
        self.buffer.shown.clear()
        self.clear()
