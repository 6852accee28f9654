"""The TUI's own log file (tui.md §1 "debug log tee", §11.3): `~/.bitsota/logs/tui-<timestamp>.log`.

Every line of the logs pane and every Python log record go there, rotated at 10 MiB; the files of the last
`KEEP_RUNS` starts are kept, older ones removed. `--log-file PATH` writes to PATH instead and prunes nothing.
"""

from __future__ import annotations

import logging
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

from tui.logic.files import logs_dir

ROTATE_BYTES = 10 * 1024 * 1024
KEEP_RUNS = 5
PREFIX = "tui-"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

pane_log = logging.getLogger("bitsota.tui")


def run_log_path(started_at: float) -> Path:
    return logs_dir() / f"{PREFIX}{time.strftime('%Y%m%d-%H%M%S', time.localtime(started_at))}.log"


def prune(directory: Path, keep: int = KEEP_RUNS) -> list[Path]:
    """Remove the files of all but the newest `keep` runs (a run's file plus its rotated `.1` … `.5`)."""
    runs: dict[str, list[Path]] = {}
    for path in directory.glob(f"{PREFIX}*.log*"):
        runs.setdefault(path.name.split(".log", 1)[0], []).append(path)
    removed = []
    for name in sorted(runs)[:-keep] if keep > 0 else sorted(runs):
        for path in runs[name]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def start(explicit: str | None, started_at: float) -> logging.Handler:
    """Open this run's log file, prune older runs, and route Python logging to it; returns the handler."""
    path = Path(explicit).expanduser() if explicit else run_log_path(started_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=ROTATE_BYTES, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.getLogger().addHandler(handler)  # the root stays at WARNING: no per-request httpx lines
    pane_log.setLevel(logging.INFO)
    if not explicit:
        prune(path.parent, KEEP_RUNS)
    return handler


def stop(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()


def tee(lines: list[str]) -> None:
    """The logs pane's lines, as they are shown."""
    if pane_log.isEnabledFor(logging.INFO):
        for line in lines:
            pane_log.info(line)
