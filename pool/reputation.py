"""Reputation ledger writes (pool.md §3.8): every change is a row; the lifetime total moves with it."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pool.models import miners, reputation_ledger

AGREE, DISAGREE, EVOLVE_IMPROVE, EVOLVE_SOTA = "agree", "disagree", "evolve_improve", "evolve_sota"


async def apply(connection: AsyncConnection, hotkey: str, delta: float, reason: str, *, window: int,
                algorithm_id: int | None, now: float) -> None:
    await connection.execute(insert(reputation_ledger).values(
        miner_hotkey=hotkey, window_number=window, delta=delta, reason=reason, algorithm_id=algorithm_id,
        created_ts=now))
    await connection.execute(update(miners).where(miners.c.miner_hotkey == hotkey)
                             .values(reputation=miners.c.reputation + delta))
