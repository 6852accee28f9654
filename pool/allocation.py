"""Assignment allocation (pool.md §3.3-§3.5) and expiry (§3.10). Callers hold the write lock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pool import events
from pool.consensus import INVALID, PENDING, SCORED
from pool.errors import ACTIVE_TASK, NO_TASKS, PoolError
from pool.models import algorithms, assignment_items, assignments, evaluations
from pool.population import GENESIS
from pool.state import PoolState

ACTIVE, COMPLETED, EXPIRED, FAILED, RELEASED = "active", "completed", "expired", "failed", "released"
EVOLVE, EVALUATE, LEASE = "evolve", "evaluate", "lease"
SEED_ROLE, EVALUATE_ROLE = "seed", "evaluate"
CANDIDATE_SCAN = 500


@dataclass
class Assignment:
    id: str
    kind: str
    problem: str
    input_dim: int
    window: int
    timeout_ts: float
    seeds: list = field(default_factory=list)  # algorithm rows
    evaluate: list = field(default_factory=list)
    generations: int | None = None
    evolve_budget: int = 0


async def expire_overdue(connection: AsyncConnection, now: float, hotkey: str | None = None) -> int:
    """Close active assignments whose timeout has passed (all, or one miner's); returns how many."""
    condition = and_(assignments.c.status == ACTIVE, assignments.c.timeout_ts <= now)
    if hotkey is not None:
        condition = and_(condition, assignments.c.miner_hotkey == hotkey)
    rows = (await connection.execute(select(assignments.c.id, assignments.c.miner_hotkey, assignments.c.kind)
                                     .where(condition))).all()
    for row in rows:
        await close(connection, row.id, EXPIRED, now)
        await events.record(connection, now, "expired", f"expired {row.kind} {row.id[:8]}", miner_hotkey=row.miner_hotkey)
    return len(rows)


async def close(connection: AsyncConnection, assignment_id: str, status: str, now: float) -> None:
    await connection.execute(update(assignments).where(assignments.c.id == assignment_id)
                             .values(status=status, closed_ts=now))


async def active_assignment(connection: AsyncConnection, hotkey: str):
    return (await connection.execute(select(assignments).where(
        and_(assignments.c.miner_hotkey == hotkey, assignments.c.status == ACTIVE)))).first()


async def require_free(state: PoolState, connection: AsyncConnection, hotkey: str, now: float) -> None:
    """§3.3 step 1: expire the miner's overdue assignments; refuse if one is still active."""
    await expire_overdue(connection, now, hotkey)
    if await active_assignment(connection, hotkey) is not None:
        raise PoolError(400, ACTIVE_TASK)


async def pending_count(connection: AsyncConnection, problem: str) -> int:
    return await connection.scalar(select(func.count()).select_from(algorithms).where(
        and_(algorithms.c.task_type == problem, algorithms.c.status == PENDING))) or 0


async def under_back_pressure(state: PoolState, connection: AsyncConnection, problem: str) -> bool:
    return await pending_count(connection, problem) >= state.settings.max_pending


async def seed_pool(state: PoolState, connection: AsyncConnection, problem: str) -> list:
    """§3.3 step 3: the best scored algorithms, topped up with genesis programs when too few, best first."""
    settings = state.settings
    scored = (await connection.execute(select(algorithms).where(
        and_(algorithms.c.task_type == problem, algorithms.c.status == SCORED))
        .order_by(algorithms.c.consensus_score.desc(), algorithms.c.id.asc()).limit(settings.seed_pool_size))).all()
    if len(scored) >= settings.seeds_per_evolve:
        return list(scored)
    known = {row.id for row in scored}
    genesis = (await connection.execute(select(algorithms).where(and_(
        algorithms.c.task_type == problem, algorithms.c.origin == GENESIS, algorithms.c.status != INVALID))
        .order_by(algorithms.c.id))).all()
    return list(scored) + [row for row in genesis if row.id not in known]


def _rank(row) -> tuple:
    return (row.status == SCORED, row.consensus_score if row.consensus_score is not None else float("-inf"))


def draw_seeds(state: PoolState, pool: list) -> list:
    """§3.3 step 4: a size-2 tournament for the first seed, the rest uniformly without replacement."""
    wanted = state.settings.seeds_per_evolve
    if len(pool) <= wanted:
        return list(pool)
    first = max(state.rng.sample(pool, 2), key=_rank)
    rest = [row for row in pool if row.id != first.id]
    return [first] + state.rng.sample(rest, wanted - 1)


def _in_flight():
    """algorithm_id → number of active assignments holding it for evaluation."""
    return (select(assignment_items.c.algorithm_id, func.count().label("n"))
            .select_from(assignment_items.join(assignments, assignments.c.id == assignment_items.c.assignment_id))
            .where(and_(assignments.c.status == ACTIVE, assignment_items.c.role == EVALUATE_ROLE))
            .group_by(assignment_items.c.algorithm_id).subquery())


async def evaluate_candidates(state: PoolState, connection: AsyncConnection, hotkey: str, problems, limit: int) -> list:
    """§3.4 steps 2-4: the batch miner `hotkey` could evaluate now, nearly decided algorithms first."""
    in_flight = _in_flight()
    load = algorithms.c.evaluation_count + func.coalesce(in_flight.c.n, 0)
    already = select(evaluations.c.algorithm_id).where(evaluations.c.miner_hotkey == hotkey)
    rows = (await connection.execute(
        select(algorithms).select_from(algorithms.outerjoin(in_flight, in_flight.c.algorithm_id == algorithms.c.id))
        .where(and_(algorithms.c.status == PENDING, algorithms.c.task_type.in_(list(problems)),
                    func.coalesce(algorithms.c.author_hotkey, "") != hotkey, algorithms.c.id.not_in(already),
                    load < algorithms.c.eval_target))
        .order_by(load.desc(), algorithms.c.id.asc()).limit(CANDIDATE_SCAN))).all()
    if not rows:
        return []
    group = (rows[0].task_type, rows[0].input_dim)
    return [row for row in rows if (row.task_type, row.input_dim) == group][:limit]


async def _create(state: PoolState, connection: AsyncConnection, hotkey: str, assignment: Assignment,
                  now: float, params: dict | None = None) -> Assignment:
    await connection.execute(insert(assignments).values(
        id=assignment.id, miner_hotkey=hotkey, kind=assignment.kind, status=ACTIVE, task_type=assignment.problem,
        input_dim=assignment.input_dim, window_number=assignment.window, created_ts=now,
        timeout_ts=assignment.timeout_ts, evolve_budget=assignment.evolve_budget,
        generations=assignment.generations, params=params))
    items = [{"assignment_id": assignment.id, "algorithm_id": row.id, "role": SEED_ROLE} for row in assignment.seeds]
    items += [{"assignment_id": assignment.id, "algorithm_id": row.id, "role": EVALUATE_ROLE}
              for row in assignment.evaluate]
    if items:
        await connection.execute(insert(assignment_items), items)
    await events.record(connection, now, "assigned", f"assigned {assignment.kind} {assignment.id[:8]} n={len(items)}",
                        miner_hotkey=hotkey)
    return assignment


def _new(state: PoolState, kind: str, problem: str, input_dim: int, now: float, timeout_s: float) -> Assignment:
    return Assignment(str(uuid.uuid4()), kind, problem, input_dim, state.window(now), now + timeout_s)


async def allocate_evolve(state: PoolState, connection: AsyncConnection, hotkey: str, now: float) -> Assignment:
    await require_free(state, connection, hotkey, now)
    problems = state.settings.task_types
    for offset in range(len(problems)):
        problem = problems[(state.problem_turn + offset) % len(problems)]
        if await under_back_pressure(state, connection, problem):
            continue
        seeds = draw_seeds(state, await seed_pool(state, connection, problem))
        if not seeds:
            continue
        state.problem_turn = (state.problem_turn + offset + 1) % len(problems)
        assignment = _new(state, EVOLVE, problem, seeds[0].input_dim, now, state.settings.task_timeout_s)
        assignment.seeds, assignment.generations = seeds, state.settings.evolve_generations
        return await _create(state, connection, hotkey, assignment, now)
    raise PoolError(404, NO_TASKS)


async def allocate_evaluate(state: PoolState, connection: AsyncConnection, hotkey: str, now: float) -> Assignment:
    await require_free(state, connection, hotkey, now)
    batch = await evaluate_candidates(state, connection, hotkey, state.settings.task_types,
                                      state.settings.eval_batch_size)
    if not batch:
        raise PoolError(404, NO_TASKS)
    assignment = _new(state, EVALUATE, batch[0].task_type, batch[0].input_dim, now, state.settings.task_timeout_s)
    assignment.evaluate = batch
    return await _create(state, connection, hotkey, assignment, now)


async def allocate_lease(state: PoolState, connection: AsyncConnection, hotkey: str, now: float, problem: str,
                         eval_batch_size: int, seed_batch_size: int) -> Assignment:
    await require_free(state, connection, hotkey, now)
    evaluate = await evaluate_candidates(state, connection, hotkey, [problem], eval_batch_size)
    seeds = (await seed_pool(state, connection, problem))[:seed_batch_size]
    budget = 0 if await under_back_pressure(state, connection, problem) else state.settings.lease_evolve_budget
    if not evaluate and budget == 0:
        raise PoolError(404, NO_TASKS)
    input_dim = (evaluate or seeds)[0].input_dim if (evaluate or seeds) else state.settings.genesis_input_dim
    assignment = _new(state, LEASE, problem, input_dim, now, state.settings.lease_timeout_s)
    assignment.evaluate, assignment.seeds, assignment.evolve_budget = evaluate, seeds, budget
    return await _create(state, connection, hotkey, assignment, now,
                         params={"eval_batch_size": eval_batch_size, "seed_batch_size": seed_batch_size})


async def has_lease_this_window(connection: AsyncConnection, hotkey: str, window: int) -> bool:
    return bool(await connection.scalar(select(func.count()).select_from(assignments).where(and_(
        assignments.c.miner_hotkey == hotkey, assignments.c.kind == LEASE, assignments.c.window_number == window))))
