"""Child processes (tui.md §8.2): own process group, stdin from /dev/null, output appended to a log file.

Children are stopped as a group: SIGTERM, wait, SIGKILL, wait. Re-attached children are known only by pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.logic.state_file import pid_alive

STOP_WAIT_S = 5.0
DETACH_WAIT_S = 5.0
LOG_ROTATE_BYTES = 10 * 1024 * 1024
LOG_KEEP = 5


@dataclass
class Child:
    name: str
    pid: int
    pgid: int
    log_path: Path | None = None
    popen: subprocess.Popen | None = None  # None for a re-attached child

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return pid_alive(self.pid)

    def exit_code(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None


def rotate_log(path: Path) -> None:
    """Keep `path` below 10 MiB by shifting it to path.1 … path.5."""
    try:
        if path.stat().st_size < LOG_ROTATE_BYTES:
            return
    except OSError:
        return
    for index in range(LOG_KEEP - 1, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{index + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def spawn(name: str, argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None,
          stdin_line: str | None = None) -> Child:
    """Start `argv` in a new process group with output appended to `log_path`; `stdin_line` (a password) is
    written to its standard input, which is then closed; without it standard input is the null device."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    rotate_log(log_path)
    with open(log_path, "ab") as log_file:
        popen = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL if stdin_line is None else subprocess.PIPE,
                                 stdout=log_file, stderr=subprocess.STDOUT,
                                 env=dict(env) if env is not None else None, start_new_session=True)
    if stdin_line is not None:
        assert popen.stdin is not None, "stdin=PIPE gives the child a standard input pipe"
        popen.stdin.write(f"{stdin_line}\n".encode())
        popen.stdin.close()
    return Child(name, popen.pid, popen.pid, log_path, popen)


def signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _wait_gone(child: Child, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive() and not _group_alive(child.pgid):
            return True
        time.sleep(0.05)
    return not child.alive() and not _group_alive(child.pgid)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def stop(child: Child, wait_s: float = STOP_WAIT_S) -> int | None:
    """SIGTERM to the group, wait, SIGKILL, wait; the exit code when it is our own child."""
    if child.alive() or _group_alive(child.pgid):
        signal_group(child.pgid, signal.SIGTERM)
        if not _wait_gone(child, wait_s):
            signal_group(child.pgid, signal.SIGKILL)
            _wait_gone(child, wait_s)
    if child.popen is not None:
        try:
            return child.popen.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return None
    return None


def catches(pid: int, signum: int) -> bool:
    """Whether process `pid` has a handler for `signum` (its SigCgt mask; True where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    except (OSError, ValueError):
        pass
    return True


def detach(child: Child, wait_s: float = DETACH_WAIT_S) -> None:
    """SIGUSR1 turns off a child's `--exit-with-parent` watch, so it survives our exit. A child caught while
    its interpreter is still starting has no handler yet and would die of the signal: wait for the handler."""
    deadline = time.monotonic() + wait_s
    while child.alive() and not catches(child.pid, signal.SIGUSR1) and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        os.kill(child.pid, signal.SIGUSR1)
    except ProcessLookupError:
        pass


def tail(path: Path | None, lines: int = 20) -> list[str]:
    """The last `lines` lines of a log file (empty when it is missing)."""
    if path is None:
        return []
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]
