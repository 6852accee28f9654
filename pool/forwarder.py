"""Relay forwarding of the pool SOTA (pool.md §3.11), run every POOL_RELAY_INTERVAL_S when a relay is set."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import httpx
from bittensor_wallet import Keypair
from sqlalchemy import insert, update

from core.signing import signed_headers
from core.verify import score_on_eval_suite
from pool import events
from pool.models import algorithms, relay_submissions
from pool.population import current_sota
from pool.state import PoolState

log = logging.getLogger("pool")
BACKOFF_START_S, BACKOFF_MAX_S = 30.0, 600.0
FORWARDED, BELOW_SOTA, VERIFY_FAILED, RETRY = "forwarded", "skipped_below_sota", "verify_failed", "retry"


@dataclass
class Backoff:
    """Per-algorithm retry times after a duplicate, 403, 5xx or network error."""

    next_ts: dict[int, float] = field(default_factory=dict)
    delay: dict[int, float] = field(default_factory=dict)

    def ready(self, algorithm_id: int, now: float) -> bool:
        return self.next_ts.get(algorithm_id, 0.0) <= now

    def fail(self, algorithm_id: int, now: float) -> None:
        delay = min(BACKOFF_MAX_S, self.delay.get(algorithm_id, BACKOFF_START_S / 2) * 2)
        self.delay[algorithm_id] = delay
        self.next_ts[algorithm_id] = now + delay


class Forwarder:
    def __init__(self, state: PoolState, keypair: Keypair, http: httpx.AsyncClient):
        self.state, self.keypair, self.http = state, keypair, http
        self.backoff = Backoff()
        self.verified: dict[int, float] = {}  # re-verification scores, so a retry does not re-score

    async def candidate(self):
        async with self.state.db.read() as connection:
            best = await current_sota(connection, self.state.settings.relay_task_type)
        if best is None or best.submitted_to_relay_ts is not None or best.relay_status in (BELOW_SOTA, VERIFY_FAILED):
            return None
        return best if self.backoff.ready(best.id, self.state.now()) else None

    async def step(self) -> str | None:
        """One forwarding attempt; returns the outcome, or None when there was nothing to do."""
        best = await self.candidate()
        if best is None:
            return None
        try:
            return await self._forward(best)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:  # unreachable relay or a garbled reply
            return await self._retry_later(best, self.verified.get(best.id, math.nan), None,
                                           f"relay unreachable: {exc or type(exc).__name__}")

    async def _forward(self, best) -> str:
        relay_sota = float((await self.http.get("/sota_threshold")).json()["sota_threshold"])
        score = await self._verified_score(best)
        tol = self.state.settings.tolerance_ratio * max(abs(best.consensus_score), self.state.settings.tolerance_abs)
        if not math.isfinite(score) or score < best.consensus_score - tol:
            return await self._finish(best, VERIFY_FAILED, score, None, f"local score {score}")
        if not score > relay_sota:
            return await self._finish(best, BELOW_SOTA, score, None, f"relay sota {relay_sota}")
        body = {"task_id": f"pool-{best.id}", "score": score, "algorithm_result": {
            "task_type": best.task_type, "algorithm_dsl": best.algorithm_dsl, "input_dim": best.input_dim}}
        response = await self.http.post("/submit_solution", json=body, headers=signed_headers(self.keypair, "miner"))
        detail = _detail(response)
        if response.status_code == 200:
            return await self._finish(best, FORWARDED, score, 200, detail)
        if response.status_code == 400 and "below" in detail.lower():
            return await self._finish(best, BELOW_SOTA, score, 400, detail)
        return await self._retry_later(best, score, response.status_code, detail)

    async def _retry_later(self, best, score: float, status: int | None, detail: str) -> str:
        self.backoff.fail(best.id, self.state.now())
        return await self._finish(best, RETRY, score, status, detail)

    async def _verified_score(self, best) -> float:
        if not self.state.settings.relay_verify:
            return best.consensus_score
        if best.id not in self.verified:
            self.verified[best.id] = await asyncio.to_thread(
                score_on_eval_suite, best.algorithm_dsl, best.input_dim, best.task_type)
        return self.verified[best.id]

    async def _finish(self, best, outcome: str, score: float, status: int | None, detail: str) -> str:
        now = self.state.now()
        self.state.relay.last_attempt_ts, self.state.relay.last_outcome = now, outcome
        self.state.relay.last_detail = detail
        values: dict[str, Any] = {"relay_status": outcome}
        if outcome == FORWARDED:
            values["submitted_to_relay_ts"] = now
        async with self.state.write() as connection:
            if outcome != VERIFY_FAILED:
                await connection.execute(insert(relay_submissions).values(
                    algorithm_id=best.id, relay_url=self.state.settings.relay_url,
                    score=score if math.isfinite(score) else best.consensus_score, local_score=_finite(score),
                    http_status=status, detail=detail, outcome=outcome, created_ts=now))
            await connection.execute(update(algorithms).where(algorithms.c.id == best.id).values(**values))
            kind = "relay_forwarded" if outcome == FORWARDED else "relay"
            await events.record(connection, now, kind, f"relay {outcome} algorithm={best.id}: {detail}"[:500],
                                algorithm_id=best.id)
        return outcome


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except (ValueError, AttributeError):
        return response.text


async def run_forwarder(forwarder: Forwarder) -> None:
    while True:
        try:
            await forwarder.step()
        except Exception as exc:  # keep forwarding alive across unexpected (e.g. database) errors
            log.exception("relay forwarder step failed")
            forwarder.state.relay.last_attempt_ts = forwarder.state.now()
            forwarder.state.relay.last_outcome, forwarder.state.relay.last_detail = "error", str(exc) or type(exc).__name__
        await asyncio.sleep(forwarder.state.settings.relay_interval_s)
