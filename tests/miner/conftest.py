"""Fixtures for the miner tests: a real sidecar under uvicorn, tiny scalar_linear miner options, a host
that records what a worker emits, and miner subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

from miner.options import miner_parser, parse_options
from sidecar.app import create_app
from sidecar.client import SidecarClient
from sidecar.config import SidecarConfig
from tests.helpers import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]

# A search small enough for tests: 4 features, 50/50 examples, 3 tasks, population 20; the `baseline`
# engine, whose one child per generation makes iteration and evaluation counts easy to state.
TINY = ["--engine", "baseline", "--task-type", "scalar_linear", "--feature-dim", "4", "--train-examples", "50", "--val-examples", "50",
        "--pop-size", "20", "--miner-task-count", "3", "--validator-task-count", "4"]


def tiny_args(*extra: str):
    """Parsed and validated miner options for the tiny search plus `extra` flags."""
    return parse_options(miner_parser("test-miner", "test"), [*TINY, *extra])


@dataclass
class RecordingHost:
    """A WorkerHost that keeps every event; it stops after `stop_after` stop checks when given."""

    events: list[dict] = field(default_factory=list)
    base_threshold: float = 0.0
    stop_after: int | None = None
    has_peers: bool = False
    checks: int = 0

    def emit(self, event: dict) -> None:
        self.events.append(event)

    def stop_requested(self) -> bool:
        self.checks += 1
        return self.stop_after is not None and self.checks > self.stop_after

    def threshold(self) -> float:
        return self.base_threshold

    def migrate(self, iteration: int, migrants: list[dict]):
        return None

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e.get("type") == kind]


class _ThreadedSidecar:
    def __init__(self) -> None:
        self.port = free_port()
        self.app = create_app(SidecarConfig(port=self.port))
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        wait_for(lambda: self.server.started or not self.thread.is_alive(), timeout=20, what="sidecar start")
        assert self.server.started, "the sidecar did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def sidecar():
    """A real sidecar app under uvicorn on a free loopback port; yields (url, client)."""
    server = _ThreadedSidecar()
    server.start()
    client = SidecarClient(server.url, timeout=10)
    yield server.url, client
    client.close()
    server.stop()


@pytest.fixture
def spawn_miner(tmp_path):
    """Start `python -m <module> ARGS` from the repository root; stderr goes to a file."""
    started: list[subprocess.Popen] = []

    def spawn(module: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        stderr = open(tmp_path / f"miner-{len(started)}.stderr", "wb")
        process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=stderr, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        process.stderr_path = stderr.name  # type: ignore[attr-defined]  # where the tests read stderr
        stderr.close()
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
