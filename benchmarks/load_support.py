"""Shared parts of the load tools (`load_relay`, `load_pool`): the service process they start, the tally of
latencies and statuses, and the `name=value` report."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx


def load_parser(tool: str, description: str, service: str, default_clients: int, clients_help: str,
                database_help: str) -> argparse.ArgumentParser:
    """The flags both load tools take: --seconds, --clients, --url and --database-url."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{tool}", description=description)
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (bounded)")
    parser.add_argument("--clients", type=int, default=default_clients, help=clients_help)
    parser.add_argument("--url", help=f"an already running {service} (default: start one)")
    parser.add_argument("--database-url", help=database_help)
    return parser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_service(module_args: list[str], env: dict[str, str], url: str, what: str) -> subprocess.Popen:
    """`python -m <module_args>` as its own process, once its /health answers 200."""
    process = subprocess.Popen([sys.executable, "-m", *module_args], env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{what}: the service did not start (exit status {process.poll()})")


def stop_service(process: subprocess.Popen | None) -> None:
    if process is not None:
        process.terminate()
        process.wait(30)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@dataclass
class Tally:
    """Latencies per route and counts per status; safe to share between client threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    transport_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, route: str, started: float, status: int | None) -> None:
        """One request that began at `started` (perf_counter); `status` None for a transport error."""
        with self._lock:
            if status is None:
                self.transport_errors += 1
                return
            self.latencies[route].append(time.perf_counter() - started)
            self.statuses[status] += 1

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)

    def lines(self, seconds: float, clients: int) -> dict[str, object]:
        """Throughput, overall and per-route p50/p99, and status classes."""
        every = [value for values in self.latencies.values() for value in values]
        lines: dict[str, object] = {
            "seconds": f"{seconds:.1f}", "clients": clients, "requests": len(every),
            "throughput_rps": f"{len(every) / seconds:.1f}",
            "p50_ms": f"{percentile(every, 0.50) * 1000:.2f}" if every else "nan",
            "p99_ms": f"{percentile(every, 0.99) * 1000:.2f}" if every else "nan",
        }
        for route, values in sorted(self.latencies.items()):
            name = route_name(route)
            lines[f"{name}_requests"] = len(values)
            lines[f"{name}_p50_ms"] = f"{percentile(values, 0.50) * 1000:.2f}"
            lines[f"{name}_p99_ms"] = f"{percentile(values, 0.99) * 1000:.2f}"
        lines["status_2xx"] = sum(n for code, n in self.statuses.items() if 200 <= code < 300)
        lines["status_4xx"] = sum(n for code, n in self.statuses.items() if 400 <= code < 500)
        lines["errors_5xx"] = self.server_errors
        lines["transport_errors"] = self.transport_errors
        return lines


def route_name(route: str) -> str:
    """`POST /api/v1/tasks/request` -> `tasks_request` (a `name=value` key)."""
    path = route.split()[1].removeprefix("/api/v1")
    return path.strip("/").replace("/", "_").replace("-", "_").replace("{", "").replace("}", "")


def print_report(lines: dict[str, object]) -> None:
    for name, value in lines.items():
        print(f"{name}={value}")
