"""Engine names (algorithm.md §12.1): `baseline`, `archive`, and `ga` as a deprecated alias of baseline."""

from __future__ import annotations

import logging

from core.errors import BitsotaError

log = logging.getLogger(__name__)

ENGINE_NAMES = ("baseline", "archive")
ALIASES = {"ga": "baseline"}


class UnknownEngine(BitsotaError, ValueError):
    pass


def normalize_engine_name(name: str, *, warn: bool = True) -> str:
    """The canonical engine name; `ga` maps to `baseline` (with a warning unless `warn` is false)."""
    key = str(name).strip().lower()
    if key in ALIASES:
        if warn:
            log.warning("engine %r is an alias of %r", key, ALIASES[key])
        return ALIASES[key]
    if key not in ENGINE_NAMES:
        raise UnknownEngine(f"unknown engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)} (or ga)")
    return key
