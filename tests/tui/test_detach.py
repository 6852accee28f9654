"""Leaving children running (tui.md §8.2): a miner or pool worker told to detach (SIGUSR1) at any moment after
its spawn, even while it is still importing, survives the signal and then the death of its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sidecar.parentwatch import CHECK_INTERVAL_S
from tests.helpers import wait_for
from tui.services import processes
from tui.services.launch import QUICK_PROFILE


def _loaded_numpy(pid: int) -> bool:
    return "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()


def _entry_points(sidecar_url: str, parent_pid: int) -> dict[str, list[str]]:
    common = ["--sidecar-url", sidecar_url, "--workers", "1", "--exit-with-parent", str(parent_pid)]
    return {
        "miner": processes.python_module("miner.sidecar_miner", *common, "--run-id", "detach-miner", "--task-type",
                                         "scalar_linear", "--iterations", "0", *QUICK_PROFILE),
        "pool_worker": processes.python_module("miner.pool_worker", *common, "--run-id", "detach-pool", "--mode",
                                               "mock"),
    }


def test_sigusr1_during_start_up_detaches_instead_of_killing(sidecar_server, tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    children = [processes.spawn(name, argv, tmp_path / f"{name}.log")
                for name, argv in _entry_points(sidecar_server.url, parent.pid).items()]
    try:
        for child in children:
            wait_for(lambda child=child: processes.catches(child.pid, signal.SIGUSR1), timeout=20, interval=0.002,
                     what=f"{child.name}'s SIGUSR1 handler")
            assert not _loaded_numpy(child.pid), f"{child.name} caught SIGUSR1 only after its imports"
            os.kill(child.pid, signal.SIGUSR1)
        for child in children:
            wait_for(lambda child=child: _loaded_numpy(child.pid) or not child.alive(), timeout=30, what=f"{child.name} start")
            assert child.alive(), processes.tail(child.log_path)
        parent.kill()
        parent.wait(10)
        time.sleep(2 * CHECK_INTERVAL_S)  # a watch still attached notices the parent within one interval
        assert [c.name for c in children if not c.alive()] == []
    finally:
        for child in children:
            processes.stop(child)
        if parent.poll() is None:
            parent.kill()
