"""The Candidates table (tui.md §3.2): keyed by sidecar seq, updated in place, capped at 2000 rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from textual.widgets import DataTable

COLUMNS = ("seq", "time", "worker", "iteration", "task", "verified", "eval", "suite", "status", "reason")
MAX_ROWS = 2000


def _score(value, places: int) -> str:
    return "-" if value is None else f"{float(value):.{places}f}"


def row_cells(row) -> tuple:
    time_text = datetime.fromtimestamp(row.ts, UTC).strftime("%H:%M:%S")
    return (row.seq, time_text, row.worker, row.iteration, row.task, _score(row.verified, 6),
            _score(row.eval_score, 4), row.suite, row.status, row.reason)


class CandidatesTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in COLUMNS:
            self.add_column(column, key=column)

    def upsert(self, rows: Iterable) -> None:
        for row in rows:
            key, cells = str(row.seq), row_cells(row)
            if key in self.rows:
                for column, value in zip(COLUMNS, cells):
                    self.update_cell(key, column, value)
            else:
                self.add_row(*cells, key=key)
        while self.row_count > MAX_ROWS:
            self.remove_row(next(iter(self.rows)))

    def selected_seq(self) -> int | None:
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

