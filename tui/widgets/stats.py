"""The Stats pane (tui.md §3.1): rate, FEC hit rate, counters and each worker's progress (the miner's progress
lines, folded into numbers that stay put)."""

from __future__ import annotations

from textual.widgets import Static

from tui.logic.stats import MiningStats
from tui.widgets.text import show

LABEL_WIDTH = 12


def stats_text(stats: MiningStats, running: bool) -> str:
    """Rates and iterations only while running: after Stop they would be stale."""
    rate = f"{stats.rate:,.0f} it/s" if running and stats.rate is not None else "-"
    fec = f"{stats.fec_hit_rate:.1%}" if running and stats.fec_hit_rate is not None else "-"
    rows = [("Rate", rate), ("FEC hits", fec), ("Tasks done", f"{stats.tasks_completed:,}"),
            ("Submitted", stats.successful_submissions)]
    lines = [f"{label:<{LABEL_WIDTH}}{value}" for label, value in rows]
    if running:
        for worker_id, worker in sorted(stats.workers.items(), key=lambda item: _worker_order(item[0])):
            worker_rate = "-" if worker.rate is None else f"{worker.rate:,.0f}/s"
            lines.append(f"{'w' + worker_id:<4}{worker.iteration:>11,} {worker_rate:>9}")  # 24 of the 26 columns
    return "\n".join(lines)


def _worker_order(worker_id: str) -> int:
    return int(worker_id) if worker_id.isdigit() else 0


class StatsPane(Static):
    def on_mount(self) -> None:
        self.border_title = "Stats"

    def show(self, stats: MiningStats, running: bool) -> None:
        show(self, stats_text(stats, running))
