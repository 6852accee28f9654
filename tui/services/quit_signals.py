"""SIGHUP and SIGTERM (tui.md §8.4): the first one runs the app's quit path, and the app always exits.

Plain `signal.signal` handlers, not the event loop's: Python runs them in the main thread even while the loop
is blocked, so a stuck quit can still be ended. A SIGTERM while the app is already quitting ends the process
at once (`exit_now`), and so does a quit path still running QUIT_DEADLINE_S after the signal that began it.
A repeated SIGHUP changes nothing: a shell that loses its terminal forwards the kernel's SIGHUP to its jobs.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable

QUIT_SIGNALS = (signal.SIGHUP, signal.SIGTERM)
QUIT_DEADLINE_S = 60.0  # the stop path waits at most 10 s for each of the four children


class QuitSignals:
    def __init__(self, loop: asyncio.AbstractEventLoop, begin_quit: Callable[[], None],
                 quitting: Callable[[], bool], exit_now: Callable[[int], None],
                 deadline_s: float = QUIT_DEADLINE_S) -> None:
        self._loop = loop
        self._begin_quit = begin_quit
        self._quitting = quitting
        self._exit_now = exit_now
        self._deadline_s = deadline_s
        self._triggered = False
        self._previous: dict[int, object] = {}

    def install(self) -> bool:
        """Take over SIGHUP and SIGTERM; False where that is impossible (not the main thread)."""
        try:
            for signum in QUIT_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:
            return False
        return True

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]  # what signal.signal returned
        self._previous.clear()

    def _handle(self, signum: int, _frame) -> None:
        if self._triggered or self._quitting():
            if signum == signal.SIGTERM:
                self._exit_now(signum)
            return
        self.trigger(signum)

    def trigger(self, signum: int) -> None:
        """Begin the quit path in the event loop, with a deadline (a signal, or the terminal going away)."""
        if self._triggered:
            return
        self._triggered = True
        try:
            self._loop.call_soon_threadsafe(self._begin_quit)
        except RuntimeError:  # the loop is closed: nothing is left to run the quit path
            self._exit_now(signum)
            return
        deadline = threading.Timer(self._deadline_s, self._exit_now, (signum,))
        deadline.daemon = True
        deadline.start()
