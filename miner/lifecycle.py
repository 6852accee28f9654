"""Stopping a miner (miner.md §4.5): signals, `--exit-with-parent` and SIGUSR1 detach.

Signal handlers only set plain attributes (or raise `ImmediateExit` on the second signal): taking a lock
inside a handler could deadlock against the interrupted main thread.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from miner import detach
from sidecar.parentwatch import ParentWatch

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ImmediateExit(BaseException):
    """A second stop signal: leave at once with status 128 + signal number.

    A BaseException, so that the engines' per-evaluation `except Exception` cannot swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.status = 128 + signum


class StopRequest:
    """Whether (and why) the run should stop; set from signal handlers and watcher threads."""

    def __init__(self) -> None:
        self.requested = False
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        if not self.requested:
            self.reason = reason
            self.requested = True


class StopControl:
    """Installs the stop-signal handlers and the parent watch for the duration of a run."""

    def __init__(self, stop: StopRequest, parent_pid: int | None = None) -> None:
        self.stop = stop
        self._previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
        self._watch = None
        if parent_pid is not None:
            self._watch = ParentWatch(parent_pid, lambda: stop.request(f"parent process {parent_pid} is gone"),
                                      on_detach=lambda: None)

    def __enter__(self) -> StopControl:
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_stop_signal)
        self._previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, self._on_detach_signal)
        if self._watch is not None:
            if detach.requested():  # SIGUSR1 came while the miner was starting (miner.detach)
                self._watch.detach()
            self._watch.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self._watch is not None:
            self._watch.detach()

    def _on_stop_signal(self, signum: int, frame) -> None:
        if self.stop.requested:
            raise ImmediateExit(signum)
        self.stop.request(signal.Signals(signum).name)

    def _on_detach_signal(self, signum: int, frame) -> None:
        if self._watch is not None:
            self._watch.detach()


def worker_signals(stop: StopRequest) -> None:
    """Worker processes leave stopping to the coordinator: terminal Ctrl-C and SIGUSR1 are ignored, and
    SIGTERM only asks this worker to finish its generation (the coordinator's hard stop is SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.request("SIGTERM"))
