"""Batch evaluation (`TaskBatch.run_many`, `TaskSet.*_many`, `FecCache.fitness_many`) against one program at a
time and against the canonical interpreter, bit for bit, over many random programs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import fast, interpreter
from core.evaluate import TaskSet
from core.fec import FecCache, probe_traces, trace_bytes
from core.program import Instruction, Op, Program
from core.scoring import regression_scores, score_of_rmse
from core.tasks.base import BINARY, TaskData
from tests.core.test_fast import FAMILIES, assert_same_bits, fixture_task, random_program

pytestmark = pytest.mark.skipif(not fast.available(), reason="core._fastexec is not built")
make = Instruction.make


def _suite(family: str, input_dim: int, count: int, seed: int) -> tuple[list[TaskData], list[int]]:
    tasks = [fixture_task(family, input_dim, seed=seed + k, n_train=12, n_val=9) for k in range(count)]
    return tasks, [seed * 7 + k for k in range(count)]


def _learner(input_dim: int) -> Program:
    """A linear SGD learner: it predicts varying, finite values, so its predictions are worth comparing."""
    return Program(scalar_count=4, vector_count=3, matrix_count=0, vector_dim=input_dim,
                   setup=[make(Op.CONST, dest=3, c1=0.05)],
                   predict=[make(Op.DOT, 21, 20, 0)],
                   learn=[make(Op.SUB, 1, 0, 2), make(Op.MUL, 3, 2, 2), make(Op.MUL, 2, 20, 22), make(Op.ADD, 21, 22, 21)])


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_matches_single_and_canonical_bit_for_bit(family):
    """400 random programs per family in batches of varied size: batch == single == canonical."""
    g = np.random.default_rng(hash(family) % 2**32)
    informative = 0
    for round_ in range(20):
        input_dim = int(g.integers(1, 6))
        tasks, seeds = _suite(family, input_dim, 3, seed=round_)
        programs = [random_program(g, input_dim) for _ in range(int(g.integers(1, 40)))] + [_learner(input_dim)]
        suite = TaskSet(tasks, seeds, "fast")
        for program, batch_preds in zip(programs, suite.predict_many(programs)):
            single = suite.predict(program)
            for task, seed, got, one in zip(tasks, seeds, batch_preds, single):
                assert_same_bits(got, one, program)
                assert_same_bits(got, interpreter.run_task(program, task, seed), program)
                informative += got is not None and bool(got.any())
    assert informative > 200


@pytest.mark.parametrize("family", FAMILIES)
def test_scores_many_equals_scores_on_every_task_range(family):
    g = np.random.default_rng(31)
    tasks, seeds = _suite(family, 4, 5, seed=3)
    suite = TaskSet(tasks, seeds, "fast")
    programs = [random_program(g, 4) for _ in range(60)] + [_learner(4)]
    singles = [suite.scores(program) for program in programs]
    assert singles[-1][0] > -math.inf  # the learner scores on every task
    assert suite.scores_many([]) == [] and suite.predict_many([]) == []
    for tasks_range in (slice(None), slice(0, 1), slice(1, 5), slice(2, 3), slice(4, 4)):
        for single, batch in zip(singles, suite.scores_many(programs, tasks=tasks_range)):
            assert batch == single[tasks_range]


def test_hurdle_skips_the_rest_only_after_a_failed_first_task():
    g = np.random.default_rng(17)
    tasks, seeds = _suite("scalar_linear", 4, 4, seed=2)
    suite = TaskSet(tasks, seeds, "fast")
    programs = [random_program(g, 4) for _ in range(80)] + [_learner(4)]
    full = suite.scores_many(programs)
    hurdled = suite.scores_many(programs, hurdle=True)
    failed_first = [i for i, row in enumerate(full) if not math.isfinite(row[0])]
    assert 0 < len(failed_first) < len(programs)
    for i, (whole, short) in enumerate(zip(full, hurdled)):
        assert short == (whole[:1] + [-math.inf] * 3 if i in failed_first else whole)
    assert suite.scores_many(programs, tasks=slice(1, 3), hurdle=True) == [
        row[1:3] if math.isfinite(row[1]) else [row[1], -math.inf] for row in full]


def test_canonical_task_set_gives_the_same_batches():
    g = np.random.default_rng(8)
    tasks, seeds = _suite("scalar_linear", 3, 2, seed=5)
    programs = [random_program(g, 3) for _ in range(15)] + [_learner(3)]
    fast_preds, fast_ran = TaskSet(tasks, seeds, "fast").run_many(programs)
    slow_preds, slow_ran = TaskSet(tasks, seeds, "canonical").run_many(programs)
    assert np.array_equal(fast_ran, slow_ran)
    assert np.array_equal(fast_preds[fast_ran.repeat(9, axis=1)].view(np.uint32),
                          slow_preds[slow_ran.repeat(9, axis=1)].view(np.uint32))
    assert TaskSet(tasks, seeds, "canonical").scores_many(programs) == TaskSet(tasks, seeds, "fast").scores_many(programs)


def test_failures_in_a_batch_stay_with_their_program():
    task = fixture_task("cifar10_binary", 4, seed=1)
    empty_val = TaskData.from_arrays(task.X_train, task.y_train, np.zeros((0, 4)), np.zeros(0), BINARY)
    predict = [make(Op.DOT, 20, 20, 0)]
    good = Program(vector_dim=4, predict=list(predict))
    too_few_scalars = Program(vector_dim=4, predict=list(predict), scalar_count=1)
    too_narrow = Program(vector_dim=3, predict=list(predict))
    too_large = Program(vector_dim=4, matrix_count=2**16, predict=[make(Op.CONST, dest=2**15, c1=1.0)])
    with pytest.raises(ValueError, match="outside int16"):
        TaskSet([task], [1], "fast").predict(too_large)
    result = TaskSet([empty_val, task], [1, 2], "fast").predict_many([too_few_scalars, good, too_narrow, too_large, good])
    assert [[p is not None for p in row] for row in result] == [[False, False], [False, True], [False, False],
                                                               [False, False], [False, True]]
    assert_same_bits(result[1][1], result[4][1], "the same program twice")


def test_probe_traces_equal_one_trace_at_a_time():
    g = np.random.default_rng(12)
    probe = TaskSet([fixture_task("scalar_linear", 4, seed=9, n_train=10, n_val=10)], [1337], "fast")
    programs = [random_program(g, 4) for _ in range(200)] + [_learner(4)]
    labels = probe.tasks[0].y_val
    for finite_only in (False, True):
        got = probe_traces(probe, programs, finite_only=finite_only)
        for program, trace in zip(programs, got):
            (pred,) = probe.predict(program)
            if pred is None or (finite_only and not np.isfinite(pred).all()):
                assert trace is None
            else:
                assert trace == trace_bytes(pred, labels)
    canonical = TaskSet(probe.tasks, [1337], "canonical")
    assert probe_traces(canonical, programs[:30]) == probe_traces(probe, programs[:30])


def _fec(task: TaskData, capacity: int = 1000) -> FecCache:
    return FecCache(task, "scalar_linear-test", input_dim=4, task_count=3, miner_task_seed=0, capacity=capacity,
                    train_examples=8, valid_examples=8, evaluator="fast")


def test_fec_fitness_many_matches_one_at_a_time():
    """Same values and statistics as `fitness` per program, with duplicates inside one list."""
    g = np.random.default_rng(4)
    tasks, seeds = _suite("scalar_linear", 4, 3, seed=1)
    suite = TaskSet(tasks, seeds, "fast")
    programs = [random_program(g, 4) for _ in range(150)] + [_learner(4)] * 3 + [Program(vector_dim=4)] * 4

    def score(program: Program) -> float:
        finite = [s for s in suite.scores(program) if math.isfinite(s)]
        return float(np.median(finite)) if finite else -math.inf

    one_by_one, batched = _fec(tasks[0]), _fec(tasks[0])
    expected = [one_by_one.fitness(program, score) for program in programs]
    calls = []

    def score_many(chosen: list[Program]) -> list[float]:
        calls.append(len(chosen))
        return [score(program) for program in chosen]

    assert batched.fitness_many(programs[:80], score_many) + batched.fitness_many(programs[80:], score_many) == expected
    assert batched.stats() == one_by_one.stats()
    assert len(calls) == 2 and sum(calls) == one_by_one.misses + one_by_one.key_failures
    assert [batched.key(p) for p in programs] == batched.keys_many(programs)


def test_run_many_rejects_inconsistent_buffers():
    batch = fast.TaskBatch([fixture_task("scalar_linear", 4, seed=1)], [1])
    program = Program(vector_dim=4)
    preds, ran = np.empty((1, 20), np.float32), np.zeros((1, 1), np.uint8)
    for args in ((batch.layout, preds[:, :19], ran), (batch.layout[:, :6], preds, ran), (batch.layout, preds, ran[:, :0])):
        with pytest.raises(ValueError, match="inconsistent"):
            fast._fastexec.run_many([program], batch.data, args[0], batch.states, 1, 0, 1, args[1], args[2])
    with pytest.raises(ValueError, match="inconsistent"):
        fast._fastexec.run_many([program], batch.data, batch.layout, batch.states, 1, 0, 2, preds, ran)
    with pytest.raises(AttributeError):
        batch.run_many([object()])
    with pytest.raises(TypeError, match="tuples"):
        batch.run_many([Program(vector_dim=4, predict=[[16, 20, 20, 0, 0.0, 0.0]])])
    with pytest.raises(ValueError, match="contiguous"):
        batch.run_many([program], tasks=slice(None, None, 2))


def test_search_benchmark_paths_agree(capsys):
    from benchmarks import bench_evaluator

    assert bench_evaluator.main(["--search-children", "60", "--seeds", "1,2"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    assert lines["paths_identical"] == "true" and float(lines["batch_us_per_child_median"]) > 0


@pytest.mark.parametrize("examples", [1, 7, 8, 100, 129, 300])
def test_rmse_in_c_gives_the_numpy_scores(examples):
    g = np.random.default_rng(examples)
    labels = g.standard_normal((3, examples)).astype(np.float32)
    preds = (g.standard_normal((30, examples)) * g.choice([0.01, 1.0, 1e3, 1e20], (30, 1))).astype(np.float32)
    preds[4, 0], preds[5, -1], preds[6, examples // 2] = np.nan, np.inf, -np.inf
    preds[7] = np.tile(labels, (10, 1))[7]  # a perfect row: rmse 0
    expected = regression_scores(preds, np.tile(labels, (10, 1)))
    assert [score_of_rmse(r) for r in fast.regression_rmse(preds, labels).tolist()] == expected
    assert expected[7] == 1.0 and expected[4] == expected[5] == expected[6] == -math.inf
    with pytest.raises(ValueError, match="rows of m"):
        fast._fastexec.regression_rmse(preds, labels, examples, np.empty(29, np.float32))


def test_batch_api_without_the_extension_falls_back_to_canonical(monkeypatch):
    """With core._fastexec missing, `auto` picks the canonical interpreter and every batch call still works."""
    g = np.random.default_rng(21)
    tasks, seeds = _suite("scalar_linear", 4, 3, seed=4)
    programs = [random_program(g, 4) for _ in range(12)] + [_learner(4)]
    compiled = TaskSet(tasks, seeds, "fast")
    expected_scores, expected_traces = compiled.scores_many(programs), probe_traces(TaskSet(tasks[:1], [1337], "fast"), programs)
    monkeypatch.setattr(fast, "_fastexec", None)
    monkeypatch.setattr(fast, "_BUILT", False)
    monkeypatch.setenv("BITSOTA_EVALUATOR", "auto")
    fallback = TaskSet(tasks, seeds)
    assert fallback.evaluator == "canonical"
    assert fallback.scores_many(programs) == expected_scores
    assert fallback.scores_many(programs, hurdle=True)[-1] == expected_scores[-1]
    assert probe_traces(TaskSet(tasks[:1], [1337]), programs) == expected_traces
