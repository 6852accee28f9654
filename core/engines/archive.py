"""`archive`: archive-aware evolution, a whole population per generation (algorithm.md §12.4)."""

from __future__ import annotations

import logging
import math
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.engines.base import Engine, GenerationResult
from core.engines.mutation import clone, has_kind_mismatch, mutate_component, random_instruction, uniform_phase
from core.engines.population import fitness_from_json, snapshot_item
from core.program import PHASES, Op, Program

log = logging.getLogger(__name__)

# Breeding shares: (mutate an archive parent, mutate a current top parent, crossover, fresh program).
GENERATION_SHARES = (0.4, 0.3, 0.3, 0.0)
EVOLVE_SHARES = (0.4, 0.3, 0.2, 0.1)
CROSSOVER_MUTATION_PROB = 0.3
UNIFORM_SAMPLING_BELOW = 20
FITNESS_TEMPERATURE = 2.0
NOVELTY_BONUS = 0.3
WEIGHT_FLOOR = 1e-8


@dataclass
class ArchiveEntry:
    program: Program
    fitness: float
    generation: int
    complexity: int
    signature: str


class ArchiveEngine(Engine):
    name = "archive"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.next_population: list[Program] = []
        self.evaluated: list[tuple[Program, float]] = []  # last evaluated population, fittest first
        self.archive: deque[ArchiveEntry] = deque()
        self.signature_counts: Counter[str] = Counter()  # over the entries now in the archive

    def population(self) -> list[tuple[Program, float | None]]:
        """The last evaluated population with its scores; before any evaluation, the pending one."""
        if self.evaluated:
            return list(self.evaluated)
        return [(program, None) for program in self.next_population]

    def migration_slots(self) -> list[tuple[Program, float | None]]:
        return [(program, None) for program in self.next_population]

    def evolve_generation(self) -> GenerationResult:
        if not self.next_population:
            self.next_population = [self.params.new_program() for _ in range(self.params.pop_size)]
        self._step(GENERATION_SHARES)
        return self.result()

    def evolve(self, generations: int, seeds: Sequence[Program] = ()) -> tuple[Program | None, float]:
        """Pool worker search: seeds (or empty programs) and their mutants, `generations` generations."""
        self.next_population = self._initial_population(seeds)
        for _ in range(generations):
            self._step(EVOLVE_SHARES)
        return self.best_program, self.best_fitness

    def _initial_population(self, seeds: Sequence[Program]) -> list[Program]:
        """The seeds themselves, then mutants of them (2–5 mutations each) up to pop_size."""
        population = [clone(seed) for seed in list(seeds)[: self.params.pop_size]]
        while len(population) < self.params.pop_size:
            base = seeds[len(population) % len(seeds)] if seeds else self.params.new_program()
            population.append(self._mutated(clone(base), low=2, high=5))
        return population

    def _mutated(self, program: Program, *, low: int, high: int) -> Program:
        for _ in range(int(self.rng.integers(low, high + 1))):
            archive_mutation(self.rng, program)
        return program

    # ------------------------------------------------------------------ one generation

    def _step(self, shares: tuple[float, float, float, float]) -> None:
        self.generation += 1
        scored = [(program, self._fitness(program)) for program in self.next_population]
        scored.sort(key=lambda pair: -pair[1])
        for program, fitness in scored:
            self._archive_append(program, fitness)
        self.consider_best(*scored[0])
        self.evaluated = scored
        self.next_population = self._breed(scored, shares)
        if self.verbose:
            log.info(
                "[archive-evo] gen=%d pop=%d best=%.6f gen_best=%.6f archive=%d signatures=%d",
                self.generation, len(scored), self.best_fitness, scored[0][1], len(self.archive),
                len(self.signature_counts),
            )

    def _fitness(self, program: Program) -> float:
        return -math.inf if has_kind_mismatch(program) else self.evaluate(program)

    def _archive_append(self, program: Program, fitness: float, generation: int | None = None) -> None:
        if len(self.archive) >= self.params.archive_size:
            evicted = self.archive.popleft()
            self.signature_counts[evicted.signature] -= 1
            if not self.signature_counts[evicted.signature]:
                del self.signature_counts[evicted.signature]
        generation = self.generation if generation is None else generation
        entry = ArchiveEntry(program, fitness, generation, program.instruction_count(), signature(program))
        self.archive.append(entry)
        self.signature_counts[entry.signature] += 1

    def _breed(self, scored: list[tuple[Program, float]], shares) -> list[Program]:
        """Keep the top program, then fill with archive mutants, top-half mutants, crossovers, fresh ones."""
        draw_archive = self._archive_sampler()
        top = [program for program, _ in scored[: max(1, self.params.pop_size // 2)]]
        cut_archive, cut_current, cut_crossover = np.cumsum(shares[:3])
        population = [scored[0][0]]
        while len(population) < self.params.pop_size:
            r = self.rng.random()
            if r < cut_archive:
                child = draw_archive()
                archive_mutation(self.rng, child)
            elif r < cut_current:
                child = clone(top[int(self.rng.integers(len(top)))])
                archive_mutation(self.rng, child)
            elif r < cut_crossover:
                child = crossover(self.rng, draw_archive(), draw_archive())
                if self.rng.random() < CROSSOVER_MUTATION_PROB:
                    archive_mutation(self.rng, child)
            else:
                child = self._mutated(self.params.new_program(), low=2, high=4)
            population.append(child)
        return population

    def _archive_sampler(self) -> Callable[[], Program]:
        """Draws a copy of an archive entry: uniform while the archive is small or has no finite fitness,
        else weighted by normalised fitness and signature rarity."""
        entries = list(self.archive)
        if not entries:
            return self.params.new_program
        finite = [e.fitness for e in entries if math.isfinite(e.fitness)]
        if len(entries) < UNIFORM_SAMPLING_BELOW or not finite:
            return lambda: clone(entries[int(self.rng.integers(len(entries)))].program)
        low, span = min(finite), max(finite) - min(finite)
        weights = np.empty(len(entries))
        for i, entry in enumerate(entries):
            if math.isfinite(entry.fitness):
                norm = (entry.fitness - low) / span if span > 0 else 0.0
                rarity = 1.0 + NOVELTY_BONUS / (1.0 + self.signature_counts[entry.signature])
                weights[i] = max(math.exp(norm / FITNESS_TEMPERATURE) * rarity, WEIGHT_FLOOR)
            else:
                weights[i] = WEIGHT_FLOOR
        cdf = np.cumsum(weights / weights.sum())

        def draw() -> Program:
            index = min(int(np.searchsorted(cdf, self.rng.random(), side="right")), len(entries) - 1)
            return clone(entries[index].program)

        return draw

    # ------------------------------------------------------------------ loading, migration, state

    def load_population(self, items: Sequence[dict]) -> None:
        """Next population from items (scores are recomputed when it is evaluated), padded to pop_size."""
        programs = [self.program_of(item) for item in list(items)[: self.params.pop_size]]
        programs += [self.params.new_program() for _ in range(self.params.pop_size - len(programs))]
        self.next_population, self.evaluated = programs, []

    def import_migrants(self, indices: Sequence[int], items: Sequence[dict]) -> None:
        for index, item in zip(indices, items):
            self.next_population[index] = self.program_of(item)

    def _extra_state(self) -> dict[str, Any]:
        dim = self.params.input_dim
        archive = []
        for entry in self.archive:
            item = snapshot_item(entry.program, entry.fitness, dim, exact=True)
            item.update(generation=entry.generation, signature=entry.signature)
            archive.append(item)
        return {
            "population": self.exact_items((program, None) for program in self.next_population),
            "evaluated": self.exact_items(self.evaluated),
            "archive": archive,
        }

    def _restore_extra(self, state: dict[str, Any]) -> None:
        self.next_population = [self.program_of(item) for item in state["population"]]
        self.evaluated = [(self.program_of(i), fitness_from_json(i["fitness"])) for i in state.get("evaluated", [])]
        for item in state.get("archive", []):
            self._archive_append(self.program_of(item), fitness_from_json(item["fitness"]), int(item["generation"]))


def signature(program: Program) -> str:
    """Per-phase opcode counts sorted by name, e.g. `setup:CONST1,GAUSSIAN2|predict:DOT1|learn:`."""
    parts = []
    for name in PHASES:
        counts = Counter(_op_name(ins.op) for ins in program.phase(name))
        parts.append(name + ":" + ",".join(f"{op}{n}" for op, n in sorted(counts.items())))
    return "|".join(parts)


def _op_name(op: int) -> str:
    try:
        return Op(op).name
    except ValueError:
        return f"OP{op}"


def archive_mutation(rng: np.random.Generator, program: Program) -> None:
    """Uniform phase; add / modify / remove with p = 0.5 / 0.4 / 0.1, in place (an empty phase always adds)."""
    phase = uniform_phase(rng)
    instructions = program.phase(phase)
    r = rng.random() if instructions else 0.0
    if r < 0.5:
        if len(instructions) < program.capacity(phase):
            instructions.append(random_instruction(rng, program))
        elif instructions:
            index = int(rng.integers(len(instructions)))
            instructions[index] = random_instruction(rng, program)
    elif r < 0.9:
        index = int(rng.integers(len(instructions)))
        instructions[index] = mutate_component(rng, program, instructions[index])
    elif len(instructions) > 1:
        del instructions[int(rng.integers(len(instructions)))]


def crossover(rng: np.random.Generator, first: Program, second: Program) -> Program:
    """Per phase on a copy of `first`: keep, take `second`'s phase, or splice `second`'s tail at a cut."""
    child = clone(first)
    for name in PHASES:
        mine, theirs = child.phase(name), second.phase(name)
        if not mine or not theirs:
            continue
        if min(len(mine), len(theirs)) <= 1:
            spliced = list(theirs) if rng.random() < 0.5 else mine
        else:
            cut = int(rng.integers(1, min(len(mine), len(theirs))))
            spliced = mine[:cut] + theirs[cut:]
        setattr(child, name, spliced[: child.capacity(name)])
    return child
