"""Real processes on loopback for the end-to-end tests: pool, sidecar, worker and driver, with line capture."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


class Process:
    """A `python -m ...` child whose merged output is collected line by line in the background."""

    def __init__(self, *args: str, env: dict | None = None):
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen([sys.executable, "-u", *args], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None, "started with stdout=PIPE"
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_lines(self, *needles: str, timeout: float) -> None:
        wait_for(lambda: all(n in self.output() for n in needles), timeout=timeout, interval=0.1,
                 what=f"{needles} in output:\n{self.output()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_pool(data_dir: Path, env: dict | None = None, port: int | None = None) -> tuple[Process, str]:
    port = port or free_port()
    process = Process("-m", "pool", "--port", str(port), "--data-dir", str(data_dir), "--log-level", "warning",
                      env=env)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(f"{url}/health", timeout=1).status_code == 200, timeout=30, what="pool health")
    return process, url


def start_sidecar() -> tuple[Process, str]:
    port = free_port()
    process = Process("-m", "sidecar", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(f"{url}/health", timeout=1).status_code == 200, timeout=30, what="sidecar health")
    return process, url


def start_worker(sidecar_url: str, run_id: str) -> Process:
    return Process("-m", "scripts.pool_miner_sidecar", "--sidecar-url", sidecar_url, "--run-id", run_id,
                   "--workers", "1", "--mode", "mock", "--poll-interval-s", "0.1")


def start_driver(pool_url: str, sidecar_url: str, run_id: str, duration_s: float = 20, *extra: str) -> Process:
    return Process("-m", "scripts.pool_sidecar_driver", "--pool-url", pool_url, "--sidecar-url", sidecar_url,
                   "--run-id", run_id, "--duration-s", str(duration_s), *extra)


def stop_all(*processes: Process) -> None:
    for process in processes:
        process.stop()


def elapsed_since(start: float) -> float:
    return time.monotonic() - start
