"""The Candidates tab (tui.md §3.2): the table plus what can be done with a candidate — the detail modal,
copy its DSL, re-verify it, save it, export them all."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Protocol, runtime_checkable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from tui.logic.files import logs_dir
from tui.widgets.candidates_table import CandidatesTable
from tui.widgets.modals import CandidateModal, MessageModal, SaveAsModal


@runtime_checkable
class ShowsPanels(Protocol):
    """The App, as this pane uses it: a re-verified score is shown by refreshing the panels."""

    def refresh_panels(self) -> None: ...


def candidate_issues(candidate: dict) -> list[str]:
    """Strict-check issues of a candidate's DSL (algorithm.md §5.3)."""
    try:
        from core.dsl import check_dsl

        return [f"line {i.line_no}: {i.message}" for i in check_dsl(candidate.get("algorithm_dsl") or "",
                                                                   int(candidate.get("input_dim") or 1))]
    except Exception as exc:
        return [str(exc)]


class CandidatesPane(Vertical):
    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session

    def compose(self) -> ComposeResult:
        yield CandidatesTable(id="candidates-table")

    def _selected_row(self):
        seq = self.query_one(CandidatesTable).selected_seq()
        return self.session.rows.get(seq) if seq is not None else None

    def copy_dsl(self) -> None:
        row = self._selected_row()
        if row is None:
            self.notify("No candidate selected", severity="warning")
            return
        dsl = row.candidate.get("algorithm_dsl") or ""
        self.app.copy_to_clipboard(dsl)
        self.app.push_screen(MessageModal(f"Candidate #{row.seq} DSL (copied via OSC 52)", dsl))

    def reverify(self, seq: int | None = None) -> None:
        row = self.session.rows.get(seq) if seq is not None else self._selected_row()
        if row is not None:
            self._reverify_worker(row.seq)

    @work(thread=True, group="reverify", exit_on_error=False)
    def _reverify_worker(self, seq: int) -> None:
        self.session.reverify(seq)
        app = self.app
        if not isinstance(app, ShowsPanels):
            raise TypeError(f"CandidatesPane runs inside the bitsota App, not {type(app).__name__}")
        app.call_from_thread(app.refresh_panels)

    def export(self) -> None:
        path = logs_dir() / f"candidates-{self.session.run_id or 'none'}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for row in self.session.rows.values():
                handle.write(json.dumps({**row.candidate, "status": row.status, "reason": row.reason}) + "\n")
        self.notify(f"Exported {len(self.session.rows)} candidates to {path}")

    @on(DataTable.RowSelected, "#candidates-table")
    def _open_candidate(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is None:  # every row is added with its seq as the key
            return
        row = self.session.rows.get(int(key))
        if row is not None:
            self.app.push_screen(CandidateModal(row, candidate_issues(row.candidate)),
                                 partial(self._candidate_action, row))

    def _candidate_action(self, row, action: str | None) -> None:
        if action == "reverify":
            self.reverify(row.seq)
        elif action == "save":
            suggested = str(logs_dir() / f"candidate-{row.seq}.dsl")
            self.app.push_screen(SaveAsModal(f"Save candidate #{row.seq}'s DSL as", suggested),
                                 partial(self._save_dsl, row))

    def _save_dsl(self, row, path: str | None) -> None:
        if not path:
            return
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as handle:  # never overwrites
                handle.write(row.candidate.get("algorithm_dsl") or "")
        except OSError as exc:
            self.notify(f"Could not save {path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Saved to {path}")
