"""Sidecar speed: server time to ingest a 50-event batch (sidecar.md §9: ≤ 1 ms), and HTTP round trips.

    python -m benchmarks.bench_sidecar [--repeat R] [--journal]

Prints one `name=value` per line. `ingest_50_server_us` times what the server does for one batch (parse the
raw body, then process the events under the lock), in process, median of R batches; the batch mixes
progress, log and candidate events the way a 4-worker miner sends them. The `http_*` lines are median
round trips through a real uvicorn sidecar on a free loopback port, with one keep-alive connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from sidecar.app import create_app, parse_batch
from sidecar.config import SidecarConfig
from sidecar.journal import Journal
from sidecar.state import SidecarState
from tests.helpers import free_port, wait_for

BATCH_SIZE = 50


def make_batch(batch_number: int) -> list[dict]:
    events = []
    for index in range(BATCH_SIZE):
        worker, iteration = index % 4, batch_number * BATCH_SIZE + index
        if index % 25 == 24:
            events.append({"type": "candidate", "worker_id": worker, "iteration": iteration, "eval_score": 0.51,
                           "validator_score": 0.52, "input_dim": 16, "task_type": "cifar10_binary",
                           "algorithm_dsl": "# setup\ns1 = 0.1\n# predict\ns0 = dot(v0, v1)\n# learn\n"})
        elif index % 2:
            events.append({"type": "progress", "worker_id": worker, "iteration": iteration, "engine_best": 0.51,
                           "pop_best": 0.5, "pop_median": 0.4, "pop_q1": 0.3, "pop_q3": 0.45, "rate": 12.5,
                           "evaluations": iteration * 8, "eval_rate": 100.0, "fec_hit_rate": 0.2})
        else:
            events.append({"type": "log", "message": f"[verify] w{worker} iter {iteration}: verified_score=0.5"})
    return events


def server_time_us(repeat: int, journal_dir: Path | None) -> float:
    journal = Journal(journal_dir, 64 * 1024 * 1024) if journal_dir else None
    if journal:
        journal.start()
    state = SidecarState(journal)
    bodies = [json.dumps({"run_id": "bench", "events": make_batch(number)}).encode() for number in range(repeat)]
    samples = []

    async def ingest_all() -> None:
        for body in bodies:
            started = time.perf_counter()
            run_id, events = parse_batch(body)
            await state.ingest(run_id, events)
            samples.append(time.perf_counter() - started)

    asyncio.run(ingest_all())
    if journal:
        journal.close()
    return statistics.median(samples) * 1e6


def http_round_trips_ms(repeat: int) -> dict[str, float]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(SidecarConfig(port=port)), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=30, interval=0.01, what="the sidecar")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        requests = {
            "http_ingest_50_ms": lambda number: http.post("/ingest_batch",
                                                          json={"run_id": "b", "events": make_batch(number)}),
            "http_logs_200_ms": lambda number: http.get("/logs", params={"cursor": 0, "limit": 200}),
            "http_state_ms": lambda number: http.get("/state"),
        }
        timings: dict[str, list[float]] = {name: [] for name in requests}
        for number in range(repeat):
            for name, send in requests.items():
                started = time.perf_counter()
                send(number).raise_for_status()
                timings[name].append(time.perf_counter() - started)
    server.should_exit = True
    thread.join(10)
    return {name: statistics.median(samples) * 1e3 for name, samples in timings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sidecar", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=400, help="batches (and requests) to time")
    parser.add_argument("--journal", action="store_true", help="also time server ingest with the journal on")
    args = parser.parse_args(argv)
    print(f"ingest_50_server_us={server_time_us(args.repeat, None):.1f}")
    if args.journal:
        with tempfile.TemporaryDirectory() as directory:
            print(f"ingest_50_server_journal_us={server_time_us(args.repeat, Path(directory)):.1f}")
    for name, value in http_round_trips_ms(args.repeat).items():
        print(f"{name}={value:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
