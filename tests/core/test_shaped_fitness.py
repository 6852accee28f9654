"""`benchmarks.shaped_fitness`: the scale-free / calibrated task score, and the evaluator hook it plugs into."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.shaped_fitness import ShapedEvaluator, shaped_scores
from core.dsl import from_dsl
from core.engines.fitness import miner_fitness
from core.engines.search_fitness import evaluator_for

REPO = Path(__file__).resolve().parents[2]
LABELS = np.array([[1.0, -2.0, 0.5, 3.0]], dtype=np.float32)
HEBBIAN = """# meta: scalar_count=4 vector_count=3 matrix_count=1 vector_dim=4 setup_max_ops=10 predict_max_ops=2 learn_max_ops=8
# setup
# predict
s0 = dot(v1, v0)
# learn
v2 = s1 * v0
v1 = v1 + v2
"""


def score(preds, **weights) -> float:
    return float(shaped_scores(np.array([preds], dtype=np.float32), LABELS, **weights)[0, 0])


def test_a_prediction_right_up_to_a_scale_scores_full_marks_unless_the_scale_is_penalised():
    assert score(LABELS * 0.01) == pytest.approx(1.0)
    assert score(LABELS * 0.01, delta=0.1) == pytest.approx(1.0 - 0.1 * math.log(100.0))
    assert score(-LABELS, delta=0.1) == pytest.approx(1.0 - 0.1 * 3.0)  # the wrong sign costs e^3 of scale
    assert score(LABELS, delta=0.1, validator_weight=0.5) == pytest.approx(1.5)


def test_zero_predictions_score_what_the_validator_gives_them_and_non_finite_ones_fail():
    rmse = math.sqrt(float((LABELS.astype(np.float64) ** 2).mean()))
    assert score(np.zeros_like(LABELS), delta=0.1) == pytest.approx(1.0 - (2 / math.pi) * math.atan(rmse))
    assert score(np.array([[1.0, np.inf, 0.0, 0.0]]), delta=0.1) == -math.inf
    assert score(np.array([[1.0, np.nan, 0.0, 0.0]])) == -math.inf


def test_the_evaluator_scores_suite_and_held_out_tasks_with_the_shaped_score():
    fitness_fn = miner_fitness("scalar_linear", 4, 4, 0, train_examples=100, val_examples=100)
    hebbian = from_dsl(HEBBIAN, 4)  # v1 += y * x: the right direction, a hundred times too large
    validator = evaluator_for(fitness_fn, held_out_tasks=4)
    shaped = evaluator_for(fitness_fn, held_out_tasks=4, evaluator_class=ShapedEvaluator)
    assert isinstance(shaped, ShapedEvaluator)
    assert validator.fitness_many([hebbian], check_above=-math.inf)[0] < 0.05
    # median over the 4 suite and 4 held-out tasks: above 0.5 only if the held-out tasks are shaped too
    assert shaped.fitness_many([hebbian], check_above=-math.inf)[0] > 0.5
    assert shaped.checks == 1


def test_prints_the_search_quality_figures_and_the_search_fitness():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.shaped_fitness", "--config", "quick", "--seeds", "2", "--cpu-seconds", "1",
         "--delta", "0.005", "--local-search-every", "1000"], cwd=REPO, capture_output=True, text=True, timeout=240,
        check=True)
    figures = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert figures["found"] in ("0/1", "1/1") and figures["delta"] == "0.005"
    assert figures["local_search_every"] == "1000"
    assert float(figures["seed_2_search_fitness"]) > 0.25
    assert float(figures["evals_per_cpu_second"]) > 0


def test_a_negative_weight_is_one_usage_line():
    done = subprocess.run([sys.executable, "-m", "benchmarks.shaped_fitness", "--config", "quick", "--cpu-seconds", "1",
                           "--delta", "-1"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "-1" in done.stderr
