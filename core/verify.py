"""The verification suite (algorithm.md §10, validator.md §4): score a submitted DSL as a validator would.

    python -m validator.score FILE [--task-type T] [--input-dim N] [--task-count C] [--task-seed S]
        [--scalar-large-suite extended|reference] [--threshold X] [--json]

(`python -m core.verify` takes the same arguments.)
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from core.cli import OneLineParser, read_file_argument, run_main
from core.datasets import DatasetUnavailable
from core.errors import BitsotaError
from core.hyperparams import LARGE_SUITE_MODES, ValidatorHyperparams, as_int, validator_hyperparams
from core.scoring import median_score, score_to_json
from core.tasks import UnknownTaskType, normalize_task_type, suite_seed, verification_suite
from core.tasks.store import STORE

log = logging.getLogger(__name__)

NEG_INF = float("-inf")
MAX_DSL_BYTES = 1 << 20
MAX_INSTRUCTION_LINES = 4096
MAX_MEMORY_FLOATS = 4_194_304
DEFAULT_MAX_WORK = 15 * 10**9  # ≈ 3.5 s of validator CPU at worst (validator.md, "Work limit")
ALLOW_SYNTHETIC_ENV = "BITSOTA_ALLOW_SYNTHETIC_DATA"


class Rejected(BitsotaError):
    """The submission scores −inf for a stated reason (bad input or a resource limit)."""


@dataclass
class Verification:
    """Everything one verification found; `score`/`passed` are what validators vote on."""

    score: float = NEG_INF
    passed: bool = False
    reason: str | None = None
    task_type: str | None = None
    input_dim: int | None = None
    task_count: int | None = None
    task_seed: int | None = None
    suite_seed: int | None = None
    scalar_large_suite: str | None = None
    threshold: float = 0.0
    task_ids: list[int] = field(default_factory=list)
    eval_seeds: list[int] = field(default_factory=list)
    per_task: list[float] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    evaluator: str | None = None
    synthetic_data: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = score_to_json(self.score)
        data["per_task"] = [score_to_json(s) for s in self.per_task]
        return data


# ---------------------------------------------------------------- input checks (§10 step 1)

def _as_object(algorithm_result: Any) -> dict:
    if isinstance(algorithm_result, str):
        try:
            algorithm_result = json.loads(algorithm_result)
        except ValueError:
            raise Rejected("algorithm_result is a string that is not JSON") from None
    if not isinstance(algorithm_result, dict):
        raise Rejected("algorithm_result must be an object")
    return algorithm_result


def _task_type(submitted: dict, settings: ValidatorHyperparams) -> str:
    raw = submitted.get("task_type") or settings.default_task_type
    try:
        return normalize_task_type(str(raw))
    except UnknownTaskType as exc:
        raise Rejected(str(exc)) from None


def _input_dim(submitted: dict, settings: ValidatorHyperparams) -> int:
    raw = submitted.get("input_dim")
    try:
        input_dim = int(raw) if raw else settings.default_input_dim
    except (TypeError, ValueError, OverflowError):
        raise Rejected(f"input_dim {raw!r} is not an integer") from None
    if not 1 <= input_dim <= settings.max_input_dim:
        raise Rejected(f"input_dim {input_dim} is outside [1, {settings.max_input_dim}]")
    return input_dim


def _dsl_text(submitted: dict) -> str:
    dsl = submitted.get("algorithm_dsl")
    if not isinstance(dsl, str) or not dsl.strip():
        raise Rejected("algorithm_dsl must be a non-empty string")
    if len(dsl.encode("utf-8", errors="replace")) > MAX_DSL_BYTES:
        raise Rejected(f"algorithm_dsl is larger than {MAX_DSL_BYTES} bytes")
    lines = sum(1 for line in dsl.splitlines() if _is_instruction_line(line))
    if lines > MAX_INSTRUCTION_LINES:
        raise Rejected(f"algorithm_dsl has {lines} instruction lines, more than {MAX_INSTRUCTION_LINES}")
    return dsl


def _is_instruction_line(line: str) -> bool:
    text = line.strip()
    if not text or text.startswith("#"):
        return False
    text = text.split("#", 1)[0].strip()
    return bool(text) and not text.endswith(":")


# ---------------------------------------------------------------- resource limits

def max_work() -> int:
    return as_int(os.environ.get("VALIDATOR_MAX_WORK", "").strip() or None, DEFAULT_MAX_WORK, 0)


def check_memory(program) -> None:
    n = program.vector_dim
    floats = max(0, program.scalar_count) + max(0, program.vector_count) * n + max(0, program.matrix_count) * n * n
    if floats > MAX_MEMORY_FLOATS:
        raise Rejected(f"program memory is {floats} floats, more than {MAX_MEMORY_FLOATS}")


def check_work(program, entries, epochs: int) -> None:
    """Refuse, before any task is built, a program whose suite would cost more than VALIDATOR_MAX_WORK."""
    from core.evaluate import estimate_work

    work, limit = estimate_work(program, [entry.spec.row_counts() for entry in entries], epochs), max_work()
    if work > limit:
        raise Rejected(f"estimated work {work:.3g} units exceeds VALIDATOR_MAX_WORK {limit:.3g}: the program "
                       f"is too expensive to verify (fewer or smaller instructions, or a smaller input_dim)")


# ---------------------------------------------------------------- the suite

def _uses_synthetic(entries) -> bool:
    pools = {getattr(entry.spec, "pool_name", None) for entry in entries} - {None}
    return any(STORE.raw_pool(name).synthetic for name in pools)


def _run_suite(result: Verification, dsl: str, settings: ValidatorHyperparams, evaluator: str | None,
               with_issues: bool) -> None:
    from core.dsl import check_dsl, from_dsl
    from core.evaluate import evaluate_tasks, selected_evaluator

    try:
        program = from_dsl(dsl, result.input_dim)
    except ValueError as exc:  # the lenient parser reports through issues; a DslError here fails the submission
        raise Rejected(f"the DSL could not be parsed: {exc}") from None
    if with_issues or log.isEnabledFor(logging.DEBUG):
        result.issues = [issue._asdict() for issue in check_dsl(dsl, result.input_dim)]
        log.debug("DSL issues: %s", result.issues)
    check_memory(program)
    try:
        entries = verification_suite(result.task_type, result.input_dim, result.task_count, result.task_seed,
                                     overrides=settings.task_overrides(result.task_type),
                                     scalar_large_suite=result.scalar_large_suite)
    except ValueError as exc:
        raise Rejected(f"the suite cannot be drawn: {exc}") from None
    result.suite_seed = suite_seed(result.task_seed, result.input_dim)
    result.task_ids = [entry.spec.task_id for entry in entries]
    result.eval_seeds = [entry.eval_seed for entry in entries]
    check_work(program, entries, settings.epochs)
    tasks = [entry.load() for entry in entries]  # DatasetUnavailable propagates to the caller
    result.synthetic_data = _uses_synthetic(entries)
    result.evaluator = selected_evaluator(evaluator)
    result.per_task = evaluate_tasks(program, tasks, result.eval_seeds, settings.epochs, result.evaluator)
    result.score = median_score(result.per_task)


def verify_detailed(algorithm_result: Any, sota_threshold: float | None = None, *,
                    task_count: int | None = None, task_seed: int | None = None,
                    scalar_large_suite: str | None = None, evaluator: str | None = None,
                    with_issues: bool = False) -> Verification:
    """The full verification record. Bad input and resource limits give score −inf with a `reason`;
    DatasetUnavailable propagates (the caller decides how to show it)."""
    settings = validator_hyperparams()
    threshold = 0.0 if sota_threshold is None else float(sota_threshold)
    result = Verification(threshold=threshold, task_count=task_count or settings.task_count,
                          task_seed=settings.task_seed if task_seed is None else task_seed,
                          scalar_large_suite=scalar_large_suite or settings.scalar_linear_large_suite)
    try:
        submitted = _as_object(algorithm_result)
        dsl = _dsl_text(submitted)
        result.task_type = _task_type(submitted, settings)
        result.input_dim = _input_dim(submitted, settings)
        _run_suite(result, dsl, settings, evaluator, with_issues)
    except Rejected as exc:
        result.reason = str(exc)
        result.score = NEG_INF
    result.passed = result.score >= threshold
    if settings.log_task_scores and result.per_task:
        log.debug("verification task scores type=%s ids=%s scores=%s median=%r", result.task_type,
                  result.task_ids, result.per_task, result.score)
    return result


def verify_solution_quality(algorithm_result: Any, sota_threshold: float | None = None) -> tuple[bool, float]:
    """(score ≥ threshold, score) as validators vote on it (validator.md §4); any failure → (False, −inf).

    Scores computed from synthetic fixture data count as failures unless BITSOTA_ALLOW_SYNTHETIC_DATA=1.
    """
    try:
        result = verify_detailed(algorithm_result, sota_threshold)
    except Exception:
        log.exception("verification failed")
        return False, NEG_INF
    if result.reason:
        log.info("submission scores -inf: %s", result.reason)
    if result.synthetic_data and os.environ.get(ALLOW_SYNTHETIC_ENV, "").strip() != "1":
        log.warning("refusing a score computed from synthetic data (set %s=1 to allow it)", ALLOW_SYNTHETIC_ENV)
        return False, NEG_INF
    return result.passed, result.score


def score_on_eval_suite(dsl: str, input_dim: int, task_type: str = "cifar10_binary") -> float:
    """The verification score of `dsl` on `task_type`'s suite with scalar_large_suite = extended
    (pool `evaluate` jobs); −inf on any failure."""
    try:
        result = verify_detailed({"algorithm_dsl": dsl, "input_dim": input_dim, "task_type": task_type},
                                 scalar_large_suite="extended")
    except Exception:
        log.exception("evaluation on the verification suite failed")
        return NEG_INF
    return result.score


# ---------------------------------------------------------------- command line

def _format_score(score: float) -> str:
    return repr(score) if math.isfinite(score) else str(score)


def _print_human(result: Verification, show_passed: bool) -> None:
    if result.reason:
        print(f"score: -inf ({result.reason})")
        return
    print(f"score: {_format_score(result.score)} (median of {len(result.per_task)} {result.task_type} tasks, "
          f"input_dim {result.input_dim}, task_seed {result.task_seed}, evaluator {result.evaluator})")
    for task_id, seed, score in zip(result.task_ids, result.eval_seeds, result.per_task):
        print(f"  task {task_id} (eval_seed {seed}): {_format_score(score)}")
    if show_passed:
        print(f"passed: {'yes' if result.passed else 'no'} (threshold {result.threshold!r})")
    if result.synthetic_data:
        print("warning: scored on SYNTHETIC data; this is not a real score", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m validator.score",
                                     description="Score a DSL file on the validator's verification suite.")
    parser.add_argument("file", help="DSL file, or - for standard input")
    parser.add_argument("--task-type", default=None, help="cifar10_binary, mnist_binary or scalar_linear")
    parser.add_argument("--input-dim", type=int, default=None, help="input dimension (default: hyperparams)")
    parser.add_argument("--task-count", type=int, default=None, help="suite size (default: hyperparams/env)")
    parser.add_argument("--task-seed", type=int, default=None, help="suite seed base (default: hyperparams/env)")
    parser.add_argument("--scalar-large-suite", choices=LARGE_SUITE_MODES, default=None,
                        help="scalar_linear suites above 8 tasks (default: hyperparams)")
    parser.add_argument("--threshold", type=float, default=None, help="SOTA threshold for 'passed'")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.task_count is not None and args.task_count < 1:
        print("error: --task-count must be at least 1", file=sys.stderr)
        return 2
    from core.evaluate import evaluator_problem

    problem = evaluator_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        dsl = read_file_argument(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    if args.task_type is not None:
        try:
            normalize_task_type(args.task_type)
        except UnknownTaskType as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    submitted = {"algorithm_dsl": dsl, "task_type": args.task_type, "input_dim": args.input_dim}
    try:
        result = verify_detailed(submitted, args.threshold, task_count=args.task_count, task_seed=args.task_seed,
                                 scalar_large_suite=args.scalar_large_suite, with_issues=args.json)
    except DatasetUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        _print_human(result, args.threshold is not None)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
