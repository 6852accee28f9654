"""What the Mining tab's dashboard says (issue 12 §3), without textual: what the engine is doing, why
nothing is being submitted, and the short list of submissions and SOTA events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tui.logic.stats import MiningStats, format_score

EXPLAIN = ("Engine: the miner's fitness on its own training tasks. Verified: the validator's re-score of a "
           "candidate. A candidate is submitted only when Verified beats max(Global, Local SOTA).")
SUBMISSION_STATUSES = ("submitted", "rejected", "failed", "pending")
EVENT_STYLES = {"submitted": "green", "rejected": "red", "failed": "red", "pending": "yellow", "sota": "cyan"}


@dataclass(frozen=True)
class Event:
    ts: float
    kind: str  # one of SUBMISSION_STATUSES or "sota"
    text: str


def clock_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S")


def row_events(rows: Iterable) -> list[Event]:
    """Submission events from the candidate rows (`seq`, `ts`, `status`, `verified`, `reason`)."""
    events = []
    for row in rows:
        if row.status in SUBMISSION_STATUSES:
            detail = f" {row.reason}" if row.reason and row.status != "submitted" else ""
            events.append(Event(row.ts, row.status, f"#{row.seq} {row.status} {format_score(row.verified)}{detail}"))
    return events


def submitter_events(status: dict | None) -> list[Event]:
    """Submission and SOTA events from the headless submitter's status file (notes/submitter.md)."""
    if not isinstance(status, dict):
        return []
    events = []
    for item in status.get("submissions") or []:
        if isinstance(item, dict) and isinstance(item.get("ts"), (int, float)):
            detail = f" {item['detail']}" if item.get("detail") else ""
            events.append(Event(float(item["ts"]), str(item.get("status")),
                                f"#{item.get('seq')} {item.get('status')} {_score(item.get('score'))}{detail}"))
    for entry in status.get("sota_history") or []:
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(v, (int, float)) for v in entry):
            events.append(Event(float(entry[0]), "sota", f"SOTA now {format_score(float(entry[1]))}"))
    return events


def _score(value) -> str:
    return format_score(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


class SotaChanges:
    """The global SOTA values seen by this TUI, one event per change."""

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self.events: list[Event] = []
        self._last: float | None = None

    def record(self, value: float | None, ts: float) -> None:
        if value is None or value == self._last:
            return
        text = f"SOTA {format_score(value)}" if self._last is None else \
            f"SOTA {format_score(self._last)} → {format_score(value)}"
        self._last = value
        self.events = [*self.events, Event(ts, "sota", text)][-self.keep:]


def newest(events: Iterable[Event], count: int) -> list[Event]:
    return sorted(events, key=lambda e: e.ts, reverse=True)[:count]


def activity_line(running: bool, connected: bool, stats: MiningStats, task_type: str | None) -> str:
    """What the engine is doing, in one line."""
    if not running:
        return "Idle: press s to start mining"
    if not connected:
        return "Waiting for the sidecar…"
    if not stats.workers:
        return f"Starting {task_type or 'the miner'}…"
    iteration = max(w.iteration for w in stats.workers.values())
    count = len(stats.workers)
    return f"Evolving {task_type}: {count} worker{'s' if count != 1 else ''} at iteration {iteration:,}"


def submit_reason(global_sota: float | None, local_sota: float | None, verified: float | None,
                  cooldown_left: float, pending: dict | None) -> str:
    """Why the next submission is or is not happening."""
    known = [v for v in (global_sota, local_sota) if v is not None]
    threshold = max(known) if known else None
    if pending and cooldown_left > 0:
        return f"Candidate #{pending.get('seq')} waits {cooldown_left:.0f}s for the cooldown."
    if verified is None:
        return "No verified candidate yet: the miner reports one when it beats its own best."
    if threshold is not None and verified <= threshold:
        return (f"Nothing to submit: best verified {format_score(verified)} is not above "
                f"{format_score(threshold)} (max of Global and Local SOTA).")
    if cooldown_left > 0:
        return f"Cooldown {cooldown_left:.0f}s before the next submission."
    return f"Submitting candidates that beat {format_score(threshold)}." if threshold is not None else \
        "Submitting the next verified candidate."
