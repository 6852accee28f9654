"""Load on a real pool API process: concurrent signed miners on loopback for a bounded time, then a lost-write check.

Starts `python -m pool` as its own process (SQLite in a temp folder, or --database-url), unless --url names a
running pool. Each client thread is one miner with its own hotkey, signing like `miner.pool_client`: it asks for
a batch, submits a new DSL for an evolve batch or a score per algorithm for an evaluate batch, and reads its
stats now and then. Afterwards each miner's `evolutions_submitted` and `evaluations_submitted`, and the pool's
`algorithms_total`, must have grown by exactly what the pool acknowledged (no lost writes).
Prints one `name=value` per line; exits 1 on a 5xx, a transport error or a lost write.

    python -m benchmarks.load_pool --seconds 60 --clients 8
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.load_support import Tally, free_port, load_parser, print_report, start_service, stop_service
from core import signing
from miner.pool_client import PoolClient, PoolReply

STATS_EVERY = 5  # batches between stats reads


class PoolMiner:
    """One client thread: a sequential loop with its own key and its own acknowledged counts."""

    def __init__(self, url: str, index: int, tally: Tally) -> None:
        self.index = index
        self.client = PoolClient(signing.keypair_from_uri(f"//load-pool-miner-{index}"), url, timeout=30)
        self.tally = tally
        self.evolutions = 0  # new algorithms acknowledged (duplicate=false)
        self.evaluations = 0  # evaluation items acknowledged

    def timed(self, route: str, call) -> PoolReply | None:
        started = time.perf_counter()
        try:
            reply = call()
        except httpx.HTTPError:
            reply = None
        self.tally.record(route, started, None if reply is None else reply.status)
        return reply

    def run(self, deadline: float) -> None:
        self.timed("POST /api/v1/miners/register", self.client.register)
        for sequence in range(10**9):
            if time.monotonic() >= deadline:
                return
            batch = self.timed("POST /api/v1/tasks/request", self.client.request_task)
            if batch is not None and batch.status == 200:
                self.work(batch.body, sequence)
            if sequence % STATS_EVERY == 0:
                self.timed("GET /api/v1/miners/stats", self.client.stats)

    def work(self, batch: dict, sequence: int) -> None:
        batch_id, algorithms = batch["batch_id"], batch["algorithms"]
        if batch["task_type"] == "evolve":
            dsl = f"# predict\ns0 = {self.index * 100000 + sequence}\n"  # exact in float32: never a duplicate
            reply = self.timed("POST /api/v1/tasks/{batch_id}/submit_evolution", lambda: self.client.submit_evolution(
                batch_id, dsl, [a["id"] for a in algorithms]))
            if reply is not None and reply.status == 200 and not reply.body.get("duplicate"):
                self.evolutions += 1
        else:
            scores = [{"algorithm_id": a["id"], "score": 0.5} for a in algorithms]
            reply = self.timed("POST /api/v1/tasks/{batch_id}/submit_evaluation",
                               lambda: self.client.submit_evaluation(batch_id, scores))
            if reply is not None and reply.status == 200:
                self.evaluations += reply.body["accepted"]

    def stored(self) -> tuple[int, int]:
        miner = self.client.stats().body["miner"]
        return miner["evolutions_submitted"], miner["evaluations_submitted"]


def algorithms_total(url: str) -> int:
    with PoolClient(signing.keypair_from_uri("//load-pool-checker"), url, timeout=30) as client:
        return client.stats().body["pool"]["algorithms_total"]


def drive(miners: list[PoolMiner], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=miner.run, args=(deadline,)) for miner in miners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def lost_writes(miners: list[PoolMiner], algorithms_before: int, algorithms_after: int) -> int:
    """Miners whose stored counts differ from what they were told, plus any algorithm gained or lost."""
    lost = sum(miner.stored() != (miner.evolutions, miner.evaluations) for miner in miners)
    return lost + abs(algorithms_after - algorithms_before - sum(miner.evolutions for miner in miners))


def start_pool(folder: Path, database_url: str | None):
    url = f"http://127.0.0.1:{free_port()}"
    args = ["pool", "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1], "--data-dir", str(folder),
            "--log-level", "warning"]
    if database_url:
        args += ["--database-url", database_url]
    return start_service(args, {}, url, "load_pool"), url


def main(argv: list[str] | None = None) -> int:
    parser = load_parser("load_pool", __doc__.split("\n")[0], "pool API", 8, "concurrent miners (threads)",
                         "for the started pool (default: SQLite in a temporary folder)")
    args = parser.parse_args(argv)
    tally = Tally()
    with tempfile.TemporaryDirectory() as folder:
        process, url = (None, args.url.rstrip("/")) if args.url else start_pool(Path(folder), args.database_url)
        miners = [PoolMiner(url, index, tally) for index in range(max(1, args.clients))]
        try:
            before = algorithms_total(url)
            started = time.monotonic()
            drive(miners, args.seconds)
            elapsed = time.monotonic() - started
            lost = lost_writes(miners, before, algorithms_total(url))
        finally:
            for miner in miners:
                miner.client.close()
            stop_service(process)
    lines = tally.lines(elapsed, len(miners))
    lines.update(evolutions_acknowledged=sum(m.evolutions for m in miners),
                 evaluations_acknowledged=sum(m.evaluations for m in miners), lost_writes=lost)
    print_report(lines)
    return 1 if lost or tally.transport_errors or tally.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
