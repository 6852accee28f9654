"""The Stats pane (tui.md §3.1)."""

from __future__ import annotations

from textual.widgets import Static

from tui.logic.stats import MiningStats, format_score


def stats_text(stats: MiningStats, local_sota: float | None) -> str:
    rate = "-" if stats.rate is None else f"{stats.rate:.0f} it/s"
    lines = [f"Tasks Completed        {stats.tasks_completed}",
             f"Successful Submissions {stats.successful_submissions}",
             f"Local SOTA             {format_score(local_sota)}",
             f"Rate                   {rate}"]
    for worker_id, worker in sorted(stats.workers.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0):
        lines.append(f"  w{worker_id} iteration {worker.iteration}")
    if stats.fec_hit_rate is not None:
        lines.append(f"FEC hit rate           {stats.fec_hit_rate:.1%}")
    return "\n".join(lines)


class StatsPane(Static):
    def show(self, stats: MiningStats, local_sota: float | None) -> None:
        self.update(stats_text(stats, local_sota))
