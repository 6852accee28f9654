"""Consensus simulation (pool.md §6.5): four driver/worker pairs in mock mode against a real uvicorn pool and a
real sidecar process. The four coordinators and their worker threads run in this process (eight processes
would overload two cores); the pool and sidecar are real servers on loopback.

Every mock worker is honest, so each decided algorithm gives +1 to each evaluator; the window's rewards are
then recomputed by hand from the window reputations.
"""

from __future__ import annotations

import math
import threading
import time

import httpx

from core.signing import keypair_from_uri
from miner.pool_client import PoolClient
from miner.pool_coordinator import PoolTaskCoordinator
from miner.pool_worker import Worker, parse_args
from miner.sender import EventSender
from sidecar.client import SidecarClient
from tests.helpers import wait_for
from tests.pool.conftest import sqlite_settings, uvicorn_pool
from tests.pool.processes import start_sidecar

MINERS = ("m1", "m2", "m3", "m4")


class OffsetClock:
    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_four_miners_reach_consensus_and_share_the_window(tmp_path):
    # The skew allowance covers the clock jump that closes window 0 (clients keep signing with real time).
    settings = sqlite_settings(tmp_path, sweep_interval_s=0.2, window_seconds=600.0, max_clock_skew_s=1200.0)
    clock = OffsetClock()
    sidecar_process, sidecar_url = start_sidecar()
    stop = threading.Event()
    try:
        with uvicorn_pool(settings, clock) as pool_url:
            keys = {m: keypair_from_uri(f"//pool-{m}") for m in MINERS}
            pools = {m: PoolClient(keys[m], pool_url) for m in MINERS}
            sidecars = {m: SidecarClient(sidecar_url) for m in MINERS}
            coordinators = {}
            for m in MINERS:
                sidecars[m].start_run(m)
                coordinators[m] = PoolTaskCoordinator(pools[m], sidecars[m], m, log=lambda line: None)
                args = parse_args(["--sidecar-url", sidecar_url, "--run-id", m, "--mode", "mock",
                                   "--poll-interval-s", "0.05", "--seed", str(len(coordinators))])
                Worker("0", args, stop, EventSender(lambda events: None)).start()

            def evolved_scored() -> bool:
                for coordinator in coordinators.values():
                    coordinator.tick()
                results = pools["m1"].results(limit=500).body["results"]
                return any(r["miner_hotkey"] for r in results)

            wait_for(evolved_scored, timeout=60, interval=0.1, what="a scored evolved algorithm")
            for coordinator in coordinators.values():
                coordinator.release_active()
            stop.set()

            sota = httpx.get(f"{pool_url}/api/v1/results/sota", timeout=5).json()
            assert sota["sota_score"] is not None
            stats = {m: pools[m].stats().body["miner"] for m in MINERS}
            history = httpx.get(f"{pool_url}/api/v1/monitor/summary", timeout=5).json()["sota"]["history"]
            authors = {r["id"]: r["miner_hotkey"] for r in pools["m1"].results(limit=500).body["results"]}
            for m in MINERS:
                s = stats[m]
                assert s["evaluations_disagreed"] == 0  # honest mock workers always agree
                bonuses = sum(1 for h in history[1:] if authors.get(h["algorithm_id"]) == keys[m].ss58_address)
                assert s["reputation"] == s["evaluations_agreed"] + s["evolutions_improved"] + 5 * bonuses
                assert s["window_reputation"] == s["reputation"]  # everything happened in window 0
            # Close window 0 and compare each payout with floor(net × R_i / T).
            eligible = {m: stats[m]["window_reputation"] for m in MINERS if stats[m]["window_reputation"] > 0}
            total = sum(eligible.values())
            net = math.floor(settings.window_budget_rao * (1 - settings.fee))
            expected = {m: math.floor(net * r / total) for m, r in eligible.items()}
            clock.offset = settings.window_seconds
            wait_for(lambda: pools["m1"].stats().body["pool"]["total_rewards_distributed_rao"] > 0, timeout=10,
                     what="window 0 to close")
            paid = {m: pools[m].stats().body["miner"]["pending_rao"] for m in eligible}
            assert paid == expected
            for client in list(pools.values()) + list(sidecars.values()):
                client.close()
    finally:
        stop.set()
        sidecar_process.stop()
