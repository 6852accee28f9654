"""cifar10_binary (algorithm.md §8.2): one-vs-one class pairs of CIFAR_10_small, projected to k features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from core.tasks.base import TaskData
from core.tasks.projected_spec import ProjectedSpec
from core.tasks.registry import CIFAR10_BINARY

PAIRS = tuple((a, b) for a in range(10) for b in range(a + 1, 10))
TASKS_PER_PAIR = 100
TASK_COUNT = len(PAIRS) * TASKS_PER_PAIR  # 4500
PROJECTION_SEED_BASE = 17345
SPLIT_SEED_BASE = 97531


@dataclass(frozen=True)
class Cifar10Spec(ProjectedSpec):
    task_id: int
    class_pair: tuple[int, int]
    projection_seed: int
    split_seed: int
    n_components: int = 16
    n_samples: int = 2000
    train_split: float = 0.5
    task_type: ClassVar[str] = CIFAR10_BINARY
    pool_name: ClassVar[str] = "cifar10"

    @classmethod
    def for_id(cls, task_id: int, n_components: int = 16, n_samples: int = 2000, train_split: float = 0.5):
        if not 0 <= task_id < TASK_COUNT:
            raise ValueError(f"cifar10_binary task id {task_id} is outside [0, {TASK_COUNT})")
        return cls(
            task_id=int(task_id),
            class_pair=PAIRS[task_id // TASKS_PER_PAIR],
            projection_seed=PROJECTION_SEED_BASE + task_id,
            split_seed=SPLIT_SEED_BASE + task_id,
            n_components=int(n_components),
            n_samples=int(n_samples),
            train_split=float(train_split),
        )

    @property
    def descriptor(self) -> tuple:
        return (self.task_type, self.task_id, self.class_pair, self.projection_seed, self.split_seed,
                self.n_components, self.n_samples, self.train_split)

    @property
    def seed_fields(self) -> dict[str, int]:
        return {"task_id": self.task_id, "projection_seed": self.projection_seed, "split_seed": self.split_seed}

    def as_dict(self) -> dict:
        return {"task_id": self.task_id, "class_pair": list(self.class_pair), "projection_seed": self.projection_seed,
                "split_seed": self.split_seed, "train_split": self.train_split,
                "n_components": self.n_components, "n_samples": self.n_samples}

    def build_with_indices(self) -> tuple[TaskData, np.ndarray]:
        """The task data (uncached) and the drawn positions in the pair's pool."""
        _negative, positive = self.class_pair
        return self._draw_and_project(self.class_pair, positive, sample_seed=self.split_seed,
                                      perm_seed=self.split_seed + 1)
