"""Auto-start (tui.md §1, §2): `--auto-start`, or the original GUI's environment variables.

`BITSOTA_AUTO_START_MINING` (1, true, yes, on) starts mining as soon as a wallet is loaded, like `--auto-start`;
`BITSOTA_AUTO_TASK_TYPE` and `BITSOTA_AUTO_WORKERS` preselect the controls where `--task-type` and `--workers`
are not given. Invalid values are ignored with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tui.cli import TASK_TYPES
from tui.logic.settings import TRUE_WORDS


@dataclass(frozen=True)
class AutoStart:
    enabled: bool = False
    task_type: str | None = None
    workers: int | None = None


def from_environment(auto_start_flag: bool, env: Mapping[str, str]) -> tuple[AutoStart, list[str]]:
    warnings = []
    enabled = auto_start_flag or env.get("BITSOTA_AUTO_START_MINING", "").strip().lower() in TRUE_WORDS
    task_type = env.get("BITSOTA_AUTO_TASK_TYPE", "").strip().lower() or None
    if task_type is not None and task_type not in TASK_TYPES:
        warnings.append(f"ignoring BITSOTA_AUTO_TASK_TYPE={task_type!r} (one of {', '.join(TASK_TYPES)})")
        task_type = None
    text = env.get("BITSOTA_AUTO_WORKERS", "").strip()
    workers = int(text) if text.isdigit() and int(text) >= 1 else None
    if text and workers is None:
        warnings.append(f"ignoring BITSOTA_AUTO_WORKERS={text!r} (a whole number, at least 1)")
    return AutoStart(enabled, task_type, workers), warnings
