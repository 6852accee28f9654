"""A raw data pool of a binary task (the arrays of one data set) and the draw the recipes make from it.

Pixel pools are uint8 (scaled ÷255 to float32 on use); float pools are used as they are. Which pool a
recipe gets is the task store's business (core/tasks/store.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from core.tasks.projected import sample_indices

PIXEL_SCALE = np.float32(255.0)


@dataclass
class RawPool:
    X: np.ndarray  # (rows, features): uint8 pixels, or floats already scaled
    y: np.ndarray  # (rows,) integer class labels
    synthetic: bool = False
    _class_rows: dict = field(default_factory=dict, repr=False)

    def class_rows(self, classes: Sequence[int]) -> np.ndarray:
        """Row numbers whose label is one of `classes`, in source order."""
        key = tuple(classes)
        if key not in self._class_rows:
            self._class_rows[key] = np.flatnonzero(np.isin(self.y, key))
        return self._class_rows[key]

    def features(self, rows: np.ndarray) -> np.ndarray:
        """float32 features of `rows` (pixel ÷ 255 rounded to float32 for uint8 pools)."""
        values = self.X[rows]
        if values.dtype == np.uint8:
            return values.astype(np.float32) / PIXEL_SCALE
        return values.astype(np.float32)

    def draw(self, classes: Sequence[int], positive: int, n_samples: int, sample_seed: int):
        """§8.1 step 1 on the pool of `classes`: (drawn pool positions, their features, positive flags)."""
        pool = self.class_rows(classes)
        positions = sample_indices(len(pool), n_samples, sample_seed)
        rows = pool[positions]
        return positions, self.features(rows), self.y[rows] == positive
