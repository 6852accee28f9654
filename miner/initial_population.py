"""The miner's `--initial-population-path`: population items for one worker from the layouts a population
arrives in (algorithm.md §15). The engines read only their own items (`core.engines.population`); which
file holds them, and how, is this module's business:

- the TUI's state file `{"version": 1, "task_type", "engine", "workers": {"<w>": {"population": [...]}}}`
  (a worker missing from it takes the lowest-numbered worker's population);
- `{"population": [...]}`;
- a list of sidecar population events (the latest one of this worker wins, else the latest of any worker);
- a bare list of items.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from core.engines.names import normalize_engine_name
from core.engines.population import PopulationFileError, check_item


def load_population_items(
    source: str | Path | dict | list, *, task_type: str, engine: str, worker_id: int = 0, input_dim: int
) -> list[dict]:
    """Items for `worker_id` from a population source (a path to JSON or the decoded JSON itself) in one of
    the layouts above; task and engine must match where the source names them."""
    data = _read_json(source) if isinstance(source, (str, Path)) else source
    if isinstance(data, dict):
        _check_metadata(data, task_type, engine)
        if "workers" in data:
            items = _worker_population(data["workers"], worker_id)
        elif "population" in data:
            items = data["population"]
        else:
            raise PopulationFileError("population file has neither 'workers' nor 'population'")
    elif isinstance(data, list):
        is_events = bool(data) and all(isinstance(e, dict) and "population" in e for e in data)
        items = _latest_event_population(data, task_type, engine, worker_id) if is_events else data
    else:
        raise PopulationFileError("population source must be a JSON object or list")
    if not isinstance(items, list):
        raise PopulationFileError("population must be a list of items")
    return [check_item(item, input_dim) for item in items]


def _read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PopulationFileError(f"cannot read population file {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise PopulationFileError(f"population file {path} is not valid JSON: {exc}") from exc


def _same_name(a: str, b: str) -> bool:
    try:
        return normalize_engine_name(a, warn=False) == normalize_engine_name(b, warn=False)
    except ValueError:
        return False


def _check_metadata(data: dict, task_type: str, engine: str) -> None:
    found_task = data.get("task_type")
    if found_task is not None and str(found_task).strip().lower() != task_type.strip().lower():
        raise PopulationFileError(f"population is for task type {found_task!r}, not {task_type!r}")
    found_engine = data.get("engine")
    if found_engine is not None and not _same_name(str(found_engine), engine):
        raise PopulationFileError(f"population is for engine {found_engine!r}, not {engine!r}")


def _worker_population(workers: Any, worker_id: int) -> Any:
    if not isinstance(workers, dict) or not workers:
        raise PopulationFileError("population file has no workers")
    entry = workers.get(str(worker_id))
    if entry is None:
        entry = workers[min(workers, key=lambda w: int(w) if str(w).isdigit() else math.inf)]
    if not isinstance(entry, dict):
        raise PopulationFileError("population file worker entry must be an object")
    return entry.get("population")


def _latest_event_population(events: list[dict], task_type: str, engine: str, worker_id: int) -> Any:
    matching = []
    for event in events:
        try:
            _check_metadata(event, task_type, engine)
        except PopulationFileError:
            continue
        matching.append(event)
    if not matching:
        raise PopulationFileError(f"no population event for task type {task_type!r} and engine {engine!r}")
    own = [e for e in matching if str(e.get("worker_id")) == str(worker_id)]
    return (own or matching)[-1]["population"]
