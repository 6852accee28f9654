"""Task routes: evolve/evaluate batches, submissions, release and leases (pool.md §1.3-§1.5, §3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import and_, select

from pool import allocation, submissions
from pool.allocation import EVALUATE, EVOLVE, Assignment
from pool.auth import MinerHotkey
from pool.errors import LEASE_USED, UNSUPPORTED_TASK_TYPE, PoolError
from pool.models import algorithms
from pool.population import current_sota
from pool.queries import algorithm_item, clamp
from pool.schemas import (
    EvaluationSubmission,
    EvolutionSubmission,
    LeaseRequest,
    LeaseSubmission,
    ReleaseRequest,
    TaskRequest,
)
from pool.state import get_state
from pool.timefmt import iso

router = APIRouter(prefix="/api/v1/tasks")
MAX_LEASE_BATCH = 32
MAX_GOSSIP = 50


@router.get("/pending_evaluations")
async def pending_evaluations(request: Request, hotkey: MinerHotkey) -> dict:
    state = get_state(request)
    async with state.db.read() as connection:
        batch = await allocation.evaluate_candidates(state, connection, hotkey, state.settings.task_types,
                                                     state.settings.eval_batch_size)
    return {"has_pending_evaluations": bool(batch), "count": len(batch)}


def _batch_response(assignment: Assignment) -> dict:
    rows = assignment.seeds if assignment.kind == EVOLVE else assignment.evaluate
    response = {"batch_id": assignment.id, "task_type": assignment.kind, "window_number": assignment.window,
                "timeout_at": iso(assignment.timeout_ts), "algorithms": [algorithm_item(row) for row in rows]}
    if assignment.kind == EVOLVE:
        response["generations"] = assignment.generations
    return response


@router.post("/request")
async def request_task(request: Request, hotkey: MinerHotkey, body: TaskRequest | None = None) -> dict:
    state = get_state(request)
    kind = body.task_type if body else None
    now = state.now()
    async with state.write() as connection:
        if kind == EVOLVE:
            assignment = await allocation.allocate_evolve(state, connection, hotkey, now)
        elif kind == EVALUATE:
            assignment = await allocation.allocate_evaluate(state, connection, hotkey, now)
        else:
            assignment = await _evaluate_else_evolve(state, connection, hotkey, now)
    return _batch_response(assignment)


async def _evaluate_else_evolve(state, connection, hotkey: str, now: float) -> Assignment:
    await allocation.require_free(state, connection, hotkey, now)
    if await allocation.evaluate_candidates(state, connection, hotkey, state.settings.task_types, 1):
        return await allocation.allocate_evaluate(state, connection, hotkey, now)
    return await allocation.allocate_evolve(state, connection, hotkey, now)


@router.post("/release")
async def release(request: Request, hotkey: MinerHotkey, body: ReleaseRequest | None = None) -> dict:
    state = get_state(request)
    async with state.write() as connection:
        released = await submissions.release(connection, hotkey, body.batch_id if body else None, state.now())
    return {"status": "released", "released": released}


@router.post("/lease")
async def lease(request: Request, hotkey: MinerHotkey, body: LeaseRequest | None = None) -> dict:
    state = get_state(request)
    body = body or LeaseRequest()
    settings = state.settings
    problem = body.task_type or settings.task_types[0]
    if problem not in settings.task_types:
        raise PoolError(400, UNSUPPORTED_TASK_TYPE)
    now = state.now()
    async with state.write() as connection:
        if settings.enforce_lease_window and await allocation.has_lease_this_window(connection, hotkey, state.window(now)):
            raise PoolError(400, LEASE_USED)
        assignment = await allocation.allocate_lease(
            state, connection, hotkey, now, problem, min(body.eval_batch_size, MAX_LEASE_BATCH),
            min(body.seed_batch_size, MAX_LEASE_BATCH))
        gossip = await _gossip(connection, problem, clamp(body.gossip_limit, 0, MAX_GOSSIP))
    window = body.sim_window_number if settings.dev and body.sim_window_number is not None else assignment.window
    response = {
        "lease_id": assignment.id, "window_number": window, "timeout_at": iso(assignment.timeout_ts),
        "evolve_budget": assignment.evolve_budget, "input_dim": assignment.input_dim,
        "evaluate_algorithms": [algorithm_item(row) for row in assignment.evaluate],
        "seed_algorithms": [algorithm_item(row) for row in assignment.seeds],
    }
    if gossip is not None:
        response["gossip"] = gossip
    return response


async def _gossip(connection, problem: str, limit: int) -> dict | None:
    if limit <= 0:
        return None
    ids = [row[0] for row in await connection.execute(
        select(algorithms.c.id).where(and_(algorithms.c.task_type == problem, algorithms.c.status == "scored"))
        .order_by(algorithms.c.verified_ts.desc(), algorithms.c.id.desc()).limit(limit))]

    best = await current_sota(connection, problem)
    return {"task_type": problem, "algorithm_ids": ids, "sota_score": best.consensus_score if best else None}


@router.post("/{batch_id}/submit_evolution")
async def submit_evolution(request: Request, batch_id: str, body: EvolutionSubmission, hotkey: MinerHotkey) -> dict:
    state = get_state(request)
    rejection = None
    async with state.write() as connection:
        try:
            algorithm_id, duplicate = await submissions.submit_evolution(
                state, connection, hotkey, batch_id, body.evolved_function, [p.id for p in body.parent_functions],
                state.now())
        except submissions.InvalidDslSubmission as exc:
            rejection = str(exc)
    if rejection:
        raise PoolError(422, rejection)
    return {"status": "accepted", "algorithm_id": algorithm_id, "duplicate": duplicate}


@router.post("/{batch_id}/submit_evaluation")
async def submit_evaluation(request: Request, batch_id: str, body: EvaluationSubmission, hotkey: MinerHotkey) -> dict:
    state = get_state(request)
    reports = [(report.algorithm_id, report.score) for report in body.evaluations]
    async with state.write() as connection:
        outcome = await submissions.submit_evaluation(state, connection, hotkey, batch_id, reports, state.now())
    return {"status": "accepted", "accepted": outcome.accepted, "ignored": outcome.ignored,
            "consensus_reached": outcome.consensus_reached}


@router.post("/{lease_id}/submit_lease")
async def submit_lease(request: Request, lease_id: str, body: LeaseSubmission, hotkey: MinerHotkey) -> dict:
    state = get_state(request)
    reports = [(report.algorithm_id, report.score) for report in body.evaluations]
    evolutions = [(evo.parent_algorithm_ids, evo.algorithm_dsl) for evo in body.evolutions]
    rejection = None
    async with state.write() as connection:
        try:
            outcome = await submissions.submit_lease(state, connection, hotkey, lease_id, reports, evolutions,
                                                     body.iterations, state.now())
        except submissions.LeaseRejected as exc:
            rejection = str(exc)
    if rejection:
        raise PoolError(422, rejection)
    return {"status": "accepted", "evaluations_accepted": outcome.evaluations.accepted,
            "evolutions_accepted": outcome.evolutions_accepted, "evolutions_rejected": outcome.evolutions_rejected,
            "algorithm_ids": outcome.algorithm_ids}
