"""Closing windows (pool.md §3.9 steps 2-7): one idempotent transaction per past window, oldest first."""

from __future__ import annotations

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pool import events
from pool.models import algorithms, balances, evaluations, miners, reputation_ledger, window_rewards, windows
from pool.rewards import MinerWindow
from pool.rewards import window_rewards as compute_rewards
from pool.state import PoolState

CLOSED = "closed"


async def first_open_window(connection: AsyncConnection) -> int:
    last = await connection.scalar(select(func.max(windows.c.window_number)).where(windows.c.status == CLOSED))
    return 0 if last is None else last + 1


async def close_due_windows(state: PoolState) -> list[int]:
    """Close every past window not yet closed; returns the numbers closed now."""
    now = state.now()
    current = state.window(now)
    closed = []
    async with state.db.read() as connection:
        start = await first_open_window(connection)
    for window in range(start, current):
        async with state.write() as connection:
            if await _close(state, connection, window, now):
                closed.append(window)
    return closed


async def _window_miners(connection: AsyncConnection, window: int) -> list[MinerWindow]:
    reputations: dict[str, float] = {hotkey: total for hotkey, total in (await connection.execute(
        select(reputation_ledger.c.miner_hotkey, func.sum(reputation_ledger.c.delta))
        .where(reputation_ledger.c.window_number == window).group_by(reputation_ledger.c.miner_hotkey))).all()}
    activity: dict[str, int] = {}
    for hotkey, count in await connection.execute(
            select(evaluations.c.miner_hotkey, func.count()).where(evaluations.c.window_number == window)
            .group_by(evaluations.c.miner_hotkey)):
        activity[hotkey] = activity.get(hotkey, 0) + count
    for hotkey, count in await connection.execute(
            select(algorithms.c.author_hotkey, func.count()).where(and_(
                algorithms.c.created_window == window, algorithms.c.author_hotkey.is_not(None)))
            .group_by(algorithms.c.author_hotkey)):
        activity[hotkey] = activity.get(hotkey, 0) + count
    banned = {row[0] for row in await connection.execute(select(miners.c.miner_hotkey).where(miners.c.is_banned))}
    hotkeys = sorted(set(reputations) | set(activity))
    return [MinerWindow(h, float(reputations.get(h, 0.0)), activity.get(h, 0), h in banned) for h in hotkeys]


async def _close(state: PoolState, connection: AsyncConnection, window: int, now: float) -> bool:
    status = await connection.scalar(select(windows.c.status).where(windows.c.window_number == window))
    if status == CLOSED:
        return False
    settings = state.settings
    rewards = compute_rewards(await _window_miners(connection, window), settings.window_budget_rao, settings.fee,
                              settings.min_reward_activity, settings.max_share)
    distributed = sum(r.reward_rao for r in rewards)
    values = dict(start_ts=state.windows.start(window), end_ts=state.windows.end(window), status=CLOSED,
                  closed_ts=now, budget_rao=settings.window_budget_rao, fee=settings.fee,
                  total_reputation=sum(r.reputation for r in rewards), distributed_rao=distributed)
    if status is None:
        await connection.execute(insert(windows).values(window_number=window, **values))
    else:
        await connection.execute(update(windows).where(windows.c.window_number == window).values(**values))
    for reward in rewards:
        await connection.execute(insert(window_rewards).values(
            window_number=window, miner_hotkey=reward.hotkey, reputation=reward.reputation, share=reward.share,
            activity=reward.activity, reward_rao=reward.reward_rao))
        await _credit(connection, reward.hotkey, reward.reward_rao, now)
    await events.record(connection, now, "window_closed",
                        f"window {window} closed miners={len(rewards)} distributed={distributed}")
    return True


async def _credit(connection: AsyncConnection, hotkey: str, amount: int, now: float) -> None:
    updated = await connection.execute(update(balances).where(balances.c.miner_hotkey == hotkey).values(
        pending_rao=balances.c.pending_rao + amount, total_earned_rao=balances.c.total_earned_rao + amount,
        updated_ts=now))
    if updated.rowcount == 0:
        await connection.execute(insert(balances).values(
            miner_hotkey=hotkey, pending_rao=amount, total_earned_rao=amount, updated_ts=now))
