"""`--local` mode (tui.md §10): an embedded test-mode relay and a local validator on this machine."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tui.logic.files import bitsota_home, logs_dir
from tui.logic.wallets import LOCAL_WALLET, bitsota_wallets
from tui.services import processes
from tui.services.processes import Child

DEFAULT_RELAY_PORT = 8002
RELAY_START_DEADLINE_S = 30.0
LOCAL_ENV_DEFAULTS = {"VALIDATOR_TASK_COUNT": "8"}
RELAY_ENV_DEFAULTS = {"SOTA_CONSENSUS_VOTES": "1", "SOTA_ALIGNMENT_MOD": "1"}
VALIDATOR_POLL_S = 5
LOCAL_COOLDOWN_S = 10.0  # submission cooldown of a --local run unless configured
LOCAL_SOTA_REFRESH_S = 5.0


class LocalStackError(RuntimeError):
    pass


@dataclass
class LocalServices:
    relay: Child
    relay_port: int
    validator: Child

    @property
    def relay_url(self) -> str:
        return f"http://127.0.0.1:{self.relay_port}"


def apply_local_environment(env: dict[str, str]) -> None:
    """Set the fast-suite defaults for the TUI and every child (unless already set)."""
    for name, value in LOCAL_ENV_DEFAULTS.items():
        env.setdefault(name, value)


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def choose_relay_port() -> int:
    if port_free(DEFAULT_RELAY_PORT):
        return DEFAULT_RELAY_PORT
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def relay_healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def start_relay(env: dict[str, str]) -> tuple[Child, int]:
    port = choose_relay_port()
    database = bitsota_home() / "local" / "relay.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    relay_env = {**RELAY_ENV_DEFAULTS, "RELAY_LOG_FILE": str(logs_dir() / "relay-local-app.log"), **env}
    argv = processes.python_module("relay", "--test", "--host", "127.0.0.1", "--port", str(port),
                                   "--database-url", f"sqlite:///{database}")
    child = processes.spawn("relay", argv, logs_dir() / "relay-local.log", relay_env)
    deadline = time.monotonic() + RELAY_START_DEADLINE_S
    while time.monotonic() < deadline:
        if relay_healthy(f"http://127.0.0.1:{port}"):
            return child, port
        if not child.alive():
            break
        time.sleep(0.1)
    processes.stop(child, wait_s=1.0)
    raise LocalStackError("local relay failed to start: " + " | ".join(processes.tail(child.log_path, 5)))


def start_validator(relay_port: int, env: dict[str, str], wallet_root: Path | None = None) -> Child:
    root = wallet_root or bitsota_wallets()
    argv = processes.python_module(
        "validator.local_validator", "--relay-url", f"http://127.0.0.1:{relay_port}", "--wallet-name", LOCAL_WALLET,
        "--wallet-hotkey", "validator", "--wallet-path", str(root), "--poll-interval", str(VALIDATOR_POLL_S),
        "--metrics-log", str(logs_dir() / "local_validator_metrics.log"))
    return processes.spawn("validator", argv, logs_dir() / "validator-local.log", env)


def start_local_services(env: dict[str, str] | None = None) -> LocalServices:
    env = dict(os.environ if env is None else env)
    relay, port = start_relay(env)
    try:
        validator = start_validator(port, env)
    except OSError:
        processes.stop(relay)
        raise
    return LocalServices(relay, port, validator)
