"""The evaluation dispatcher: one entry point over the compiled and the canonical evaluators (§6, §17).

`BITSOTA_EVALUATOR` picks the evaluator: `auto` (default: the compiled one when it is available, else the
canonical interpreter), `fast` (an error when it is not available) or `canonical`. Both are bit-identical.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from core import interpreter
from core.errors import BitsotaError
from core.program import OP_KINDS, PHASES, RANDOM_OPS, TRANSCENDENTAL_OPS, Op, Program, address_kind
from core.scoring import NEG_INF, regression_scores, score_of_rmse, task_score
from core.tasks.base import REGRESSION, TaskData

EVALUATORS = ("auto", "fast", "canonical")

# The cost model behind VALIDATOR_MAX_WORK (validator.md, "Work limit"). One work unit is about one cheap
# float32 element operation of the compiled evaluator (0.15-0.25 ns here); every executed instruction also
# costs a fixed dispatch (~20 ns), and transcendental and random elements cost far more than arithmetic.
# Measured per instruction kind with `python -m benchmarks.validator_work`.
DISPATCH_UNITS = 100
ELEMENT_UNITS = {**{op: 40 for op in TRANSCENDENTAL_OPS}, **{op: 64 for op in RANDOM_OPS}}  # any other op: 1


class EvaluatorUnavailable(BitsotaError, RuntimeError):
    """BITSOTA_EVALUATOR=fast was asked for but the compiled evaluator cannot be loaded."""


def fast_available() -> bool:
    try:
        from core import fast
    except ImportError:
        return False
    return bool(fast.available())


def selected_evaluator(choice: str | None = None) -> str:
    """"fast" or "canonical", from `choice` or else BITSOTA_EVALUATOR (auto|fast|canonical)."""
    raw = choice if choice is not None else os.environ.get("BITSOTA_EVALUATOR", "auto")
    name = raw.strip().lower() or "auto"
    if name not in EVALUATORS:
        raise ValueError(f"BITSOTA_EVALUATOR must be one of {', '.join(EVALUATORS)}, not {raw!r}")
    if name == "canonical":
        return "canonical"
    if fast_available():
        return "fast"
    if name == "fast":
        raise EvaluatorUnavailable("BITSOTA_EVALUATOR=fast but the compiled evaluator (core.fast) is not available")
    return "canonical"


def evaluator_problem() -> str | None:
    """Why BITSOTA_EVALUATOR cannot be used (for a command to report in one line at start-up), or None."""
    try:
        selected_evaluator()
    except (ValueError, EvaluatorUnavailable) as exc:
        return str(exc)
    return None


def predict_tasks(
    program: Program,
    tasks: Sequence[TaskData],
    eval_seeds: Sequence[int],
    epochs: int = 1,
    evaluator: str | None = None,
) -> list[np.ndarray | None]:
    """Validation predictions per task, in suite order; None for a failed evaluation."""
    if len(tasks) != len(eval_seeds):
        raise ValueError(f"{len(tasks)} tasks but {len(eval_seeds)} eval seeds")
    if selected_evaluator(evaluator) == "fast":
        from core import fast

        return list(fast.run_tasks(program, tasks, eval_seeds, epochs))
    return [interpreter.run_task(program, task, seed, epochs) for task, seed in zip(tasks, eval_seeds)]


def evaluate_tasks(
    program: Program,
    tasks: Sequence[TaskData],
    eval_seeds: Sequence[int],
    epochs: int = 1,
    evaluator: str | None = None,
) -> list[float]:
    """Task scores (§7) in suite order, −inf for a failed evaluation."""
    predictions = predict_tasks(program, tasks, eval_seeds, epochs, evaluator)
    return [task_score(pred, task) for pred, task in zip(predictions, tasks)]


class TaskSet:
    """Tasks and eval seeds fixed once and evaluated for many programs (a miner's suite, the FEC probe).

    The evaluator is chosen when the set is made; with the compiled one the tasks are packed once
    (`core.fast.TaskBatch`), which saves the per-call preparation `predict_tasks` repeats.
    """

    def __init__(self, tasks: Sequence[TaskData], eval_seeds: Sequence[int], evaluator: str | None = None) -> None:
        if len(tasks) != len(eval_seeds):
            raise ValueError(f"{len(tasks)} tasks but {len(eval_seeds)} eval seeds")
        self.tasks = list(tasks)
        self.eval_seeds = [int(seed) for seed in eval_seeds]
        self.evaluator = selected_evaluator(evaluator)
        self._batch = None
        if self.evaluator == "fast":
            from core import fast

            self._batch = fast.TaskBatch(self.tasks, self.eval_seeds)
        self._regression_labels = _stacked_regression_labels(self.tasks)
        ends = np.cumsum([len(task.y_val) for task in self.tasks]).tolist()
        self._val_slices = [slice(stop - len(task.y_val), stop) for stop, task in zip(ends, self.tasks)]

    @property
    def regression_labels(self) -> np.ndarray | None:
        """The validation labels (tasks, rows) when every task is a regression task of one size, else None."""
        return self._regression_labels

    def predict(self, program: Program, epochs: int = 1) -> list[np.ndarray | None]:
        """As `predict_tasks` on these tasks and seeds."""
        if self._batch is not None:
            return self._batch.predict(program, epochs)
        return [interpreter.run_task(program, task, seed, epochs) for task, seed in zip(self.tasks, self.eval_seeds)]

    def scores(self, program: Program, epochs: int = 1) -> list[float]:
        """As `evaluate_tasks` on these tasks and seeds."""
        predictions = self.predict(program, epochs)
        complete = [pred for pred in predictions if pred is not None]
        if self._regression_labels is not None and len(complete) == len(predictions):
            return regression_scores(np.stack(complete), self._regression_labels)
        return [task_score(pred, task) for pred, task in zip(predictions, self.tasks)]

    def run_many(self, programs: Sequence[Program], epochs: int = 1, tasks: slice = slice(None)
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Every program on the tasks `tasks` (a contiguous slice of this set; default all), as
        `core.fast.TaskBatch.run_many` gives them: (predictions, ran), predictions float32 (programs, every
        task's validation rows in suite order), ran bool (programs, tasks), False for a failed evaluation and
        for a task outside `tasks`. The compiled evaluator runs the whole list in one C call."""
        if self._batch is not None:
            return self._batch.run_many(programs, epochs, tasks)
        begin, end, step = tasks.indices(len(self.tasks))
        if step != 1:
            raise ValueError("run_many takes a contiguous range of tasks")
        sizes = [len(task.y_val) for task in self.tasks]
        preds = np.zeros((len(programs), sum(sizes)), dtype=np.float32)
        ran = np.zeros((len(programs), len(self.tasks)), dtype=bool)
        starts = np.cumsum([0] + sizes).tolist()
        for p, program in enumerate(programs):
            for t in range(begin, end):
                pred = interpreter.run_task(program, self.tasks[t], self.eval_seeds[t], epochs)
                if pred is not None:
                    preds[p, starts[t]:starts[t + 1]], ran[p, t] = pred, True
        return preds, ran

    def predict_many(self, programs: Sequence[Program], epochs: int = 1) -> list[list[np.ndarray | None]]:
        """`predict` of each program (with the compiled evaluator, a program whose memory is beyond its limits
        fails every task instead of raising)."""
        preds, ran = self.run_many(programs, epochs)
        cuts = self._val_slices
        return [[row[cut] if ok else None for cut, ok in zip(cuts, oks)] for row, oks in zip(preds, ran.tolist())]

    def scores_many(self, programs: Sequence[Program], epochs: int = 1, tasks: slice = slice(None), *,
                    hurdle: bool = False) -> list[list[float]]:
        """`scores` of each program on the tasks `tasks` only (a contiguous slice; default all), bit for bit:
        one `run_many` call, and for a suite of equal-size regression tasks one vectorised scoring pass.

        `hurdle` (a search-only shortcut): the first task of the range is scored first, and the others only
        for the programs that scored finite there; a program that failed it gets −inf for the rest unrun."""
        begin, end, _ = tasks.indices(len(self.tasks))
        end = max(begin, end)
        if hurdle and end - begin > 1:
            return self._scores_past_hurdle(programs, epochs, begin, end)
        preds, ran = self.run_many(programs, epochs, slice(begin, end))
        if self._regression_labels is not None:
            return _regression_scores_many(preds, ran, self._regression_labels, begin, end, self._batch is not None)
        cuts, chosen = self._val_slices[begin:end], self.tasks[begin:end]
        return [[task_score(row[cut] if ok else None, task) for cut, ok, task in zip(cuts, oks, chosen)]
                for row, oks in zip(preds, ran[:, begin:end].tolist())]


    def _scores_past_hurdle(self, programs: Sequence[Program], epochs: int, begin: int, end: int) -> list[list[float]]:
        scores = self.scores_many(programs, epochs, slice(begin, begin + 1))
        passed = [i for i, (first,) in enumerate(scores) if math.isfinite(first)]
        rest = self.scores_many([programs[i] for i in passed], epochs, slice(begin + 1, end))
        for row in scores:
            row.extend([NEG_INF] * (end - begin - 1))
        for i, tail in zip(passed, rest):
            scores[i][1:] = tail
        return scores


def _regression_scores_many(preds: np.ndarray, ran: np.ndarray, labels: np.ndarray, begin: int, end: int,
                            compiled: bool) -> list[list[float]]:
    """Scores of tasks begin..end-1 from `run_many`'s rows on a suite of equal-size regression tasks."""
    programs, tasks = len(preds), end - begin
    examples = labels.shape[1]
    rows = preds.reshape(programs, len(labels), examples)[:, begin:end].reshape(programs * tasks, examples)
    ran_flat = ran[:, begin:end].ravel().tolist()
    if compiled:  # the same rmse in C, without numpy's per-call overheads
        from core import fast

        rmse = fast.regression_rmse(rows, labels[begin:end]).tolist()
        flat = [score_of_rmse(r) if ok else NEG_INF for r, ok in zip(rmse, ran_flat)]
    else:
        flat = regression_scores(rows, np.tile(labels[begin:end], (programs, 1)))
        flat = [score if ok else NEG_INF for score, ok in zip(flat, ran_flat)]
    return [flat[i * tasks:(i + 1) * tasks] for i in range(programs)]


def _stacked_regression_labels(tasks: Sequence[TaskData]) -> np.ndarray | None:
    """The validation labels as one (tasks, examples) array when every task is a regression of that size."""
    if not tasks or any(task.kind != REGRESSION or len(task.y_val) != len(tasks[0].y_val) for task in tasks):
        return None
    return np.stack([task.y_val for task in tasks])


def instruction_elements(ins, program: Program) -> int:
    """Elements one execution of an instruction touches: n^rank of its largest register, 0 if skipped."""
    if interpreter.is_skipped(ins, program):
        return 0
    if ins.op == Op.CONST_VEC:
        return 1
    arg1_kind, arg2_kind, _ = OP_KINDS[Op(ins.op)]
    used = [ins.dest] + [addr for addr, kind in ((ins.arg1, arg1_kind), (ins.arg2, arg2_kind)) if kind is not None]
    rank = 0
    for addr in used:
        kind = address_kind(addr)
        if kind is None:
            raise ValueError(f"instruction {ins} is not skipped but uses the negative address {addr}")
        rank = max(rank, interpreter.RANK[kind])
    return program.vector_dim**rank


def instruction_work(ins, program: Program) -> int:
    """Work units of one execution of an instruction: dispatch plus its elements by their kind, 0 if skipped."""
    elements = instruction_elements(ins, program)
    if elements == 0:
        return 0
    return DISPATCH_UNITS + ELEMENT_UNITS.get(Op(ins.op), 1) * elements


def estimate_work(program: Program, row_counts: Sequence[tuple[int, int]], epochs: int = 1) -> int:
    """Work units of evaluating `program` on tasks of these (train rows, validation rows): the validator's
    budget (VALIDATOR_MAX_WORK), known before any task is built."""
    setup, predict, learn = (sum(instruction_work(ins, program) for ins in program.phase(p)) for p in PHASES)
    return sum(setup + epochs * train * (predict + learn) + val * predict for train, val in row_counts)
