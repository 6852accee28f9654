"""The evaluation dispatcher (algorithm.md §6, §10 work budget, §17 BITSOTA_EVALUATOR)."""

from __future__ import annotations

import numpy as np
import pytest

from core import evaluate
from core.evaluate import (
    DISPATCH_UNITS,
    ELEMENT_UNITS,
    EvaluatorUnavailable,
    estimate_work,
    evaluate_tasks,
    predict_tasks,
    selected_evaluator,
)
from core.program import Instruction as I
from core.program import Op, Program
from core.scoring import NEG_INF
from core.tasks.base import BINARY, REGRESSION, TaskData

F32 = np.float32
D = 4


def make_task(n_train: int, n_val: int, kind: str = REGRESSION, seed: int = 0) -> TaskData:
    rng = np.random.default_rng(seed)
    y_train, y_val = rng.standard_normal(n_train), rng.standard_normal(n_val)
    if kind == BINARY:
        y_train, y_val = (y_train > 0).astype(F32), (y_val > 0).astype(F32)
    return TaskData.from_arrays(rng.standard_normal((n_train, D)), y_train, rng.standard_normal((n_val, D)), y_val, kind)


SGD = Program(
    vector_dim=D,
    setup=[I.make(Op.CONST, dest=2, c1=0.05), I.make(Op.GAUSSIAN, dest=21, c1=0.0, c2=0.1)],
    predict=[I.make(Op.DOT, 21, 20, 0)],
    learn=[I.make(Op.SUB, 1, 0, 3), I.make(Op.MUL, 2, 3, 4), I.make(Op.MUL, 4, 20, 22), I.make(Op.ADD, 21, 22, 21)],
)


@pytest.mark.parametrize("value", ["canonical", " Canonical ", "CANONICAL"])
def test_canonical_is_selected_by_name(monkeypatch, value):
    monkeypatch.setenv("BITSOTA_EVALUATOR", value)
    assert selected_evaluator() == "canonical"


@pytest.mark.parametrize("value", [None, "auto", ""])
def test_auto_prefers_the_fast_evaluator_when_available(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("BITSOTA_EVALUATOR", raising=False)
    else:
        monkeypatch.setenv("BITSOTA_EVALUATOR", value)
    monkeypatch.setattr(evaluate, "fast_available", lambda: True)
    assert selected_evaluator() == "fast"
    monkeypatch.setattr(evaluate, "fast_available", lambda: False)
    assert selected_evaluator() == "canonical"


def test_fast_without_the_compiled_evaluator_is_an_error(monkeypatch):
    monkeypatch.setenv("BITSOTA_EVALUATOR", "fast")
    monkeypatch.setattr(evaluate, "fast_available", lambda: False)
    with pytest.raises(EvaluatorUnavailable, match="BITSOTA_EVALUATOR=fast"):
        selected_evaluator()
    with pytest.raises(EvaluatorUnavailable):
        predict_tasks(SGD, [make_task(3, 3)], [1])


def test_unknown_evaluator_name_is_an_error(monkeypatch):
    monkeypatch.setenv("BITSOTA_EVALUATOR", "turbo")
    with pytest.raises(ValueError, match="auto, fast, canonical"):
        selected_evaluator()


def test_explicit_choice_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("BITSOTA_EVALUATOR", "turbo")
    assert selected_evaluator("canonical") == "canonical"


def test_canonical_predictions_and_scores_per_task():
    tasks = [make_task(20, 10, REGRESSION, seed=1), make_task(20, 10, BINARY, seed=2)]
    preds = predict_tasks(SGD, tasks, [7, 8], evaluator="canonical")
    assert [p.shape for p in preds] == [(10,), (10,)]
    assert preds[0].tolist() != preds[1].tolist()
    scores = evaluate_tasks(SGD, tasks, [7, 8], evaluator="canonical")
    assert 0 < scores[0] <= 1 and scores[1] in {i / 10 for i in range(11)}


def test_failed_tasks_score_minus_inf():
    broken = Program(scalar_count=1, vector_dim=D)
    assert evaluate_tasks(broken, [make_task(3, 3), make_task(3, 3, BINARY)], [1, 2], evaluator="canonical") == [NEG_INF, NEG_INF]


def test_seed_count_must_match_task_count():
    with pytest.raises(ValueError, match="eval seeds"):
        predict_tasks(SGD, [make_task(3, 3)], [1, 2], evaluator="canonical")


def test_fast_and_canonical_agree_bitwise():
    if not evaluate.fast_available():
        pytest.skip("the compiled evaluator is not built")
    tasks = [make_task(30, 20, REGRESSION, seed=s) for s in range(3)]
    fast = predict_tasks(SGD, tasks, [11, 12, 13], evaluator="fast")
    canonical = predict_tasks(SGD, tasks, [11, 12, 13], evaluator="canonical")
    assert [p.tobytes() for p in fast] == [p.tobytes() for p in canonical]


def test_estimate_work_counts_dispatch_and_weighted_elements():
    n = 5
    program = Program(
        vector_dim=n,
        setup=[I.make(Op.GAUSSIAN, dest=30, c1=0, c2=1), I.make(Op.CONST_VEC, dest=21, c1=0, c2=1)],
        predict=[I.make(Op.MATMUL, 30, 20, 22), I.make(Op.DOT, 22, 20, 0), I.make(Op.EXP, 0, -1, 3)],
        learn=[I.make(Op.ADD, 0, 1, 2), I.make(Op.NOOP), I.make(Op.ADD, 21, 1, 2)],  # the last two are skipped
    )
    d, random, transcendental = DISPATCH_UNITS, ELEMENT_UNITS[Op.GAUSSIAN], ELEMENT_UNITS[Op.EXP]
    setup = (d + random * n * n) + (d + 1)
    predict = (d + n * n) + (d + n) + (d + transcendental)
    learn = d + 1
    rows = [(10, 4), (6, 3)]
    assert estimate_work(program, rows) == sum(setup + tr * (predict + learn) + va * predict for tr, va in rows)
    assert estimate_work(program, rows, epochs=2) == sum(setup + 2 * tr * (predict + learn) + va * predict
                                                         for tr, va in rows)


def test_estimate_work_of_an_empty_program_is_zero():
    assert estimate_work(Program(vector_dim=D), [(10, 10)]) == 0
