"""`core.engines.task_score`: the calibrated task score, and the evolve evaluator that uses it by default."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.dsl import from_dsl
from core.engines import EngineParams
from core.engines.evolve import EvolveEngine
from core.engines.fitness import miner_fitness
from core.engines.search_fitness import SuiteEvaluator, evaluator_for
from core.engines.task_score import calibrated_scores
from core.tasks.base import BINARY, TaskData

LABELS = np.array([[1.0, -2.0, 0.5, 3.0]], dtype=np.float32)
HEBBIAN = """# meta: scalar_count=4 vector_count=3 matrix_count=1 vector_dim=4 setup_max_ops=10 predict_max_ops=2 learn_max_ops=8
# setup
# predict
s0 = dot(v1, v0)
# learn
v2 = s1 * v0
v1 = v1 + v2
"""


def score(preds, weight=0.0) -> float:
    return float(calibrated_scores(np.array([preds], dtype=np.float32), LABELS, weight)[0, 0])


def test_a_prediction_right_up_to_a_scale_scores_full_marks_unless_the_scale_is_penalised():
    assert score(LABELS * 0.01) == pytest.approx(1.0)
    assert score(LABELS * 0.01, 0.1) == pytest.approx(1.0 - 0.1 * math.log(100.0))
    assert score(-LABELS, 0.1) == pytest.approx(1.0 - 0.1 * 3.0)  # the wrong sign costs e^3 of scale


def test_a_right_scale_scores_what_the_validator_gives_and_non_finite_predictions_fail():
    rmse = math.sqrt(float((LABELS.astype(np.float64) ** 2).mean()))
    assert score(np.zeros_like(LABELS), 0.1) == pytest.approx(1.0 - (2 / math.pi) * math.atan(rmse))
    near = LABELS + np.array([[0.5, -0.5, 0.5, -0.5]], dtype=np.float32)  # best scale close to, not exactly, 1
    validator = 1.0 - (2 / math.pi) * math.atan(0.5)
    assert validator < score(near) < validator + 0.05
    assert score(np.array([[1.0, np.inf, 0.0, 0.0]]), 0.1) == -math.inf
    assert score(np.array([[1.0, np.nan, 0.0, 0.0]])) == -math.inf


def test_the_evaluator_scores_suite_and_held_out_tasks_with_the_calibrated_score():
    fitness_fn = miner_fitness("scalar_linear", 4, 4, 0, train_examples=100, val_examples=100)
    hebbian = from_dsl(HEBBIAN, 4)  # v1 += y * x: the right direction, a hundred times too large
    validator = evaluator_for(fitness_fn, held_out_tasks=4)
    calibrated = evaluator_for(fitness_fn, held_out_tasks=4, task_score="calibrated")
    assert validator.fitness_many([hebbian], check_above=-math.inf)[0] < 0.05
    # median over the 4 suite and 4 held-out tasks: above 0.5 only if the held-out tasks are calibrated too
    assert calibrated.fitness_many([hebbian], check_above=-math.inf)[0] > 0.5
    assert calibrated.checks == 1


def test_the_evolve_engine_searches_on_the_calibrated_score_unless_told_otherwise():
    fitness_fn = miner_fitness("scalar_linear", 4, 4, 0, train_examples=100, val_examples=100)
    hebbian = from_dsl(HEBBIAN, 4)
    shape = {"scalar_count": 4, "vector_count": 3, "matrix_count": 1, "setup_max_ops": 10, "predict_max_ops": 2,
             "learn_max_ops": 8}
    default = EvolveEngine(EngineParams(input_dim=4, pop_size=4, held_out_tasks=0, **shape), fitness_fn, seed=1)
    validator = EvolveEngine(EngineParams(input_dim=4, pop_size=4, held_out_tasks=0, task_score="validator", **shape),
                             fitness_fn, seed=1)
    assert default.evaluator.fitness(hebbian) > 0.5 > 0.05 > validator.evaluator.fitness(hebbian)


def test_a_classification_suite_keeps_the_validators_score():
    rng = np.random.default_rng(0)
    tasks = []
    for _ in range(3):
        x = rng.normal(size=(40, 4))
        y = (x[:, 0] > 0).astype(np.float32)  # labels 0 / 1: the calibrated score would reward any scale of them
        tasks.append(TaskData.from_arrays(x[:20], y[:20], x[20:], y[20:], BINARY))
    hebbian = from_dsl(HEBBIAN, 4)
    validator = SuiteEvaluator(tasks, [1, 2, 3], task_score="validator")
    calibrated = SuiteEvaluator(tasks, [1, 2, 3], task_score="calibrated")
    assert calibrated.task_scores([hebbian], slice(0, 3)) == validator.task_scores([hebbian], slice(0, 3))


def test_an_unknown_task_score_is_refused_by_name():
    with pytest.raises(ValueError, match="task_score"):
        EngineParams(task_score="scale-free")
    with pytest.raises(ValueError, match="calibration"):
        EngineParams(calibration=-0.1)
