"""The bounded, batched logs pane (tui.md §12.4): lines wait in a LineBuffer and are written every 200 ms
in one call; colour comes from the line prefix; follow mode pauses while the user reads older lines."""

from __future__ import annotations

from collections.abc import Iterable

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Log

from tui.logic.line_buffer import FLUSH_INTERVAL_S, LineBuffer
from tui.logic.log_lines import line_style

STYLES = {"error": "bold red", "candidate": "green", "submit": "cyan", "pool": "magenta", "progress": "dim"}


class PrefixHighlighter(Highlighter):
    def highlight(self, text: Text) -> None:
        style = STYLES.get(line_style(text.plain) or "")
        if style:
            text.stylize(style)


class LogPane(Log):
    def __init__(self, max_lines: int, **kwargs) -> None:
        super().__init__(max_lines=max_lines, highlight=True, **kwargs)
        self.highlighter = PrefixHighlighter()
        self.buffer = LineBuffer(max_lines)
        self.follow = True

    def on_mount(self) -> None:
        self.set_interval(FLUSH_INTERVAL_S, self.flush)

    def add_lines(self, lines: Iterable[str]) -> None:
        self.buffer.extend(lines)

    def flush(self) -> None:
        batch = self.buffer.flush()
        if batch:
            self.write_lines(batch, scroll_end=self.follow)
            self.refresh()  # Log.write_lines skips the repaint once max_lines pruning starts (textual 8.2.8)

    def toggle_follow(self) -> bool:
        self.follow = not self.follow
        self.auto_scroll = self.follow
        if self.follow:
            self.scroll_end(animate=False)
        return self.follow

    def _pause_follow(self) -> None:
        self.follow = self.auto_scroll = False  # the user scrolled up to read older lines

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
        self.clear()
