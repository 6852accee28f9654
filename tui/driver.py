"""A terminal driver that survives its terminal going away (tui.md §8.4).

When the terminal is gone (SSH drop, `tmux kill-server`), writes to it fail with EIO or EPIPE and reads return
end-of-file at once. Textual's own driver then loses its writer thread, its bounded output queue fills and the
event loop blocks on the next write for ever, while the input thread spins on end-of-file. This driver drops
output once a write has failed, stops reading, and tells the app (`TerminalLost`), which quits.
"""

from __future__ import annotations

import os
import termios
import threading
from typing import IO

from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

# What the normal exit writes, for an exit that cannot wait for it: mouse reporting, bracketed paste, the
# kitty keyboard protocol and focus events off, line wrap on, main screen, cursor visible.
RESTORE_SEQUENCE = ("\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[<u\x1b[?7h\x1b[?1049l"
                    "\x1b[?25h\x1b[?1004l")


class TerminalLost(Message):
    """The terminal went away; the app quits with its default policy."""


class DroppingOutput:
    """The driver's output file: the first failed write marks the terminal lost, later output is dropped."""

    def __init__(self, file: IO[str], on_lost) -> None:
        self._file = file
        self._on_lost = on_lost
        self.lost = False

    def write(self, text: str) -> None:
        self._guard(self._file.write, text)

    def flush(self) -> None:
        self._guard(self._file.flush)

    def _guard(self, operation, *args) -> None:
        if self.lost:
            return
        try:
            operation(*args)
        except (OSError, ValueError):  # EIO/EPIPE from a dead terminal, ValueError from a closed file
            self.lost = True
            self._on_lost()

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True


class HangupSafeDriver(LinuxDriver):
    def __init__(self, app, **kwargs) -> None:
        super().__init__(app, **kwargs)
        assert self._file is not None, "LinuxDriver opens the terminal in __init__"
        self._output = DroppingOutput(self._file, self._terminal_lost)
        self._file = self._output  # type: ignore[assignment]  # file-like: Textual only writes, flushes, fileno()
        self._lost_once = threading.Lock()

    @property
    def terminal_lost(self) -> bool:
        return self._output.lost

    def check_terminal(self) -> None:
        """Probe the terminal (one ioctl): a hung-up terminal answers EIO even while nothing is written."""
        if self.terminal_lost or not self.input_tty:
            return
        try:
            termios.tcgetattr(self.fileno)
        except termios.error:
            self._output.lost = True
            self._terminal_lost()

    def _terminal_lost(self) -> None:
        if not self._lost_once.acquire(blocking=False):
            return
        self.exit_event.set()  # the input thread stops reading end-of-file in a loop
        self.send_message(TerminalLost())

    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        except OSError:  # EIO from a terminal that went away while we read it
            self._output.lost = True
            self._terminal_lost()

    def restore_now(self) -> None:
        """Best-effort terminal restore for an exit that skips the normal shutdown (no queue, no waiting)."""
        if self.terminal_lost:
            return
        try:
            if self.attrs_before is not None:
                termios.tcsetattr(self.fileno, termios.TCSANOW, self.attrs_before)
            os.write(self._output.fileno(), RESTORE_SEQUENCE.encode())
        except (OSError, termios.error):
            pass
