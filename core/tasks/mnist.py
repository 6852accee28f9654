"""mnist_binary (algorithm.md §8.3): digit 0 vs digit 1, every task id drawing from the same pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from core.tasks.base import TaskData
from core.tasks.cifar10 import PROJECTION_SEED_BASE, SPLIT_SEED_BASE
from core.tasks.projected_spec import ProjectedSpec
from core.tasks.registry import MNIST_BINARY

TASK_COUNT = 10000
DATA_SEED_BASE = 21001
DIGITS = (0, 1)
POSITIVE_DIGIT = 1


@dataclass(frozen=True)
class MnistSpec(ProjectedSpec):
    task_id: int
    data_seed: int
    projection_seed: int
    split_seed: int
    n_components: int = 16
    n_samples: int = 2000
    train_split: float = 0.5
    task_type: ClassVar[str] = MNIST_BINARY
    pool_name: ClassVar[str] = "mnist"

    @classmethod
    def for_id(cls, task_id: int, n_components: int = 16, n_samples: int = 2000, train_split: float = 0.5):
        if not 0 <= task_id < TASK_COUNT:
            raise ValueError(f"mnist_binary task id {task_id} is outside [0, {TASK_COUNT})")
        return cls(
            task_id=int(task_id),
            data_seed=DATA_SEED_BASE + task_id,
            projection_seed=PROJECTION_SEED_BASE + task_id,
            split_seed=SPLIT_SEED_BASE + task_id,
            n_components=int(n_components),
            n_samples=int(n_samples),
            train_split=float(train_split),
        )

    @property
    def descriptor(self) -> tuple:
        return (self.task_type, self.task_id, self.data_seed, self.projection_seed, self.split_seed,
                self.n_components, self.n_samples, self.train_split)

    @property
    def seed_fields(self) -> dict[str, int]:
        return {"task_id": self.task_id, "data_seed": self.data_seed, "projection_seed": self.projection_seed,
                "split_seed": self.split_seed}

    def as_dict(self) -> dict:
        return {"task_id": self.task_id, "data_seed": self.data_seed, "projection_seed": self.projection_seed,
                "split_seed": self.split_seed, "train_split": self.train_split,
                "n_components": self.n_components, "n_samples": self.n_samples}

    def build_with_indices(self) -> tuple[TaskData, np.ndarray]:
        return self._draw_and_project(DIGITS, POSITIVE_DIGIT, sample_seed=self.data_seed, perm_seed=self.split_seed)
