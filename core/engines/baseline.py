"""`baseline`: regularized (aging) evolution, one child per generation (algorithm.md §12.3)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.engines.base import Engine, GenerationResult, loaded_fitness
from core.engines.mutation import clone, mutate_component, random_instruction, uniform_phase
from core.engines.population import fitness_from_json
from core.program import PHASES, Program

log = logging.getLogger(__name__)


class BaselineEngine(Engine):
    """The population is a FIFO queue stored as a ring: `_ring[_head]` is the oldest entry."""

    name = "baseline"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._ring: list[tuple[Program, float]] = []
        self._head = 0
        self.stagnation = 0
        self.successes = 0
        self.failures = 0

    def population(self) -> list[tuple[Program, float]]:
        """Queue order, oldest first."""
        return self._ring[self._head:] + self._ring[: self._head]

    def evolve_generation(self) -> GenerationResult:
        if not self._ring:
            self._build_population()
        parent = self._tournament_winner()
        if parent is None:  # pop_size 1: the oldest entry is the only possible parent
            parent = self._ring[self._head][0]
        child = clone(parent)
        if self.rng.random() < self.params.mutation_prob:
            regularized_mutation(self.rng, child)
        fitness = self.evaluate(child)
        # The child takes the oldest entry's slot and becomes the newest: the ring head advances.
        self._ring[self._head] = (child, fitness)
        self._head = (self._head + 1) % len(self._ring)
        self.generation += 1
        if math.isfinite(fitness):
            self.successes += 1
        else:
            self.failures += 1
        self.stagnation = 0 if self.consider_best(child, fitness) else self.stagnation + 1
        if self.verbose:
            self._log_progress()
        return self.result()

    def _build_population(self) -> None:
        self._ring = []
        for _ in range(self.params.pop_size):
            program = self.params.new_program()
            fitness = self.evaluate(program)
            self._ring.append((program, fitness))
            self.consider_best(program, fitness)
        self._head = 0

    def _tournament_winner(self) -> Program | None:
        """Fittest of min(T, pop_size − 1) distinct entries other than the oldest; first drawn wins ties."""
        size = len(self._ring)
        count = min(self.params.tournament_size, size - 1)
        if count <= 0:
            return None
        winner, winner_fitness = None, -math.inf
        start = self._head + 1
        for offset in self.rng.choice(size - 1, size=count, replace=False).tolist():
            program, fitness = self._ring[(start + offset) % size]
            if winner is None or fitness > winner_fitness:
                winner, winner_fitness = program, fitness
        return winner

    def _log_progress(self) -> None:
        scores = np.array([f for _, f in self._ring], dtype=np.float64)
        finite = scores[np.isfinite(scores)]
        q1, med, q3 = np.percentile(finite, [25, 50, 75]) if finite.size else (math.nan,) * 3
        queue_best = finite.max() if finite.size else -math.inf
        log.info(
            "[regularized-evo] iter=%d pop=%d best=%.6f queue_best=%.6f queue_q1=%.6f queue_med=%.6f "
            "queue_q3=%.6f stagnation=%d success=%d failed=%d",
            self.generation, len(self._ring), self.best_fitness, queue_best, q1, med, q3,
            self.stagnation, self.successes, self.failures,
        )

    # ------------------------------------------------------------------ loading, migration, state

    def load_population(self, items: Sequence[dict]) -> None:
        """Queue from items (oldest first); missing fitness is evaluated; truncated or padded to pop_size."""
        pairs = []
        for item in list(items)[: self.params.pop_size]:
            program = self.program_of(item)
            fitness = loaded_fitness(item)
            pairs.append((program, self.evaluate(program) if fitness is None else fitness))
        while len(pairs) < self.params.pop_size:
            program = self.params.new_program()
            pairs.append((program, self.evaluate(program)))
        self._ring, self._head = pairs, 0
        for program, fitness in pairs:
            self.consider_best(program, fitness)

    def import_migrants(self, indices: Sequence[int], items: Sequence[dict]) -> None:
        """Newcomers take the exported slots; they are re-evaluated and may become the best."""
        size = len(self._ring)
        for index, item in zip(indices, items):
            program = self.program_of(item)
            fitness = self.evaluate(program)
            self._ring[(self._head + index) % size] = (program, fitness)
            self.consider_best(program, fitness)

    def _extra_state(self) -> dict[str, Any]:
        return {
            "population": self.exact_items(self.population()),
            "stagnation": self.stagnation,
            "successes": self.successes,
            "failures": self.failures,
        }

    def _restore_extra(self, state: dict[str, Any]) -> None:
        self._ring = [(self.program_of(item), fitness_from_json(item["fitness"])) for item in state["population"]]
        self._head = 0
        self.stagnation = int(state.get("stagnation", 0))
        self.successes = int(state.get("successes", 0))
        self.failures = int(state.get("failures", 0))


def regularized_mutation(rng: np.random.Generator, program: Program) -> None:
    """One uniform choice of edit, randomize or tweak, in place (§12.3 step 4)."""
    choice = int(rng.integers(3))
    if choice == 0:
        _edit(rng, program, uniform_phase(rng))
    elif choice == 1:
        _randomize(rng, program, uniform_phase(rng))
    else:
        _tweak(rng, program)


def _edit(rng: np.random.Generator, program: Program, phase: str) -> None:
    instructions = program.phase(phase)
    if not instructions or rng.random() < 0.5:
        if len(instructions) < program.capacity(phase):
            instructions.append(random_instruction(rng, program))
    else:
        del instructions[int(rng.integers(len(instructions)))]


def _randomize(rng: np.random.Generator, program: Program, phase: str) -> None:
    instructions = program.phase(phase)
    instructions.clear()
    capacity = program.capacity(phase)
    if capacity > 0:
        for _ in range(int(rng.integers(1, capacity + 1))):
            instructions.append(random_instruction(rng, program))


def _tweak(rng: np.random.Generator, program: Program) -> None:
    non_empty = [name for name in PHASES if program.phase(name)]
    if not non_empty:
        _edit(rng, program, uniform_phase(rng))
        return
    instructions = program.phase(non_empty[int(rng.integers(len(non_empty)))])
    index = int(rng.integers(len(instructions)))
    instructions[index] = mutate_component(rng, program, instructions[index])
