"""What both engines share (algorithm.md §12.1, §13, §15): the seeded generator, fitness evaluation,
best tracking, snapshots, checkpoint state and migration hooks."""

from __future__ import annotations

import logging
import math
from typing import Any, Callable, ClassVar, NamedTuple, Sequence

import numpy as np

from core.engines.params import SHAPE_FIELDS, EngineParams
from core.engines.population import fitness_from_json, item_program, snapshot_item
from core.errors import BitsotaError
from core.program import Program

log = logging.getLogger(__name__)

FitnessFn = Callable[[Program], float]
STATE_VERSION = 1


class CheckpointMismatch(BitsotaError, ValueError):
    """Engine state saved under another engine or program shape."""


class GenerationResult(NamedTuple):
    best: Program | None
    best_fitness: float
    population: list[tuple[Program, float]]
    generation: int
    evaluations: int


class Engine:
    """Base class; subclasses implement `evolve_generation`, their population and their extra state."""

    name: ClassVar[str]

    def __init__(self, params: EngineParams, fitness_fn: FitnessFn, *, seed: int, worker_id: int = 0,
                 verbose: bool = False) -> None:
        self.params = params
        self.fitness_fn = fitness_fn
        self.seed = int(seed)
        self.worker_id = int(worker_id)
        self.verbose = verbose
        self.rng = np.random.Generator(np.random.PCG64(self.seed + self.worker_id))
        self.generation = 0
        self.evaluations = 0
        self.best_program: Program | None = None
        self.best_fitness = -math.inf

    # ------------------------------------------------------------------ evaluation and best

    def evaluate(self, program: Program) -> float:
        """Fitness of one program; an exception or NaN counts as −inf."""
        self.evaluations += 1
        try:
            fitness = float(self.fitness_fn(program))
        except Exception:  # any failure of one candidate must not stop the search (§12.3 step 5)
            log.debug("evaluation failed", exc_info=True)
            return -math.inf
        return -math.inf if math.isnan(fitness) else fitness

    def consider_best(self, program: Program, fitness: float) -> bool:
        """Take `program` as best on strict improvement (or when there is none yet)."""
        if self.best_program is None or fitness > self.best_fitness:
            self.best_program, self.best_fitness = program, fitness
            return True
        return False

    # ------------------------------------------------------------------ interface of §12.1

    def evolve_generation(self) -> GenerationResult:
        raise NotImplementedError

    def population(self) -> list[tuple[Program, float | None]]:
        """Current population with fitness (None where not evaluated yet)."""
        raise NotImplementedError

    def result(self) -> GenerationResult:
        """The §12.1 tuple; called after a generation, when every population entry has its score."""
        return GenerationResult(self.best_program, self.best_fitness, self.population(), self.generation,
                                self.evaluations)

    def population_snapshot(self) -> list[dict]:
        return [snapshot_item(p, f, self.params.input_dim) for p, f in self.population()]

    def load_population(self, items: Sequence[dict]) -> None:
        raise NotImplementedError

    def fec_stats(self) -> dict | None:
        stats = getattr(self.fitness_fn, "fec_stats", None)
        return stats() if callable(stats) else None

    # ------------------------------------------------------------------ checkpoint state (§15)

    def state(self) -> dict[str, Any]:
        """Everything needed to continue this run exactly (the FEC cache itself excepted)."""
        best = None
        if self.best_program is not None:
            best = snapshot_item(self.best_program, self.best_fitness, self.params.input_dim, exact=True)
        return {
            "version": STATE_VERSION,
            "engine": self.name,
            "input_dim": self.params.input_dim,
            "params": self.params.to_dict(),
            "seed": self.seed,
            "worker_id": self.worker_id,
            "generation": self.generation,
            "evaluations": self.evaluations,
            "rng_state": self.rng.bit_generator.state,
            "best": best,
            "fec_stats": self.fec_stats(),
            **self._extra_state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state`; refuses another engine, shape or population size (CheckpointMismatch) and
        a damaged state (CheckpointMismatch too). On any error this engine is left as it was."""
        self.check_compatible(state)
        twin = type(self)(self.params, self.fitness_fn, seed=self.seed, worker_id=self.worker_id,
                          verbose=self.verbose)
        try:
            twin._load_state(state)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise CheckpointMismatch(f"checkpoint state is damaged: {exc!r}") from exc
        self.__dict__.update(twin.__dict__)

    def _load_state(self, state: dict[str, Any]) -> None:
        self.generation = int(state["generation"])
        self.evaluations = int(state["evaluations"])
        self.rng.bit_generator.state = state["rng_state"]
        best = state.get("best")
        self.best_program = None if best is None else self.program_of(best)
        self.best_fitness = -math.inf if best is None else fitness_from_json(best.get("fitness"))
        self._restore_extra(state)

    def check_compatible(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise CheckpointMismatch(f"unsupported checkpoint version {state.get('version')!r}")
        if state.get("engine") != self.name:
            raise CheckpointMismatch(f"checkpoint is for engine {state.get('engine')!r}, not {self.name!r}")
        saved = EngineParams.from_dict(state["params"])
        for name in (*SHAPE_FIELDS, "pop_size"):
            if getattr(saved, name) != getattr(self.params, name):
                raise CheckpointMismatch(
                    f"checkpoint has {name}={getattr(saved, name)}, this run has {getattr(self.params, name)}"
                )

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        pass

    def program_of(self, item: dict) -> Program:
        return item_program(item, self.params.input_dim)

    def exact_items(self, pairs) -> list[dict]:
        return [snapshot_item(p, f, self.params.input_dim, exact=True) for p, f in pairs]

    # ------------------------------------------------------------------ islands (§14)

    def export_migrants(self, count: int | None = None) -> tuple[list[int], list[dict]]:
        """`count` (default pop_size // 2) uniform distinct population slots and their items."""
        population = self.migration_slots()
        count = self.params.pop_size // 2 if count is None else count
        chosen = self.rng.choice(len(population), size=min(count, len(population)), replace=False)
        indices = chosen.tolist()
        items = [snapshot_item(population[i][0], population[i][1], self.params.input_dim) for i in indices]
        return indices, items

    def migration_slots(self) -> list[tuple[Program, float | None]]:
        """The population that migrants leave from and arrive in."""
        return self.population()

    def import_migrants(self, indices: Sequence[int], items: Sequence[dict]) -> None:
        raise NotImplementedError


def loaded_fitness(item: dict) -> float | None:
    """An item's fitness: None when the key is absent (evaluate it), −inf for null."""
    return fitness_from_json(item["fitness"]) if "fitness" in item else None
