"""Merging sidecar population snapshots into `population_state.json` (algorithm.md §15, tui.md §6 step 5)."""

from __future__ import annotations

from typing import Any

VERSION = 1


def merge_snapshot(state: dict[str, Any] | None, event: dict[str, Any], run_id: str, now: float) -> dict[str, Any]:
    """The state with `event`'s population stored for its worker; a new state when task or engine changed."""
    task_type, engine = event.get("task_type"), event.get("engine")
    if not state or state.get("task_type") != task_type or state.get("engine") != engine:
        state = {"version": VERSION, "task_type": task_type, "engine": engine, "workers": {}}
    workers = dict(state.get("workers") or {})
    workers[str(event.get("worker_id", 0))] = {"iteration": event.get("iteration"),
                                               "population": list(event.get("population") or [])}
    return {**state, "run_id": run_id, "updated_at_s": now, "workers": workers}


def matches(state: dict[str, Any] | None, task_type: str, engine: str) -> bool:
    """Whether a saved state can seed a miner for this task and engine."""
    return state is not None and state.get("task_type") == task_type and state.get("engine") == engine \
        and bool(state.get("workers"))
