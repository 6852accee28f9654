"""Evolution engines (algorithm.md §12-15): regularized evolution (`baseline`) and archive-aware evolution
(`archive`), their mutation operators, population snapshots, checkpoints and island migration."""

from __future__ import annotations

from core.engines.archive import ArchiveEngine
from core.engines.base import CheckpointMismatch, Engine, FitnessFn, GenerationResult
from core.engines.baseline import BaselineEngine
from core.engines.names import ENGINE_NAMES, UnknownEngine, normalize_engine_name
from core.engines.params import EngineParams

ENGINES: dict[str, type[Engine]] = {"baseline": BaselineEngine, "archive": ArchiveEngine}


def make_engine(name: str, params: EngineParams, fitness_fn: FitnessFn, *, seed: int, worker_id: int = 0,
                verbose: bool = False) -> Engine:
    """An engine by name (`ga` is an alias of `baseline`, with a warning)."""
    engine_class = ENGINES[normalize_engine_name(name)]
    return engine_class(params, fitness_fn, seed=seed, worker_id=worker_id, verbose=verbose)


__all__ = [
    "ArchiveEngine", "BaselineEngine", "CheckpointMismatch", "ENGINE_NAMES", "Engine", "EngineParams",
    "FitnessFn", "GenerationResult", "UnknownEngine", "make_engine", "normalize_engine_name",
]
