"""Search with the real miner fitness: evolution beats the initial (empty) population on scalar_linear."""

from __future__ import annotations

import math

import pytest

from core.engines import EngineParams, make_engine
from core.engines.fitness import miner_fitness
from core.engines.held_out import SCALAR_LINEAR_ID_LIMIT, held_out_specs

DIM = 2


@pytest.mark.parametrize("engine_name, generations", [("baseline", 400), ("archive", 15), ("evolve", 200)])
def test_fitness_rises_above_the_initial_population(engine_name, generations):
    fitness_fn = miner_fitness("scalar_linear", DIM, 2, 0, train_examples=40, val_examples=40,
                               fec_cache_size=10_000, fec_train_examples=10, fec_valid_examples=10)
    # held_out_tasks=0: on 2 tasks a constant predictor is an improvement the search must be able to find
    params = EngineParams(input_dim=DIM, pop_size=20, held_out_tasks=0, scalar_count=4, vector_count=2, matrix_count=1,
                          setup_max_ops=3, predict_max_ops=3, learn_max_ops=4)
    engine = make_engine(engine_name, params, fitness_fn, seed=1)
    # evolve scores on its own search fitness (failed tasks counted)
    score = engine.evaluator.fitness if engine_name == "evolve" else fitness_fn
    initial = score(params.new_program())
    for _ in range(generations):
        result = engine.evolve_generation()
    assert math.isfinite(initial)
    assert result.best_fitness > initial + 0.005
    assert max(f for _, f in result.population) > initial


def test_evolve_holds_out_tasks_of_the_same_family_for_its_generalisation_check():
    fitness_fn = miner_fitness("scalar_linear", DIM, 3, 0, train_examples=20, val_examples=10)
    params = EngineParams(input_dim=DIM, pop_size=8, held_out_tasks=5, scalar_count=4, vector_count=2,
                          matrix_count=1, setup_max_ops=2, predict_max_ops=2, learn_max_ops=2)
    engine = make_engine("evolve", params, fitness_fn, seed=1)
    tasks = engine.evaluator.suite.tasks
    assert len(tasks) == 8 and tasks[:3] == fitness_fn.tasks
    assert all(len(t.y_train) == 20 and len(t.y_val) == 10 and t.input_dim == DIM for t in tasks)
    extra_ids = [spec.task_id for spec in held_out_specs(fitness_fn.specs, 5, fitness_fn.suite_seed)]
    assert len(set(extra_ids)) == 5 and not set(extra_ids) & {s.task_id for s in fitness_fn.specs}
    assert max(extra_ids) < SCALAR_LINEAR_ID_LIMIT  # below the ids the search-quality benchmark scores on
