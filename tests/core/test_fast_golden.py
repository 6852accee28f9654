"""The compiled evaluator on the golden CIFAR fixture (algorithm.md §18): equal to canonical, and to the reference."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import fast, interpreter
from core.dsl import from_dsl
from core.program import PHASES, TRANSCENDENTAL_OPS, Program
from core.scoring import task_score
from core.tasks.base import BINARY, TaskData

pytestmark = pytest.mark.skipif(not fast.available(), reason="core._fastexec is not built")

CANONICAL_ROWS = 48  # canonical is slow: it is compared on the first rows of each split


@pytest.fixture(scope="module")
def fixture_suite(golden_dir):
    """The 8 fixture tasks (the reference's own float32 arrays) and their eval seeds, in suite order."""
    meta = json.loads((golden_dir / "cifar_fixture_tasks.json").read_text())
    folder = golden_dir / "cifar_fixture_tasks"
    tasks, seeds = [], []
    for spec in meta["tasks"]:
        arrays = [np.load(folder / f"task{spec['task_id']}_{name}.npy") for name in ("X_train", "y_train", "X_val", "y_val")]
        tasks.append(TaskData.from_arrays(*arrays, BINARY))
        seeds.append(spec["eval_seed"])
    return tasks, seeds


@pytest.fixture(scope="module")
def golden_programs(golden_dir):
    rows = [json.loads(line) for line in (golden_dir / "cifar_fixture_scores.jsonl").read_text().splitlines() if line]
    return [(row, from_dsl(row["dsl"], row["input_dim"])) for row in rows]


def _head(task: TaskData, rows: int) -> TaskData:
    return TaskData.from_arrays(task.X_train[:rows], task.y_train[:rows], task.X_val[:rows], task.y_val[:rows], task.kind)


def _uses_transcendentals(program: Program) -> bool:
    return any(ins.op in TRANSCENDENTAL_OPS for p in PHASES for ins in program.phase(p))


def test_golden_programs_match_canonical_bit_for_bit(fixture_suite, golden_programs):
    tasks, seeds = fixture_suite
    for k, (row, program) in enumerate(golden_programs):
        picked = [k % len(tasks), (k + 3) % len(tasks)]
        heads = [_head(tasks[i], CANONICAL_ROWS) for i in picked]
        fast_preds = fast.run_tasks(program, heads, [seeds[i] for i in picked])
        for head, i, got in zip(heads, picked, fast_preds):
            expected = interpreter.run_task(program, head, seeds[i])
            assert (got is None) == (expected is None), row["id"]
            if got is not None:
                assert np.array_equal(got.view(np.uint32), expected.view(np.uint32)), row["id"]


def test_golden_scores_reproduced_on_full_tasks(fixture_suite, golden_programs):
    """§18.4: every program without transcendentals scores as the reference did; with them, ≥ 57 of 62 do."""
    tasks, seeds = fixture_suite
    plain_equal = plain_total = trig_equal = trig_total = 0
    for row, program in golden_programs:
        scores = [task_score(p, t) for p, t in zip(fast.run_tasks(program, tasks, seeds), tasks)]
        reference = [float(s) for s in row["per_task"]]
        if _uses_transcendentals(program):
            trig_total += 1
            trig_equal += scores == reference
        else:
            plain_total += 1
            plain_equal += scores == reference
            assert scores == reference, row["id"]
    assert (plain_equal, plain_total) == (19, 19)
    assert trig_total == 62 and trig_equal >= 57
