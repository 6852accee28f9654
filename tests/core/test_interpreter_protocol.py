"""The evaluation protocol of the canonical interpreter (algorithm.md §6)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from core import interpreter, numerics
from core.interpreter import run_task
from core.program import Instruction as I
from core.program import Op, Program
from core.tasks.base import REGRESSION, TaskData

F32 = np.float32
D = 3


def make_task(n_train: int = 5, n_val: int = 4, seed: int = 0) -> TaskData:
    rng = np.random.default_rng(seed)
    return TaskData.from_arrays(
        rng.standard_normal((n_train, D)),
        rng.standard_normal(n_train),
        rng.standard_normal((n_val, D)),
        rng.standard_normal(n_val),
        REGRESSION,
    )


def program(setup=(), predict=(), learn=(), **shape) -> Program:
    shape.setdefault("vector_dim", D)
    return Program(setup=list(setup), predict=list(predict), learn=list(learn), **shape)


def test_empty_program_predicts_zero():
    preds = run_task(program(), make_task(), eval_seed=1)
    assert preds.dtype == F32 and preds.tolist() == [0.0] * 4


def test_predict_never_sees_the_label():
    preds = run_task(program(predict=[I.make(Op.COPY, 1, -1, 0)]), make_task(), 1)
    assert preds.tolist() == [0.0] * 4


def test_learn_sees_the_label_and_memory_persists_into_validation():
    task = make_task()
    p = program(predict=[I.make(Op.COPY, 2, -1, 0)], learn=[I.make(Op.COPY, 1, -1, 2)])
    assert run_task(p, task, 1).tolist() == [task.y_train[-1]] * 4


def test_setup_runs_once_and_learn_once_per_training_example_and_epoch():
    p = program(
        setup=[I.make(Op.CONST, dest=5, c1=1.0), I.make(Op.ADD, 3, 5, 3)],
        predict=[I.make(Op.ADD, 3, 4, 0)],
        learn=[I.make(Op.ADD, 4, 5, 4)],
    )
    assert run_task(p, make_task(n_train=5), 1).tolist() == [6.0] * 4
    assert run_task(p, make_task(n_train=5), 1, epochs=3).tolist() == [16.0] * 4


def test_features_fill_v0_prefix_and_the_rest_persists():
    task = make_task()
    p = program(setup=[I.make(Op.CONST, dest=20, c1=5.0)], predict=[I.make(Op.MEAN, 20, -1, 0)], vector_dim=D + 2)
    expected = [numerics.mean(np.concatenate([x, [5.0, 5.0]]).astype(F32)) for x in task.X_val]
    assert run_task(p, task, 1).tobytes() == np.array(expected, dtype=F32).tobytes()


def test_setup_does_not_see_features():
    p = program(setup=[I.make(Op.NORM, 20, -1, 2)], predict=[I.make(Op.COPY, 2, -1, 0)])
    assert run_task(p, make_task(), 1).tolist() == [0.0] * 4


def test_learn_sees_v0_as_predict_left_it():
    task = make_task()
    p = program(
        predict=[I.make(Op.CONST_VEC, dest=20, c1=0, c2=9.0), I.make(Op.COPY, 2, -1, 0)],
        learn=[I.make(Op.COPY, 20, -1, 2)],  # the norm of v0 after predict overwrote v0[0]
    )
    x = task.X_train[-1].copy()
    x[0] = 9.0
    assert run_task(p, task, 1).tolist() == [numerics.norm(x)] * 4


def test_random_draws_follow_the_eval_seed_in_execution_order():
    task = make_task(n_train=5, n_val=4)
    p = program(setup=[I.make(Op.GAUSSIAN, dest=21, c1=0.0, c2=1.0)], predict=[I.make(Op.UNIFORM, dest=0, c1=0.0, c2=1.0)])
    g = np.random.Generator(np.random.PCG64(1234))
    g.standard_normal(D, dtype=F32)  # setup's vector draw comes first
    draws = g.random(5 + 4, dtype=F32)  # one per predict, training included
    preds = run_task(p, task, 1234)
    assert preds.tobytes() == (draws[5:] * F32(1.0) + F32(0.0)).tobytes()
    assert run_task(p, task, 1235).tolist() != preds.tolist()


def test_nonfinite_values_are_kept_without_errors():
    p = program(predict=[I.make(Op.CONST, dest=2, c1=3e38), I.make(Op.MUL, 2, 2, 3), I.make(Op.SUB, 3, 3, 0)])
    assert np.isnan(run_task(p, make_task(), 1)).all()


@pytest.mark.parametrize(
    "shape",
    [dict(scalar_count=1), dict(vector_count=0), dict(vector_dim=D - 1)],
)
def test_programs_that_cannot_be_evaluated_fail(shape):
    assert run_task(program(**shape), make_task(), 1) is None


@pytest.mark.parametrize("n_train, n_val", [(0, 4), (5, 0)])
def test_an_empty_split_fails(n_train, n_val):
    assert run_task(program(), make_task(n_train, n_val), 1) is None


def test_an_internal_exception_fails():
    assert run_task(program(), make_task(), eval_seed=-5) is None  # PCG64 rejects a negative seed


def test_negative_register_counts_hold_no_registers():
    p = program(setup=[I.make(Op.CONST, dest=30, c1=1.0)], predict=[I.make(Op.CONST, dest=0, c1=2.0)], matrix_count=-3)
    assert run_task(p, make_task(), 1).tolist() == [2.0] * 4


def test_private_memory_request_warns_once_and_uses_shared_memory(monkeypatch, caplog):
    monkeypatch.setattr(interpreter, "_private_memory_warned", False)
    monkeypatch.setenv("AUTOML_ZERO_SHARED_MEMORY", "0")
    p = program(predict=[I.make(Op.COPY, 2, -1, 0)], learn=[I.make(Op.COPY, 1, -1, 2)])
    task = make_task()
    with caplog.at_level(logging.WARNING, logger="core.interpreter"):
        first = run_task(p, task, 1)
        run_task(p, task, 1)
    warnings = [r for r in caplog.records if "AUTOML_ZERO_SHARED_MEMORY" in r.getMessage()]
    assert len(warnings) == 1
    assert first.tolist() == [task.y_train[-1]] * 4  # memory still shared across examples


def test_shared_memory_setting_true_does_not_warn(monkeypatch, caplog):
    monkeypatch.setattr(interpreter, "_private_memory_warned", False)
    monkeypatch.setenv("AUTOML_ZERO_SHARED_MEMORY", "1")
    with caplog.at_level(logging.WARNING, logger="core.interpreter"):
        run_task(program(), make_task(), 1)
    assert not caplog.records
