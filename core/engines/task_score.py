"""How the `evolve` engine scores one task while it searches: the validator's score, or the calibrated one.

The validator scores a regression task as `1 - (2/pi) * atan(rmse)` (algorithm.md §7). In the full op space
that gives no partial credit on the way to a learning rule: a Hebbian update (`w += y * x`) predicts in the
right direction but a hundred times too large, and scores ~0.003, below a constant predictor (~0.3); its
learning rate is two more instructions (a constant in setup, a product in learn). The calibrated score gives
that credit and still prefers the right scale (p = predictions, y = labels, on the validation rows):

    scale-free = 1 - (2/pi) * atan(rmse of y against b * p), with the best scale b = p.y / p.p (b = 1 when p = 0)
    calibrated = scale-free - weight * min(|ln |b|| + 3 * [b < 0], 20)

A program right up to a scale gets most of the credit, and the penalty pulls the scale towards 1; a right
prediction (b = 1) scores exactly the validator's score. Only regression suites of equal-size tasks have it;
other suites are scored as the validator scores them. What a miner submits is still verified with the
validator's score first (miner.md §4.3).
"""

from __future__ import annotations

import math

import numpy as np

TASK_SCORES = ("calibrated", "validator")
DEFAULT_CALIBRATION = 0.005  # the scale penalty's weight (measured in docs/performance.md, "Search quality")
SIGN_PENALTY = 3.0  # a prediction of the wrong sign counts as a scale e^3 off
MAX_PENALTY = 20.0


def calibrated_scores(preds: np.ndarray, labels: np.ndarray, weight: float = DEFAULT_CALIBRATION) -> np.ndarray:
    """Scores (programs, tasks) from predictions (programs, tasks, rows) and labels (tasks, rows); -inf where a
    prediction is not finite. `weight` 0 gives the scale-free score."""
    p = preds.astype(np.float64)
    y = labels.astype(np.float64)[np.newaxis]
    rows = y.shape[-1]
    with np.errstate(all="ignore"):
        pp, py, yy = (p * p).sum(-1), (p * y).sum(-1), (y * y).sum(-1)
        scaled = pp > 0
        safe_pp = np.where(scaled, pp, 1.0)
        b = np.where(scaled, py / safe_pp, 1.0)
        residual = np.where(scaled, yy - py * py / safe_pp, yy)
        scores = 1.0 - (2.0 / math.pi) * np.arctan(np.sqrt(np.maximum(residual, 0.0) / rows))
        scores = scores - weight * np.minimum(np.abs(np.log(np.abs(b))) + SIGN_PENALTY * (b < 0), MAX_PENALTY)
    finite = np.isfinite(p).all(-1) & np.isfinite(scores)
    return np.where(finite, scores, -np.inf)
