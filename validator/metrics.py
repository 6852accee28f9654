"""JSONL metrics log of the validators (validator.md §8): one JSON object per line, appended."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any


def short_hotkey(hotkey: str | None) -> str | None:
    """Hotkeys appear in records as their first 8 characters plus `...`."""
    if hotkey is None:
        return None
    return f"{hotkey[:8]}..."


class MetricsLogger:
    """Appends event records to a JSONL file, opening it per record; write errors never stop the validator."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.started = time.time()
        self.session_id = str(int(self.started))
        self.miners_seen: set[str] = set()
        self.miners_pushed_sota: set[str] = set()

    def runtime_minutes(self) -> float:
        return (time.time() - self.started) / 60.0

    def write(self, event: str, **fields: Any) -> None:
        record = {"timestamp": datetime.now().isoformat(), "session_id": self.session_id, "event": event, **fields}
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
        except (OSError, TypeError, ValueError) as exc:
            print(f"Failed to write validator metrics log: {exc}")

    def session_start(self) -> None:
        self.write("session_start")

    def miner_result(self, *, miner_hotkey: str, miner_score: float, validator_score: float,
                     sota_threshold: float, result_status: str) -> None:
        self.miners_seen.add(miner_hotkey)
        delta = validator_score - sota_threshold if validator_score > sota_threshold else 0
        self.write(
            "miner_result",
            miner_hotkey=short_hotkey(miner_hotkey),
            miner_score=miner_score,
            validator_score=validator_score,
            sota_threshold=sota_threshold,
            delta_improvement=delta,
            result_status=result_status,
            pushed_sota=False,
            unique_miners_seen=len(self.miners_seen),
            miners_pushed_sota_count=len(self.miners_pushed_sota),
            runtime_minutes=self.runtime_minutes(),
        )

    def evaluation_batch(self, *, num_evaluations: int, total_seconds: float, sota_threshold: float) -> None:
        self.write(
            "evaluation_batch",
            num_evaluations=num_evaluations,
            total_evaluation_time_seconds=total_seconds,
            avg_time_per_eval_seconds=total_seconds / num_evaluations if num_evaluations else 0.0,
            sota_threshold=sota_threshold,
            runtime_minutes=self.runtime_minutes(),
        )

    def sota_update(self, *, old_sota: float, new_sota: float, triggering_miner: str) -> None:
        self.write(
            "sota_update",
            old_sota=old_sota,
            new_sota=new_sota,
            improvement=new_sota - old_sota,
            triggering_miner=short_hotkey(triggering_miner),
            unique_miners_seen=len(self.miners_seen),
            miners_pushed_sota_count=len(self.miners_pushed_sota),
            runtime_minutes=self.runtime_minutes(),
        )

    def sota_pushed(self, miner_hotkey: str) -> None:
        """The node counts the miners whose submission its vote finalized as a new SOTA."""
        self.miners_pushed_sota.add(miner_hotkey)

    def success_rate(self) -> float:
        return len(self.miners_pushed_sota) / len(self.miners_seen) if self.miners_seen else 0

    def runtime_hours(self) -> float:
        return (time.time() - self.started) / 3600.0

    def periodic_summary(self) -> None:
        self.write(
            "periodic_summary",
            unique_miners_seen=len(self.miners_seen),
            miners_pushed_sota_count=len(self.miners_pushed_sota),
            sota_success_rate=self.success_rate(),
            runtime_hours=self.runtime_hours(),
        )

    def session_end(self) -> None:
        self.write(
            "session_end",
            unique_miners_seen=len(self.miners_seen),
            miners_pushed_sota_count=len(self.miners_pushed_sota),
            final_sota_success_rate=self.success_rate(),
            runtime_hours=self.runtime_hours(),
        )
