"""Miner routes: register, stats, leaderboard (pool.md §1.5)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import and_, func, select

from pool import queries
from pool.allocation import ACTIVE, pending_count
from pool.auth import MinerHotkey
from pool.models import algorithms, assignments, balances, miners, windows
from pool.population import current_sota
from pool.state import get_state
from pool.timefmt import iso

router = APIRouter(prefix="/api/v1/miners")


async def _miner(connection, hotkey: str):
    return (await connection.execute(select(miners).where(miners.c.miner_hotkey == hotkey))).first()


@router.post("/register")
async def register(request: Request, hotkey: MinerHotkey) -> dict:
    state = get_state(request)
    async with state.db.read() as connection:
        row = await _miner(connection, hotkey)
        window_rep = (await queries.window_reputations(connection, state.window())).get(hotkey, 0.0)
    return {"status": "registered", "hotkey": hotkey, "is_new": request.state.miner_created,
            "reputation": row.reputation, "window_reputation": window_rep, "registered_at": iso(row.registered_ts),
            "last_seen": iso(row.last_seen_ts)}


@router.get("/stats")
async def stats(request: Request, hotkey: MinerHotkey) -> dict:
    state = get_state(request)
    now = state.now()
    async with state.db.read() as connection:
        row = await _miner(connection, hotkey)
        window_rep = (await queries.window_reputations(connection, state.window(now))).get(hotkey, 0.0)
        balance = (await connection.execute(select(balances).where(balances.c.miner_hotkey == hotkey))).first()
        active = (await connection.execute(select(assignments).where(and_(
            assignments.c.miner_hotkey == hotkey, assignments.c.status == ACTIVE,
            assignments.c.timeout_ts > now)))).first()
        pool = await pool_summary(state, connection, now)
    miner = {name: getattr(row, name) for name in (
        "reputation", "evaluations_submitted", "evaluations_agreed", "evaluations_disagreed",
        "evolutions_submitted", "evolutions_improved")}
    miner.update(
        hotkey=hotkey, window_reputation=window_rep, pending_rao=balance.pending_rao if balance else 0,
        total_earned_rao=balance.total_earned_rao if balance else 0,
        active_assignment={"id": active.id, "kind": active.kind, "timeout_at": iso(active.timeout_ts)} if active else None,
        registered_at=iso(row.registered_ts), last_seen=iso(row.last_seen_ts))
    return {"miner": miner, "pool": pool}


async def pool_summary(state, connection, now: float) -> dict:
    settings = state.settings
    online_since = now - settings.online_window_s
    sota = {}
    pending = 0
    for problem in settings.task_types:
        best = await current_sota(connection, problem)
        sota[problem] = best.consensus_score if best else None
        pending += await pending_count(connection, problem)
    return {
        "window_number": state.window(now), "time_remaining_s": state.windows.remaining_s(now),
        "online_miners": await connection.scalar(select(func.count()).select_from(miners)
                                                 .where(miners.c.last_seen_ts >= online_since)),
        "total_miners": await connection.scalar(select(func.count()).select_from(miners)),
        "pending_evaluations": pending,
        "algorithms_total": await connection.scalar(select(func.count()).select_from(algorithms)),
        "sota": sota,
        "total_rewards_distributed_rao": int(await connection.scalar(
            select(func.coalesce(func.sum(windows.c.distributed_rao), 0))) or 0),
    }


@router.get("/leaderboard")
async def leaderboard(request: Request, limit: int = 10, scope: str = "all") -> dict:
    state = get_state(request)
    scope = "window" if scope == "window" else "all"
    window = state.window()
    async with state.db.read() as connection:
        items = await queries.leaderboard(connection, window, queries.clamp(limit, 1, 100), scope)
    return {"scope": scope, "window_number": window, "miners": items}
