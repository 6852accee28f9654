"""Validator and miner hyperparameters (algorithm.md §16, validator.md §3).

Lookup: an env path variable, then the file shipped at the repository root, then built-in defaults identical
to it. Values are coerced leniently (a bad value falls back to the default); results are cached per path and
per relevant env values.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, overload

from core.tasks.registry import TASK_TYPES

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
VALIDATOR_FILE = "validator_hyperparams.json"
MINER_FILE = "miner_hyperparams.json"
VALIDATOR_PATH_VARS = ("BITSOTA_VALIDATOR_HYPERPARAMS_PATH", "VALIDATOR_HYPERPARAMS_PATH")
MINER_PATH_VARS = ("BITSOTA_MINER_HYPERPARAMS_PATH", "MINER_HYPERPARAMS_PATH")
LARGE_SUITE_MODES = ("reference", "extended")
_TRUE_WORDS = {"1", "true", "yes", "y", "on"}
_FALSE_WORDS = {"0", "false", "no", "n", "off"}


# ---------------------------------------------------------------- lenient coercion

@overload
def as_int(value: Any, default: int, minimum: int | None = None) -> int: ...
@overload
def as_int(value: Any, default: int | None, minimum: int | None = None) -> int | None: ...
def as_int(value: Any, default: int | None, minimum: int | None = None) -> int | None:
    """int(value) raised to `minimum`; `default` for None, bools, fractions and unparseable text."""
    if value is None or isinstance(value, bool):
        return default
    number: Any = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = as_float(value, None)
    if isinstance(number, float):
        number = int(number) if number.is_integer() else None
    if not isinstance(number, int):
        return default
    return number if minimum is None else max(minimum, number)


def as_float(value: Any, default: float | None) -> float | None:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return default


def _env(name: str) -> str | None:
    """An env value, or None when unset or empty (empty overrides nothing)."""
    value = os.environ.get(name, "").strip()
    return value or None


def _read_json_object(path: Path) -> dict | None:
    """The file's JSON object, or None (missing file silently; unusable file with a warning)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("hyperparameter file %s is unusable, using defaults: %s", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("hyperparameter file %s does not hold a JSON object, using defaults", path)
        return None
    return data


def _resolve_path(path_vars: tuple[str, ...], filename: str) -> Path:
    for name in path_vars:
        value = _env(name)
        if value:
            return Path(value).expanduser()
    return REPO_ROOT / filename


# ---------------------------------------------------------------- validator

@dataclass(frozen=True)
class TaskSizes:
    """Per-task-type data sizes (validator.md §3); None = unset (the recipe's default)."""

    n_samples: int | None = None
    train_split: float | None = None
    train_samples: int | None = None
    val_samples: int | None = None

    def as_overrides(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


DEFAULT_TASK_SIZES: Mapping[str, TaskSizes] = MappingProxyType({
    "cifar10_binary": TaskSizes(n_samples=2000, train_split=0.5),
    "mnist_binary": TaskSizes(n_samples=2000, train_split=0.5),
    "scalar_linear": TaskSizes(train_samples=1000, val_samples=1000),
})


@dataclass(frozen=True)
class ValidatorHyperparams:
    epochs: int = 1
    task_count: int = 128
    task_seed: int = 1337
    default_task_type: str = "cifar10_binary"
    default_input_dim: int = 16
    log_task_scores: bool = False
    tasks: Mapping[str, TaskSizes] = field(default_factory=lambda: DEFAULT_TASK_SIZES)
    max_input_dim: int = 1024
    scalar_linear_large_suite: str = "reference"
    source: str = "built-in defaults"

    def task_overrides(self, task_type: str) -> dict[str, Any]:
        """Overrides for the suite of `task_type` (scalar_linear: an `n_samples` entry sets both sizes)."""
        sizes = self.tasks.get(task_type, TaskSizes())
        if task_type == "scalar_linear" and sizes.n_samples is not None:
            return {"train_samples": sizes.n_samples, "val_samples": sizes.n_samples}
        overrides = sizes.as_overrides()
        if task_type == "scalar_linear":
            overrides.pop("train_split", None)
            overrides.pop("n_samples", None)
        return overrides


def _task_sizes(entry: Any) -> TaskSizes:
    if not isinstance(entry, dict):
        return TaskSizes()
    split = as_float(entry.get("train_split"), None)
    return TaskSizes(
        n_samples=as_int(entry.get("n_samples"), None, 1),
        train_split=split if split is not None and 0.0 < split < 1.0 else None,
        train_samples=as_int(entry.get("train_samples"), None, 1),
        val_samples=as_int(entry.get("val_samples"), None, 1),
    )


def _validator_from(data: dict, env: tuple[str | None, str | None, str | None], source: str) -> ValidatorHyperparams:
    base = ValidatorHyperparams()
    task_type = str(data.get("default_task_type", base.default_task_type)).strip().lower()
    tasks = dict(DEFAULT_TASK_SIZES)
    if isinstance(data.get("tasks"), dict):
        tasks.update({str(k).strip().lower(): _task_sizes(v) for k, v in data["tasks"].items()})
    large = str(data.get("scalar_linear_large_suite", base.scalar_linear_large_suite)).strip().lower()
    task_count = as_int(data.get("task_count"), base.task_count, 1)
    task_seed = as_int(data.get("task_seed"), base.task_seed, 0)
    log_scores = as_bool(data.get("log_task_scores", base.log_task_scores), base.log_task_scores)
    env_count, env_seed, env_log = env
    return ValidatorHyperparams(
        epochs=as_int(data.get("epochs"), base.epochs, 1),
        task_count=as_int(env_count, task_count, 1),
        task_seed=as_int(env_seed, task_seed, 0),
        default_task_type=task_type if task_type in TASK_TYPES else base.default_task_type,
        default_input_dim=as_int(data.get("default_input_dim"), base.default_input_dim, 1),
        log_task_scores=as_bool(env_log, log_scores) if env_log is not None else log_scores,
        tasks=MappingProxyType(tasks),
        max_input_dim=as_int(data.get("max_input_dim"), base.max_input_dim),
        scalar_linear_large_suite=large if large in LARGE_SUITE_MODES else base.scalar_linear_large_suite,
        source=source,
    )


@lru_cache(maxsize=32)
def _load_validator(path: Path, mtime: float | None, env: tuple) -> ValidatorHyperparams:
    data = _read_json_object(path)
    if data is None:
        return _validator_from({}, env, "built-in defaults")
    return _validator_from(data, env, str(path))


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def validator_hyperparams() -> ValidatorHyperparams:
    """The validator settings (validator.md §3), with env overrides applied."""
    path = _resolve_path(VALIDATOR_PATH_VARS, VALIDATOR_FILE)
    env = (_env("VALIDATOR_TASK_COUNT"), _env("VALIDATOR_TASK_SEED"), _env("LOG_VALIDATOR_TASK_SCORES"))
    return _load_validator(path, _mtime(path), env)


# ---------------------------------------------------------------- miner

@dataclass(frozen=True)
class MinerHyperparams:
    miner_task_count: int = 32
    miner_task_seed: int = 0
    validator_task_count: int | None = None
    fec_cache_size: int = 100000
    fec_train_examples: int = 32
    fec_valid_examples: int = 32
    fec_forget_every: int = 0
    submission_cooldown_seconds: float = 60.0
    sota_cache_seconds: float = 30.0
    sota_failure_backoff_seconds: float = 5.0
    source: str = "built-in defaults"


# key -> (env override, minimum); float keys have a None minimum and no integer coercion
_MINER_INT_KEYS = {
    "miner_task_count": ("MINER_TASK_COUNT", 1),
    "miner_task_seed": ("MINER_TASK_SEED", 0),
    "fec_cache_size": ("MINER_FEC_CACHE_SIZE", 0),
    "fec_train_examples": ("MINER_FEC_TRAIN_EXAMPLES", 1),
    "fec_valid_examples": ("MINER_FEC_VALID_EXAMPLES", 1),
    "fec_forget_every": ("MINER_FEC_FORGET_EVERY", 0),
}
_MINER_FLOAT_KEYS: dict[str, str | None] = {
    "submission_cooldown_seconds": "MINER_SUBMISSION_COOLDOWN_SECONDS",
    "sota_cache_seconds": None,
    "sota_failure_backoff_seconds": None,
}
_MINER_ENV_VARS = tuple(v[0] for v in _MINER_INT_KEYS.values()) + tuple(v for v in _MINER_FLOAT_KEYS.values() if v)


def _nonnegative(value: float | None, default: float) -> float:
    return default if value is None or not value >= 0 else value


@lru_cache(maxsize=32)
def _load_miner(path: Path, mtime: float | None, env: tuple) -> MinerHyperparams:
    data = _read_json_object(path)
    source = str(path) if data is not None else "built-in defaults"
    data = data or {}
    env_values = dict(zip(_MINER_ENV_VARS, env))
    base = MinerHyperparams()
    values: dict[str, Any] = {"source": source}
    for key, (env_name, minimum) in _MINER_INT_KEYS.items():
        from_file = as_int(data.get(key), getattr(base, key), minimum)
        values[key] = as_int(env_values[env_name], from_file, minimum)
    for key, float_env in _MINER_FLOAT_KEYS.items():
        from_file_float = _nonnegative(as_float(data.get(key), None), getattr(base, key))
        from_env = as_float(env_values.get(float_env), None) if float_env else None
        values[key] = _nonnegative(from_env, from_file_float)
    values["validator_task_count"] = as_int(data.get("validator_task_count"), None, 1)
    return MinerHyperparams(**values)


def miner_hyperparams() -> MinerHyperparams:
    """The miner library defaults (algorithm.md §16); the miner's CLI defaults take precedence over these."""
    path = _resolve_path(MINER_PATH_VARS, MINER_FILE)
    return _load_miner(path, _mtime(path), tuple(_env(name) for name in _MINER_ENV_VARS))
