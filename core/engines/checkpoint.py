"""Engine checkpoints (algorithm.md §15): one JSON file per worker at
`<dir>/<task_type>/<engine>/worker_<w>.json`, written atomically, and resume from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.atomic_file import write_json_atomic
from core.engines.base import CheckpointMismatch, Engine


def checkpoint_path(directory: str | Path, task_type: str, engine_name: str, worker_id: int) -> Path:
    return Path(directory) / task_type / engine_name / f"worker_{int(worker_id)}.json"


def write_checkpoint(directory: str | Path, task_type: str, engine: Engine) -> Path:
    """Save `engine` for `task_type`; returns the file written."""
    path = checkpoint_path(directory, task_type, engine.name, engine.worker_id)
    write_json_atomic(path, {"task_type": task_type, **engine.state()}, allow_nan=False, separators=(",", ":"))
    return path


def read_checkpoint(directory: str | Path, task_type: str, engine_name: str, worker_id: int) -> dict | None:
    """The saved state, or None when there is no checkpoint; CheckpointMismatch for an unreadable file."""
    path = checkpoint_path(directory, task_type, engine_name, worker_id)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointMismatch(f"checkpoint {path} is not valid JSON: {exc}") from exc
    if not isinstance(state, dict):
        raise CheckpointMismatch(f"checkpoint {path} is not a JSON object")
    return state


def resume(engine: Engine, directory: str | Path, task_type: str) -> bool:
    """Restore `engine` from its checkpoint; False when there is none. Refuses another task, engine or shape."""
    state = read_checkpoint(directory, task_type, engine.name, engine.worker_id)
    if state is None:
        return False
    if state.get("task_type") != task_type:
        raise CheckpointMismatch(f"checkpoint is for task type {state.get('task_type')!r}, not {task_type!r}")
    engine.restore(state)
    return True
