"""Functional equivalence cache (algorithm.md §11): programs that behave alike on a small probe share one
fitness value.

The probe is a few rows of the suite's first task; a program's key is the SHA-1 of its rounded prediction
errors there (plus the probe's identity), and an LRU map keeps key → fitness.
"""

from __future__ import annotations

import hashlib
import struct
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from core.evaluate import TaskSet
from core.program import Program
from core.tasks.base import TaskData

KEY_VERSION = b"fec-v2"
PROBE_TRAIN_SEED = 1337
PROBE_VALID_SEED = 1338
PROBE_EVAL_SEED = 1337
TRACE_DECIMALS = 3
TRACE_INF = 1e6


def probe_rows(count: int, wanted: int, seed: int) -> np.ndarray:
    """min(wanted, count) distinct row indices drawn with Generator(seed), in drawn order."""
    return np.random.Generator(np.random.PCG64(seed)).choice(count, min(wanted, count), replace=False)


def probe_task(task: TaskData, train_examples: int, valid_examples: int) -> TaskData:
    train = probe_rows(len(task.y_train), train_examples, PROBE_TRAIN_SEED)
    valid = probe_rows(len(task.y_val), valid_examples, PROBE_VALID_SEED)
    return TaskData.from_arrays(task.X_train[train], task.y_train[train], task.X_val[valid], task.y_val[valid],
                                task.kind)


def trace_bytes(predictions: np.ndarray, labels: np.ndarray) -> bytes:
    """pred − y (float32) rounded to 3 decimals, NaN → 0, ±inf → ±1e6, as little-endian float32 bytes."""
    with np.errstate(over="ignore", invalid="ignore"):  # numpy's rounding overflows huge errors to ±inf
        errors = np.round(predictions.astype(np.float32) - labels.astype(np.float32), TRACE_DECIMALS)
    if not np.isfinite(errors).all():
        errors = np.nan_to_num(errors, nan=0.0, posinf=TRACE_INF, neginf=-TRACE_INF)
    return errors.astype("<f4").tobytes()


class FecCache:
    """LRU map from probe key to fitness, with optional periodic forgetting and hit statistics."""

    def __init__(self, first_task: TaskData, descriptor: tuple | str, *, input_dim: int, task_count: int,
                 miner_task_seed: int, capacity: int, train_examples: int = 32, valid_examples: int = 32,
                 forget_every: int = 0, evaluator: str | None = None) -> None:
        if capacity < 1:
            raise ValueError("FEC capacity must be at least 1")
        self.probe = probe_task(first_task, train_examples, valid_examples)
        self.capacity = int(capacity)
        self.forget_every = max(0, int(forget_every))
        self.evaluator = evaluator
        self._probe_set = TaskSet([self.probe], [PROBE_EVAL_SEED], evaluator)
        self._trace = trace_bytes
        if self._probe_set.evaluator == "fast":
            from core import fast

            self._trace = fast.fec_trace
        descriptor_text = descriptor if isinstance(descriptor, str) else repr(descriptor)
        integers = (len(self.probe.y_train), len(self.probe.y_val), input_dim, task_count, miner_task_seed,
                    PROBE_EVAL_SEED, TRACE_DECIMALS)
        self._key_prefix = KEY_VERSION + descriptor_text.encode() + struct.pack("<7q", *integers)
        self._entries: OrderedDict[bytes, float] = OrderedDict()
        self._inserts_since_clear = 0
        self.lookups = self.hits = self.misses = self.key_failures = 0

    def key(self, program: Program) -> bytes | None:
        """The program's key, or None when the probe evaluation fails."""
        try:
            predictions = self._probe_set.predict(program)[0]
        except (ValueError, MemoryError):  # too large to compile or run: only caching is lost for this program
            return None
        if predictions is None:
            return None
        return hashlib.sha1(self._key_prefix + self._trace(predictions, self.probe.y_val)).digest()

    def fitness(self, program: Program, compute: Callable[[Program], float]) -> float:
        """The cached fitness of an equivalent program, else `compute(program)` (stored under the key)."""
        self.lookups += 1
        key = self.key(program)
        if key is None:
            self.key_failures += 1
            return compute(program)
        cached = self.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        value = compute(program)
        self.put(key, value)
        return value

    def get(self, key: bytes) -> float | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: bytes, value: float) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        self._inserts_since_clear += 1
        if self.forget_every and self._inserts_since_clear >= self.forget_every:
            self._entries.clear()
            self._inserts_since_clear = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: bytes) -> bool:
        return key in self._entries

    def stats(self) -> dict[str, int | float]:
        return {
            "lookups": self.lookups,
            "hits": self.hits,
            "misses": self.misses,
            "key_failures": self.key_failures,
            "size": len(self._entries),
            "capacity": self.capacity,
            "hit_rate": self.hits / self.lookups if self.lookups else 0.0,
        }
