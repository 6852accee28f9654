"""SIGUSR1 ("detach from the parent") caught from a miner's first line (miner.md §4.5, tui.md §8.2).

SIGUSR1's default action ends the process, and the TUI may send it (to leave a miner running when it quits) at
any moment after the spawn, even while the miner is still importing numpy and the engines (about a second).
The entry points call `catch()` before those imports; the parent watches ask `requested()` once they run.
The handler only sets a plain attribute: taking a lock inside a handler could deadlock the main thread.
"""

from __future__ import annotations

import signal

_requested = False


def catch() -> None:
    """Remember SIGUSR1 instead of dying of it."""
    signal.signal(signal.SIGUSR1, _on_signal)


def _on_signal(signum: int, frame) -> None:
    global _requested
    _requested = True


def requested() -> bool:
    """Whether SIGUSR1 arrived since `catch()`."""
    return _requested
