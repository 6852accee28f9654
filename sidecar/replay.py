"""Restore runs from the journal at start-up (sidecar.md §7, "Replay at start-up")."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sidecar.journal import CURRENT_FILE, RUN_FILE_SUFFIX, RUNS_DIR
from sidecar.run import Run

log = logging.getLogger("sidecar.journal")

_RUN_STARTS = ("run", "snapshot")


def replay(directory: Path, keep_runs: int) -> tuple[dict[str, Run], str | None]:
    """The runs kept in `directory` and the current run id; files beyond the `keep_runs` most
    recently updated runs are deleted."""
    runs_dir = directory / RUNS_DIR
    if not runs_dir.is_dir():
        return {}, None
    for leftover in runs_dir.glob("*.tmp"):  # an interrupted compaction; the old file is intact
        leftover.unlink(missing_ok=True)
    found = [(run, path) for path in sorted(runs_dir.glob("*" + RUN_FILE_SUFFIX)) if (run := read_run(path))]
    found.sort(key=lambda entry: entry[0].updated_at_s, reverse=True)
    for _, path in found[keep_runs:]:
        path.unlink(missing_ok=True)
    runs = {run.run_id: run for run, _ in found[:keep_runs]}
    current_path = directory / CURRENT_FILE
    current = current_path.read_text(encoding="utf-8").strip() if current_path.is_file() else None
    return runs, current if current in runs else None


def read_run(path: Path) -> Run | None:
    """The run recorded in one journal file, or None when it holds no readable run."""
    lines = path.read_bytes().split(b"\n")
    last = lines.pop()  # b"" after a complete final line; otherwise a line cut short by a crash
    run = None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                run = _apply(run, json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("journal %s: line %d skipped (%s)", path.name, number, exc)
    if last.strip():
        try:
            run = _apply(run, json.loads(last))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # a torn last line is expected after a kill; it is dropped quietly
    if run is not None:
        run.finish_restore()
    return run


def _apply(run: Run | None, record: dict) -> Run:
    if record["k"] in _RUN_STARTS:
        return Run.from_record(record)
    if run is None:
        raise ValueError(f"a {record['k']!r} record before the run's first record")
    run.apply_record(record)
    return run
