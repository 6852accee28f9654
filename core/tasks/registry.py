"""The task-type registry (algorithm.md §8): the only task types accepted anywhere."""

from __future__ import annotations

from core.errors import BitsotaError

CIFAR10_BINARY = "cifar10_binary"
MNIST_BINARY = "mnist_binary"
SCALAR_LINEAR = "scalar_linear"
TASK_TYPES = (CIFAR10_BINARY, MNIST_BINARY, SCALAR_LINEAR)

# Number of task ids per type: the space the verification suite draws from (§10 step 5, §11).
TASK_SPACE = {CIFAR10_BINARY: 4500, MNIST_BINARY: 10000, SCALAR_LINEAR: 8}


class UnknownTaskType(BitsotaError, ValueError):
    """A task type outside the registry."""


def normalize_task_type(name: str) -> str:
    """The registered name for `name` (trimmed, lower-cased); raises UnknownTaskType otherwise."""
    normalized = str(name).strip().lower() if name is not None else ""
    if normalized not in TASK_TYPES:
        raise UnknownTaskType(f"unknown task type {name!r}; expected one of {', '.join(TASK_TYPES)}")
    return normalized
