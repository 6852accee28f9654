"""The event log the monitor's ticker shows (pool.md §1.5 `events`), pruned by the sweeper (§3.10)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pool.models import events

KEEP_EVENTS = 10_000


async def record(connection: AsyncConnection, now: float, kind: str, message: str, *,
                 miner_hotkey: str | None = None, algorithm_id: int | None = None, data: dict | None = None) -> None:
    await connection.execute(insert(events).values(
        ts=now, kind=kind, message=message, miner_hotkey=miner_hotkey, algorithm_id=algorithm_id, data=data))


async def prune(connection: AsyncConnection, keep: int = KEEP_EVENTS) -> None:
    cutoff = await connection.scalar(select(events.c.id).order_by(events.c.id.desc()).offset(keep).limit(1))
    if cutoff is not None:
        await connection.execute(delete(events).where(events.c.id <= cutoff))
