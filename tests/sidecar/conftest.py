"""Fixtures for the sidecar tests: a real uvicorn sidecar in this process, or `python -m sidecar`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from sidecar.app import create_app
from sidecar.client import SidecarClient
from sidecar.config import SidecarConfig
from tests.helpers import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningSidecar:
    url: str
    http: httpx.Client
    client: SidecarClient
    app: object

    @property
    def state(self):
        """The live SidecarState, for asserting on bounded internals."""
        return self.app.state.sidecar


class _ThreadedServer:
    def __init__(self, config: SidecarConfig):
        self.app = create_app(config)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=config.port,
                                                    log_level="warning", access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        wait_for(lambda: self.server.started or not self.thread.is_alive(), timeout=20, what="uvicorn start", interval=0.01)
        assert self.server.started, "the sidecar did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        assert not self.thread.is_alive(), "the sidecar did not stop"


@pytest.fixture
def start_sidecar():
    """Start a fresh sidecar app under uvicorn on a free loopback port: `start_sidecar(**config)`."""
    servers: list[_ThreadedServer] = []
    opened: list = []

    def start(**settings) -> RunningSidecar:
        server = _ThreadedServer(SidecarConfig(port=free_port(), **settings))
        server.start()
        servers.append(server)
        url = f"http://127.0.0.1:{server.server.config.port}"
        http = httpx.Client(base_url=url, timeout=30, headers={"Content-Type": "application/json"})  # raw posts too
        running = RunningSidecar(url, http, SidecarClient(url, timeout=30),
                                 server.app)
        opened.extend([running.http, running.client])
        return running

    def stop_all() -> None:
        for server in servers:
            server.stop()
        servers.clear()

    start.stop_all = stop_all
    yield start
    for resource in opened:
        resource.close()
    stop_all()


@pytest.fixture
def sidecar(start_sidecar) -> RunningSidecar:
    return start_sidecar()


@dataclass
class SidecarProcess:
    process: subprocess.Popen
    url: str
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 20) -> int:
        return self.process.wait(timeout)


@pytest.fixture
def spawn_sidecar(tmp_path):
    """Run `python -m sidecar ARGS` on a free port; waits for /health unless `wait=False`."""
    processes: list[SidecarProcess] = []

    def spawn(*args: str, port: int | None = None, wait: bool = True, env: dict | None = None) -> SidecarProcess:
        port = port or free_port()
        stderr_path = tmp_path / f"sidecar-{len(processes)}.stderr"
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "sidecar", "--port", str(port), *args],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            )
        running = SidecarProcess(process, f"http://127.0.0.1:{port}", stderr_path)
        processes.append(running)
        if wait:
            wait_for(lambda: _healthy(running), timeout=30, what="the sidecar subprocess to answer /health")
        return running

    yield spawn
    for running in processes:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGKILL)
            running.process.wait(10)


def _healthy(running: SidecarProcess) -> bool:
    if running.process.poll() is not None:
        raise AssertionError(f"sidecar exited with {running.process.returncode}: {running.stderr()}")
    try:
        return httpx.get(running.url + "/health", timeout=1).json()["status"] == "ok"
    except httpx.HTTPError:
        return False
