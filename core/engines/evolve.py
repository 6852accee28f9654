"""`evolve`: regularized evolution with AutoML-Zero's pieces, the miners' default engine (CHANGES.md item 2).

The loop is the aging evolution of `baseline` (tournament over a FIFO population, the child replaces the
oldest), with three injected pieces:
- a generator (`core.engines.generator`): well-typed random instructions of the configured op space;
- a mutator (`core.engines.mutator`): insert, remove, randomize instruction, randomize phase, alter param;
- an evaluator (`core.engines.search_fitness`): the search fitness (failed tasks counted, regression tasks
  scored with the calibrated score of `core.engines.task_score`) with a hurdle and functional equivalence
  cache, called once per batch of children.

One `evolve_generation()` breeds and evaluates `batch_size` children from the current population, then
ages them in. The first population mixes random programs (every phase full) and empty ones. A lineage whose
best has not gained 0.001 for `restart_after` evaluations starts again from a fresh first population: how
long a search takes to find a learning rule is heavy-tailed, so several short tries beat one long one.
Every `local_search_every` evaluations the population's best (once per program) climbs through its one-step
neighbourhood (`core.engines.neighbourhood`), and each program on the way up joins the population as a child
would: evolution finds a rule that is nearly right, the climb finds the one instruction it lacks.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.dsl import program_hash
from core.engines.base import Engine, GenerationResult, loaded_fitness
from core.engines.credit import Credit
from core.engines.generator import ProgramGenerator
from core.engines.mutation import clone
from core.engines.mutator import Mutator
from core.engines.neighbourhood import climb, every_instruction
from core.engines.population import fitness_from_json
from core.engines.search_fitness import evaluator_for
from core.program import Instruction, Program

log = logging.getLogger(__name__)

RESTART_GAIN = 0.001
CLIMBED_LIMIT = 10_000  # hashes of climbed programs remembered (the oldest are forgotten)


class EvolveEngine(Engine):
    """The population is a FIFO ring: `_ring[_head]` is the oldest entry."""

    name = "evolve"

    def __init__(self, *args, generator: ProgramGenerator | None = None, mutator: Mutator | None = None,
                 evaluator=None, **kwargs) -> None:
        """The three pieces default to the configured ones; pass others to try a new proposal distribution,
        operator set or search fitness without touching the loop."""
        super().__init__(*args, **kwargs)
        self.random = random.Random(self.seed + self.worker_id)
        self.generator = generator or ProgramGenerator(self.params.new_program(), self.params.op_space)
        self.mutator = mutator or Mutator(self.generator)
        self.form_credit = Credit(len(self.generator.forms))
        self.operator_credit = Credit(len(self.mutator.names))
        self._operator_cumulative = list(itertools.accumulate([1.0] * len(self.mutator.names)))
        self.evaluator = evaluator or evaluator_for(self.fitness_fn, combine=self.params.search_fitness,
                                                    held_out_tasks=self.params.held_out_tasks,
                                                    task_score=self.params.task_score,
                                                    calibration=self.params.calibration)
        self._ring: list[tuple[Program, float]] = []
        self._fitness = np.empty(0)  # the ring's fitness values, for batched tournaments
        self._head = 0
        self.stagnation = 0
        self.restarts = 0
        self._run_best = -math.inf  # the best of the current population's lineage since the last restart
        self._run_best_at = 0  # evaluations when it last gained RESTART_GAIN
        self._climbed_at = 0  # evaluations at the last local search
        self._climbed: dict[str, None] = {}  # hashes of the programs climbed from or to, oldest first
        self._instructions: list[Instruction] | None = None

    def population(self) -> list[tuple[Program, float]]:
        return self._ring[self._head:] + self._ring[: self._head]

    def fec_stats(self) -> dict | None:
        return self.evaluator.stats()

    def evaluate_many(self, programs: Sequence[Program]) -> list[float]:
        """Search fitness; a child that beats the population's best must also pass the held-out check."""
        self.evaluations += len(programs)
        if not len(self._fitness):  # a first population: no best yet, check its running best
            return self.evaluator.fitness_many(programs, check_above=-math.inf, rising_bar=True)
        return self.evaluator.fitness_many(programs, check_above=float(self._fitness.max()))

    # ------------------------------------------------------------------ the loop

    def evolve_generation(self) -> GenerationResult:
        if not self._ring:
            self._build_population()
        parents = self._tournament_winners(self.params.batch_size)
        bred = [self._child(program) for program, _ in parents]
        children = [child for child, _ in bred]
        fitnesses = self.evaluate_many(children)
        improved = self._age_in(children, fitnesses)
        if self.params.adaptive:
            for (_, parent_fitness), (_, arms), fitness in zip(parents, bred, fitnesses):
                if arms is not None:
                    operator, forms = arms
                    self.operator_credit.record([operator], fitness > parent_fitness)
                    self.form_credit.record(forms, fitness > parent_fitness)
            self._reweight()
        self._restart_if_stagnant()
        if self.params.local_search_every and self.evaluations - self._climbed_at >= self.params.local_search_every:
            self._climb()
        self.generation += 1
        self.stagnation = 0 if improved else self.stagnation + 1
        if self.verbose:
            log.info("[evolve] gen=%d evals=%d best=%.6f stagnation=%d fec=%s", self.generation,
                     self.evaluations, self.best_fitness, self.stagnation, self.fec_stats())
        return self.result()

    def _age_in(self, children: list[Program], fitnesses: list[float]) -> bool:
        """The children replace the oldest entries, in order; True when one of them became the best (the
        first of the fittest, as `consider_best` child after child would take it)."""
        ring, ring_fitness, head, size = self._ring, self._fitness, self._head, len(self._ring)
        best, best_index = self.best_fitness, -1
        for index, (child, fitness) in enumerate(zip(children, fitnesses)):
            ring[head] = (child, fitness)
            ring_fitness[head] = fitness
            head += 1
            if head == size:
                head = 0
            if fitness > best:
                best, best_index = fitness, index
        self._head = head
        if self.best_program is None:  # no best yet (a population is installed with one): child after child
            return any([self.consider_best(child, fitness) for child, fitness in zip(children, fitnesses)])
        return best_index >= 0 and self.consider_best(children[best_index], fitnesses[best_index])

    def _restart_if_stagnant(self) -> None:
        """A fresh first population when this lineage's best has not gained RESTART_GAIN for
        `restart_after` evaluations (the best program found so far stays the engine's best)."""
        lineage_best = float(self._fitness.max())
        if lineage_best >= self._run_best + RESTART_GAIN:
            self._run_best, self._run_best_at = lineage_best, self.evaluations
        elif self.params.restart_after and self.evaluations - self._run_best_at >= self.params.restart_after:
            self.restarts += 1
            log.debug("[evolve] restart %d after %d evaluations without progress", self.restarts,
                      self.evaluations - self._run_best_at)
            self._build_population()
            self._run_best, self._run_best_at = float(self._fitness.max()), self.evaluations

    def _climb(self) -> None:
        """Steepest ascent from the population's best unless it was climbed from or to before; each program
        on the way up replaces the oldest entry."""
        self._climbed_at = self.evaluations
        program, fitness = self._ring[int(self._fitness.argmax())]
        key = program_hash(program)
        if key in self._climbed or not math.isfinite(fitness):
            return
        self._remember_climbed(key)
        if self._instructions is None:
            self._instructions = every_instruction(self.generator)
        path, scored = climb(program, fitness, self.evaluator, self.generator, self._instructions, self.random)
        self.evaluations += scored
        for program, fitness in path:
            self._remember_climbed(program_hash(program))
            self._ring[self._head], self._fitness[self._head] = (program, fitness), fitness
            self._head = (self._head + 1) % len(self._ring)
            self.consider_best(program, fitness)

    def _remember_climbed(self, key: str) -> None:
        self._climbed[key] = None
        if len(self._climbed) > CLIMBED_LIMIT:
            del self._climbed[next(iter(self._climbed))]

    def _child(self, parent: Program) -> tuple[Program, tuple[int, list[int]] | None]:
        """A child and the arms that made it (operator, forms drawn), None when it is an unchanged copy."""
        if self.random.random() >= self.params.mutation_prob:
            return clone(parent), None
        self.generator.drawn = []
        choice = bisect.bisect_right(self._operator_cumulative, self.random.random() * self._operator_cumulative[-1])
        child, operator = self.mutator.mutate(self.random, parent, min(choice, len(self.mutator.names) - 1))
        return child, (None if operator < 0 else (operator, self.generator.drawn))

    def _reweight(self) -> None:
        self.generator.reweight(self.form_credit.weights())
        self._operator_cumulative = list(itertools.accumulate(self.operator_credit.weights()))

    def _tournament_winners(self, count: int) -> list[tuple[Program, float]]:
        """`count` tournaments at once: the fittest of T entries drawn uniformly with replacement each
        (the first drawn wins ties). Draws are queue positions, so a restored queue continues identically."""
        size = len(self._ring)
        drawn = (self.rng.integers(0, size, size=(count, self.params.tournament_size)) + self._head) % size
        winners = drawn[np.arange(count), self._fitness[drawn].argmax(axis=1)]
        return [self._ring[i] for i in winners.tolist()]

    def _build_population(self) -> None:
        self._fitness = np.empty(0)  # a fresh population: every finite newcomer is checked
        programs = [self._initial_program() for _ in range(self.params.pop_size)]
        self._install(programs, self.evaluate_many(programs))

    def _initial_program(self) -> Program:
        empty = self.params.new_program()
        if self.random.random() < self.params.random_init_fraction:
            return self.generator.random_program(self.random, empty)
        return empty

    def _install(self, programs: list[Program], fitnesses: list[float]) -> None:
        self._ring, self._head = list(zip(programs, fitnesses)), 0
        self._fitness = np.array(fitnesses, dtype=np.float64)
        for program, fitness in self._ring:
            self.consider_best(program, fitness)

    # ------------------------------------------------------------------ loading, migration, state

    def load_population(self, items: Sequence[dict]) -> None:
        """Population from items (oldest first); missing fitness is evaluated; truncated or padded with
        new initial programs to pop_size."""
        items = list(items)[: self.params.pop_size]
        programs = [self.program_of(item) for item in items]
        known = [loaded_fitness(item) for item in items]
        while len(programs) < self.params.pop_size:
            programs.append(self._initial_program())
            known.append(None)
        missing = [i for i, fitness in enumerate(known) if fitness is None]
        for i, fitness in zip(missing, self.evaluate_many([programs[i] for i in missing])):
            known[i] = fitness
        fitnesses = [fitness for fitness in known if fitness is not None]
        if len(fitnesses) != len(known):
            raise RuntimeError("every program of the loaded population is evaluated before it is installed")
        self._install(programs, fitnesses)

    def import_migrants(self, indices: Sequence[int], items: Sequence[dict]) -> None:
        """Newcomers take the exported slots, re-evaluated on this worker's suite."""
        programs = [self.program_of(item) for item in items]
        size = len(self._ring)
        for index, program, fitness in zip(indices, programs, self.evaluate_many(programs)):
            slot = (self._head + index) % size
            self._ring[slot], self._fitness[slot] = (program, fitness), fitness
            self.consider_best(program, fitness)

    def _extra_state(self) -> dict[str, Any]:
        version, internal, gauss = self.random.getstate()
        return {
            "population": self.exact_items(self.population()),
            "stagnation": self.stagnation,
            "restarts": self.restarts,
            "lineage_best": [self._run_best if math.isfinite(self._run_best) else None, self._run_best_at],
            "random_state": [version, list(internal), gauss],
            "form_credit": self.form_credit.state(),
            "operator_credit": self.operator_credit.state(),
            "climbed": [self._climbed_at, list(self._climbed)],
        }

    def _restore_extra(self, state: dict[str, Any]) -> None:
        saved_best = self.best_program, self.best_fitness
        programs = [self.program_of(item) for item in state["population"]]
        self._install(programs, [fitness_from_json(item["fitness"]) for item in state["population"]])
        self.best_program, self.best_fitness = saved_best
        self.stagnation = int(state.get("stagnation", 0))
        self.restarts = int(state.get("restarts", 0))
        lineage_best, self._run_best_at = state.get("lineage_best", [None, 0])
        self._run_best = -math.inf if lineage_best is None else float(lineage_best)
        version, internal, gauss = state["random_state"]
        self.random.setstate((int(version), tuple(int(x) for x in internal), gauss))
        self.form_credit.restore(state["form_credit"])
        self.operator_credit.restore(state["operator_credit"])
        climbed_at, climbed = state.get("climbed", [0, []])
        self._climbed_at, self._climbed = int(climbed_at), dict.fromkeys(str(key) for key in climbed)
        self._reweight()
