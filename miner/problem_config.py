"""The problem configuration merge rule (miner.md §3.1): layered option defaults and the `env` section.

`merged` = top-level keys, then `mining`, then `mining.engine_params`, then `args` (later layers win);
a null never overrides a lower layer; keys are normalised (dashes, aliases, `phase_max_sizes`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from core.config import load_problem_config

SECTIONS = ("mining", "args", "env")
ALIASES = {
    "engine_type": "engine",
    "scalar_count": "scalar_regs",
    "vector_count": "vector_regs",
    "matrix_count": "matrix_regs",
    "miner_validate_every_n_generations": "validate_every",
    "validate_every_n_generations": "validate_every",
}
PHASE_SIZES_KEY = "phase_max_sizes"
PHASES = ("setup", "predict", "learn")


def normalized_layer(layer: Mapping[str, Any]) -> dict[str, Any]:
    """One layer's keys normalised, with nulls, private (`_`) keys and section keys dropped.

    Within a layer a canonical key wins over its alias."""
    result: dict[str, Any] = {}
    aliased: dict[str, Any] = {}
    for raw_key, value in layer.items():
        key = str(raw_key).replace("-", "_")
        if key.startswith("_") or key in SECTIONS or key == "engine_params" or value is None:
            continue
        if key == PHASE_SIZES_KEY:
            aliased.update(_phase_sizes(value))
        elif key in ALIASES:
            aliased[ALIASES[key]] = value
        else:
            result[key] = value
    return {**aliased, **result}


def _phase_sizes(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    return {f"{phase}_max_ops": value[phase] for phase in PHASES if value.get(phase) is not None}


def merged_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The option defaults a problem config gives (§3.1 steps 2-4, before filtering to known options)."""
    mining = config.get("mining") or {}
    layers = (config, mining, mining.get("engine_params") or {}, config.get("args") or {})
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(normalized_layer(layer))
    return merged


def environment(config: Mapping[str, Any]) -> dict[str, str]:
    """The config's environment: `mining.env`, overridden by the top-level `env`; values stringified
    (booleans as 1/0), empty values dropped."""
    mining = config.get("mining") or {}
    combined = {**(mining.get("env") or {}), **(config.get("env") or {})}
    exported = {}
    for name, value in combined.items():
        text = _env_text(value)
        if text:
            exported[str(name)] = text
    return exported


def _env_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def export_environment(values: Mapping[str, str], environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set each variable that is not already set; returns the names exported."""
    environ = os.environ if environ is None else environ
    exported = [name for name in values if name not in environ]
    for name in exported:
        environ[name] = values[name]
    return exported


def load(path: str | os.PathLike) -> dict[str, Any]:
    """The problem config file as a JSON object (core.config.ConfigError otherwise)."""
    return load_problem_config(Path(path).expanduser())
