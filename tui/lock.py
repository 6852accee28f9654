"""The single-instance lock `~/.bitsota/tui.lock` (tui.md §1) with stale-pid detection."""

from __future__ import annotations

import os

from tui.logic.files import bitsota_home
from tui.logic.state_file import pid_alive


def lock_path():
    return bitsota_home() / "tui.lock"


def acquire_lock(enforced: bool) -> str | None:
    """Write our pid to the lock file; the error text when another live instance holds it."""
    path = lock_path()
    try:
        other = int(path.read_text().strip())
    except (OSError, ValueError):
        other = None
    if enforced and other and other != os.getpid() and pid_alive(other):
        return f"another bitsota-tui is running (pid {other})"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
    return None


def release_lock() -> None:
    path = lock_path()
    try:
        if path.read_text().strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass
