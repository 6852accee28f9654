"""Engine checkpoints and resume (algorithm.md §15): atomic files that continue a run exactly."""

from __future__ import annotations

import json
import math

import pytest

from core.engines import ArchiveEngine, BaselineEngine, CheckpointMismatch
from core.engines.checkpoint import checkpoint_path, resume, write_checkpoint
from core.engines.population import encode_exact
from core.program import Instruction, Op
from tests.core.engines_support import size_fitness, small_params

TASK = "scalar_linear"


def trajectory(engine, generations):
    """What a run looks like from outside: every generation's population (exact programs and scores)."""
    steps = []
    for _ in range(generations):
        result = engine.evolve_generation()
        steps.append(([(encode_exact(p), f) for p, f in result.population], result.best_fitness,
                      result.generation, result.evaluations))
    return steps


@pytest.mark.parametrize("engine_class", [BaselineEngine, ArchiveEngine])
def test_resume_restores_the_population_and_continues_identically(tmp_path, engine_class):
    params = small_params(pop_size=6)
    original = engine_class(params, size_fitness, seed=21)
    trajectory(original, 25)
    path = write_checkpoint(tmp_path, TASK, original)
    assert path == checkpoint_path(tmp_path, TASK, engine_class.name, 0)
    expected_population = [(encode_exact(p), f) for p, f in original.population()]
    expected = trajectory(original, 15)

    resumed = engine_class(params, size_fitness, seed=999)  # the saved generator state wins over the seed
    assert resume(resumed, tmp_path, TASK) is True
    assert [(encode_exact(p), f) for p, f in resumed.population()] == expected_population
    assert trajectory(resumed, 15) == expected


def test_resume_keeps_what_dsl_text_drops(tmp_path):
    engine = BaselineEngine(small_params(pop_size=2), size_fitness, seed=0)
    engine.evolve_generation()
    odd = Instruction.make(Op.ADD, 1, 2, 3, c1=1.25, c2=-0.5)  # constants ADD ignores: not in the DSL
    engine.population()[0][0].predict[:] = [Instruction.make(Op.NOOP, c1=0.75), odd]
    write_checkpoint(tmp_path, TASK, engine)
    resumed = BaselineEngine(small_params(pop_size=2), size_fitness, seed=0)
    resume(resumed, tmp_path, TASK)
    assert resumed.population()[0][0].predict == [Instruction.make(Op.NOOP, c1=0.75), odd]


def test_checkpoint_file_holds_the_documented_fields(tmp_path):
    engine = ArchiveEngine(small_params(pop_size=4), size_fitness, seed=1)
    engine.evolve_generation()
    data = json.loads(write_checkpoint(tmp_path, TASK, engine).read_text())
    assert data["version"] == 1 and data["task_type"] == TASK and data["engine"] == "archive"
    assert data["input_dim"] == 2 and data["params"]["pop_size"] == 4
    assert (data["generation"], data["evaluations"]) == (1, 4)
    assert data["rng_state"]["bit_generator"] == "PCG64"
    assert set(data["best"]) >= {"dsl", "fitness"}
    item = data["population"][0]
    assert item["format"] == "dsl" and item["input_dim"] == 2 and "fitness" in item
    assert {"fitness", "generation", "signature", "dsl"} <= set(data["archive"][0])
    assert "fec_stats" in data


def _saved_engine(tmp_path, **overrides):
    engine = BaselineEngine(small_params(**overrides), size_fitness, seed=0)
    engine.evolve_generation()
    write_checkpoint(tmp_path, TASK, engine)
    return engine


@pytest.mark.parametrize("change, message", [
    (dict(scalar_count=5), "scalar_count"),
    (dict(learn_max_ops=9), "learn_max_ops"),
    (dict(pop_size=9), "pop_size"),
])
def test_a_checkpoint_of_another_shape_is_refused(tmp_path, change, message):
    _saved_engine(tmp_path)
    other = BaselineEngine(small_params(**change), size_fitness, seed=0)
    with pytest.raises(CheckpointMismatch, match=message):
        resume(other, tmp_path, TASK)


def test_a_checkpoint_of_another_task_or_engine_is_refused(tmp_path):
    _saved_engine(tmp_path)
    path = checkpoint_path(tmp_path, TASK, "baseline", 0)
    moved = checkpoint_path(tmp_path, "mnist_binary", "baseline", 0)
    moved.parent.mkdir(parents=True)
    path.rename(moved)
    with pytest.raises(CheckpointMismatch, match="task type"):
        resume(BaselineEngine(small_params(), size_fitness, seed=0), tmp_path, "mnist_binary")
    state = json.loads(moved.read_text())
    with pytest.raises(CheckpointMismatch, match="engine 'baseline'"):
        ArchiveEngine(small_params(), size_fitness, seed=0).restore(state)


def test_no_checkpoint_means_no_resume(tmp_path):
    engine = BaselineEngine(small_params(), size_fitness, seed=0)
    assert resume(engine, tmp_path, TASK) is False and engine.generation == 0


def test_a_corrupt_checkpoint_is_reported(tmp_path):
    path = checkpoint_path(tmp_path, TASK, "baseline", 0)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(CheckpointMismatch, match="not valid JSON"):
        resume(BaselineEngine(small_params(), size_fitness, seed=0), tmp_path, TASK)


def test_a_damaged_state_is_refused_and_leaves_the_engine_untouched(tmp_path):
    engine = _saved_engine(tmp_path)
    state = json.loads(checkpoint_path(tmp_path, TASK, "baseline", 0).read_text())
    state["population"][1]["exact"]["predict"] = [[1, 2]]
    before = [(encode_exact(p), f) for p, f in engine.population()]
    with pytest.raises(CheckpointMismatch, match="damaged"):
        engine.restore(state)
    assert [(encode_exact(p), f) for p, f in engine.population()] == before and engine.generation == 1
