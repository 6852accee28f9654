"""The `?` help screen (tui.md §12.1): every binding, plus terminal tips."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (("q", "quit (asks when mining processes run)"), ("ctrl+q / ctrl+c", "quit now"),
        ("? / f1", "this help"), ("ctrl+p", "command palette (User guide, Export candidates, …)"),
        ("s", "start / stop mining"), ("1-5", "tabs Mining, Candidates, Pool, Wallet, Services"),
        ("space", "pause / resume log follow"), ("ctrl+l", "clear the logs pane"),
        ("e / o", "logs pane: cycle the level (all, info+, warning+, error) / the source shown"),
        ("c", "copy (address, DSL) via OSC 52"), ("enter", "open the selected row"),
        ("n / i / k / r", "Wallet tab: new test hotkey, import, set coldkey, rescan"))
TIPS = ("If the terminal shows mouse escape sequences after a crash, run `reset`.\n"
        "On slow links set TEXTUAL_FPS=20. Start with --keep-running to leave mining running after quitting.")


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close", tooltip="Close help")]

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"  [b]{key:<16}[/b] {what}" for key, what in KEYS)
        with VerticalScroll(classes="dialog wide-dialog", id="help"):
            yield Static(f"[b]bitsota-tui keys[/b]\n\n{rows}\n\n{TIPS}")
