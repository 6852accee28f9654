"""Raw data pools for the binary tasks: the one seam between the recipes and the data sets.

Recipes ask `raw_pool(name)` for the raw arrays; normally they come from `core.datasets`, but
`raw_dataset_override` substitutes in-memory arrays (tests, the golden check's synthetic CIFAR set).
Pixel pools are uint8 (scaled ÷255 to float32 on use); float pools are used as they are.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Sequence

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


_lock = threading.RLock()
_loaded: dict[tuple, RawPool] = {}  # (name, data dir) -> pool
_overrides: dict[str, RawPool] = {}


def raw_pool(name: str) -> RawPool:
    """The raw pool `cifar10` or `mnist` (digits 0/1): an override if one is active, else the data set."""
    with _lock:
        if name in _overrides:
            return _overrides[name]
        from core import datasets

        key = (name, datasets.data_dir())
        if key not in _loaded:
            dataset = datasets.load_dataset(name, key[1])
            _loaded[key] = RawPool(dataset.X, dataset.y, synthetic=dataset.synthetic)
        return _loaded[key]


def is_overridden(name: str) -> bool:
    return name in _overrides


def forget_loaded() -> None:
    """Drop loaded data sets (after a data set was rewritten)."""
    with _lock:
        _loaded.clear()


@contextmanager
def raw_dataset_override(name: str, X: np.ndarray, y: np.ndarray, *, synthetic: bool = True) -> Iterator[RawPool]:
    """Use (X, y) as the raw data set `name` inside the block; prepared-task caches are bypassed for it."""
    from core.tasks import cache

    pool = RawPool(np.asarray(X), np.asarray(y), synthetic=synthetic)
    with _lock:
        previous = _overrides.get(name)
        _overrides[name] = pool
    cache.clear_memory()
    try:
        yield pool
    finally:
        with _lock:
            if previous is None:
                _overrides.pop(name, None)
            else:
                _overrides[name] = previous
        cache.clear_memory()
