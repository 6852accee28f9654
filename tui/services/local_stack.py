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


def local_dir() -> Path:
    """Everything `--local` keeps between runs: the relay database, the saved population, its own config."""
    return bitsota_home() / "local"


def reset_local_state() -> list[str]:
    """Delete the local test state (relay database, saved population); a `problem_config.json` placed there
    stays. The names of what was removed. The local relay must not be running."""
    removed = []
    directory = local_dir()
    for path in sorted(directory.glob("*")) if directory.is_dir() else []:
        if path.name == "problem_config.json" or not path.is_file():
            continue
        path.unlink()
        removed.append(path.name)
    return removed


def apply_local_environment(env: dict[str, str]) -> None:
    """Set the fast-suite defaults for the TUI and every child (unless already set)."""
    for name, value in LOCAL_ENV_DEFAULTS.items():
        env.setdefault(name, value)


def port_free(port: int) -> bool:
    """Whether the relay could listen on `port`; like the relay's server, SO_REUSEADDR, so a port a relay of
    a moment ago left in TIME_WAIT is free (quick restarts keep port 8002)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def choose_relay_port(requested: int | None = None) -> int:
    """`requested` (`--local-relay-port`) or LocalStackError when it is taken; else 8002 if free, else any."""
    if requested is not None:
        if not port_free(requested):
            raise LocalStackError(f"--local-relay-port {requested}: the port is in use by another program")
        return requested
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


def start_relay(env: dict[str, str], port: int | None = None) -> tuple[Child, int]:
    port = choose_relay_port(port)
    database = local_dir() / "relay.db"
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


def start_local_services(env: dict[str, str] | None = None, relay_port: int | None = None) -> LocalServices:
    env = dict(os.environ if env is None else env)
    relay, port = start_relay(env, relay_port)
    try:
        validator = start_validator(port, env)
    except OSError:
        processes.stop(relay)
        raise
    return LocalServices(relay, port, validator)
