"""The events a miner reports (miner.md §4.4, sidecar.md §5): builders, number hygiene and event ids."""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from typing import Any

import numpy as np

CRITICAL_TYPES = frozenset({"start", "candidate", "error", "done", "shutdown"})


def is_critical(event: dict) -> bool:
    """Critical events are kept until delivered; the others (progress, log, population) may be dropped."""
    return event.get("type") in CRITICAL_TYPES


def is_run_end(event: dict) -> bool:
    """The bare `done` that ends a run: it must reach the sidecar after every other event."""
    return event.get("type") == "done" and event.get("worker_id") is None


def json_number(value: Any) -> float | int | None:
    """A JSON-safe number: NaN, ±inf and None become None (sidecar.md §2.1)."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else number


class EventIds:
    """`event_id` = `<pid>.<start ms>.<counter>`: unique per miner process, so the sidecar can ignore
    the repeats that retries produce (miner.md §4.6)."""

    def __init__(self, pid: int | None = None, start_ms: int | None = None) -> None:
        self.prefix = f"{os.getpid() if pid is None else pid}.{int(time.time() * 1000) if start_ms is None else start_ms}"
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next_id(self) -> str:
        with self._lock:
            return f"{self.prefix}.{next(self._counter)}"

    def stamp(self, event: dict) -> dict:
        """Give `event` an id unless it already has one; returns it."""
        if "event_id" not in event:
            event["event_id"] = self.next_id()
        return event


def log_event(message: str, *, worker_id: int | None = None, level: str = "info") -> dict:
    event: dict[str, Any] = {"type": "log", "message": message, "level": level}
    if worker_id is not None:
        event["worker_id"] = worker_id
    return event


def error_event(*, message: str | None = None, traceback: str | None = None, worker_id: int | None = None) -> dict:
    event: dict[str, Any] = {"type": "error"}
    if worker_id is not None:
        event["worker_id"] = worker_id
    if traceback is not None:
        event["traceback"] = traceback
    if message is not None:
        event["message"] = message
    return event


def worker_done_event(worker_id: int, iteration: int) -> dict:
    return {"type": "done", "worker_id": worker_id, "iteration": iteration}


def run_done_event() -> dict:
    """The bare `done`: the very last event of a run (the sidecar marks the run stopped)."""
    return {"type": "done"}


def shutdown_event(dropped: int, message: str) -> dict:
    return {"type": "shutdown", "dropped": int(dropped), "message": message}
