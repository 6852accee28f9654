"""The task store (algorithm.md §8.1, §9): the one owner of raw data pools, their in-memory overrides and
prepared tasks (a per-type in-memory LRU map, and an on-disk `.npz` cache for binary tasks).

Data fetching (core/datasets.py) knows nothing of tasks. The store notices a rewritten data set by itself:
prepared binary tasks are keyed by the digest the data set's manifest records, re-read whenever the data
set's file changes, so a task prepared from old data is never served. Overrides (tests, the golden check's
synthetic sets) never reach the disk cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Hashable, Iterator

import numpy as np

from core import datasets
from core.atomic_file import write_atomic
from core.tasks.base import BINARY, TaskData
from core.tasks.raw_pool import RawPool
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

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
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


def descriptor_key(descriptor: tuple) -> str:
    return hashlib.sha256(f"{FORMAT_VERSION}|{descriptor!r}".encode()).hexdigest()


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in ARRAY_NAMES:
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _file_signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is replaced (an atomic rewrite makes a new inode); None when it is missing."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


class TaskStore:
    """Raw pools by (data set, data dir), overrides by data set, prepared tasks by (descriptor, data version)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pools: dict[tuple[str, Path], RawPool] = {}
        self._versions: dict[tuple[str, Path], tuple[tuple[int, int, int], str]] = {}
        self._overrides: dict[str, RawPool] = {}
        self._memory: dict[str, LruCache] = {}

    # ------------------------------------------------------------ raw pools
    def raw_pool(self, name: str) -> RawPool:
        """The raw pool `cifar10` or `mnist` (digits 0/1): an override if one is active, else the data set."""
        with self._lock:
            if name in self._overrides:
                return self._overrides[name]
            root = datasets.data_dir()
            self._data_version(name, root)  # drops a pool whose data set was rewritten
            if (name, root) not in self._pools:
                dataset = datasets.load_dataset(name, root)
                self._pools[(name, root)] = RawPool(dataset.X, dataset.y, synthetic=dataset.synthetic)
            return self._pools[(name, root)]

    def _data_version(self, name: str, root: Path) -> str | None:
        """The manifest digest of data set `name` in `root`, None while it is not fetched."""
        signature = _file_signature(datasets.dataset_file(name, root))
        if signature is None:
            return None
        known = self._versions.get((name, root))
        if known is None or known[0] != signature:
            self._pools.pop((name, root), None)
            self._versions[(name, root)] = (signature, datasets.recorded_digest(name, root) or "unrecorded")
        return self._versions[(name, root)][1]

    def is_overridden(self, name: str) -> bool:
        return name in self._overrides

    @contextmanager
    def override(self, name: str, X: np.ndarray, y: np.ndarray, *, synthetic: bool = True) -> Iterator[RawPool]:
        """Use (X, y) as the raw data set `name` inside the block; prepared tasks of it stay in memory only."""
        pool = RawPool(np.asarray(X), np.asarray(y), synthetic=synthetic)
        with self._lock:
            previous = self._overrides.get(name)
            self._overrides[name] = pool
        self.clear_memory()
        try:
            yield pool
        finally:
            with self._lock:
                if previous is None:
                    self._overrides.pop(name, None)
                else:
                    self._overrides[name] = previous
            self.clear_memory()

    # ------------------------------------------------------------ prepared tasks
    def memory_cache(self, task_type: str) -> LruCache:
        with self._lock:
            if task_type not in self._memory:
                self._memory[task_type] = LruCache(_env_size(task_type))
            return self._memory[task_type]

    def clear_memory(self) -> None:
        with self._lock:
            for cache in self._memory.values():
                cache.clear()

    def forget(self) -> None:
        """Drop every loaded pool and prepared task held in memory (the disk cache stays)."""
        with self._lock:
            self._pools.clear()
            self._versions.clear()
        self.clear_memory()

    def load_task(self, spec: Any) -> TaskData:
        """The prepared data of `spec`: memory cache, then disk cache (binary tasks on real data), then the recipe."""
        version = self._disk_version(spec)
        key = spec.descriptor if version is None else (spec.descriptor, version)
        memory = self.memory_cache(spec.task_type)
        data = memory.get(key)
        if data is None:
            data = self._disk_cached(spec, version) if version is not None else spec.build()
            memory.put(key, data)
        return data

    def disk_path(self, spec: Any) -> Path | None:
        """Where `spec`'s prepared task is (or would be) stored; None for a task that is not stored on disk."""
        version = self._disk_version(spec)
        return None if version is None else self._disk_path(spec, version)

    def _disk_version(self, spec: Any) -> str | None:
        """The data version a binary task on real data is stored under; None for tasks kept in memory only."""
        name = getattr(spec, "pool_name", None)
        if name is None:
            return None
        with self._lock:
            if name in self._overrides:
                return None
            root = datasets.data_dir()
            version = self._data_version(name, root)
            if version is None:  # not fetched yet: fetching it records its digest
                self.raw_pool(name)
                version = self._data_version(name, root)
            return version

    @staticmethod
    def _disk_path(spec: Any, version: str) -> Path:
        key = descriptor_key((spec.descriptor, version))
        return datasets.data_dir() / "tasks" / spec.task_type / f"{key}.npz"

    def _disk_cached(self, spec: Any, version: str) -> TaskData:
        path = self._disk_path(spec, version)
        data = _read_disk(path, BINARY)
        if data is None:
            data = spec.build()
            _write_disk(path, data)
        return data


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
        write_atomic(path, lambda handle: np.savez(handle, digest=np.array(arrays_digest(arrays)), **arrays))
    except OSError as exc:  # a read-only data dir only costs speed
        log.warning("could not write prepared task %s: %s", path, exc)


STORE = TaskStore()
"""The process's task store; recipes, verification and tests use it."""
