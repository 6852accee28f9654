"""Reading a run for display: sidecar log and population pages, and the submitter's status file."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from sidecar.client import SidecarClient, SidecarError
from tui.logic import clock
from tui.logic import population_state as populations
from tui.logic.files import read_json_object, write_json_atomic
from tui.logic.log_lines import page_lines
from tui.services.session_types import CandidateRow

SIDECAR_ERRORS = (httpx.HTTPError, SidecarError, ValueError)
LOG_PAGES, LOG_PAGE = 5, 200


def read_logs(sidecar: SidecarClient, cursor: int, run_id: str | None, lines: deque[str]) -> int:
    """Append the run's new log lines (at most 5 pages); the new cursor."""
    for _ in range(LOG_PAGES):
        page = sidecar.logs(cursor, LOG_PAGE, run_id=run_id)
        cursor = page.cursor
        lines.extend(page_lines(page.items, page.skipped))
        if len(page.items) < LOG_PAGE:
            break
    return cursor


def merge_populations(sidecar: SidecarClient, cursor: int, run_id: str, path: Path) -> int:
    """Merge new population snapshots into the population state file (§6 step 5); the new cursor."""
    page = sidecar.populations(cursor, 10, run_id=run_id)
    if page.items:
        state = read_json_object(path)
        for event in page.items:
            state = populations.merge_snapshot(state, event, run_id, clock.now())
        write_json_atomic(path, state)
    return page.cursor


def changed_decisions(rows: Mapping[int, CandidateRow], status: dict | None) -> Iterator[tuple[int, CandidateRow, dict]]:
    """(seq, row, decision) for each shown row whose submitter decision differs from what the row shows."""
    for key, decision in ((status or {}).get("decisions") or {}).items():
        try:
            seq = int(key)
        except ValueError:
            continue
        row = rows.get(seq)
        if row is not None and isinstance(decision, dict) and (
                row.status != decision.get("status") or row.reason != (decision.get("reason") or "")):
            yield seq, row, decision


def submission_of(status: dict | None, seq: int) -> dict | None:
    """The relay's answer to the submission of candidate `seq`, as the submitter recorded it."""
    for entry in reversed((status or {}).get("submissions") or []):
        if isinstance(entry, dict) and entry.get("seq") == seq:
            return {k: entry.get(k) for k in ("status", "result_id", "detail")}
    return None


def cooldown_left(status: dict | None, now: float) -> float:
    until = (status or {}).get("cooldown_until_s")
    return max(0.0, float(until) - now) if isinstance(until, (int, float)) else 0.0
