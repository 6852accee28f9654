"""The SOTA panel (tui.md §3.1): four series with sparklines, the cooldown and the pending candidate."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static

from tui.logic.history import downsample
from tui.logic.stats import format_score

SERIES = (("global", "Global SOTA"), ("local", "Local SOTA"), ("verified", "Best verified"), ("engine", "Engine best"))


class SotaPanel(Vertical):
    def compose(self) -> ComposeResult:
        for key, title in SERIES:
            with Horizontal(classes="sota-row"):
                yield Label(f"{title:<14}", classes="sota-title")
                yield Label("-", id=f"sota-{key}", classes="sota-value")
            yield Sparkline([], id=f"spark-{key}", classes="sota-spark")
        yield Static("", id="sota-cooldown")

    def show(self, values: dict[str, float | None], history: dict[str, list], cooldown_left: float,
             pending: dict | None, global_title: str = "Global SOTA") -> None:
        self.query_one(".sota-title", Label).update(f"{global_title:<14}")
        width = max(1, self.size.width - 2)
        for key, _title in SERIES:
            self.query_one(f"#sota-{key}", Label).update(format_score(values.get(key)))
            self.query_one(f"#spark-{key}", Sparkline).data = downsample(history.get(key, []), width)
        lines = []
        if cooldown_left > 0:
            lines.append(f"Cooldown {cooldown_left:.0f}s")
        if pending:
            lines.append(f"Pending: #{pending.get('seq')} "
                         f"{format_score(pending.get('score'))}")
        self.query_one("#sota-cooldown", Static).update("\n".join(lines))
