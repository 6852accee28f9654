"""Algorithms: genesis seeding (pool.md §3.2), inserts with dedup, and the pool SOTA (§3.11)."""

from __future__ import annotations

from sqlalchemy import and_, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.dsl_text import dsl_hash, normalize_dsl
from core.genesis import genesis_dsls
from pool import events
from pool.consensus import PENDING, SCORED
from pool.models import algorithms, pool_meta, sota_history

GENESIS, EVOLVE, LEASE = "genesis", "evolve", "lease"


async def find_by_hash(connection: AsyncConnection, problem: str, text: str) -> int | None:
    return await connection.scalar(select(algorithms.c.id).where(
        and_(algorithms.c.task_type == problem, algorithms.c.dsl_hash == dsl_hash(text))))


async def insert_algorithm(connection: AsyncConnection, *, problem: str, input_dim: int, text: str, origin: str,
                           eval_target: int, now: float, window: int, author: str | None = None,
                           assignment_id: str | None = None) -> int:
    result = await connection.execute(insert(algorithms).values(
        task_type=problem, input_dim=input_dim, algorithm_dsl=normalize_dsl(text), dsl_hash=dsl_hash(text),
        origin=origin, author_hotkey=author, source_assignment_id=assignment_id, status=PENDING,
        eval_target=eval_target, created_ts=now, created_window=window,
    ))
    key = result.inserted_primary_key
    assert key is not None, "an INSERT returns its primary key"
    return int(key[0])


async def seed_genesis(connection: AsyncConnection, problems, input_dim: int, eval_target: int, now: float,
                       window: int) -> int:
    """Insert the built-in programs missing for each served problem; returns how many were added."""
    added = 0
    for problem in problems:
        for text in genesis_dsls(input_dim):
            if await find_by_hash(connection, problem, text) is None:
                await insert_algorithm(connection, problem=problem, input_dim=input_dim, text=text, origin=GENESIS,
                                       eval_target=eval_target, now=now, window=window)
                added += 1
    return added


async def meta_value(connection: AsyncConnection, key: str) -> str | None:
    return await connection.scalar(select(pool_meta.c.value).where(pool_meta.c.key == key))


async def ensure_meta(connection: AsyncConnection, key: str, default: str) -> str:
    """The stored value of `key`, storing `default` first when it is missing."""
    value = await meta_value(connection, key)
    if value is None:
        await connection.execute(insert(pool_meta).values(key=key, value=default))
        value = default
    return value


def sota_query(problem: str):
    return (select(algorithms).where(and_(algorithms.c.task_type == problem, algorithms.c.status == SCORED))
            .order_by(algorithms.c.consensus_score.desc(), algorithms.c.verified_ts.asc(), algorithms.c.id.asc())
            .limit(1))


async def current_sota(connection: AsyncConnection, problem: str):
    """The SOTA algorithm row of `problem`, or None."""
    return (await connection.execute(sota_query(problem))).first()


async def refresh_sota(connection: AsyncConnection, problem: str, now: float, window: int) -> bool:
    """Append a `sota_history` row (and event) when the SOTA changed; True if it did."""
    best = await current_sota(connection, problem)
    if best is None:
        return False
    last = (await connection.execute(select(sota_history.c.algorithm_id).where(sota_history.c.task_type == problem)
                                     .order_by(sota_history.c.id.desc()).limit(1))).scalar()
    if last == best.id:
        return False
    await connection.execute(insert(sota_history).values(
        task_type=problem, algorithm_id=best.id, score=best.consensus_score, miner_hotkey=best.author_hotkey,
        window_number=window, created_ts=now))
    await events.record(connection, now, "sota", f"sota {problem} algorithm={best.id} score={best.consensus_score:.6f}",
                        miner_hotkey=best.author_hotkey, algorithm_id=best.id)
    return True
