"""scalar_linear (algorithm.md §8.4): noise-free linear regression y = X·w on standard normal inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from core.tasks.base import REGRESSION, TaskData
from core.tasks.projected import index_order_sum
from core.tasks.registry import SCALAR_LINEAR

# (param_seed, data_seed) of the canonical ids 0..7
CANONICAL_SEEDS = ((1001, 11001), (1012, 11012), (1010, 11010), (1000, 11000),
                   (1006, 11006), (1008, 11008), (1007, 11007), (1003, 11003))
CANONICAL_COUNT = len(CANONICAL_SEEDS)


def seeds_for_id(task_id: int) -> tuple[int, int]:
    """(param_seed, data_seed): the canonical table for ids 0..7, the extension rule beyond."""
    if task_id < 0:
        raise ValueError(f"scalar_linear task id {task_id} is negative")
    if task_id < CANONICAL_COUNT:
        return CANONICAL_SEEDS[task_id]
    return 1003 + (task_id - 7), 11003 + (task_id - 7)


@dataclass(frozen=True)
class ScalarLinearSpec:
    task_id: int
    param_seed: int
    data_seed: int
    n_features: int = 16
    train_samples: int = 1000
    val_samples: int = 1000
    task_type: ClassVar[str] = SCALAR_LINEAR

    @classmethod
    def for_id(cls, task_id: int, n_features: int = 16, train_samples: int = 1000, val_samples: int = 1000):
        param_seed, data_seed = seeds_for_id(task_id)
        return cls(int(task_id), param_seed, data_seed, int(n_features), int(train_samples), int(val_samples))

    @property
    def descriptor(self) -> tuple:
        return (self.task_type, self.param_seed, self.data_seed, self.train_samples, self.val_samples,
                self.n_features)

    @property
    def seed_fields(self) -> dict[str, int]:
        return {"task_id": self.task_id, "param_seed": self.param_seed, "data_seed": self.data_seed}

    @property
    def input_dim(self) -> int:
        return self.n_features

    def row_counts(self) -> tuple[int, int]:
        """(train rows, validation rows), known without building the task."""
        return self.train_samples, self.val_samples

    def as_dict(self) -> dict:
        return {"task_id": self.task_id, "param_seed": self.param_seed, "data_seed": self.data_seed,
                "n_features": self.n_features, "train_samples": self.train_samples,
                "val_samples": self.val_samples}

    def build(self) -> TaskData:
        data_rng = np.random.Generator(np.random.PCG64(self.data_seed))
        X_train = data_rng.standard_normal((self.train_samples, self.n_features))
        X_val = data_rng.standard_normal((self.val_samples, self.n_features))
        weights = np.random.Generator(np.random.PCG64(self.param_seed)).standard_normal(self.n_features)
        return TaskData.from_arrays(X_train, _targets(X_train, weights), X_val, _targets(X_val, weights), REGRESSION)

    def load(self) -> TaskData:
        from core.tasks.store import STORE

        return STORE.load_task(self)


def _targets(X: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """y = X·w in binary64, each row's dot product summed in feature order."""
    return index_order_sum(X * weights, axis=1)
