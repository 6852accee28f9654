"""The TUI's files under `~/.bitsota/` (tui.md §11.3) and atomic JSON writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import atomic_file
from core.config import home_dir


def bitsota_home() -> Path:
    return home_dir()


def logs_dir() -> Path:
    return bitsota_home() / "logs"


def write_json_atomic(path: Path, data: Any, mode: int | None = None) -> None:
    """Replace `path` with `data` as indented JSON (core.atomic_file); `mode` is the file's chmod."""
    atomic_file.write_json_atomic(path, data, file_mode=mode, indent=2, sort_keys=True)


def read_json(path: Path) -> Any:
    """The JSON in `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_json_object(path: Path) -> dict:
    data = read_json(path)
    return data if isinstance(data, dict) else {}
