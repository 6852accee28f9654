"""Golden conformance (algorithm.md §18.4): per-task scores recorded from the public reference.

Programs without exp/log/sin/cos/tan must score exactly as the reference did. Programs with them can differ,
because the reference's float32 transcendentals vary with the CPU: the ones known to differ are pinned below,
and every other program must keep agreeing (the agreeing list may grow, never shrink).

The canonical interpreter covers every program without transcendentals and a sample of the others; the full
canonical run is marked slow (about a minute). The fast evaluator, when built, runs the whole corpus.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from core.dsl import from_dsl
from core.evaluate import evaluate_tasks, fast_available
from core.program import PHASES, TRANSCENDENTAL_OPS
from core.scoring import median_score
from core.tasks import BINARY, ScalarLinearSpec, TaskData

GOLDEN = Path(__file__).resolve().parents[2].parent / "shared" / "golden"
CIFAR, SCALAR = "cifar10_binary", "scalar_linear"
SCORE_FILES = {CIFAR: "cifar_fixture_scores.jsonl", SCALAR: "scalar_linear_scores.jsonl"}
TRANSCENDENTAL_SAMPLE_STRIDE = 10  # every 10th transcendental program also runs canonically in the fast suite

# Transcendental programs whose scores differ from the reference's (they iterate a transcendental map, so a
# last-bit difference in exp/log/sin/cos/tan grows). Spec: CIFAR 57/62 agree, scalar_linear 173/190.
KNOWN_DIFFERENT = {
    CIFAR: {
        "ga_regularized_mutations/5051",
        "archive_random_mutate/6064",
        "archive_random_mutate/6106",
        "ga_fill_phases/7021",
        "mutant/perceptron_lr0.01/8004",
    },
    SCALAR: {
        "ga_regularized_mutations/1071",
        "ga_regularized_mutations/1107",
        "ga_regularized_mutations/1113",
        "ga_regularized_mutations/1158",
        "ga_regularized_mutations/1197",
        "archive_random_mutate/2133",
        "archive_random_mutate/2163",
        "archive_random_mutate/2167",
        "archive_random_mutate/2171",
        "ga_fill_phases/3024",
        "ga_fill_phases/3048",
        "ga_fill_phases/3053",
        "ga_fill_phases/3063",
        "ga_fill_phases/3081",
        "ga_fill_phases/3103",
        "ga_fill_phases/3172",
        "ga_fill_phases/3186",
    },
}
EXPECTED_COUNTS = {CIFAR: (19, 62), SCALAR: (49, 190)}  # (without, with transcendentals)


def golden_float(value) -> float:
    return float(value)  # finite numbers are JSON numbers, non-finite ones strings such as "-inf"


def load_rows(corpus: str) -> list[dict]:
    path = GOLDEN / SCORE_FILES[corpus]
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        program = from_dsl(row["dsl"], row["input_dim"])
        row["program"] = program
        row["transcendental"] = any(ins.op in TRANSCENDENTAL_OPS for p in PHASES for ins in program.phase(p))
    return rows


ROWS = {corpus: load_rows(corpus) for corpus in SCORE_FILES}


@cache
def cifar_suite() -> dict[int, tuple[TaskData, int]]:
    """The 8 fixture tasks as the reference built them, with their eval seeds."""
    meta = json.loads((GOLDEN / "cifar_fixture_tasks.json").read_text())
    suite = {}
    for task in meta["tasks"]:
        tid = task["task_id"]
        X_train, y_train, X_val, y_val = (np.load(GOLDEN / "cifar_fixture_tasks" / f"task{tid}_{name}.npy")
                                          for name in ("X_train", "y_train", "X_val", "y_val"))
        suite[tid] = (TaskData.from_arrays(X_train, y_train, X_val, y_val, BINARY), task["eval_seed"])
    return suite


@cache
def scalar_suite(input_dim: int) -> dict[int, tuple[TaskData, int]]:
    """The validator's 8-task scalar_linear suite at this input_dim, with the recorded eval seeds."""
    suites = json.loads((GOLDEN / "suites.json").read_text())["suites"]
    (suite,) = [s for s in suites if s["task_type"] == SCALAR and s["input_dim"] == input_dim and s["task_count"] == 8]
    return {
        t["task_id"]: (ScalarLinearSpec.for_id(t["task_id"], input_dim, t["train_samples"], t["val_samples"]).build(), t["eval_seed"])
        for t in suite["tasks"]
    }


def score(corpus: str, row: dict, evaluator: str) -> list[float]:
    suite = cifar_suite() if corpus == CIFAR else scalar_suite(row["input_dim"])
    tasks, seeds = zip(*(suite[tid] for tid in row["task_ids"]))
    return evaluate_tasks(row["program"], tasks, seeds, evaluator=evaluator)


def agrees(row: dict, scores: list[float]) -> bool:
    return scores == [golden_float(v) for v in row["per_task"]]


def assert_agrees(row: dict, scores: list[float]) -> None:
    expected = [golden_float(v) for v in row["per_task"]]
    assert scores == expected, f"{row['id']}: {scores} != {expected}"
    assert median_score(scores) == golden_float(row["median"])


def canonical_params(transcendental: bool) -> list:
    params = []
    for corpus, rows in ROWS.items():
        chosen = [r for r in rows if r["transcendental"] == transcendental and r["id"] not in KNOWN_DIFFERENT[corpus]]
        for i, row in enumerate(chosen):
            slow = transcendental and i % TRANSCENDENTAL_SAMPLE_STRIDE != 0
            params.append(pytest.param(corpus, row, id=f"{corpus}:{row['id']}", marks=[pytest.mark.slow] if slow else []))
    return params


def test_golden_corpus_is_present_and_classified():
    if not GOLDEN.is_dir():
        pytest.skip("../shared/golden is not present")
    for corpus, (plain, with_transcendentals) in EXPECTED_COUNTS.items():
        rows = ROWS[corpus]
        assert sum(not r["transcendental"] for r in rows) == plain
        assert sum(r["transcendental"] for r in rows) == with_transcendentals
        assert KNOWN_DIFFERENT[corpus] <= {r["id"] for r in rows if r["transcendental"]}


@pytest.mark.parametrize("corpus, row", canonical_params(transcendental=False))
def test_canonical_matches_reference_without_transcendentals(corpus, row):
    assert_agrees(row, score(corpus, row, "canonical"))


@pytest.mark.parametrize("corpus, row", canonical_params(transcendental=True))
def test_canonical_keeps_agreeing_with_transcendentals(corpus, row):
    assert_agrees(row, score(corpus, row, "canonical"))


@pytest.mark.parametrize("corpus", list(SCORE_FILES))
def test_fast_evaluator_on_the_whole_corpus(corpus):
    if not ROWS[corpus]:
        pytest.skip("../shared/golden is not present")
    if not fast_available():
        pytest.skip("the compiled evaluator is not built")
    different = set()
    for row in ROWS[corpus]:
        scores = score(corpus, row, "fast")
        if row["transcendental"] and not agrees(row, scores):
            different.add(row["id"])
        else:
            assert_agrees(row, scores)
    assert different <= KNOWN_DIFFERENT[corpus], f"newly differing: {sorted(different - KNOWN_DIFFERENT[corpus])}"
