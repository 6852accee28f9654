"""Pool mode of the submitter (tui.md §9): the shared `miner.pool_coordinator` state machine, ticked once a
second, with the pool SOTA in place of the relay's.

The coordinator's `[pool] …` lines go to the submitter's log; the last submit and the last error among them
are kept for the status file, next to the coordinator's own state.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from bittensor_wallet import Keypair

from miner.pool_client import PoolClient
from miner.pool_coordinator import PoolLeaseCoordinator, PoolTaskCoordinator
from sidecar.client import SidecarClient

POOL_TIMEOUT_S, SIDECAR_TIMEOUT_S = 2.0, 0.5
POOL_PROBLEM = "cifar10_binary"  # the problem the pool SOTA and monitor show in pool mode (the pool's default)
ERROR_MARKS = (" failed", "blocked", "timed out", "Failed to enqueue")


def pool_problem(task_type: str | None) -> str:
    """The pool problem shown for a task type: itself, or the pool's default problem for `pool`."""
    return POOL_PROBLEM if task_type in (None, "pool") else task_type


def pool_sota(pool_url: str, problem: str) -> float | None:
    """`GET {pool}/api/v1/results/sota?task_type=…` → `sota_score` (None when the pool has none)."""
    response = httpx.get(f"{pool_url}/api/v1/results/sota", params={"task_type": problem}, timeout=POOL_TIMEOUT_S)
    response.raise_for_status()
    score = response.json().get("sota_score")
    return float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None


class PoolMode:
    """One pool run: the signed pool client, a sidecar job client and the Task or Lease coordinator."""

    def __init__(self, keypair: Keypair, pool_url: str, sidecar_url: str, run_id: str, mode: str,
                 log: Callable[[str], None], clock: Callable[[], float] = time.time) -> None:
        self.mode = mode
        self._log = log
        self._clock = clock
        self.last_submit: str | None = None
        self.last_error: str | None = None
        self.pool = PoolClient(keypair, pool_url, timeout=POOL_TIMEOUT_S)
        self.sidecar = SidecarClient(sidecar_url, timeout=SIDECAR_TIMEOUT_S)
        coordinator = PoolLeaseCoordinator if mode == "lease" else PoolTaskCoordinator
        self.coordinator = coordinator(self.pool, self.sidecar, run_id, log=self._observe, clock=clock)
        self._release_stale()

    def _release_stale(self) -> None:
        """An assignment left over from an earlier run would block requests until it expires."""
        try:
            self.pool.release()
        except httpx.HTTPError:
            pass  # the pool may not be up yet; the coordinator keeps trying to register

    def _observe(self, line: str) -> None:
        self._log(line)
        stamped = f"{time.strftime('%H:%M:%S', time.localtime(self._clock()))} {line.removeprefix('[pool] ')}"
        if any(mark in line for mark in ERROR_MARKS):
            self.last_error = stamped
        elif " ok=" in line:
            self.last_submit = stamped

    def tick(self) -> None:
        self.coordinator.tick()

    def close(self) -> None:
        """Give the active assignment back and close the clients."""
        self.coordinator.release_active()
        self.pool.close()
        self.sidecar.close()

    def status(self) -> dict:
        """The `pool` block of the status file."""
        c, active = self.coordinator.counters, self.coordinator.active
        return {"registered": self.coordinator.registered, "mode": self.mode,
                "active": f"{active.kind} {active.label}" if active else None,
                "last_submit": self.last_submit, "last_error": self.last_error,
                "counters": {"enqueued": c.enqueued, "evolve_ok": c.evolve_ok, "evaluate_ok": c.evaluate_ok,
                             "lease_ok": c.lease_ok, "failures": c.failures}}
