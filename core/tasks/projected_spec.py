"""What the cifar10_binary and mnist_binary specs share: a draw from the named raw pool, then the projected
recipe (algorithm.md §8.1), and loads through the task store."""

from __future__ import annotations

from typing import ClassVar, Sequence

import numpy as np

from core.tasks.base import TaskData
from core.tasks.projected import build_projected_task, split_sizes
from core.tasks.store import STORE


class ProjectedSpec:
    """Mixin for frozen spec dataclasses with fields n_components, n_samples and train_split."""

    pool_name: ClassVar[str]
    projection_seed: int
    n_components: int
    n_samples: int
    train_split: float

    @property
    def input_dim(self) -> int:
        return self.n_components

    def row_counts(self) -> tuple[int, int]:
        """(train rows, validation rows) at most, known without building the task (a smaller pool gives fewer)."""
        n_train = split_sizes(self.n_samples, self.train_split)
        return n_train, max(0, self.n_samples - n_train)

    def build_with_indices(self) -> tuple[TaskData, np.ndarray]:
        """The task data (uncached) and the drawn positions in the pool."""
        raise NotImplementedError

    def _draw_and_project(self, classes: Sequence[int], positive: int, *, sample_seed: int,
                          perm_seed: int) -> tuple[TaskData, np.ndarray]:
        positions, rows, is_positive = STORE.raw_pool(self.pool_name).draw(
            classes, positive, self.n_samples, sample_seed=sample_seed)
        data = build_projected_task(rows, is_positive, projection_seed=self.projection_seed, perm_seed=perm_seed,
                                    n_components=self.n_components, train_split=self.train_split)
        return data, positions

    def build(self) -> TaskData:
        return self.build_with_indices()[0]

    def load(self) -> TaskData:
        return STORE.load_task(self)
