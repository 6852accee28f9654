"""Population items: snapshots, the exact program form of checkpoints, and the population state file loader
(algorithm.md §15).

A snapshot item is `{"format": "dsl", "dsl", "input_dim", "fitness"}` with fitness null for −inf. DSL text
drops what never affects a run (NOOPs, constants an opcode ignores, CONST_VEC index fractions), yet later
mutations can revive it; checkpoint items therefore also carry `exact`, the instruction tuples, so that a
resumed run continues exactly as the original would have.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from core.dsl import from_dsl, to_dsl
from core.engines.names import normalize_engine_name
from core.errors import BitsotaError
from core.program import PHASES, Instruction, Program

SHAPE_KEYS = (
    "scalar_count", "vector_count", "matrix_count", "vector_dim",
    "setup_max_ops", "predict_max_ops", "learn_max_ops",
)


class PopulationFileError(BitsotaError, ValueError):
    """A population source that cannot be used (wrong layout, task or engine mismatch, bad items)."""


def fitness_to_json(fitness: float) -> float | None:
    return fitness if math.isfinite(fitness) else None


def fitness_from_json(value: Any) -> float:
    if value is None:
        return -math.inf
    number = float(value)
    return number if math.isfinite(number) else -math.inf


def snapshot_item(program: Program, fitness: float | None, input_dim: int, *, exact: bool = False) -> dict:
    """A population item; `fitness` None writes null (unknown or −inf)."""
    item = {
        "format": "dsl",
        "dsl": to_dsl(program),
        "input_dim": input_dim,
        "fitness": None if fitness is None else fitness_to_json(fitness),
    }
    if exact:
        item["exact"] = encode_exact(program)
    return item


def encode_exact(program: Program) -> dict:
    encoded: dict[str, Any] = {key: getattr(program, key) for key in SHAPE_KEYS}
    for name in PHASES:
        encoded[name] = [list(ins) for ins in program.phase(name)]
    return encoded


def decode_exact(encoded: dict) -> Program:
    program = Program(**{key: int(encoded[key]) for key in SHAPE_KEYS})
    for name in PHASES:
        setattr(program, name, [_instruction(row) for row in encoded[name]])
    return program


def _instruction(row: list) -> Instruction:
    op, arg1, arg2, dest, c1, c2 = row
    return Instruction(int(op), int(arg1), int(arg2), int(dest), float(c1), float(c2))


def item_program(item: dict, input_dim: int) -> Program:
    """The program of an item: its exact form when present, else its DSL parsed leniently."""
    if "exact" in item:
        return decode_exact(item["exact"])
    return from_dsl(item["dsl"], input_dim)


def check_item(item: Any, input_dim: int) -> dict:
    """Validate one item's layout and input_dim; return it."""
    if not isinstance(item, dict) or not isinstance(item.get("dsl"), str):
        raise PopulationFileError("population item must be an object with a 'dsl' string")
    if item.get("format", "dsl") != "dsl":
        raise PopulationFileError(f"unsupported population item format {item.get('format')!r}")
    item_dim = item.get("input_dim")
    if item_dim is not None and item_dim != input_dim:
        raise PopulationFileError(f"population item has input_dim {item_dim!r}, expected {input_dim}")
    return item


def load_population_items(
    source: str | Path | dict | list, *, task_type: str, engine: str, worker_id: int = 0, input_dim: int
) -> list[dict]:
    """Items for `worker_id` from a population source: a path to JSON or the decoded JSON itself.

    Accepted layouts: the TUI's state file `{"version": 1, "task_type", "engine", "workers": {"<w>":
    {"population": [...]}}}` (a worker missing from it takes the lowest-numbered worker's population),
    `{"population": [...]}`, a list of sidecar population events (the latest one of this worker wins, else the
    latest of any worker), or a bare list of items. Task and engine must match where the source names them.
    """
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
