"""SIGHUP and SIGTERM always end the app (tui.md §8.4): the quit path runs once, a SIGTERM during it exits at
once, a stuck quit path ends at its deadline, and output to a terminal that went away is dropped, not blocked
on. The tmux tests cover the real terminal going away."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.helpers import wait_for
from tui.driver import DroppingOutput
from tui.logic.state_file import pid_alive
from tui.services import processes
from tui.services.quit_signals import QuitSignals

REPO = Path(__file__).resolve().parents[2]


class Recorder:
    def __init__(self) -> None:
        self.quits = 0
        self.exits: list[int] = []
        self.exited = threading.Event()
        self.quitting = False

    def begin_quit(self) -> None:
        self.quits += 1

    def exit_now(self, signum: int) -> None:
        self.exits.append(signum)
        self.exited.set()


def test_first_signal_quits_a_repeated_sighup_is_ignored_and_sigterm_exits_at_once():
    loop = asyncio.new_event_loop()
    seen = Recorder()
    try:
        signals = QuitSignals(loop, seen.begin_quit, lambda: seen.quitting, seen.exit_now, deadline_s=600)
        signals._handle(signal.SIGHUP, None)
        signals._handle(signal.SIGHUP, None)  # the shell forwards the kernel's SIGHUP
        loop.run_until_complete(asyncio.sleep(0))
        assert (seen.quits, seen.exits) == (1, [])
        signals._handle(signal.SIGTERM, None)
        assert seen.exits == [signal.SIGTERM]
    finally:
        loop.close()


def test_sigterm_while_quitting_from_a_key_exits_at_once():
    loop = asyncio.new_event_loop()
    seen = Recorder()
    seen.quitting = True  # `q` → Stop & quit is running
    try:
        QuitSignals(loop, seen.begin_quit, lambda: seen.quitting, seen.exit_now)._handle(signal.SIGTERM, None)
        assert (seen.quits, seen.exits) == (0, [signal.SIGTERM])
    finally:
        loop.close()


def test_a_quit_path_past_its_deadline_exits():
    loop = asyncio.new_event_loop()
    seen = Recorder()
    try:
        QuitSignals(loop, seen.begin_quit, lambda: True, seen.exit_now, deadline_s=0.05).trigger(signal.SIGHUP)
        assert seen.exited.wait(10) and seen.exits == [signal.SIGHUP]
    finally:
        loop.close()


def test_a_closed_loop_exits_at_once():
    loop = asyncio.new_event_loop()
    loop.close()
    seen = Recorder()
    QuitSignals(loop, seen.begin_quit, lambda: False, seen.exit_now)._handle(signal.SIGTERM, None)
    assert seen.exits == [signal.SIGTERM]


class DeadTerminal:
    def __init__(self, error: int) -> None:
        self.error, self.writes = error, 0

    def write(self, text: str) -> None:
        self.writes += 1
        raise OSError(self.error, os.strerror(self.error))

    def flush(self) -> None:
        raise OSError(self.error, os.strerror(self.error))


def test_output_to_a_dead_terminal_is_dropped_after_the_first_failure():
    for error in (errno.EIO, errno.EPIPE):
        terminal, lost = DeadTerminal(error), []
        output = DroppingOutput(terminal, lambda lost=lost: lost.append(True))
        for _ in range(100):  # more than the writer queue holds
            output.write("frame")
            output.flush()
        assert output.lost and terminal.writes == 1 and lost == [True]


STUBBORN = """
import signal
def first(signum, frame):
    print("TERM ignored", flush=True)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGTERM, first)
print("ready", flush=True)
while True:
    signal.pause()
"""

HEADLESS_TUI = """
import sys
from pathlib import Path
from tests.tui.support import make_app
from tui.services import processes
app = make_app(["--relay-url", "http://127.0.0.1:9", "--pool-url", "http://127.0.0.1:9"], start_services=False)
app.session.miner_child = processes.spawn("miner", [sys.executable, "-c", sys.argv[1]], Path(sys.argv[2]))
Path(sys.argv[3]).write_text(str(app.session.miner_child.pid))
app.run(headless=True)
"""


def test_second_sigterm_exits_at_once_and_still_stops_the_child(tmp_path):
    """The first SIGTERM's stop path waits for a miner that ignores SIGTERM; the second ends the TUI at once
    (exit status 128+15 instead of 0 after the stop path's 5 s) and signals the child again, which ends it."""
    log, pid_file = tmp_path / "miner.log", tmp_path / "miner.pid"
    tui = subprocess.Popen([sys.executable, "-c", HEADLESS_TUI, STUBBORN, str(log), str(pid_file)], cwd=REPO,
                           env={**os.environ, "HOME": str(tmp_path)}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    try:
        wait_for(lambda: processes.catches(tui.pid, signal.SIGTERM) and pid_file.exists()
                 and "ready" in log.read_text(), timeout=30, what="the TUI's handlers and its miner")
        miner = int(pid_file.read_text())
        tui.send_signal(signal.SIGTERM)
        wait_for(lambda: "TERM ignored" in log.read_text(), timeout=10, what="the stop path's SIGTERM")
        tui.send_signal(signal.SIGTERM)
        assert tui.wait(timeout=3) == 128 + signal.SIGTERM, tui.stderr.read()
        wait_for(lambda: not pid_alive(miner), timeout=5, what="the miner ended by the second SIGTERM")
    finally:
        if tui.poll() is None:
            tui.kill()
            tui.wait()
