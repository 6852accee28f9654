"""A real `python -m relay --test` process on a free loopback port, for hostile-input and scale-out tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


class RelayProcess:
    """`python -m relay --test` in `workdir`; use as a context manager. `restart()` keeps port and database."""

    def __init__(self, workdir: Path, database_url: str = "sqlite:///./relay.db", *extra: str, env: dict | None = None):
        self.workdir, self.database_url, self.extra = workdir, database_url, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "RELAY_LOG_FILE": "", "SOTA_ALIGNMENT_MOD": "1", **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> RelayProcess:
        command = [sys.executable, "-m", "relay", "--test", "--host", "127.0.0.1", "--port", str(self.port),
                   "--database-url", self.database_url, *self.extra]
        self.process = subprocess.Popen(command, cwd=self.workdir, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        wait_for(self._healthy, timeout=60, what="relay /health")
        return self

    def _healthy(self) -> bool:
        process = self.process
        assert process is not None and process.stderr is not None, "start() spawns the relay with a stderr pipe"
        if process.poll() is not None:
            raise AssertionError(f"relay exited {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        return httpx.get(f"{self.url}/health", timeout=1).status_code == 200

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> RelayProcess:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
