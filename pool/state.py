"""The pool's per-process state: settings, database, replay ledger, clock, RNG and the write serialisation (§3.12)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.infra.replay import ReplayLedger
from pool.db import Database
from pool.settings import PoolSettings
from pool.windows import WindowClock

Clock = Callable[[], float]
# Any fixed 64-bit key, the same in every pool process: PostgreSQL serialises their write transactions on it.
WRITE_LOCK_KEY = 7_394_211_435


@dataclass
class RelayStatus:
    """What the forwarder last did, for the monitor (§1.5 `relay`)."""

    last_attempt_ts: float | None = None
    last_outcome: str | None = None
    last_detail: str | None = None


@dataclass
class PoolState:
    settings: PoolSettings
    db: Database
    windows: WindowClock
    replay: ReplayLedger
    clock: Clock = time.time
    rng: random.Random = field(default_factory=random.Random)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    relay: RelayStatus = field(default_factory=RelayStatus)
    problem_turn: int = 0  # round-robin position over the served problems (§3.3 step 2)

    def now(self) -> float:
        return self.clock()

    def window(self, now: float | None = None) -> int:
        return self.windows.number(self.now() if now is None else now)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One serialised write transaction: allocation, submissions and sweeper work never interleave, in this
        process (the lock) nor across processes (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL)."""
        async with self.lock, self.db.write() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))
            yield connection


def get_state(request: Request) -> PoolState:
    return request.app.state.pool
