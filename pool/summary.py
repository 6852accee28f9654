"""The monitor's one-call summary (pool.md §1.5 monitor/summary)."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pool import __version__, queries
from pool.allocation import ACTIVE, COMPLETED, EVALUATE, EVOLVE, EXPIRED, LEASE
from pool.consensus import INVALID, NO_CONSENSUS, PENDING, SCORED
from pool.forwarder import RETRY
from pool.models import algorithms, assignments, evaluations, events, miners, relay_submissions, sota_history
from pool.population import current_sota
from pool.state import PoolState
from pool.timefmt import iso

SOTA_HISTORY = 32
EVENTS = 20


async def _count(connection: AsyncConnection, table, *conditions) -> int:
    return int(await connection.scalar(select(func.count()).select_from(table).where(and_(True, *conditions))) or 0)


async def _tasks(connection: AsyncConnection, now: float) -> dict:
    a = assignments.c
    issued = lambda since, *more: _count(connection, assignments, a.created_ts >= now - since, *more)  # noqa: E731
    completed = lambda since, *more: _count(connection, assignments, a.status == COMPLETED,  # noqa: E731
                                            a.closed_ts >= now - since, *more)
    by_kind = {}
    for kind in (EVOLVE, EVALUATE, LEASE):
        by_kind[kind] = {"active": await _count(connection, assignments, a.status == ACTIVE, a.kind == kind),
                         "issued_15m": await issued(900, a.kind == kind),
                         "completed_15m": await completed(900, a.kind == kind)}
    return {
        "issued_1m": await issued(60), "completed_1m": await completed(60), "issued_15m": await issued(900),
        "completed_15m": await completed(900),
        "expired_15m": await _count(connection, assignments, a.status == EXPIRED, a.closed_ts >= now - 900),
        "overdue": await _count(connection, assignments, a.status == ACTIVE, a.timeout_ts <= now),
        "by_kind": by_kind,
    }


async def _consensus(connection: AsyncConnection, state: PoolState, window: int) -> dict:
    start = state.windows.start(window)
    decided = lambda *statuses: _count(connection, algorithms, algorithms.c.status.in_(statuses),  # noqa: E731
                                       algorithms.c.verified_ts >= start)
    reached = await decided(SCORED, INVALID)
    failed = await decided(NO_CONSENSUS)
    e = evaluations.c
    return {
        "pending": await _count(connection, algorithms, algorithms.c.status == PENDING),
        "reached_window": reached, "no_consensus_window": failed,
        "rate_window": reached / (reached + failed) if reached + failed else None,
        "agreements_window": await _count(connection, evaluations, e.window_number == window, e.verdict == "agree"),
        "disagreements_window": await _count(connection, evaluations, e.window_number == window,
                                             e.verdict == "disagree"),
    }


async def _sota(connection: AsyncConnection, problem: str) -> dict:
    best = await current_sota(connection, problem)
    history = (await connection.execute(select(sota_history).where(sota_history.c.task_type == problem)
                                        .order_by(sota_history.c.id.desc()).limit(SOTA_HISTORY))).all()
    return {
        "task_type": problem, "score": best.consensus_score if best else None, "algorithm_id": best.id if best else None,
        "miner_hotkey": best.author_hotkey if best else None, "updated_at": iso(best.verified_ts) if best else None,
        "history": [{"ts": iso(row.created_ts), "score": row.score, "algorithm_id": row.algorithm_id}
                    for row in reversed(history)],
    }


async def _relay(connection: AsyncConnection, state: PoolState) -> dict:
    settings = state.settings
    backlog = 0  # the forwarder only ever sends the current SOTA: 1 while that one still awaits forwarding
    if settings.relay_url:
        best = await current_sota(connection, settings.relay_task_type)
        backlog = int(best is not None and best.submitted_to_relay_ts is None and best.relay_status in (None, RETRY))
    return {
        "enabled": bool(settings.relay_url), "last_attempt_at": iso(state.relay.last_attempt_ts),
        "last_outcome": state.relay.last_outcome, "last_detail": state.relay.last_detail,
        "forwarded_total": await _count(connection, relay_submissions, relay_submissions.c.outcome == "forwarded"),
        "backlog": backlog,
    }


async def monitor_summary(state: PoolState, connection: AsyncConnection, problem: str, limit: int) -> dict:
    now = state.now()
    window = state.window(now)
    settings = state.settings
    recent_events = (await connection.execute(select(events).order_by(events.c.id.desc()).limit(EVENTS))).all()
    return {
        "generated_at": iso(now), "server_time": int(now),
        "window": {"number": window, "length_s": state.windows.length_display, "started_at": iso(state.windows.start(window)),
                   "ends_at": iso(state.windows.end(window)), "time_remaining_s": state.windows.remaining_s(now)},
        "miners": {
            "total": await _count(connection, miners),
            "online": await _count(connection, miners, miners.c.last_seen_ts >= now - settings.online_window_s),
            "with_active_assignment": await _count(connection, assignments, assignments.c.status == ACTIVE),
        },
        "tasks": await _tasks(connection, now),
        "consensus": await _consensus(connection, state, window),
        "sota": await _sota(connection, problem),
        "relay": await _relay(connection, state),
        "leaderboard": await queries.leaderboard(connection, window, limit),
        "events": [{"seq": row.id, "ts": iso(row.ts), "kind": row.kind, "message": row.message}
                   for row in recent_events],
        "pool": {"version": __version__, "task_types": list(settings.task_types), "fee": settings.fee,
                 "window_budget_rao": settings.window_budget_rao, "consensus_k": settings.consensus_k,
                 "tolerance_ratio": settings.tolerance_ratio},
    }
