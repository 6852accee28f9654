"""Score formulas, medians and fitness (algorithm.md §7)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core.scoring import NEG_INF, fitness, median_score, score_to_json, task_score
from core.tasks.base import BINARY, REGRESSION, TaskData

F32 = np.float32


def task(y_val, kind: str) -> TaskData:
    y_val = np.asarray(y_val, dtype=F32)
    return TaskData.from_arrays(np.zeros((1, 2)), np.zeros(1), np.zeros((len(y_val), 2)), y_val, kind)


def test_failed_evaluation_scores_minus_inf():
    assert task_score(None, task([0, 1], BINARY)) == NEG_INF
    assert task_score(None, task([0.5], REGRESSION)) == NEG_INF


def test_binary_accuracy_thresholds_strictly_above_half():
    t = task([1, 1, 0, 0, 1], BINARY)
    preds = np.array([0.6, 0.5, 0.5, 0.7, 2.0], dtype=F32)  # hits: yes, no, yes, no, yes
    assert task_score(preds, t) == 3 / 5


def test_binary_nan_predicts_class_zero():
    t = task([0, 1, 0], BINARY)
    preds = np.array([np.nan, np.nan, np.inf], dtype=F32)
    assert task_score(preds, t) == 1 / 3


def test_binary_accuracy_is_binary64():
    t = task([1] * 7 + [0] * 993, BINARY)
    assert task_score(np.zeros(1000, dtype=F32), t) == 993 / 1000 == 0.993


def test_regression_score_uses_binary32_mse_and_rmse():
    y = np.array([0.0, 0.0, 1.5], dtype=F32)
    preds = np.array([1.0, 2.0, 0.25], dtype=F32)
    e = preds - y
    rmse = np.sqrt((((F32(0) + e[0] * e[0]) + e[1] * e[1]) + e[2] * e[2]) / F32(3))
    assert rmse.dtype == F32
    assert task_score(preds, task(y, REGRESSION)) == 1.0 - (2.0 / math.pi) * math.atan(float(rmse))


def test_regression_perfect_prediction_scores_one():
    y = np.linspace(-3, 3, 50, dtype=F32)
    assert task_score(y.copy(), task(y, REGRESSION)) == 1.0


def test_regression_mse_is_a_pairwise_float32_sum():
    rng = np.random.default_rng(4)
    y = rng.standard_normal(1000).astype(F32)
    preds = rng.standard_normal(1000).astype(F32)
    e = preds - y
    mse32 = np.add.reduce(e * e) / F32(1000)
    expected = 1.0 - (2.0 / math.pi) * math.atan(float(np.sqrt(mse32)))
    assert task_score(preds, task(y, REGRESSION)) == expected


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_regression_nonfinite_prediction_scores_minus_inf(bad):
    preds = np.array([0.0, bad, 1.0], dtype=F32)
    assert task_score(preds, task([0, 0, 0], REGRESSION)) == NEG_INF


def test_regression_overflowing_error_scores_minus_inf():
    preds = np.array([3e38, -3e38], dtype=F32)
    assert task_score(preds, task([-3e38, 3e38], REGRESSION)) == NEG_INF


def test_predictions_of_the_wrong_length_score_minus_inf():
    assert task_score(np.zeros(3, dtype=F32), task([0, 1], BINARY)) == NEG_INF


@pytest.mark.parametrize(
    "scores, median",
    [
        ([], NEG_INF),
        ([0.3], 0.3),
        ([0.9, 0.1, 0.5], 0.5),
        ([0.9, 0.1, 0.5, 0.2], (0.2 + 0.5) / 2),
        ([NEG_INF, 0.4, 0.6], 0.4),
        ([NEG_INF, NEG_INF, 0.6, 0.7], NEG_INF),
        ([NEG_INF, 0.5, 0.6, 0.7], (0.5 + 0.6) / 2),
        ([NEG_INF, NEG_INF], NEG_INF),
    ],
)
def test_median_includes_minus_inf(scores, median):
    assert median_score(scores) == median
    assert median_score(scores) == (float(np.median(scores)) if scores else NEG_INF)


def test_fitness_ignores_minus_inf():
    assert fitness([NEG_INF, NEG_INF, 0.6, 0.7]) == (0.6 + 0.7) / 2
    assert fitness([NEG_INF, NEG_INF]) == NEG_INF
    assert fitness([]) == NEG_INF


def test_score_to_json_writes_nonfinite_as_null():
    assert json.dumps([score_to_json(x) for x in (0.25, NEG_INF, float("nan"), F32(0.5))]) == "[0.25, null, null, 0.5]"
