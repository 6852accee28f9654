"""Population items, the engines' own format: snapshots and the exact program form of checkpoints
(algorithm.md §15). Files that carry items in other layouts (the TUI's state file, sidecar events) are read
by the miner (`miner.initial_population`).

A snapshot item is `{"format": "dsl", "dsl", "input_dim", "fitness"}` with fitness null for −inf. DSL text
drops what never affects a run (NOOPs, constants an opcode ignores, CONST_VEC index fractions), yet later
mutations can revive it; checkpoint items therefore also carry `exact`, the instruction tuples, so that a
resumed run continues exactly as the original would have.
"""

from __future__ import annotations

import math
from typing import Any

from core.dsl import from_dsl, to_dsl
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
    shape: dict[str, Any] = {key: int(encoded[key]) for key in SHAPE_KEYS}
    program = Program(**shape)
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
