"""The gui config (tui.md §11.1): defaults, lenient coercion, env overrides."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from core.config import ConfigError, find_gui_config, load_json_object
from core.hyperparams import as_bool

log = logging.getLogger(__name__)

TRUE_WORDS = {"1", "true", "yes", "on"}
MINIMUMS = {"log_max_lines": 1, "miner_workers": 1, "miner_validate_every_n_generations": 1,
            "pool_lease_evolve_generations": 1, "miner_migration_generations": 0, "submission_cooldown_seconds": 0}
CHOICES = {"pool_mode": ("task", "lease"), "task_type": ("cifar10_binary", "mnist_binary", "scalar_linear", "pool")}


@dataclass(frozen=True)
class GuiSettings:
    relay_endpoint: str = "https://relay.bitsota.com"
    pool_endpoint: str = "https://api.bitsota.com"
    update_manifest_url: str = "https://relay.bitsota.com/version.json"
    cifar10_dataset_url: str = "https://cifar10.fra1.digitaloceanspaces.com/CIFAR_10_small.arff.gz"
    test_mode: bool = False
    test_invite_code: str = "TESTTEST1"
    miner_task_count: int | None = None
    validator_task_count: int | None = None
    miner_validate_every_n_generations: int = 1000
    problem_config_path: str | None = None
    population_state_path: str | None = None
    miner_workers: int = 1
    miner_seed: int | None = None
    miner_migration_generations: int = 0
    pool_lease_evolve_generations: int = 160
    task_type: str | None = None  # the Task Type control's default ("Save as default")
    theme: str = "auto"
    keep_running: bool = False
    submission_cooldown_seconds: int = 60
    log_max_lines: int = 5000
    pool_mode: str = "task"
    mouse: bool = True
    check_updates: bool = True


def _coerce(name: str, default: Any, value: Any) -> Any:
    """`value` converted to the type of the key; ValueError when it does not fit."""
    kind = type(default) if default is not None else None
    if name in ("miner_task_count", "validator_task_count", "miner_seed"):
        kind = int
    if name in ("problem_config_path", "population_state_path", "task_type"):
        kind = str
    if value is None:
        if default is None:
            return None
        raise ValueError("null")
    if kind is bool:
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in TRUE_WORDS | {"0", "false", "no", "off"}:
            return as_bool(value, default)
        raise ValueError(value)
    if kind is int:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ValueError(value)
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    return value


def _check(name: str, value: Any) -> str | None:
    """Why `value` is outside the key's range or choices; None when it fits."""
    if name in MINIMUMS and value is not None and value < MINIMUMS[name]:
        return f"must be at least {MINIMUMS[name]}"
    if name in CHOICES and value is not None and value not in CHOICES[name]:
        return f"one of {', '.join(CHOICES[name])}"
    return None


def from_mapping(data: dict[str, Any], source: str = "gui config") -> tuple[GuiSettings, list[str]]:
    """Settings from a config object, plus one warning per ignored value naming `source` and the key."""
    warnings: list[str] = []
    values: dict[str, Any] = {}
    for spec in fields(GuiSettings):
        if spec.name not in data:
            continue
        try:
            value = _coerce(spec.name, spec.default, data[spec.name])
            why = _check(spec.name, value)
        except ValueError:
            why = "wrong type"
        if why is None:
            values[spec.name] = value
        else:
            warnings.append(f"{source}: ignoring invalid {spec.name}={data[spec.name]!r} ({why}); "
                            f"using {spec.default!r}")
    return GuiSettings(**values), warnings


def apply_env(settings: GuiSettings, env: dict[str, str] | None = None) -> GuiSettings:
    """`BITSOTA_TEST_MODE` forces test mode; `BITSOTA_TEST_INVITE_CODE` sets the test code."""
    env = os.environ if env is None else env
    if env.get("BITSOTA_TEST_MODE", "").strip().lower() in TRUE_WORDS:
        settings = replace(settings, test_mode=True)
    if env.get("BITSOTA_TEST_INVITE_CODE", "").strip():
        settings = replace(settings, test_invite_code=env["BITSOTA_TEST_INVITE_CODE"].strip())
    return settings


def load(explicit: str | None = None) -> tuple[GuiSettings, Path | None, list[str]]:
    """The gui config found by the §11.1 lookup: settings, the path used (or None) and warnings."""
    path = find_gui_config(explicit)
    data: dict[str, Any] = {}
    warnings: list[str] = []
    if path is not None:
        if path.is_file():
            try:
                data = load_json_object(path)
            except ConfigError as exc:
                warnings.append(str(exc))
        else:
            warnings.append(f"gui config {path} does not exist; using defaults")
    settings, more = from_mapping(data, str(path) if path else "gui config")
    return apply_env(settings), path, warnings + more
