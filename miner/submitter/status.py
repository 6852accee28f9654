"""The submitter's status file: what it did, for the TUI (attached or re-attached) and `bitsota-tui --status`.

`~/.bitsota/submitter/<run_id>.json`, rewritten atomically. The keys are documented in docs/mining.md; the
`resume` block lets a restarted submitter of the same run carry on where the last one stopped.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import home_dir
from core.atomic_file import write_json_atomic

STATUS_VERSION = 1
KEEP_SUBMISSIONS = 200
KEEP_DECISIONS = 2000
KEEP_SOTA_CHANGES = 500
COUNTERS = ("seen", "verified", "skipped", "submitted", "rejected", "failed")


def status_path(run_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", run_id)[:128] or "run"
    return home_dir() / "submitter" / f"{safe}.json"


def read_status(path: Path | str | None) -> dict | None:
    """The status file as a dict, None when it is missing or unreadable (never raises)."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == STATUS_VERSION else None


def _finite(value: Any) -> float | None:
    """JSON cannot carry ±inf or NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


@dataclass
class StatusRecord:
    """Everything the status file holds, kept in memory and written by `write`."""

    run_id: str
    pid: int
    hotkey: str
    task_type: str
    mode: str
    relay_url: str | None
    pool_url: str | None
    started_at_s: float
    state: str = "starting"
    relay_reachable: bool | None = None
    global_sota: float | None = None
    local_sota: float | None = None
    cooldown_until_s: float | None = None
    pending: dict | None = None
    submissions: list[dict] = field(default_factory=list)
    decisions: OrderedDict[str, dict] = field(default_factory=OrderedDict)
    sota_history: list[list[float]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    last_error: dict | None = None
    pool: dict | None = None
    resume: dict = field(default_factory=dict)

    def decide(self, seq: int, status: str, reason: str = "", verified: float | None = None) -> None:
        key = str(seq)
        self.decisions.pop(key, None)
        self.decisions[key] = {"status": status, "reason": reason, "verified": _finite(verified)}
        while len(self.decisions) > KEEP_DECISIONS:
            self.decisions.popitem(last=False)

    def add_submission(self, entry: dict) -> None:
        self.submissions.append(entry)
        del self.submissions[:-KEEP_SUBMISSIONS]

    def sota_seen(self, ts: float, value: float | None) -> None:
        if value is None or (self.sota_history and self.sota_history[-1][1] == value):
            return
        self.sota_history.append([ts, value])
        del self.sota_history[:-KEEP_SOTA_CHANGES]

    def error(self, ts: float, message: str) -> None:
        self.last_error = {"ts": ts, "message": message}

    def to_json(self, now: float) -> dict:
        known = [v for v in (self.global_sota, self.local_sota) if v is not None]
        return {
            "version": STATUS_VERSION, "run_id": self.run_id, "pid": self.pid, "hotkey": self.hotkey,
            "task_type": self.task_type, "mode": self.mode, "relay_url": self.relay_url, "pool_url": self.pool_url,
            "state": self.state, "started_at_s": self.started_at_s, "updated_at_s": now,
            "relay_reachable": self.relay_reachable, "global_sota": _finite(self.global_sota),
            "local_sota": _finite(self.local_sota), "threshold": _finite(max(known)) if known else None,
            "cooldown_until_s": self.cooldown_until_s, "pending": self.pending,
            "submissions": self.submissions, "decisions": dict(self.decisions), "sota_history": self.sota_history,
            "counters": self.counters, "last_error": self.last_error, "pool": self.pool, "resume": self.resume}

    def restore(self, saved: dict) -> None:
        """Carry on the display history of an earlier submitter of the same run."""
        self.submissions = [s for s in saved.get("submissions") or [] if isinstance(s, dict)][-KEEP_SUBMISSIONS:]
        decisions = saved.get("decisions") or {}
        self.decisions = OrderedDict((str(k), v) for k, v in decisions.items() if isinstance(v, dict))
        self.sota_history = [p for p in saved.get("sota_history") or [] if isinstance(p, list) and len(p) == 2]
        counters = saved.get("counters") or {}
        self.counters.update({k: int(counters[k]) for k in COUNTERS if isinstance(counters.get(k), int)})
        self.resume = saved.get("resume") if isinstance(saved.get("resume"), dict) else {}

    def write(self, path: Path, now: float) -> None:
        write_json_atomic(path, self.to_json(now), allow_nan=False)
