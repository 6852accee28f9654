"""Evolution engines (algorithm.md §12-15): the default `evolve` (typed proposals, AutoML-Zero's mutations,
a validator-agreeing search fitness; CHANGES.md item 2), regularized evolution (`baseline`) and
archive-aware evolution (`archive`), their operators, population snapshots, checkpoints and island migration."""

from __future__ import annotations

from core.engines.archive import ArchiveEngine
from core.engines.base import CheckpointMismatch, Engine, FitnessFn, GenerationResult
from core.engines.baseline import BaselineEngine
from core.engines.evolve import EvolveEngine
from core.engines.names import DEFAULT_ENGINE, ENGINE_NAMES, UnknownEngine, normalize_engine_name
from core.engines.params import EngineParams

ENGINES: dict[str, type[Engine]] = {"evolve": EvolveEngine, "baseline": BaselineEngine, "archive": ArchiveEngine}


def make_engine(name: str, params: EngineParams, fitness_fn: FitnessFn, *, seed: int, worker_id: int = 0,
                verbose: bool = False) -> Engine:
    """An engine by name (`ga` is an alias of `baseline`, with a warning)."""
    engine_class = ENGINES[normalize_engine_name(name)]
    return engine_class(params, fitness_fn, seed=seed, worker_id=worker_id, verbose=verbose)


__all__ = [
    "ArchiveEngine", "BaselineEngine", "CheckpointMismatch", "DEFAULT_ENGINE", "ENGINE_NAMES", "EvolveEngine", "Engine", "EngineParams",
    "FitnessFn", "GenerationResult", "UnknownEngine", "make_engine", "normalize_engine_name",
]
