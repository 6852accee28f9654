"""Task suites: the verification suite (algorithm.md §10 steps 4-6) and the miner suite (§11)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.tasks.base import TaskData
from core.tasks.cifar10 import Cifar10Spec
from core.tasks.mnist import MnistSpec
from core.tasks.registry import CIFAR10_BINARY, MNIST_BINARY, SCALAR_LINEAR, TASK_SPACE, normalize_task_type
from core.tasks.scalar_linear import ScalarLinearSpec

SUITE_SEED_STRIDE = 7919
SEED_MODULUS = 2**31 - 1
LARGE_SUITE_MODES = ("extended", "reference")
_SEED_WEIGHTS = (("task_id", 15485863), ("projection_seed", 104729), ("split_seed", 1000003),
                 ("param_seed", 1618033), ("data_seed", 314159))
_PROJECTED_SPECS: dict[str, type[Cifar10Spec] | type[MnistSpec]] = {CIFAR10_BINARY: Cifar10Spec, MNIST_BINARY: MnistSpec}


@dataclass(frozen=True)
class SuiteEntry:
    spec: Any  # Cifar10Spec | MnistSpec | ScalarLinearSpec
    eval_seed: int

    def load(self) -> TaskData:
        return self.spec.load()


def suite_seed(seed_base: int, input_dim: int) -> int:
    """S = seed base + 7919·max(1, input_dim) (§10 step 4, §11)."""
    return int(seed_base) + SUITE_SEED_STRIDE * max(1, int(input_dim))


def eval_seed(spec, suite_seed_value: int) -> int:
    """§10 step 6: the executor seed of `spec` in a suite seeded with S; absent seed fields count as 0."""
    fields = spec.seed_fields
    total = int(suite_seed_value) + sum(weight * (fields.get(name, 0) + 1) for name, weight in _SEED_WEIGHTS)
    return total % SEED_MODULUS or 1


def make_spec(task_type: str, task_id: int, input_dim: int, sizes: Mapping[str, Any]):
    """The spec of one task id with k (or n_features) = input_dim and the given data sizes."""
    if task_type == SCALAR_LINEAR:
        count = sizes.get("n_samples")
        return ScalarLinearSpec.for_id(
            task_id, n_features=input_dim,
            train_samples=sizes.get("train_samples") or count or 1000,
            val_samples=sizes.get("val_samples") or count or 1000)
    return _PROJECTED_SPECS[task_type].for_id(
        task_id, n_components=input_dim,
        n_samples=sizes.get("n_samples") or 2000, train_split=sizes.get("train_split") or 0.5)


def _verification_ids(task_type: str, task_count: int, seed: int, scalar_large_suite: str) -> list[int]:
    rng = np.random.Generator(np.random.PCG64(seed))
    space = TASK_SPACE[task_type]
    if task_type == SCALAR_LINEAR and task_count > space and scalar_large_suite == "extended":
        return list(range(task_count))
    # scalar_linear under "reference": numpy refuses the oversized draw, as the reference validator did
    replace = task_count > space and task_type != SCALAR_LINEAR
    return [int(t) for t in rng.choice(space, size=task_count, replace=replace)]


@lru_cache(maxsize=256)
def _verification_entries(task_type, input_dim, task_count, seed, sizes, scalar_large_suite) -> tuple:
    ids = _verification_ids(task_type, task_count, seed, scalar_large_suite)
    specs = [make_spec(task_type, t, input_dim, dict(sizes)) for t in ids]
    return tuple(SuiteEntry(spec, eval_seed(spec, seed)) for spec in specs)


def verification_suite(task_type: str, input_dim: int, task_count: int, task_seed: int, *,
                       overrides: Mapping[str, Any] | None = None,
                       scalar_large_suite: str = "extended") -> list[SuiteEntry]:
    """The validator's suite (§10 steps 4-6). Raises ValueError for an oversized scalar_linear suite under
    `reference`, UnknownTaskType for an unregistered type."""
    task_type = normalize_task_type(task_type)
    if scalar_large_suite not in LARGE_SUITE_MODES:
        raise ValueError(f"scalar_large_suite must be one of {LARGE_SUITE_MODES}, not {scalar_large_suite!r}")
    if int(task_count) < 1 or int(input_dim) < 1:
        raise ValueError("task_count and input_dim must be at least 1")
    sizes = tuple(sorted((overrides or {}).items()))
    seed = suite_seed(task_seed, input_dim)
    return list(_verification_entries(task_type, int(input_dim), int(task_count), seed, sizes, scalar_large_suite))


def miner_data_sizes(task_type: str, train_examples: int | None, val_examples: int | None) -> dict[str, Any]:
    """§8.5: the miner's data-size overrides as spec sizes (both counts or neither)."""
    if train_examples is None or val_examples is None:
        if train_examples is not None or val_examples is not None:
            raise ValueError("train_examples and val_examples must be given together")
        return {}
    train, val = int(train_examples), int(val_examples)
    if train < 1 or val < 1:
        raise ValueError("train_examples and val_examples must be at least 1")
    if task_type == SCALAR_LINEAR:
        return {"train_samples": train, "val_samples": val}
    return {"n_samples": train + val, "train_split": (train + 1e-6) / (train + val)}


def miner_task_ids(task_type: str, task_count: int, seed: int) -> list[int]:
    """§11: D ids, each from its own generator seeded by a draw of the suite generator; duplicates kept."""
    suite_rng = np.random.Generator(np.random.PCG64(seed))
    space = TASK_SPACE[task_type]
    ids = []
    for _ in range(task_count):
        task_rng_seed = int(suite_rng.integers(0, SEED_MODULUS))
        ids.append(int(np.random.Generator(np.random.PCG64(task_rng_seed)).integers(0, space)))
    return ids


def miner_suite(task_type: str, input_dim: int, task_count: int, miner_task_seed: int, *,
                train_examples: int | None = None, val_examples: int | None = None) -> list[SuiteEntry]:
    """The miner's fitness suite (§11) with eval seeds from §10 step 6 (S = the miner suite seed)."""
    task_type = normalize_task_type(task_type)
    if int(task_count) < 1 or int(input_dim) < 1:
        raise ValueError("task_count and input_dim must be at least 1")
    sizes = miner_data_sizes(task_type, train_examples, val_examples)
    seed = suite_seed(miner_task_seed, input_dim)
    specs = [make_spec(task_type, t, int(input_dim), sizes) for t in miner_task_ids(task_type, int(task_count), seed)]
    return [SuiteEntry(spec, eval_seed(spec, seed)) for spec in specs]
