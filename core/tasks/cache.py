"""Prepared-task caches (algorithm.md §8.1, §9): per-type in-memory LRU maps and an on-disk `.npz` cache.

The disk cache holds binary tasks only (scalar_linear is cheap to rebuild) and is bypassed while a raw data
set override is active, so synthetic pools never leak into it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from core.tasks.base import BINARY, TaskData
from core.tasks.registry import CIFAR10_BINARY, MNIST_BINARY, SCALAR_LINEAR

log = logging.getLogger(__name__)

FORMAT_VERSION = "bitsota-task-v1"
ARRAY_NAMES = ("X_train", "y_train", "X_val", "y_val")
_SIZE_ENV = {CIFAR10_BINARY: ("CIFAR_TASK_CACHE_MAXSIZE", 512), MNIST_BINARY: ("MNIST_TASK_CACHE_MAXSIZE", 256),
             SCALAR_LINEAR: ("SCALAR_TASK_CACHE_MAXSIZE", 256)}


class LruCache:
    """A small thread-safe least-recently-used map."""

    def __init__(self, maxsize: int):
        self.maxsize = max(0, maxsize)
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def _env_size(task_type: str) -> int:
    name, default = _SIZE_ENV[task_type]
    try:
        return max(0, int(os.environ.get(name, "").strip() or default))
    except ValueError:
        return default


_memory: dict[str, LruCache] = {}


def memory_cache(task_type: str) -> LruCache:
    if task_type not in _memory:
        _memory[task_type] = LruCache(_env_size(task_type))
    return _memory[task_type]


def clear_memory() -> None:
    for cache in _memory.values():
        cache.clear()


def descriptor_key(descriptor: tuple) -> str:
    return hashlib.sha256(f"{FORMAT_VERSION}|{descriptor!r}".encode()).hexdigest()


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in ARRAY_NAMES:
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def disk_path(spec) -> Path:
    from core.datasets import data_dir

    return data_dir() / "tasks" / spec.task_type / f"{descriptor_key(spec.descriptor)}.npz"


def _read_disk(path: Path, kind: str) -> TaskData | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in ARRAY_NAMES}
            expected = str(stored["digest"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as exc:
        log.warning("prepared task %s is unreadable (%s); rebuilding it", path, exc)
        return None
    if arrays_digest(arrays) != expected:
        log.warning("prepared task %s failed its digest check; rebuilding it", path)
        return None
    return TaskData.from_arrays(*(arrays[name] for name in ARRAY_NAMES), kind)


def _write_disk(path: Path, data: TaskData) -> None:
    arrays = {name: getattr(data, name) for name in ARRAY_NAMES}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, digest=np.array(arrays_digest(arrays)), **arrays)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only data dir only costs speed
        log.warning("could not write prepared task %s: %s", path, exc)


def _uses_disk(spec) -> bool:
    from core.tasks.pools import is_overridden

    pool_name = getattr(spec, "pool_name", None)
    return pool_name is not None and not is_overridden(pool_name)


def _disk_cached(spec) -> TaskData:
    path = disk_path(spec)
    data = _read_disk(path, BINARY)
    if data is None:
        data = spec.build()
        _write_disk(path, data)
    return data


def load_task(spec) -> TaskData:
    """The prepared data of `spec`: memory cache, then disk cache (binary tasks), then the recipe."""
    memory = memory_cache(spec.task_type)
    data = memory.get(spec.descriptor)
    if data is None:
        data = _disk_cached(spec) if _uses_disk(spec) else spec.build()
        memory.put(spec.descriptor, data)
    return data
