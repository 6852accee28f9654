"""The one clock of the TUI's logic, so tests can freeze it (tui.md §13)."""

from __future__ import annotations

import time
from collections.abc import Callable

_source: Callable[[], float] = time.time


def now() -> float:
    """Wall-clock epoch seconds (what timestamps and intervals in the TUI are measured in)."""
    return _source()


def set_source(source: Callable[[], float] | None) -> None:
    """Replace the clock (tests); None restores the real one."""
    global _source
    _source = source or time.time
