"""The `archive` engine: archive-aware evolution (algorithm.md §12.4)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from core.dsl import from_dsl, to_dsl
from core.engines import ArchiveEngine
from core.engines.archive import signature
from core.program import Instruction, Op
from tests.core.engines_support import CountingFitness, size_fitness, small_params


def test_a_generation_evaluates_the_whole_population_and_returns_it_scored_fittest_first():
    fitness = CountingFitness()
    engine = ArchiveEngine(small_params(pop_size=8), fitness, seed=2)
    first = engine.evolve_generation()
    assert (first.generation, first.evaluations, len(first.population)) == (1, 8, 8)
    second = engine.evolve_generation()
    assert second.evaluations == 16 and len(fitness.calls) == 16
    scores = [f for _, f in second.population]
    assert scores == sorted(scores, reverse=True)
    # the returned population is the one just evaluated, each program with its own score (Fix of §12.4)
    assert all(size_fitness(p) == f for p, f in second.population)
    assert second.best_fitness == max(first.best_fitness, scores[0])


def test_the_top_program_survives_into_the_next_population():
    engine = ArchiveEngine(small_params(pop_size=6), size_fitness, seed=4)
    for _ in range(5):
        result = engine.evolve_generation()
        assert engine.next_population[0] is result.population[0][0]


def test_kind_mismatched_programs_score_minus_inf_without_evaluation():
    fitness = CountingFitness()
    engine = ArchiveEngine(small_params(pop_size=2), fitness, seed=0)
    engine.load_population([{"dsl": "s0 = dot(s1, s2)"}, {"dsl": "s0 = dot(v0, v1)"}])
    result = engine.evolve_generation()
    assert [to_dsl(p).splitlines()[-2] for p in fitness.calls] == ["s0 = dot(v0, v1)"]
    assert result.population[-1][1] == -math.inf


def test_archive_is_bounded_and_counts_the_signatures_it_holds():
    engine = ArchiveEngine(small_params(pop_size=10, archive_size=25), size_fitness, seed=6)
    for generation in range(1, 6):
        engine.evolve_generation()
        assert len(engine.archive) == min(25, 10 * generation)
    assert engine.signature_counts == Counter(entry.signature for entry in engine.archive)
    newest = engine.archive[-1]
    assert newest.generation == 5 and newest.complexity == newest.program.instruction_count()
    assert newest.signature == signature(newest.program)


def _archive_engine_with(entries, seed=0):
    engine = ArchiveEngine(small_params(pop_size=4, archive_size=1000), size_fitness, seed=seed)
    for dsl, fitness in entries:
        engine._archive_append(from_dsl(dsl, 2), fitness, generation=1)
    return engine


def test_archive_sampling_prefers_fit_programs_once_the_archive_has_twenty_entries():
    entries = [("s0 = 1.0", 1.0)] * 10 + [("s0 = 2.0", 0.0)] * 10 + [("s0 = 3.0", -math.inf)] * 10
    draw = _archive_engine_with(entries)._archive_sampler()
    counts = Counter(to_dsl(draw()).splitlines()[-2] for _ in range(3000))
    assert counts["s0 = 3.0"] == 0
    # weights exp(1/2)·(1 + 0.3/11) vs exp(0)·(1 + 0.3/11): a share of e^0.5 / (1 + e^0.5) ≈ 0.62
    assert abs(counts["s0 = 1.0"] / 3000 - math.exp(0.5) / (1 + math.exp(0.5))) < 0.03


def test_archive_sampling_is_uniform_when_small_or_without_finite_fitness_and_empty_gives_new_programs():
    small = _archive_engine_with([("s0 = 1.0", 5.0), ("s0 = 2.0", 0.0)])._archive_sampler()
    counts = Counter(to_dsl(small()).splitlines()[-2] for _ in range(2000))
    assert abs(counts["s0 = 1.0"] / 2000 - 0.5) < 0.05
    hopeless = _archive_engine_with([("s0 = 1.0", -math.inf)] * 30)._archive_sampler()
    assert to_dsl(hopeless()).splitlines()[-2] == "s0 = 1.0"
    empty = _archive_engine_with([])._archive_sampler()
    assert empty().instruction_count() == 0


def test_sampled_archive_entries_are_copies():
    engine = _archive_engine_with([("s0 = 1.0", 1.0)])
    drawn = engine._archive_sampler()()
    drawn.predict.append(Instruction.make(Op.NOOP))
    assert len(engine.archive[0].program.predict) == 1


def test_evolve_starts_from_the_seeds_and_their_mutants_and_returns_the_best():
    fitness = CountingFitness()
    engine = ArchiveEngine(small_params(pop_size=8), fitness, seed=8)
    seed_program = from_dsl("# meta: predict_max_ops=3\n# predict\ns0 = 1.0\ns1 = 2.0", 2)
    best, best_fitness = engine.evolve(3, [seed_program])
    first_generation = fitness.calls[:8]
    assert to_dsl(first_generation[0]) == to_dsl(seed_program)
    assert sum(to_dsl(p) != to_dsl(seed_program) for p in first_generation[1:]) >= 5  # its mutants
    assert len(fitness.calls) == 24 and engine.generation == 3
    assert best_fitness == max(size_fitness(p) for p in fitness.calls) and best_fitness >= 2.0


def test_evolve_without_seeds_starts_from_mutated_empty_programs():
    fitness = CountingFitness()
    ArchiveEngine(small_params(pop_size=6), fitness, seed=1).evolve(1)
    assert all(p.instruction_count() >= 1 for p in fitness.calls)


def test_archive_runs_are_deterministic_per_seed():
    def run():
        engine = ArchiveEngine(small_params(pop_size=6), size_fitness, seed=12)
        for _ in range(6):
            result = engine.evolve_generation()
        return [to_dsl(p) for p, _ in result.population], result.best_fitness

    assert run() == run()


def test_archive_search_improves_the_stand_in_fitness():
    engine = ArchiveEngine(small_params(pop_size=10), size_fitness, seed=0)
    results = [engine.evolve_generation() for _ in range(15)]
    assert results[-1].best_fitness > results[0].best_fitness
    assert np.isfinite(results[-1].best_fitness)
