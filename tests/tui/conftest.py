"""TUI fixtures: a temporary HOME, a frozen clock, real relay and sidecar apps served by uvicorn, and a guard
that fails a test (and kills what it left) when a process it started outlives it."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from tests.helpers import free_port, wait_for
from tests.tui.procs import kill_all, live_children, processes_mentioning
from tui.logic import clock

FROZEN_NOW = 1_750_000_000.0
LINGER_S = 10.0  # how long a stopped process may take to go (children watch their parent every 2 s)


def _left_behind(path: Path, earlier_children: set[int]) -> dict[int, str]:
    """Processes naming `path` (HOME, database, wallet path…) or new children of ours, once LINGER_S is over.
    Children that were there before (pytest's own multiprocessing resource tracker, started by an earlier
    package's tests, lives for the whole session) are not the test's."""
    def survivors() -> dict[int, str]:
        new_children = {pid: cmd for pid, cmd in live_children().items() if pid not in earlier_children}
        return {**processes_mentioning(path), **new_children}

    try:
        wait_for(lambda: not survivors(), timeout=LINGER_S, interval=0.1)
    except AssertionError:
        return survivors()
    return {}


def _fail_if_left(path: Path, scope: str, earlier_children: set[int]) -> None:
    leaked = _left_behind(path, earlier_children)
    if leaked:
        kill_all(leaked)
        pytest.fail(f"{scope} left processes running (killed now):\n" +
                    "\n".join(f"  {pid}: {cmd[:300]}" for pid, cmd in leaked.items()), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def no_processes_outlive_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    earlier_children = set(live_children())
    yield
    _fail_if_left(tmp_path_factory.getbasetemp(), "the TUI tests", earlier_children)


@pytest.fixture(autouse=True)
def no_processes_outlive_the_test(tmp_path: Path) -> Iterator[None]:
    """Every process a test starts carries its tmp_path (HOME, --database-url, tmux -c) or is its child."""
    earlier_children = set(live_children())
    yield
    _fail_if_left(tmp_path, "this test", earlier_children)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME, so ~/.bitsota, ~/.bittensor and the state file are the test's own."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("BITSOTA_GUI_CONFIG", "BITSOTA_PROBLEM_CONFIG", "BITSOTA_TEST_MODE", "NO_COLOR",
                 "SSH_CONNECTION", "SSH_TTY", "VALIDATOR_TASK_COUNT", "MINER_SUBMISSION_COOLDOWN_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def frozen_clock() -> Iterator[float]:
    clock.set_source(lambda: FROZEN_NOW)
    yield FROZEN_NOW
    clock.set_source(None)


@dataclass
class Served:
    url: str
    server: uvicorn.Server


def serve(app) -> tuple[Served, threading.Thread]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=20, what="uvicorn start")
    return Served(f"http://127.0.0.1:{port}", server), thread


@pytest.fixture
def sidecar_server() -> Iterator[Served]:
    from sidecar.app import create_app
    from sidecar.config import SidecarConfig

    served, thread = serve(create_app(SidecarConfig()))
    yield served
    served.server.should_exit = True
    thread.join(10)


def _relay(tmp_path: Path, test_mode: bool, **overrides):
    from relay.app import create_app
    from relay.settings import Settings, normalize_database_url

    settings = Settings(database_url=normalize_database_url(f"sqlite:///{tmp_path}/relay-{test_mode}.db"),
                        admin_token="dev", dashboard_password="dev", test_mode=test_mode, log_file="", **overrides)
    served, thread = serve(create_app(settings))
    return served, thread


@pytest.fixture
def relay_server(tmp_path: Path) -> Iterator[Served]:
    """A test-mode relay."""
    served, thread = _relay(tmp_path, True)
    yield served
    served.server.should_exit = True
    thread.join(10)


@pytest.fixture
def announcing_relay_server(tmp_path: Path) -> Iterator[Served]:
    """A test-mode relay whose /version.json announces bitsota-tui 9.1.0."""
    manifest = tmp_path / "version.json"
    manifest.write_text(json.dumps({"version": "9.1.0", "versionCode": 91, "desc": "faster pool mode",
                                    "linux": "https://example.invalid/bitsota-9.1.0"}))
    served, thread = _relay(tmp_path, True, version_file=manifest)
    yield served
    served.server.should_exit = True
    thread.join(10)


@pytest.fixture
def live_relay_server(tmp_path: Path) -> Iterator[Served]:
    """A relay outside test mode (invite codes required)."""
    served, thread = _relay(tmp_path, False)
    yield served
    served.server.should_exit = True
    thread.join(10)


@pytest.fixture
def pool_server(tmp_path: Path) -> Iterator[Served]:
    """A real pool API (SQLite in tmp_path) serving cifar10_binary with its genesis programs."""
    from pool.app import create_app
    from pool.settings import PoolSettings

    settings = PoolSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/pool.db", data_dir=tmp_path, random_seed=7)
    served, thread = serve(create_app(settings))
    yield served
    served.server.should_exit = True
    thread.join(10)


def offline_env() -> dict[str, str]:
    """The environment for children that must never reach the internet (data set fetches fail fast)."""
    env = dict(os.environ)
    env.update({"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
                "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
                "CIFAR10_DATASET_URL": "http://127.0.0.1:9/cifar.arff.gz"})
    return env
