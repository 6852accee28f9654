"""Where events go besides the sidecar: display lines on stdout, JSON-lines files and CSV experiment logs
(miner.md §6). Each sink is a callable taking one event."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO

from miner.options import UsageError
from sidecar.events import log_line

Sink = Callable[[dict], None]


class FileSink(Protocol):
    """A sink writing to files, closed when the run ends."""

    def __call__(self, event: dict) -> None: ...

    def close(self) -> None: ...

PROGRESS_COLUMNS = ("iteration", "engine_best", "pop_best", "pop_median", "pop_q1", "pop_q3", "rate", "evaluations")
CANDIDATE_COLUMNS = ("worker_id", "iteration", "eval_score", "validator_score", "task_type", "input_dim",
                     "program_hash", "event_id", "algorithm_dsl")


def file_sinks(*, events_out: str | None = None, candidates_out: str | None = None, csv_dir: str | None = None,
               run_tag: str | None = None) -> list[FileSink]:
    """The sinks of --events-out, --candidates-out and --csv-dir; one that cannot be created raises UsageError."""
    try:
        files: list[FileSink] = []
        if events_out:
            files.append(JsonLinesSink(events_out))
        if candidates_out:
            files.append(JsonLinesSink(candidates_out, frozenset({"candidate"})))
        if csv_dir:
            files.append(CsvSink(csv_dir, run_tag))
        return files
    except OSError as exc:
        raise UsageError(f"error: cannot write {exc.filename}: {exc.strerror or exc}") from None


def fan_out(*sinks: Callable[[dict], object]) -> Sink:
    """One sink that hands every event to each of `sinks` in turn (what they return is ignored)."""
    def publish(event: dict) -> None:
        for sink in sinks:
            sink(event)
    return publish


class ConsoleSink:
    """Prints each event as its display line (the same text the sidecar shows); `quiet` keeps only
    candidates and errors."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream
        self.quiet = quiet

    def __call__(self, event: dict) -> None:
        if self.quiet and event.get("type") not in ("candidate", "error"):
            return
        stream = self._stream or sys.stdout
        stream.write(log_line(event)[0] + "\n")
        stream.flush()


class JsonLinesSink:
    """Appends events (of the given types, or all) to a file as JSON lines."""

    def __init__(self, path: str | Path, types: frozenset[str] | None = None) -> None:
        self.path = Path(path)
        self.types = types
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")

    def __call__(self, event: dict) -> None:
        if self.types is None or event.get("type") in self.types:
            self._file.write(json.dumps(event, separators=(",", ":"), allow_nan=False) + "\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()


class CsvSink:
    """`progress_w<W>.csv` per worker and `candidates.csv` in `directory` (in `directory/<run_tag>` when
    a tag is given)."""

    def __init__(self, directory: str | Path, run_tag: str | None = None) -> None:
        self.directory = Path(directory) / run_tag if run_tag else Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, tuple[TextIO, csv.DictWriter]] = {}

    def __call__(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "progress":
            self._write(f"progress_w{event.get('worker_id', 0)}.csv", PROGRESS_COLUMNS, event)
        elif kind == "candidate":
            self._write("candidates.csv", CANDIDATE_COLUMNS, event)

    def _write(self, name: str, columns: tuple[str, ...], event: dict) -> None:
        if name not in self._writers:
            path = self.directory / name
            new_file = not path.exists() or path.stat().st_size == 0
            opened = path.open("a", encoding="utf-8", newline="")
            new_writer = csv.DictWriter(opened, fieldnames=columns, extrasaction="ignore")
            if new_file:
                new_writer.writeheader()
            self._writers[name] = (opened, new_writer)
        handle, writer = self._writers[name]
        writer.writerow({column: event.get(column) for column in columns})
        handle.flush()

    def close(self) -> None:
        for handle, _ in self._writers.values():
            handle.close()
        self._writers.clear()
