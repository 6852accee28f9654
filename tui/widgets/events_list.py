"""The short list of submissions and SOTA events (issue 12 §3): newest first, a fixed place on the Mining tab
that no log flood scrolls away."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.logic.dashboard import EVENT_STYLES, Event, clock_text
from tui.widgets.text import show


def events_text(events: list[Event]) -> Text:
    if not events:
        return Text("No submissions yet.", style="dim")
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, event in enumerate(events):
        if index:
            text.append("\n")
        text.append(f"{clock_text(event.ts)} ", "dim")
        text.append(event.text, EVENT_STYLES.get(event.kind, ""))
    return text


class EventsList(Static):
    def on_mount(self) -> None:
        self.border_title = "Submissions & SOTA"

    def show(self, events: list[Event]) -> None:
        show(self, events_text(events), fixed_size=True)
