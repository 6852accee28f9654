"""`--exit-with-parent PID`: notice when a process is gone (checked every 2 s) until told to detach."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

CHECK_INTERVAL_S = 2.0


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists but belongs to someone else
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class ParentWatch:
    """Calls `on_gone` (from its own thread) once process `pid` is gone, unless `detach` came first."""

    def __init__(self, pid: int, on_gone: Callable[[], None], on_detach: Callable[[], None]):
        self.pid = pid
        self._on_gone = on_gone
        self._on_detach = on_detach
        self._detached = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="sidecar-parent-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def detach(self) -> None:
        """Stop watching; safe to call from a signal handler."""
        self._detached.set()

    def _watch(self) -> None:
        while not self._detached.wait(CHECK_INTERVAL_S):
            if not process_alive(self.pid):
                self._on_gone()
                return
        self._on_detach()
