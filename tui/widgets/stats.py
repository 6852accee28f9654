"""The Stats pane (tui.md §3.1)."""

from __future__ import annotations

from textual.widgets import Static

from tui.logic.stats import MiningStats, format_score

LABEL_WIDTH = 15  # the pane is 26 columns wide; only "Successful Submissions" runs past it


def stats_text(stats: MiningStats, local_sota: float | None) -> str:
    rate = "-" if stats.rate is None else f"{stats.rate:.0f} it/s"
    rows = [("Tasks Completed", stats.tasks_completed), ("Successful Submissions", stats.successful_submissions),
            ("Local SOTA", format_score(local_sota)), ("Rate", rate)]
    for worker_id, worker in sorted(stats.workers.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0):
        rows.append((f"  w{worker_id} iteration", worker.iteration))
    if stats.fec_hit_rate is not None:
        rows.append(("FEC hit rate", f"{stats.fec_hit_rate:.1%}"))
    return "\n".join(f"{label:<{LABEL_WIDTH}} {value}" for label, value in rows)


class StatsPane(Static):
    def show(self, stats: MiningStats, local_sota: float | None) -> None:
        self.update(stats_text(stats, local_sota))
