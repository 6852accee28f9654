"""Finding processes a test left behind: by a path in their command line or environment (a test's HOME or
tmp_path), or as live children of the test process."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path


def _read(pid: str, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:  # gone, or another user's
        return b""


def _zombie(pid: str) -> bool:
    stat = _read(pid, "stat")
    return not stat or stat.rsplit(b")", 1)[1].split()[0] == b"Z"


def processes_mentioning(path: Path) -> dict[int, str]:
    """Live processes other than this one whose command line or environment names `path` (or a path below
    it), with their command lines."""
    pattern = re.compile(re.escape(str(path).encode()) + rb"(?=[/\x00:]|$)")
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        cmdline = _read(entry.name, "cmdline")
        if (pattern.search(cmdline) or pattern.search(_read(entry.name, "environ"))) and not _zombie(entry.name):
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def live_children() -> dict[int, str]:
    """Live (not yet reaped and not zombie) child processes of this process."""
    me = str(os.getpid()).encode()
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        stat = _read(entry.name, "stat")
        if stat and stat.rsplit(b")", 1)[1].split()[1] == me and not _zombie(entry.name):
            found[int(entry.name)] = _read(entry.name, "cmdline").replace(b"\0", b" ").decode(errors="replace")
    return found


def kill_all(pids) -> None:
    """SIGKILL each process and, where it leads its own group, the group."""
    own_group = os.getpgid(0)
    for pid in pids:
        try:
            group = os.getpgid(pid)
            if group == pid and group != own_group:
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
