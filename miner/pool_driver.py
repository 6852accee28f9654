"""Headless pool driver (pool.md §6.3): `python -m miner.pool_driver` (shim `scripts.pool_sidecar_driver`)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
import uuid
from typing import Sequence

import httpx
from bittensor_wallet import Keypair

from core.cli import OneLineParser, http_url, run_main
from core.signing import SigningError, load_hotkey
from miner.pool_client import PoolClient, pool_url
from miner.pool_coordinator import PoolLeaseCoordinator, PoolTaskCoordinator
from sidecar.client import SidecarClient, sidecar_url

TICK_S = 0.2
POOL_TIMEOUT_S, SIDECAR_TIMEOUT_S = 5.0, 2.0


def say(line: str) -> None:
    print(line, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(prog="python -m scripts.pool_sidecar_driver", description="Headless pool driver.")
    parser.add_argument("--pool-url", type=http_url, default=pool_url())
    parser.add_argument("--sidecar-url", type=http_url, default=sidecar_url())
    parser.add_argument("--run-id", default=None)
    parser.add_argument("--duration-s", type=float, default=20.0)
    parser.add_argument("--wallet-name")
    parser.add_argument("--wallet-hotkey")
    parser.add_argument("--wallet-path")
    parser.add_argument("--lease", action="store_true", help="work on lease bundles instead of evolve/evaluate batches")
    parser.add_argument("--seed", type=int, default=None, help="accepted for compatibility and ignored")
    return parser.parse_args(argv)


def _keypair(args: argparse.Namespace) -> Keypair:
    if args.wallet_name and args.wallet_hotkey:
        return load_hotkey(args.wallet_name, args.wallet_hotkey, args.wallet_path)
    return Keypair.create_from_mnemonic(Keypair.generate_mnemonic())


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        keypair = _keypair(args)
    except SigningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    say(f"Hotkey: {keypair.ss58_address}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with PoolClient(keypair, args.pool_url, timeout=POOL_TIMEOUT_S) as pool, \
            SidecarClient(args.sidecar_url, timeout=SIDECAR_TIMEOUT_S) as sidecar:
        try:
            run_id = sidecar.start_run(args.run_id or str(uuid.uuid4()), replace=True)
        except Exception as exc:  # unreachable or refusing sidecar: one line, exit 2
            print(f"error: sidecar at {args.sidecar_url} is unreachable: {exc}", file=sys.stderr)
            return 2
        say(f"Sidecar run_id: {run_id}")
        if args.wallet_name:
            try:
                pool.release()  # a stale assignment from an earlier run; 404/405 are fine
            except httpx.HTTPError:  # the pool may not be up yet; the coordinator retries registration
                pass
        coordinator_class = PoolLeaseCoordinator if args.lease else PoolTaskCoordinator
        coordinator = coordinator_class(pool, sidecar, run_id, log=say)
        deadline = time.monotonic() + args.duration_s if args.duration_s > 0 else float("inf")
        while not stop.is_set() and time.monotonic() < deadline:
            coordinator.tick()
            stop.wait(TICK_S)
        coordinator.release_active()
    c = coordinator.counters
    lease_ok = f" lease_ok={c.lease_ok}" if args.lease else ""
    say(f"[pool] summary enqueued={c.enqueued} evolve_ok={c.evolve_ok} evaluate_ok={c.evaluate_ok} "
        f"failures={c.failures}{lease_ok}")
    say("Done.")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
