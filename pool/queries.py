"""Read-side queries shared by the routes: window reputation, leaderboard, results and SOTA payloads."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pool.consensus import SCORED
from pool.models import algorithm_parents, algorithms, miners, reputation_ledger
from pool.population import current_sota
from pool.timefmt import iso


async def window_reputations(connection: AsyncConnection, window: int) -> dict[str, float]:
    rows = await connection.execute(select(reputation_ledger.c.miner_hotkey, func.sum(reputation_ledger.c.delta))
                                    .where(reputation_ledger.c.window_number == window)
                                    .group_by(reputation_ledger.c.miner_hotkey))
    return {hotkey: float(total) for hotkey, total in rows}


async def leaderboard(connection: AsyncConnection, window: int, limit: int, scope: str = "all") -> list[dict]:
    """Top miners by reputation (lifetime, or this window's) desc, then hotkey; banned and inactive left out."""
    window_rep = await window_reputations(connection, window)
    active = or_(miners.c.evaluations_submitted > 0, miners.c.evolutions_submitted > 0)
    rows = list((await connection.execute(select(miners).where(and_(~miners.c.is_banned, active)))).all())
    if scope == "window":
        rows = [row for row in rows if row.miner_hotkey in window_rep]
    key = (lambda r: window_rep.get(r.miner_hotkey, 0.0)) if scope == "window" else (lambda r: r.reputation)
    rows.sort(key=lambda r: (-key(r), r.miner_hotkey))
    return [{
        "rank": rank, "hotkey": row.miner_hotkey, "reputation": row.reputation,
        "window_reputation": window_rep.get(row.miner_hotkey, 0.0), "evaluations": row.evaluations_submitted,
        "evolutions": row.evolutions_submitted, "last_seen": iso(row.last_seen_ts),
    } for rank, row in enumerate(rows[:limit], start=1)]


async def sota_payload(connection: AsyncConnection, problem: str, window: int, served: tuple[str, ...]) -> dict:
    best = await current_sota(connection, problem) if problem in served else None
    return {
        "task_type": problem, "sota_score": best.consensus_score if best else None,
        "algorithm_id": best.id if best else None, "miner_hotkey": best.author_hotkey if best else None,
        "updated_at": iso(best.verified_ts) if best else None, "window_number": window if best else None,
    }


async def results(connection: AsyncConnection, limit: int, problem: str | None, min_score: float | None) -> list[dict]:
    condition = algorithms.c.status == SCORED
    if problem:
        condition = and_(condition, algorithms.c.task_type == problem)
    if min_score is not None:
        condition = and_(condition, algorithms.c.consensus_score >= min_score)
    rows = (await connection.execute(select(algorithms).where(condition)
                                      .order_by(algorithms.c.consensus_score.desc(), algorithms.c.id.asc())
                                      .limit(limit))).all()
    parents: dict[int, list[int]] = {}
    if rows:
        for child, parent in await connection.execute(
                select(algorithm_parents.c.child_id, algorithm_parents.c.parent_id)
                .where(algorithm_parents.c.child_id.in_([row.id for row in rows]))
                .order_by(algorithm_parents.c.parent_id)):
            parents.setdefault(child, []).append(parent)
    return [{
        "id": row.id, "task_type": row.task_type, "input_dim": row.input_dim, "algorithm_dsl": row.algorithm_dsl,
        "consensus_score": row.consensus_score, "evaluations": row.evaluation_count,
        "miner_hotkey": row.author_hotkey, "parent_ids": parents.get(row.id, []), "created_at": iso(row.created_ts),
        "verified_at": iso(row.verified_ts), "submitted_to_relay_at": iso(row.submitted_to_relay_ts),
    } for row in rows]


def algorithm_item(row) -> dict:
    return {"id": row.id, "algorithm_dsl": row.algorithm_dsl, "input_dim": row.input_dim, "task_type": row.task_type}


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
