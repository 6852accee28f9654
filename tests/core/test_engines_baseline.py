"""The `baseline` engine: regularized (aging) evolution (algorithm.md §12.1, §12.3, §12.5)."""

from __future__ import annotations

import logging
import math

import pytest

from core.dsl import to_dsl
from core.engines import BaselineEngine, EngineParams, UnknownEngine, make_engine, normalize_engine_name
from tests.core.engines_support import CountingFitness, ScriptedRng, size_fitness, small_params


def test_first_generation_builds_an_evaluated_population_of_empty_programs_plus_one_child():
    fitness = CountingFitness()
    engine = BaselineEngine(small_params(pop_size=8), fitness, seed=3)
    best, best_fitness, population, generation, evaluations = engine.evolve_generation()
    assert (generation, evaluations, len(population)) == (1, 9, 8)
    assert all(p.instruction_count() == 0 for p in fitness.calls[:8])
    assert population[-1][0] is fitness.calls[8]  # the child is the newest entry
    assert best_fitness == max(f for _, f in population)


def test_aging_removes_the_oldest_entry_each_generation():
    fitness = CountingFitness()
    engine = BaselineEngine(small_params(pop_size=8), fitness, seed=5)
    for expected_generation in range(1, 21):
        result = engine.evolve_generation()
        assert result.generation == expected_generation and len(result.population) == 8
    children = fitness.calls[8:]
    assert [p for p, _ in engine.population()] == children[-8:]  # queue order: oldest first


def _engine_with_ring(fitnesses, **overrides):
    engine = BaselineEngine(small_params(pop_size=len(fitnesses), **overrides), size_fitness, seed=0)
    engine.load_population([{"dsl": f"# meta: predict_max_ops={i}", "fitness": f} for i, f in enumerate(fitnesses)])
    return engine


def test_tournament_picks_the_fittest_drawn_entry_and_the_first_drawn_on_ties():
    engine = _engine_with_ring([5.0, 1.0, 3.0, 3.0, 0.0], tournament_size=3)
    engine.rng = ScriptedRng([2, 1, 3])  # offsets after the oldest: entries 3, 2, 4
    winner = engine._tournament_winner()
    assert winner is engine.population()[3][0]


def test_tournament_never_picks_the_oldest_and_draws_min_t_pop_minus_one():
    engine = _engine_with_ring([9.0, 1.0, 2.0, 0.5], tournament_size=10)
    assert engine.params.tournament_size == 4  # clipped to pop_size
    for _ in range(20):  # T ≥ pop_size − 1: every non-oldest entry takes part, so the fittest of them wins
        assert engine._tournament_winner() is engine.population()[2][0]


def test_without_mutation_the_child_is_a_copy_of_the_tournament_winner():
    engine = _engine_with_ring([0.0, 1.0, 3.0, 2.0], tournament_size=4, mutation_prob=0.0)
    winner_dsl = to_dsl(engine.population()[2][0])
    result = engine.evolve_generation()
    child = result.population[-1][0]
    assert to_dsl(child) == winner_dsl and child is not engine.population()[1][0]


def test_best_changes_only_on_strict_improvement_and_stagnation_counts_generations():
    engine = BaselineEngine(small_params(pop_size=6, mutation_prob=1.0), size_fitness, seed=9)
    history = []
    for _ in range(200):
        result = engine.evolve_generation()
        history.append((result.best, result.best_fitness, engine.stagnation))
    improvements = [i for i in range(1, 200) if history[i][1] != history[i - 1][1]]
    assert improvements and all(history[i][1] > history[i - 1][1] for i in improvements)
    assert all(history[i][0] is history[i - 1][0] for i in range(1, 200) if i not in improvements)
    assert all(history[i][2] == 0 for i in improvements)
    assert history[-1][1] == 3.0  # predict full, learn empty: the stand-in's optimum


def test_a_failing_evaluation_scores_minus_inf_and_counts_as_failed():
    def flaky(program):
        if program.instruction_count() % 2:
            raise RuntimeError("boom")
        return 1.0

    engine = BaselineEngine(small_params(pop_size=4, mutation_prob=1.0), flaky, seed=1)
    for _ in range(40):
        engine.evolve_generation()
    assert engine.failures > 0 and engine.successes > 0 and engine.successes + engine.failures == 40
    for program, fitness in engine.population():
        assert fitness == (-math.inf if program.instruction_count() % 2 else 1.0)


def test_same_seed_and_worker_give_the_same_run_and_workers_differ():
    def run(worker_id):
        engine = BaselineEngine(small_params(), size_fitness, seed=42, worker_id=worker_id)
        for _ in range(50):
            engine.evolve_generation()
        return [to_dsl(p) for p, _ in engine.population()]

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_parameters_are_clipped_or_rejected():
    params = EngineParams(input_dim=4, pop_size=5, tournament_size=0, mutation_prob=2.0)
    assert (params.tournament_size, params.mutation_prob, params.vector_dim) == (1, 1.0, 4)
    assert EngineParams(pop_size=5, tournament_size=50, mutation_prob=-1).tournament_size == 5
    assert EngineParams(pop_size=5, mutation_prob=-1).mutation_prob == 0.0
    for bad, name in [(dict(scalar_count=21), "scalar_count"), (dict(vector_count=0), "vector_count"),
                      (dict(matrix_count=65), "matrix_count"), (dict(input_dim=8, vector_dim=4), "vector_dim"),
                      (dict(vector_dim=1025), "vector_dim"), (dict(pop_size=0), "pop_size"),
                      (dict(learn_max_ops=-1), "learn_max_ops")]:
        with pytest.raises(ValueError, match=name):
            EngineParams(**bad)


def test_engine_names_and_the_ga_alias(caplog):
    with caplog.at_level(logging.WARNING):
        assert normalize_engine_name(" GA ") == "baseline"
    assert "alias" in caplog.text
    assert isinstance(make_engine("ga", small_params(), size_fitness, seed=0), BaselineEngine)
    with pytest.raises(UnknownEngine, match="baseline, archive"):
        normalize_engine_name("hill-climb")


def test_verbose_logs_the_regularized_evo_line(caplog):
    engine = BaselineEngine(small_params(), size_fitness, seed=0, verbose=True)
    with caplog.at_level(logging.INFO, logger="core.engines.baseline"):
        engine.evolve_generation()
    line = caplog.records[-1].getMessage()
    assert line.startswith("[regularized-evo] iter=1 pop=8 best=")
    for key in ("queue_best=", "queue_q1=", "queue_med=", "queue_q3=", "stagnation=", "success=1", "failed=0"):
        assert key in line


def test_load_population_truncates_pads_and_evaluates_missing_fitness():
    fitness = CountingFitness()
    engine = BaselineEngine(small_params(pop_size=4), fitness, seed=0)
    items = [{"format": "dsl", "dsl": "s0 = 1.0", "input_dim": 2}, {"dsl": "s0 = 2.0", "fitness": None}]
    engine.load_population(items)
    fits = [f for _, f in engine.population()]
    assert fits[1] == -math.inf and len(fits) == 4 and len(fitness.calls) == 3  # item 1 and two padding
    engine.load_population([{"dsl": f"s0 = {i}.0", "fitness": float(i)} for i in range(6)])
    assert [f for _, f in engine.population()] == [0.0, 1.0, 2.0, 3.0] and len(fitness.calls) == 3
    assert engine.best_fitness == 3.0
