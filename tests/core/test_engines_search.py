"""Search with the real miner fitness: evolution beats the initial (empty) population on scalar_linear."""

from __future__ import annotations

import math

import pytest

from core.engines import EngineParams, make_engine
from core.engines.fitness import miner_fitness

DIM = 2


@pytest.mark.parametrize("engine_name, generations", [("baseline", 400), ("archive", 15), ("evolve", 200)])
def test_fitness_rises_above_the_initial_population(engine_name, generations):
    fitness_fn = miner_fitness("scalar_linear", DIM, 2, 0, train_examples=40, val_examples=40,
                               fec_cache_size=10_000, fec_train_examples=10, fec_valid_examples=10)
    params = EngineParams(input_dim=DIM, pop_size=20, scalar_count=4, vector_count=2, matrix_count=1,
                          setup_max_ops=3, predict_max_ops=3, learn_max_ops=4)
    engine = make_engine(engine_name, params, fitness_fn, seed=1)
    initial = fitness_fn(params.new_program())
    for _ in range(generations):
        result = engine.evolve_generation()
    assert math.isfinite(initial)
    assert result.best_fitness > initial + 0.005
    assert max(f for _, f in result.population) > initial
