"""Load on a real relay process: concurrent signed clients on loopback for a bounded time, then a lost-write check.

Starts `python -m relay --test` as its own process (temp SQLite, or --database-url), unless --url names a relay
that is already running in test mode. This process runs the clients, each a sequential loop with its own key:
- miners `POST /submit_solution` (a new DSL every time, so never a duplicate),
- validators `GET /results` and `POST /sota/vote` (consensus is set out of reach, so the SOTA stays put),
- public readers `GET /sota_threshold` and `GET /sota-events`.
Afterwards every miner's row must hold the last submission the relay acknowledged to it (no lost writes).
Prints one `name=value` per line; exits 1 on a 5xx, a transport error or a lost write.

    python -m benchmarks.load_relay --seconds 60 --clients 16
    python -m benchmarks.load_relay --seconds 20 --workers 2 --database-url postgresql://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.load_support import Tally, free_port, load_parser, print_report, start_service, stop_service
from core import signing


class RelayLoad:
    def __init__(self, url: str, seconds: float, clients: int) -> None:
        self.url = url
        self.deadline = time.monotonic() + seconds
        self.tally = Tally()
        self.acknowledged: dict[str, str] = {}  # miner hotkey -> task id of its last accepted submission
        self.submissions = 0
        miner_count, validator_count = max(1, clients // 2), max(1, clients // 4)
        self.public_count = max(1, clients - miner_count - validator_count)
        self.miners = [signing.keypair_from_uri(f"//load-miner-{i}") for i in range(miner_count)]
        self.validators = [signing.keypair_from_uri(f"//load-validator-{i}") for i in range(validator_count)]

    @property
    def clients(self) -> int:
        return len(self.miners) + len(self.validators) + self.public_count

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    async def timed(self, route: str, call) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await call()
        except httpx.HTTPError:
            response = None
        self.tally.record(route, started, None if response is None else response.status_code)
        return response

    async def miner(self, client: httpx.AsyncClient, index: int, key) -> None:
        for sequence in itertools.count():
            if not self.running():
                return
            task_id = f"load:{index}:{sequence}"
            body = {"task_id": task_id, "score": 0.5, "algorithm_result": {
                "algorithm_dsl": f"# predict\ns0 = {index}.{sequence}\n", "task_type": "scalar_linear", "input_dim": 4}}
            response = await self.timed("POST /submit_solution", lambda body=body: client.post(
                "/submit_solution", json=body, headers=signing.signed_headers(key, "miner")))
            if response is not None and response.status_code == 200:
                self.acknowledged[key.ss58_address] = task_id
                self.submissions += 1

    async def validator(self, client: httpx.AsyncClient, key) -> None:
        for sequence in itertools.count():
            if not self.running():
                return
            await self.timed("GET /results", lambda: client.get(
                "/results", params={"limit": 256}, headers=signing.signed_headers(key, "validator")))
            vote = {"miner_hotkey": self.miners[sequence % len(self.miners)].ss58_address,
                    "score": 0.25 + sequence * 1e-9, "seen_block": int(time.time()) + sequence}
            await self.timed("POST /sota/vote", lambda vote=vote: client.post(
                "/sota/vote", json=vote, headers=signing.signed_headers(key, "validator")))

    async def reader(self, client: httpx.AsyncClient) -> None:
        while self.running():
            await self.timed("GET /sota_threshold", lambda: client.get("/sota_threshold"))
            await self.timed("GET /sota-events", lambda: client.get("/sota-events", params={"page_size": 10}))

    async def drive(self) -> None:
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.url, timeout=30, limits=limits) as client:
            loops = [self.miner(client, i, key) for i, key in enumerate(self.miners)]
            loops += [self.validator(client, key) for key in self.validators]
            loops += [self.reader(client) for _ in range(self.public_count)]
            await asyncio.gather(*loops)

    def lost_writes(self) -> int:
        """Miners whose stored row is not the last submission acknowledged to them."""
        checker = signing.keypair_from_uri("//load-checker")
        lost = 0
        with httpx.Client(base_url=self.url, timeout=30) as client:
            for key in self.miners:
                rows = client.get(f"/results/{key.ss58_address}", headers=signing.signed_headers(checker, "validator")).json()
                lost += (rows[0]["task_id"] if rows else None) != self.acknowledged.get(key.ss58_address)
        return lost


def start_relay(folder: Path, database_url: str | None, workers: int = 1):
    url = f"http://127.0.0.1:{free_port()}"
    env = {"SOTA_CONSENSUS_VOTES": "1000000", "SOTA_ALIGNMENT_MOD": "1", "RELAY_LOG_FILE": "", "RELAY_LOG_LEVEL": "WARNING"}
    args = ["relay", "--test", "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1],
            "--database-url", database_url or f"sqlite:///{folder / 'load_relay.db'}", "--workers", str(workers)]
    return start_service(args, env, url, "load_relay"), url


def main(argv: list[str] | None = None) -> int:
    parser = load_parser("load_relay", __doc__.split("\n")[0], "test-mode relay", 16,
                         "concurrent client loops (at least 3)",
                         "for the started relay (default: a temporary SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the started relay (default 1)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        started_relay = None if args.url else start_relay(Path(folder), args.database_url, args.workers)
        process, url = started_relay or (None, args.url.rstrip("/"))
        try:
            load = RelayLoad(url, args.seconds, args.clients)
            started = time.monotonic()
            asyncio.run(load.drive())
            elapsed = time.monotonic() - started
            lost = load.lost_writes()
        finally:
            stop_service(process)
    lines = load.tally.lines(elapsed, load.clients)
    lines.update(workers=args.workers, submissions_acknowledged=load.submissions, lost_writes=lost)
    print_report(lines)
    return 1 if lost or load.tally.transport_errors or load.tally.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
