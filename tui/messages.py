"""Messages that thread workers post to the App, which routes them to the pane or controller that acts."""

from __future__ import annotations

from textual.message import Message


class StartupDone(Message):
    """Re-attach, `--local` services and wallet discovery have finished."""


class PollDone(Message):
    """One sidecar poll (tui.md §6) has finished; the panes can show what it produced."""


class StartDone(Message):
    """The start sequence ended with a `StartOutcome` and a detail text."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__()
        self.outcome, self.detail = outcome, detail


class WalletSelected(Message):
    """A wallet was loaded: the panes show it and `--auto-start` may go."""

