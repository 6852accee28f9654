"""The compiled evaluator: bit-identical to the canonical interpreter, many times faster (algorithm.md §17).

`core._fastexec` compiles a program straight from its `Program` object: it drops the instructions the static
skip rules remove (§4.2, the same rules as `core.interpreter.is_skipped`), gives every register the program
touches a fixed offset in one flat float32 memory and every instruction one row of resolved offsets.
A `TaskBatch` packs tasks once (their arrays in one buffer, each eval seed as the start state of numpy's
PCG64(seed)); then one C call runs a program, or a whole list of programs (`predict_many`), on the batch.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from core.interpreter import warn_if_private_memory_requested
from core.program import Program
from core.tasks.base import TaskData

try:
    from core import _fastexec

    _BUILT = True
except ImportError:  # not built: `auto` falls back to the canonical interpreter
    _BUILT = False

_U64 = (1 << 64) - 1


def available() -> bool:
    """True when the C extension is built and importable."""
    return _BUILT


class CompiledProgram(NamedTuple):
    blob: bytes  # what `_fastexec.run` executes: a header and one row per executed instruction
    phase_sizes: tuple[int, int, int]  # executed instructions of setup, predict, learn


def compile_program(program: Program) -> CompiledProgram:
    """The compiled form of a program of evaluable shape (ValueError if its memory is too large)."""
    blob, sizes = _fastexec.compile(program)
    return CompiledProgram(blob, sizes)


@functools.lru_cache(maxsize=4096)
def seed_state(eval_seed: int) -> tuple[int, int, int, int]:
    """numpy's PCG64(eval_seed) start as (state high, state low, inc high, inc low) 64-bit words."""
    start = np.random.PCG64(eval_seed).state["state"]
    return start["state"] >> 64, start["state"] & _U64, start["inc"] >> 64, start["inc"] & _U64


def _checked_arrays(task: TaskData) -> tuple[np.ndarray, ...]:
    """The task's arrays as float32, with consistent shapes."""
    x_tr, y_tr, x_va, y_va = (np.asarray(a, dtype=np.float32) for a in (task.X_train, task.y_train, task.X_val, task.y_val))
    if x_tr.ndim != 2 or x_va.ndim != 2 or x_va.shape[1] != x_tr.shape[1] or y_tr.shape != x_tr.shape[:1] or y_va.shape != x_va.shape[:1]:
        raise ValueError("task arrays have inconsistent shapes")
    return x_tr, y_tr, x_va, y_va


class TaskBatch:
    """Tasks and their eval seeds packed once for the kernel; `predict` runs one program on all of them."""

    def __init__(self, tasks: Sequence[TaskData], eval_seeds: Sequence[int]) -> None:
        if len(tasks) != len(eval_seeds):
            raise ValueError("run_tasks needs one eval seed per task")
        warn_if_private_memory_requested()
        parts, rows, top = [], [], 0
        for task in tasks:
            starts = []
            for array in _checked_arrays(task):
                starts.append(top)
                parts.append(array.ravel())
                top += array.size
            rows.append(starts + [len(parts[-3]), len(parts[-1]), task.input_dim])
        self.data = np.concatenate(parts) if parts else np.empty(0, np.float32)
        self.layout = np.array(rows, dtype=np.int64).reshape(-1, 7)
        self.states = np.array([seed_state(int(s)) for s in eval_seeds], dtype=np.uint64).reshape(-1, 4)
        self.input_dims = [task.input_dim for task in tasks]
        self.non_empty = [n_train > 0 and n_val > 0 for *_, n_train, n_val, _ in rows]
        ends = np.cumsum([n_val for *_, n_val, _ in rows]).tolist()
        self.val_slices = [slice(end - n_val, end) for end, (*_, n_val, _) in zip(ends, rows)]
        self.val_count = ends[-1] if ends else 0
        self.widest = max(self.input_dims, default=0)

    def __len__(self) -> int:
        return len(self.input_dims)

    def predict(self, program: Program, epochs: int = 1) -> list[np.ndarray | None]:
        """Validation predictions per task, exactly as `core.interpreter.run_task` gives them (None = failed)."""
        if epochs < 0:
            raise ValueError("epochs must be >= 0")
        if program.is_evaluable(self.widest) and all(self.non_empty):
            runnable = [True] * len(self)
        else:
            runnable = [ok and program.is_evaluable(dim) for ok, dim in zip(self.non_empty, self.input_dims)]
            if not any(runnable):
                return [None] * len(self)
        preds = np.empty(self.val_count, dtype=np.float32)
        _fastexec.run(compile_program(program).blob, self.data, self.layout, self.states, int(epochs), preds)
        return [preds[part] if ok else None for part, ok in zip(self.val_slices, runnable)]

    def run_many(self, programs: Sequence[Program], epochs: int = 1, tasks: slice = slice(None)
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Every program on the tasks `tasks` (a step-1 slice of this batch), in one C call.

        Returns (predictions, ran): predictions is float32 (programs, every task's validation rows, tasks one
        after another as `val_slices` cut them); ran is bool (programs, tasks), True where the program ran on
        the task, False for a failed evaluation or a task outside `tasks`. A program whose memory exceeds the
        kernel's limits fails every task here (`predict` raises ValueError for it)."""
        if epochs < 0:
            raise ValueError("epochs must be >= 0")
        begin, end, step = tasks.indices(len(self))
        if step != 1:
            raise ValueError("run_many takes a contiguous range of tasks")
        preds = np.empty((len(programs), self.val_count), dtype=np.float32)
        ran = np.zeros((len(programs), len(self)), dtype=np.uint8)
        _fastexec.run_many(programs, self.data, self.layout, self.states, int(epochs), begin, max(begin, end),
                           preds, ran)
        return preds, ran.view(bool)

    def predict_many(self, programs: Sequence[Program], epochs: int = 1) -> list[list[np.ndarray | None]]:
        """`predict` of each program (a program too large to compile fails every task instead of raising)."""
        preds, ran = self.run_many(programs, epochs)
        return [[row[part] if ok else None for part, ok in zip(self.val_slices, oks)]
                for row, oks in zip(preds, ran.tolist())]


def run_tasks(program: Program, tasks: Sequence[TaskData], eval_seeds: Sequence[int], epochs: int = 1) -> list[np.ndarray | None]:
    """Validation predictions per task, exactly as `core.interpreter.run_task` gives them (None = failed)."""
    if not available():
        raise RuntimeError("the compiled evaluator core._fastexec is not built")
    return TaskBatch(tasks, eval_seeds).predict(program, epochs)


def fec_trace(predictions: np.ndarray, labels: np.ndarray) -> bytes:
    """`core.fec.trace_bytes` computed in C (the same bytes, without numpy's per-call overheads); elementwise,
    so a (programs, rows) array against labels tiled to that shape gives every program's trace in one call."""
    return _fastexec.fec_trace(np.ascontiguousarray(predictions, dtype=np.float32),
                               np.ascontiguousarray(labels, dtype=np.float32))


def regression_rmse(predictions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The rmse of `core.scoring.regression_scores` per row of a (rows, m) float32 array, computed in C; the
    rows of `labels` (k, m) repeat (row r against label row r mod k). NaN where a prediction is not finite."""
    predictions = np.ascontiguousarray(predictions, dtype=np.float32)
    labels = np.ascontiguousarray(labels, dtype=np.float32)
    out = np.empty(predictions.shape[0], dtype=np.float32)
    _fastexec.regression_rmse(predictions, labels, labels.shape[-1], out)
    return out
