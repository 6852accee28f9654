"""The optional on-disk journal (sidecar.md §7): one writer thread appends JSON lines, one file per run.

Producers call `append`, `forget` and `set_current` while holding the state lock, so the queue holds
changes in the order they happened; the file work happens on the writer thread, outside that lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import re
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from core.atomic_file import write_atomic

if TYPE_CHECKING:
    from sidecar.run import Run

log = logging.getLogger("sidecar.journal")

RUNS_DIR = "runs"
CURRENT_FILE = "current"
RUN_FILE_SUFFIX = ".jsonl"
FLUSH_INTERVAL_S = 0.5
_SAFE_RUN_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def run_file_name(run_id: str) -> str:
    safe = _SAFE_RUN_ID.fullmatch(run_id) is not None
    return (run_id if safe else hashlib.sha1(run_id.encode()).hexdigest()) + RUN_FILE_SUFFIX


def is_durable(record: dict) -> bool:
    """Records fsynced before the request that produced them returns."""
    return record["k"] in ("run", "state", "snapshot") or record.get("store") == "candidates"


class Journal:
    def __init__(self, directory: Path, max_bytes: int):
        self.directory = directory
        self.runs_dir = directory / RUNS_DIR
        self.max_bytes = max_bytes
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._files: dict[str, BinaryIO] = {}
        self._sizes: dict[str, int] = {}
        self._snapshot_sizes: dict[str, int] = {}
        self._unsynced: set[str] = set()
        self._compaction_due: set[str] = set()
        self._thread = threading.Thread(target=self._write_loop, name="sidecar-journal", daemon=True)

    def start(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, fsync, close the files and stop the writer thread."""
        done: Future = Future()
        self._queue.put(("stop", done))
        done.result(timeout)
        self._thread.join(timeout)

    # ---- producer side (under the state lock) ---------------------------------------------------

    def append(self, run: Run, records: list[dict]) -> bool:
        """Queue `records` of `run`; True when one of them must be durable before replying."""
        if not records:
            return False
        if run.run_id in self._compaction_due:
            self._compaction_due.discard(run.run_id)
            self._queue.put(("snapshot", run.run_id, run.snapshot_record()))
            return True
        for record in records:
            self._queue.put(("record", run.run_id, record))
        return any(is_durable(record) for record in records)

    def forget(self, run_id: str) -> None:
        self._queue.put(("delete", run_id))

    def set_current(self, run_id: str | None) -> None:
        self._queue.put(("current", run_id))

    def sync(self) -> Future:
        """A future that completes once everything queued before it is written and fsynced."""
        done: Future = Future()
        self._queue.put(("sync", done))
        return done

    def backlog(self) -> int:
        return self._queue.qsize()

    # ---- writer thread -------------------------------------------------------------------------

    def _write_loop(self) -> None:
        last_flush = time.monotonic()
        while True:
            try:
                op = self._queue.get(timeout=max(0.0, last_flush + FLUSH_INTERVAL_S - time.monotonic()))
            except queue.Empty:
                op = None
            if op is not None and op[0] == "stop":
                self._finish(op[1])
                return
            if op is not None:
                self._handle(op)
            if time.monotonic() - last_flush >= FLUSH_INTERVAL_S:
                self._guarded(self._flush, fsync=False)
                last_flush = time.monotonic()

    def _handle(self, op: tuple) -> None:
        kind, arg = op[0], op[1]
        if kind == "record":
            self._guarded(self._write, arg, op[2])
        elif kind == "snapshot":
            self._guarded(self._rewrite, arg, op[2])
        elif kind == "delete":
            self._guarded(self._delete, arg)
        elif kind == "current":
            self._guarded(self._write_current, arg)
        elif kind == "sync":
            self._guarded(self._flush, fsync=True)
            arg.set_result(None)

    @staticmethod
    def _guarded(action, *args, **kwargs) -> None:
        # A full or failing disk must not stop the sidecar: it keeps serving from memory.
        try:
            action(*args, **kwargs)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("journal write failed: %s", exc)

    def _path(self, run_id: str) -> Path:
        return self.runs_dir / run_file_name(run_id)

    def _open(self, run_id: str, truncate: bool) -> BinaryIO:
        if truncate:
            self._close(run_id)
        file = self._files.get(run_id)
        if file is None:
            file = self._files[run_id] = open(self._path(run_id), "wb" if truncate else "ab")
            self._sizes[run_id] = os.fstat(file.fileno()).st_size
        return file

    def _close(self, run_id: str) -> None:
        file = self._files.pop(run_id, None)
        if file is not None:
            file.close()
        self._unsynced.discard(run_id)

    def _write(self, run_id: str, record: dict) -> None:
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        self._open(run_id, truncate=record["k"] == "run").write(line)
        self._sizes[run_id] += len(line)
        self._unsynced.add(run_id)
        # A run whose retained state alone outgrows the limit would otherwise be compacted on every write.
        if self._sizes[run_id] > max(self.max_bytes, 2 * self._snapshot_sizes.get(run_id, 0)):
            self._compaction_due.add(run_id)

    def _rewrite(self, run_id: str, snapshot: dict) -> None:
        data = (json.dumps(snapshot, separators=(",", ":")) + "\n").encode()
        self._close(run_id)
        write_atomic(self._path(run_id), lambda handle: handle.write(data))
        self._snapshot_sizes[run_id] = len(data)

    def _delete(self, run_id: str) -> None:
        self._close(run_id)
        self._path(run_id).unlink(missing_ok=True)

    def _write_current(self, run_id: str | None) -> None:
        path = self.directory / CURRENT_FILE
        if run_id is None:
            path.unlink(missing_ok=True)
            return
        write_atomic(path, lambda handle: handle.write(run_id), text=True)

    def _flush(self, fsync: bool) -> None:
        for run_id, file in self._files.items():
            file.flush()
            if fsync and run_id in self._unsynced:
                os.fsync(file.fileno())
        if fsync:
            self._unsynced.clear()

    def _finish(self, done: Future) -> None:
        self._guarded(self._flush, fsync=True)
        for run_id in list(self._files):
            self._close(run_id)
        done.set_result(None)


class NoJournal:
    """Stands in for `Journal` when the sidecar runs without one: nothing is written."""

    def append(self, run: Run, records: list[dict]) -> bool:
        return False

    def forget(self, run_id: str) -> None:
        pass

    def set_current(self, run_id: str | None) -> None:
        pass

    def backlog(self) -> int:
        return 0

    def sync(self) -> Future:
        """Already done: nothing is ever queued."""
        done: Future = Future()
        done.set_result(None)
        return done
