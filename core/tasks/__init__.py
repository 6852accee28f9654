"""Task registry, recipes and suites (algorithm.md §8, §10, §11)."""

from core.tasks.base import BINARY, REGRESSION, TaskData
from core.tasks.cifar10 import Cifar10Spec
from core.tasks.mnist import MnistSpec
from core.tasks.registry import TASK_SPACE, TASK_TYPES, UnknownTaskType, normalize_task_type
from core.tasks.scalar_linear import ScalarLinearSpec
from core.tasks.suites import SuiteEntry, eval_seed, miner_suite, suite_seed, verification_suite

__all__ = [
    "BINARY", "REGRESSION", "TaskData", "Cifar10Spec", "MnistSpec", "ScalarLinearSpec", "TASK_SPACE",
    "TASK_TYPES", "UnknownTaskType", "normalize_task_type", "SuiteEntry", "eval_seed", "miner_suite",
    "suite_seed", "verification_suite",
]
