"""The relay's per-process state (§9.5), opened and closed by the app's lifespan. What must be shared between
processes (the replay ledger, vote serialisation) lives in the database, not here."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import Request

from core.infra.replay import ReplayLedger
from relay.allowlist import Allowlist
from relay.db import Database
from relay.metrics import RequestMetrics
from relay.settings import Settings

DUPLICATE_WINDOW_S = 300.0
RATE_WINDOW_S = 3600.0


class RecentSubmissions:
    """Solution hashes of the last 5 minutes (any miner) and, with a rate limit, per-miner submit times."""

    def __init__(self) -> None:
        self._hashes: dict[str, float] = {}
        self._by_miner: dict[str, deque[float]] = {}

    def is_duplicate(self, solution_hash: str, now: float) -> bool:
        seen = self._hashes.get(solution_hash)
        return seen is not None and now - seen < DUPLICATE_WINDOW_S

    def submissions_last_hour(self, hotkey: str, now: float) -> int:
        times = self._by_miner.get(hotkey)
        if not times:
            return 0
        while times and now - times[0] >= RATE_WINDOW_S:
            times.popleft()
        return len(times)

    def record(self, hotkey: str, solution_hash: str, now: float, track_rate: bool) -> None:
        self._hashes.pop(solution_hash, None)  # re-insert at the end: the dict stays ordered by time
        self._hashes[solution_hash] = now
        if track_rate:
            self._by_miner.setdefault(hotkey, deque()).append(now)
        self._forget_old_hashes(now)

    def _forget_old_hashes(self, now: float) -> None:
        while self._hashes:
            oldest, seen = next(iter(self._hashes.items()))
            if now - seen < DUPLICATE_WINDOW_S:
                return
            del self._hashes[oldest]


@dataclass
class RelayState:
    settings: Settings
    db: Database
    allowlist: Allowlist
    replay: ReplayLedger
    metrics: RequestMetrics
    recent: RecentSubmissions = field(default_factory=RecentSubmissions)
    started_at: float = field(default_factory=time.time)


def get_state(request: Request) -> RelayState:
    return request.app.state.relay
