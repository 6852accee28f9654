"""Real services for the end-to-end tests: `python -m ...` subprocesses on free loopback ports, run from a
scratch working directory, each writing its output to `<name>.log` there.

The commands are the local-testing guide's (`/work/shared/seed/local-testing.zh.md`), with free ports in place
of 8002/8123 and a shorter validator poll interval.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from core import signing
from tests.helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
# The guide's one-off suite override: validators and the TUI-like re-scoring use 8 tasks.
VALIDATOR_ENV = {"VALIDATOR_TASK_COUNT": "8"}
# How long a validator may take to see a submission, re-score it and vote: generous, for a busy 2-core machine.
VOTE_TIMEOUT_S = 120


def base_env(**extra: str) -> dict[str, str]:
    """The test process environment without the variables that redirect or configure a service; each child
    gets only the settings the test names."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BITSOTA_", "SOTA_", "VALIDATOR_"))}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


class Service:
    """One child process; restartable with the same command, its log appended across restarts."""

    def __init__(self, name: str, argv: Sequence[str], cwd: Path, env: dict[str, str], url: str | None = None) -> None:
        self.name = name
        self.argv = [sys.executable, "-u", *argv]
        self.cwd = cwd
        self.env = env
        self.url = url  # an HTTP service's base URL; start() waits for its /health
        self.hotkey: str | None = None  # a validator's SS58 address
        self.log_path = cwd / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Service:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if self.url:
            self.wait_until(self._healthy, f"{self.name} health", timeout)
        return self

    def wait_until(self, condition, what: str, timeout: float = 60) -> None:
        """`wait_for`, with this service's log as it was at the deadline in the failure message."""
        try:
            wait_for(condition, timeout=timeout, interval=0.1, what=what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; {self.name} log:\n{self.tail()}") from None

    def _healthy(self) -> bool:
        assert self.alive, f"{self.name} exited with {self.started.returncode}"
        return httpx.get(f"{self.url}/health", timeout=1).status_code == 200

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def started(self) -> subprocess.Popen:
        """The process; an AssertionError before start()."""
        assert self.process is not None, f"{self.name} was never started"
        return self.process

    @property
    def pid(self) -> int:
        return self.started.pid

    def wait(self, timeout: float) -> int:
        try:
            return self.started.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout}s; log:\n{self.tail()}") from None

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM and wait; the exit status."""
        if self.alive:
            self.started.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.alive:
            self.started.kill()
            self.started.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, chars: int = 3000) -> str:
        return self.log()[-chars:]


class Stack:
    """The services of one test; `close()` kills whatever is still running."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.services: list[Service] = []

    def add(self, service: Service) -> Service:
        self.services.append(service)
        return service

    def relay(self, votes: int = 1, port: int | None = None, name: str = "relay", **env: str) -> Service:
        """`SOTA_CONSENSUS_VOTES=N SOTA_ALIGNMENT_MOD=1 python -m relay --test --database-url ...` (guide §1)."""
        port = port or free_port()
        argv = ["-m", "relay", "--test", "--database-url", "sqlite:///./bitsota_relay_test.db",
                "--host", "127.0.0.1", "--port", str(port)]
        service_env = base_env(SOTA_CONSENSUS_VOTES=str(votes), SOTA_ALIGNMENT_MOD="1", **env)
        return self.add(Service(name, argv, self.workdir, service_env, f"http://127.0.0.1:{port}"))

    def sidecar(self, port: int | None = None, journal_dir: Path | None = None) -> Service:
        """`python -m sidecar --host 127.0.0.1 --port P` (guide §2a), optionally with the TUI's journal."""
        port = port or free_port()
        argv = ["-m", "sidecar", "--host", "127.0.0.1", "--port", str(port)]
        if journal_dir is not None:
            argv += ["--journal-dir", str(journal_dir)]
        return self.add(Service("sidecar", argv, self.workdir, base_env(), f"http://127.0.0.1:{port}"))

    def miner(self, sidecar_url: str, run_id: str, *flags: str, name: str = "miner") -> Service:
        """The guide's §2a miner command; `flags` come after (argparse: the last value wins)."""
        argv = ["-m", "scripts.miner_local_og_sidecar", "--sidecar-url", sidecar_url, "--run-id", run_id,
                "--config", "./problem_config.json", "--task-type", "scalar_linear", "--engine", "baseline",
                "--workers", "2", "--validate-every", "0", *flags]
        return self.add(Service(name, argv, self.workdir, base_env()))

    def validator(self, relay_url: str, wallet_name: str, *flags: str) -> Service:
        """The guide's §3 validator with a btcli-layout test hotkey `<wallet_name>/<wallet_name>_hot`."""
        wallets = self.workdir / "wallets"
        keypair = signing.create_test_hotkey(wallet_name, f"{wallet_name}_hot", wallets)
        argv = ["-m", "validator.local_validator", "--relay-url", relay_url, "--wallet-name", wallet_name,
                "--wallet-hotkey", f"{wallet_name}_hot", "--wallet-path", str(wallets), "--poll-interval", "0.5",
                "--relay-client-log-level", "WARNING", "--stats-interval", "0",
                "--metrics-log", f"{wallet_name}_metrics.log", *flags]
        service = self.add(Service(wallet_name, argv, self.workdir, base_env(**VALIDATOR_ENV)))
        service.hotkey = keypair.ss58_address
        return service

    def pool(self, port: int | None = None, **env: str) -> Service:
        """`python -m pool --host 127.0.0.1 --port P` on SQLite in `<workdir>/pool_data` (guide §2b, no docker)."""
        port = port or free_port()
        argv = ["-m", "pool", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(self.workdir / "pool_data"),
                "--log-level", "warning"]
        return self.add(Service("pool", argv, self.workdir, base_env(**env), f"http://127.0.0.1:{port}"))

    def pool_worker(self, sidecar_url: str, run_id: str) -> Service:
        """Guide §2b `scripts.pool_miner_sidecar`, in mock compute mode (the pool plumbing, not the search)."""
        argv = ["-m", "scripts.pool_miner_sidecar", "--sidecar-url", sidecar_url, "--run-id", run_id, "--workers", "1",
                "--mode", "mock", "--poll-interval-s", "0.1"]
        return self.add(Service("pool_worker", argv, self.workdir, base_env()))

    def pool_driver(self, pool_url: str, sidecar_url: str, run_id: str, duration_s: float) -> Service:
        """Guide §2b `scripts.pool_sidecar_driver`."""
        argv = ["-m", "scripts.pool_sidecar_driver", "--pool-url", pool_url, "--sidecar-url", sidecar_url,
                "--run-id", run_id, "--duration-s", str(duration_s)]
        return self.add(Service("pool_driver", argv, self.workdir, base_env()))

    def close(self) -> None:
        for service in reversed(self.services):
            service.kill()
