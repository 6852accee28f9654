"""Task scores, medians and fitness (algorithm.md §7)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from core.numerics import pw
from core.tasks.base import BINARY, REGRESSION, TaskData

NEG_INF = float("-inf")
_TWO_OVER_PI = 2.0 / math.pi


def task_score(predictions: np.ndarray | None, task: TaskData) -> float:
    """Score of one task's validation predictions; −inf for a failed evaluation (None)."""
    if predictions is None:
        return NEG_INF
    predictions = np.asarray(predictions, dtype=np.float32)
    if predictions.shape != task.y_val.shape:
        return NEG_INF
    if task.kind == BINARY:
        return binary_accuracy(predictions, task.y_val)
    if task.kind == REGRESSION:
        return regression_score(predictions, task.y_val)
    raise ValueError(f"unknown task kind {task.kind!r}")


def binary_accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    """Share of examples where (pred > 0.5) equals (label = 1), in binary64; NaN predicts class 0."""
    hits = int(np.count_nonzero((predictions > np.float32(0.5)) == (labels == np.float32(1.0))))
    return hits / len(labels)


def regression_score(predictions: np.ndarray, labels: np.ndarray) -> float:
    """1 − (2/π)·atan(rmse), with the rmse in binary32 as the reference computes it; −inf if not finite."""
    return regression_scores(predictions[np.newaxis], labels[np.newaxis])[0]


def regression_scores(predictions: np.ndarray, labels: np.ndarray) -> list[float]:
    """`regression_score` of each row of two (tasks, examples) arrays, in one pass over a whole suite."""
    finite = np.isfinite(predictions).all(axis=-1).tolist()
    with np.errstate(all="ignore"):
        errors = predictions - labels
        rmse = np.sqrt(pw(errors * errors) / np.float32(labels.shape[-1])).tolist()
    return [score_of_rmse(r) if ok else NEG_INF for ok, r in zip(finite, rmse)]


def score_of_rmse(rmse: float) -> float:
    """1 − (2/π)·atan(rmse); −inf when the rmse is not finite."""
    return 1.0 - _TWO_OVER_PI * math.atan(rmse) if math.isfinite(rmse) else NEG_INF


def median_score(scores: Iterable[float]) -> float:
    """Median with −inf included: even counts average the two middle values (−inf if either is)."""
    ordered = sorted(float(s) for s in scores)
    if not ordered:
        return NEG_INF
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    low, high = ordered[middle - 1], ordered[middle]
    if low == NEG_INF:
        return NEG_INF
    return (low + high) / 2.0


def fitness(scores: Iterable[float]) -> float:
    """Miner fitness: the median of the finite scores only, −inf if there are none."""
    return median_score(s for s in scores if math.isfinite(s))


def score_to_json(score: float) -> float | None:
    """A score as it goes on the wire: −inf and NaN become None (JSON null)."""
    score = float(score)
    return score if math.isfinite(score) else None
