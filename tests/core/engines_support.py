"""Helpers for the engine tests: a scripted random generator and deterministic stand-in fitness functions."""

from __future__ import annotations

from collections import deque

import numpy as np

from core.engines import EngineParams
from core.program import Program

SMALL = dict(input_dim=2, scalar_count=4, vector_count=2, matrix_count=1,
             setup_max_ops=3, predict_max_ops=3, learn_max_ops=3)


def small_params(**overrides) -> EngineParams:
    return EngineParams(**{**SMALL, "pop_size": 8, **overrides})


class ScriptedRng:
    """Stands in for numpy's Generator: returns scripted values in call order, and fails loudly when the
    code under test draws more (or other) values than the test expects."""

    def __init__(self, *values) -> None:
        self.values = deque(values)

    def _next(self, kind: str):
        if not self.values:
            raise AssertionError(f"unexpected extra draw: {kind}")
        return self.values.popleft()

    def integers(self, low, high=None):
        value = self._next("integers")
        upper, lower = (low, 0) if high is None else (high, low)
        assert lower <= value < upper, f"scripted integer {value} outside [{lower}, {upper})"
        return value

    def uniform(self, low, high):
        value = self._next("uniform")
        assert low <= value < high
        return value

    def random(self):
        value = self._next("random")
        assert 0.0 <= value < 1.0
        return value

    def choice(self, n, size, replace=True):
        value = list(self._next("choice"))
        assert len(value) == size and all(0 <= v < n for v in value)
        assert replace or len(set(value)) == size
        return np.array(value, dtype=np.int64)

    def exhausted(self) -> bool:
        return not self.values


def size_fitness(program: Program) -> float:
    """Deterministic stand-in: more instructions in predict is better, any learn instruction costs a bit."""
    return float(len(program.predict)) - 0.1 * len(program.learn)


class CountingFitness:
    """Wraps a fitness function and records every program it was asked about."""

    def __init__(self, inner=size_fitness) -> None:
        self.inner = inner
        self.calls: list[Program] = []

    def __call__(self, program: Program) -> float:
        self.calls.append(program)
        return self.inner(program)
