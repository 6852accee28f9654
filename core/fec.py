"""Functional equivalence cache (algorithm.md §11): programs that behave alike on a small probe share one
fitness value.

The probe is a few rows of the suite's first task; a program's key is the SHA-1 of its rounded prediction
errors there (plus the probe's identity), and an LRU map keeps key → fitness.
"""

from __future__ import annotations

import hashlib
import struct
from collections import OrderedDict
from collections.abc import Callable, Sequence

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


def probe_traces(probe_set: TaskSet, programs: Sequence[Program], *, finite_only: bool = False) -> list[bytes | None]:
    """`trace_bytes` of each program's predictions on a one-task probe set, all programs in one evaluator call;
    None where the probe evaluation fails (and, with `finite_only`, where a prediction is not finite)."""
    preds, ran = probe_set.run_many(programs)
    labels = np.broadcast_to(probe_set.tasks[0].y_val.astype(np.float32), preds.shape)
    if probe_set.evaluator == "fast":
        from core import fast

        traces = fast.fec_trace(preds, labels)
    else:
        traces = trace_bytes(preds, labels)
    usable = ran[:, 0] & np.isfinite(preds).all(axis=1) if finite_only else ran[:, 0]
    width = 4 * preds.shape[1]
    return [traces[i * width:(i + 1) * width] if ok else None for i, ok in enumerate(usable.tolist())]


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
        except Exception:  # a probe that cannot run only disables caching for this program
            return None
        if predictions is None:
            return None
        return hashlib.sha1(self._key_prefix + self._trace(predictions, self.probe.y_val)).digest()

    def keys_many(self, programs: Sequence[Program]) -> list[bytes | None]:
        """`key` of each program, the probe run for all of them in one evaluator call."""
        prefix = self._key_prefix
        return [None if trace is None else hashlib.sha1(prefix + trace).digest()
                for trace in probe_traces(self._probe_set, programs)]

    def fitness_many(self, programs: Sequence[Program], compute_many: Callable[[list[Program]], list[float]]) -> list[float]:
        """`fitness` of each program, in order; `compute_many` scores the programs that need it, all in one call.

        A program equivalent to an earlier one of the same list is a hit on that one's value, as it would be one
        call after the other. The misses enter the cache after the whole list is looked up, so at capacity (or
        at a `forget_every` clear) a list can keep an entry that one-at-a-time calls would have evicted."""
        keys = self.keys_many(programs)
        values: list[float | None] = [None] * len(programs)
        pending: dict[bytes | None, list[int]] = {}
        order: list[int] = []  # programs to compute: key failures and the first of each missing key
        for i, key in enumerate(keys):
            self.lookups += 1
            if key is None:
                self.key_failures += 1
                order.append(i)
                continue
            if key in pending:
                self.hits += 1
                pending[key].append(i)
                continue
            cached = self.get(key)
            if cached is not None:
                self.hits += 1
                values[i] = cached
                continue
            self.misses += 1
            pending[key] = [i]
            order.append(i)
        computed = compute_many([programs[i] for i in order]) if order else []
        for i, value in zip(order, computed):
            values[i] = value
            key = keys[i]
            if key is not None:
                self.put(key, value)
                for twin in pending[key][1:]:
                    values[twin] = value
        filled = [value for value in values if value is not None]
        if len(filled) != len(values):
            raise RuntimeError("a program's fitness was neither cached nor computed")
        return filled

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
