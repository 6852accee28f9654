"""Relay throughput: requests/s for signed `/submit_solution` and public `/sota_threshold`.

Starts a test-mode relay under uvicorn on loopback (temp SQLite, or --database-url) and drives it with
concurrent async clients for a bounded time per endpoint. Prints one `name=value` per line.

    python -m benchmarks.bench_relay --seconds 10 --clients 16
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from core import signing
from relay.app import create_app
from relay.settings import Settings, normalize_database_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _settings(database_url: str | None, folder: Path) -> Settings:
    url = normalize_database_url(database_url or f"sqlite:///{folder / 'bench_relay.db'}")
    return dataclasses.replace(
        Settings(database_url=url, admin_token="dev", dashboard_password="dev"), test_mode=True, log_file=""
    )


async def _drive(url: str, seconds: float, clients: int, request_factory) -> tuple[int, int]:
    """(successful, failed) requests made by `clients` concurrent loops within `seconds`."""
    deadline = time.monotonic() + seconds
    counts = {"ok": 0, "failed": 0}

    async def loop(client: httpx.AsyncClient, worker: int) -> None:
        for sequence in itertools.count():
            if time.monotonic() >= deadline:
                return
            response = await request_factory(client, worker, sequence)
            counts["ok" if response.status_code == 200 else "failed"] += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(loop(client, worker) for worker in range(clients)))
    return counts["ok"], counts["failed"]


def _submitter(miners):
    async def submit(client: httpx.AsyncClient, worker: int, sequence: int) -> httpx.Response:
        body = {
            "task_id": f"bench:{worker}:{sequence}",
            "algorithm_result": {"algorithm_dsl": f"s1 = s0 * {worker}.{sequence}", "task_type": "scalar_linear", "input_dim": 4},
            "score": 0.5,
        }
        return await client.post("/submit_solution", json=body, headers=signing.signed_headers(miners[worker], "miner"))

    return submit


async def _threshold(client: httpx.AsyncClient, _worker: int, _sequence: int) -> httpx.Response:
    return await client.get("/sota_threshold")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_relay")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per endpoint")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client loops")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = uvicorn.Server(
            uvicorn.Config(create_app(_settings(args.database_url, Path(folder))), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        miners = [signing.keypair_from_uri(f"//bench-miner-{i}") for i in range(args.clients)]
        try:
            submitted, submit_failed = asyncio.run(_drive(url, args.seconds, args.clients, _submitter(miners)))
            read, read_failed = asyncio.run(_drive(url, args.seconds, args.clients, _threshold))
        finally:
            server.should_exit = True
            thread.join(timeout=20)
    database = "postgresql" if args.database_url and args.database_url.startswith("postgres") else "sqlite"
    print(f"database={database}")
    print(f"clients={args.clients}")
    print(f"seconds={args.seconds}")
    print(f"submit_solution_rps={submitted / args.seconds:.1f}")
    print(f"submit_solution_errors={submit_failed}")
    print(f"sota_threshold_rps={read / args.seconds:.1f}")
    print(f"sota_threshold_errors={read_failed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
