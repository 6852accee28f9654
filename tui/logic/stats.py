"""The Stats and SOTA numbers of the Mining tab (tui.md §3.1), read from a sidecar `/state` snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkerStats:
    iteration: int
    rate: float | None
    engine_best: float | None
    fec_hit_rate: float | None


@dataclass(frozen=True)
class MiningStats:
    tasks_completed: int = 0
    successful_submissions: int = 0
    local_sota: float | None = None
    global_sota: float | None = None
    best_verified: float | None = None
    engine_best: float | None = None  # max over workers
    rate: float | None = None  # sum of worker rates
    fec_hit_rate: float | None = None  # mean over the workers that report one
    workers: dict[str, WorkerStats] = field(default_factory=dict)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def stats_from_state(state: dict) -> MiningStats:
    """Tolerates the reference sidecar's `/state` (no `workers`) and missing or null fields."""
    workers = {
        str(worker_id): WorkerStats(_int(entry.get("iteration")), _number(entry.get("rate")),
                                    _number(entry.get("engine_best")), _number(entry.get("fec_hit_rate")))
        for worker_id, entry in (state.get("workers") or {}).items() if isinstance(entry, dict)
    }
    rates = [w.rate for w in workers.values() if w.rate is not None]
    bests = [w.engine_best for w in workers.values() if w.engine_best is not None]
    hit_rates = [w.fec_hit_rate for w in workers.values() if w.fec_hit_rate is not None]
    return MiningStats(
        tasks_completed=_int(state.get("tasks_completed")),
        successful_submissions=_int(state.get("successful_submissions")),
        local_sota=_number(state.get("local_sota")),
        global_sota=_number(state.get("global_sota")),
        best_verified=_number(state.get("best_candidate_score")),
        engine_best=max(bests) if bests else None,
        rate=sum(rates) if rates else None,
        fec_hit_rate=sum(hit_rates) / len(hit_rates) if hit_rates else None,
        workers=workers,
    )


def format_score(value: float | None) -> str:
    """A score as the panels show it: 4 decimals, or `-` when unknown."""
    return "-" if value is None else f"{value:.4f}"
