"""The SOTA panel (tui.md §3.1): Global SOTA, Local SOTA, Best verified and Engine best, and what the numbers
mean; and the status lines above the chart: what the engine is doing and why the next submission is or is not
happening."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from tui.logic.dashboard import EXPLAIN, submit_reason
from tui.logic.stats import format_score
from tui.widgets.text import show

SERIES = (("global", "Global SOTA"), ("local", "Local SOTA"), ("verified", "Best verified"), ("engine", "Engine best"))


class SotaPanel(Vertical):
    def compose(self) -> ComposeResult:
        for key, title in SERIES:
            with Horizontal(classes="sota-row"):
                yield Label(f"{title:<14}", classes="sota-title")
                yield Label("-", id=f"sota-{key}", classes="sota-value")
        yield Static(EXPLAIN, id="sota-explain")

    def on_mount(self) -> None:
        self.border_title = "Scores"

    def show(self, values: dict[str, float | None], global_title: str = "Global SOTA") -> None:
        show(self.query_one(".sota-title", Label), f"{global_title:<14}", fixed_size=True)
        for key, _title in SERIES:
            show(self.query_one(f"#sota-{key}", Label), format_score(values.get(key)))


class RunStatus(Static):
    """Two lines that stay put: what the engine is doing, and why the next submission is or is not happening."""

    def show(self, activity: str, values: dict[str, float | None], cooldown_left: float,
             pending: dict | None) -> None:
        reason = submit_reason(values.get("global"), values.get("local"), values.get("verified"), cooldown_left,
                               pending)
        show(self, f"[b]{activity}[/b]\n[$warning]{reason}[/]")
