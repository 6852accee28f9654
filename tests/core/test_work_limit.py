"""Hole 7: VALIDATOR_MAX_WORK bounds the validator CPU time one submission can cost, on the full default suite
(128 tasks of 1000 + 1000 rows, the size of the default cifar10_binary suite; scalar_linear's `extended` suite
has that size without needing a data set). The program is cheap matrix arithmetic, among the shapes that cost
the most time per work unit in `python -m benchmarks.validator_work`."""

from __future__ import annotations

import math
import time

import pytest

from core import verify
from core.dsl import from_dsl
from core.evaluate import estimate_work
from core.hyperparams import validator_hyperparams
from core.tasks import verification_suite

BOUND_S = 6.0  # "a few seconds": the worst shape measured 0.23 ns/unit here, 3.5 s at the default limit
INPUT_DIM = 16


@pytest.fixture(autouse=True)
def default_limits(monkeypatch, tmp_path):
    for name in ("VALIDATOR_TASK_COUNT", "VALIDATOR_MAX_WORK", "VALIDATOR_TASK_SEED", "VALIDATOR_HYPERPARAMS_PATH",
                 "BITSOTA_VALIDATOR_HYPERPARAMS_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BITSOTA_DATA_DIR", str(tmp_path / "data"))


def submission(lines: int) -> dict:
    dsl = "# setup\n# predict\n" + "m1 = m2 + m3\n" * lines + "s0 = mean(v1)\n# learn\n"
    return {"algorithm_dsl": dsl, "task_type": "scalar_linear", "input_dim": INPUT_DIM}


def work(lines: int) -> int:
    settings = validator_hyperparams()
    entries = verification_suite("scalar_linear", INPUT_DIM, settings.task_count, settings.task_seed,
                                 scalar_large_suite="extended")
    program = from_dsl(submission(lines)["algorithm_dsl"], INPUT_DIM)
    return estimate_work(program, [entry.spec.row_counts() for entry in entries], settings.epochs)


def lines_just_under_the_limit() -> int:
    lines = 1
    while work(lines + 1) <= verify.DEFAULT_MAX_WORK:
        lines += 1
    return lines


def timed(submitted: dict) -> tuple[verify.Verification, float]:
    started = time.process_time()
    result = verify.verify_detailed(submitted, scalar_large_suite="extended")
    return result, time.process_time() - started


def test_a_program_just_over_the_limit_is_refused_quickly():
    assert validator_hyperparams().task_count == 128
    lines = lines_just_under_the_limit() + 1
    result, seconds = timed(submission(lines))
    assert result.score == -math.inf and "VALIDATOR_MAX_WORK" in result.reason and "too expensive" in result.reason
    assert seconds < 0.5, f"refusing took {seconds:.2f} s of CPU"


@pytest.mark.slow
def test_a_program_just_under_the_limit_finishes_within_the_bound():
    lines = lines_just_under_the_limit()
    assert work(lines) > 0.95 * verify.DEFAULT_MAX_WORK  # really at the limit, not a toy
    result, seconds = timed(submission(lines))
    assert result.reason is None and math.isfinite(result.score)
    assert seconds < BOUND_S, f"verification took {seconds:.2f} s of CPU, more than {BOUND_S} s"
