"""Prepared task data: what every evaluator consumes (algorithm.md §6, §8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINARY = "binary"
REGRESSION = "regression"


@dataclass(frozen=True)
class TaskData:
    """One task's train and validation splits as float32 arrays (read-only, C-contiguous).

    `kind` selects the score (algorithm.md §7): BINARY = accuracy, REGRESSION = scalar_linear's atan score.
    """

    X_train: np.ndarray  # (n_train, input_dim) float32
    y_train: np.ndarray  # (n_train,) float32
    X_val: np.ndarray  # (n_val, input_dim) float32
    y_val: np.ndarray  # (n_val,) float32
    kind: str

    @property
    def input_dim(self) -> int:
        return int(self.X_train.shape[1])

    @staticmethod
    def from_arrays(X_train, y_train, X_val, y_val, kind: str) -> TaskData:
        """Copy arrays into read-only, C-contiguous float32 form."""

        def frozen(a, ndim: int) -> np.ndarray:
            out = np.ascontiguousarray(a, dtype=np.float32).copy()
            if out.ndim != ndim:
                raise ValueError(f"expected a {ndim}-d array, got shape {out.shape}")
            out.flags.writeable = False
            return out

        return TaskData(frozen(X_train, 2), frozen(y_train, 1), frozen(X_val, 2), frozen(y_val, 1), kind)
