"""The background sweeper (pool.md §3.10): expiry, window closing and event pruning every few seconds."""

from __future__ import annotations

import asyncio
import logging

from pool import events
from pool.allocation import expire_overdue
from pool.closing import close_due_windows
from pool.state import PoolState

log = logging.getLogger("pool")


async def sweep_once(state: PoolState) -> None:
    async with state.write() as connection:
        await expire_overdue(connection, state.now())
    await close_due_windows(state)
    async with state.write() as connection:
        await events.prune(connection)


async def run_sweeper(state: PoolState) -> None:
    while True:
        try:
            await sweep_once(state)
        except Exception:  # the sweeper must outlive a transient database error
            log.exception("sweeper pass failed")
        await asyncio.sleep(state.settings.sweep_interval_s)
