"""Processing submissions (pool.md §3.6-§3.8): evolutions, evaluations with consensus, releases, leases.
Callers hold the write lock and pass its connection."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.dsl import from_dsl
from pool import events, reputation
from pool.allocation import (
    ACTIVE,
    COMPLETED,
    EVALUATE,
    EVALUATE_ROLE,
    EVOLVE,
    FAILED,
    LEASE,
    RELEASED,
    SEED_ROLE,
    close,
)
from pool.consensus import PENDING, SCORED, Rules, decide, is_failure, late_verdict
from pool.errors import ASSIGNMENT_NOT_FOUND, LEASE_NOT_FOUND, NOT_EVALUATE, NOT_EVOLVE, PoolError
from pool.models import algorithm_parents, algorithms, assignment_items, assignments, evaluations, miners
from pool.population import current_sota, find_by_hash, insert_algorithm, refresh_sota
from pool.state import PoolState

MAX_DSL_CHARS = 65_536


class InvalidDsl(ValueError):
    pass


class InvalidDslSubmission(Exception):
    """422 for submit_evolution. The route catches it inside its transaction, so the close as `failed` commits."""


@dataclass
class EvaluationOutcome:
    accepted: int = 0
    ignored: int = 0
    consensus_reached: list[int] = field(default_factory=list)


def rules(state: PoolState) -> Rules:
    s = state.settings
    return Rules(s.consensus_k, s.max_evaluators, s.tolerance_ratio, s.tolerance_abs)


def validate_dsl(text: str, input_dim: int) -> None:
    """§3.6 step 1; raises InvalidDsl with the reason."""
    if not text or not text.strip():
        raise InvalidDsl("empty")
    if len(text) > MAX_DSL_CHARS:
        raise InvalidDsl(f"longer than {MAX_DSL_CHARS} characters")
    try:
        program = from_dsl(text, input_dim)
    except Exception as exc:  # the lenient parser rarely raises; any failure is a rejection
        raise InvalidDsl(str(exc) or type(exc).__name__) from None
    if program.instruction_count() == 0:
        raise InvalidDsl("no instructions")


async def owned_active(connection: AsyncConnection, hotkey: str, assignment_id: str, not_found: str, now: float):
    """The signer's active, unexpired assignment `assignment_id`, else PoolError 404 `not_found`."""
    row = (await connection.execute(select(assignments).where(and_(
        assignments.c.id == assignment_id, assignments.c.miner_hotkey == hotkey,
        assignments.c.status == ACTIVE, assignments.c.timeout_ts > now)))).first()
    if row is None:
        raise PoolError(404, not_found)
    return row


async def item_ids(connection: AsyncConnection, assignment_id: str, role: str) -> list[int]:
    rows = await connection.execute(select(assignment_items.c.algorithm_id).where(and_(
        assignment_items.c.assignment_id == assignment_id, assignment_items.c.role == role))
        .order_by(assignment_items.c.algorithm_id))
    return [row[0] for row in rows]


# ------------------------------------------------------------------ evolutions

async def add_evolution(state: PoolState, connection: AsyncConnection, assignment, hotkey: str, text: str,
                        parent_ids: list[int], now: float) -> tuple[int, bool]:
    """§3.6 steps 2-4 for a validated DSL; returns (algorithm id, duplicate)."""
    existing = await find_by_hash(connection, assignment.task_type, text)
    if existing is not None:
        return existing, True
    allowed = set(await item_ids(connection, assignment.id, SEED_ROLE)) | set(
        await item_ids(connection, assignment.id, EVALUATE_ROLE))
    parents = sorted(set(parent_ids) & allowed) or await item_ids(connection, assignment.id, SEED_ROLE)
    origin = "lease" if assignment.kind == LEASE else "evolve"
    algorithm_id = await insert_algorithm(
        connection, problem=assignment.task_type, input_dim=assignment.input_dim, text=text, origin=origin,
        eval_target=state.settings.consensus_k, now=now, window=state.window(now), author=hotkey,
        assignment_id=assignment.id)
    if parents:
        await connection.execute(insert(algorithm_parents),
                                 [{"child_id": algorithm_id, "parent_id": parent} for parent in parents])
    await connection.execute(update(miners).where(miners.c.miner_hotkey == hotkey)
                             .values(evolutions_submitted=miners.c.evolutions_submitted + 1))
    await events.record(connection, now, "evolved", f"evolved algorithm={algorithm_id} parents={parents}",
                        miner_hotkey=hotkey, algorithm_id=algorithm_id)
    return algorithm_id, False


async def submit_evolution(state: PoolState, connection: AsyncConnection, hotkey: str, batch_id: str, text: str,
                           parent_ids: list[int], now: float) -> tuple[int, bool]:
    assignment = await owned_active(connection, hotkey, batch_id, ASSIGNMENT_NOT_FOUND, now)
    if assignment.kind != EVOLVE:
        raise PoolError(400, NOT_EVOLVE)
    try:
        validate_dsl(text, assignment.input_dim)
    except InvalidDsl as exc:
        await close(connection, assignment.id, FAILED, now)
        raise InvalidDslSubmission(f"Invalid algorithm DSL: {exc}") from None
    result = await add_evolution(state, connection, assignment, hotkey, text, parent_ids, now)
    await close(connection, assignment.id, COMPLETED, now)
    return result


# ------------------------------------------------------------------ evaluations

async def add_evaluations(state: PoolState, connection: AsyncConnection, assignment, hotkey: str,
                          reports: list[tuple[int, float | None]], now: float) -> EvaluationOutcome:
    """Insert one evaluation per batch algorithm (repeats and strangers ignored) and run consensus on each."""
    outcome = EvaluationOutcome()
    allowed = set(await item_ids(connection, assignment.id, EVALUATE_ROLE))
    seen: set[int] = set()
    window = state.window(now)
    for algorithm_id, score in reports:
        if algorithm_id not in allowed or algorithm_id in seen or await _already_evaluated(connection, algorithm_id, hotkey):
            outcome.ignored += 1
            continue
        seen.add(algorithm_id)
        failed = is_failure(score)
        await connection.execute(insert(evaluations).values(
            algorithm_id=algorithm_id, assignment_id=assignment.id, miner_hotkey=hotkey,
            score=None if failed else score, failed=failed, window_number=window, created_ts=now))
        await connection.execute(update(algorithms).where(algorithms.c.id == algorithm_id)
                                 .values(evaluation_count=algorithms.c.evaluation_count + 1))
        await connection.execute(update(miners).where(miners.c.miner_hotkey == hotkey)
                                 .values(evaluations_submitted=miners.c.evaluations_submitted + 1))
        outcome.accepted += 1
        if await run_consensus(state, connection, algorithm_id, hotkey, score, now):
            outcome.consensus_reached.append(algorithm_id)
    return outcome


async def _already_evaluated(connection: AsyncConnection, algorithm_id: int, hotkey: str) -> bool:
    return await connection.scalar(select(evaluations.c.id).where(and_(
        evaluations.c.algorithm_id == algorithm_id, evaluations.c.miner_hotkey == hotkey))) is not None


async def submit_evaluation(state: PoolState, connection: AsyncConnection, hotkey: str, batch_id: str,
                            reports: list[tuple[int, float | None]], now: float) -> EvaluationOutcome:
    assignment = await owned_active(connection, hotkey, batch_id, ASSIGNMENT_NOT_FOUND, now)
    if assignment.kind != EVALUATE:
        raise PoolError(400, NOT_EVALUATE)
    outcome = await add_evaluations(state, connection, assignment, hotkey, reports, now)
    await close(connection, assignment.id, COMPLETED, now)
    return outcome


async def release(connection: AsyncConnection, hotkey: str, batch_id: str | None, now: float) -> list[str]:
    condition = and_(assignments.c.miner_hotkey == hotkey, assignments.c.status == ACTIVE,
                     assignments.c.timeout_ts > now)
    if batch_id:
        condition = and_(condition, assignments.c.id == batch_id)
    ids = [row[0] for row in await connection.execute(select(assignments.c.id).where(condition))]
    if not ids:
        raise PoolError(404, ASSIGNMENT_NOT_FOUND)
    for assignment_id in ids:
        await close(connection, assignment_id, RELEASED, now)
    return ids


# ------------------------------------------------------------------ consensus

async def run_consensus(state: PoolState, connection: AsyncConnection, algorithm_id: int, evaluator: str,
                        score: float | None, now: float) -> bool:
    """§3.7 after one insert; True when this evaluation decided the algorithm."""
    algorithm = (await connection.execute(select(algorithms).where(algorithms.c.id == algorithm_id))).one()
    window = state.window(now)
    if algorithm.status != PENDING:
        verdict = late_verdict(algorithm.status, algorithm.consensus_score, score, rules(state))
        await _record_verdicts(state, connection, algorithm_id, {evaluator: verdict}, window, now)
        return False
    rows = await connection.execute(select(evaluations.c.miner_hotkey, evaluations.c.score)
                                    .where(evaluations.c.algorithm_id == algorithm_id))
    reports = {row.miner_hotkey: row.score for row in rows}
    decision = decide(reports, algorithm.eval_target, rules(state))
    if decision.status == PENDING:
        if decision.eval_target != algorithm.eval_target:
            await connection.execute(update(algorithms).where(algorithms.c.id == algorithm_id)
                                     .values(eval_target=decision.eval_target))
        return False
    previous_sota = await current_sota(connection, algorithm.task_type)
    await connection.execute(update(algorithms).where(algorithms.c.id == algorithm_id).values(
        status=decision.status, consensus_score=decision.consensus_score, verified_ts=now))
    await _record_verdicts(state, connection, algorithm_id, decision.verdicts or {}, window, now)
    if decision.status == SCORED and decision.consensus_score is not None:
        await _evolution_credit(state, connection, algorithm, decision.consensus_score, previous_sota, window, now)
        await refresh_sota(connection, algorithm.task_type, now, window)
        message = f"consensus algorithm={algorithm_id} score={decision.consensus_score:.6f} k={len(reports)}"
        await events.record(connection, now, "consensus", message, algorithm_id=algorithm_id)
    else:
        await events.record(connection, now, "consensus_failed",
                            f"{decision.status} algorithm={algorithm_id} n={len(reports)}", algorithm_id=algorithm_id)
    return True


async def _record_verdicts(state: PoolState, connection: AsyncConnection, algorithm_id: int,
                           verdicts: dict[str, str], window: int, now: float) -> None:
    weight = state.settings.evaluator_weight
    for hotkey, verdict in verdicts.items():
        await connection.execute(update(evaluations).where(and_(
            evaluations.c.algorithm_id == algorithm_id, evaluations.c.miner_hotkey == hotkey)).values(verdict=verdict))
        if verdict == "none":
            continue
        agreed = verdict == "agree"
        counter = miners.c.evaluations_agreed if agreed else miners.c.evaluations_disagreed
        await connection.execute(update(miners).where(miners.c.miner_hotkey == hotkey).values({counter: counter + 1}))
        await reputation.apply(connection, hotkey, weight if agreed else -weight,
                               reputation.AGREE if agreed else reputation.DISAGREE,
                               window=window, algorithm_id=algorithm_id, now=now)


async def _evolution_credit(state: PoolState, connection: AsyncConnection, algorithm, score: float,
                            previous_sota, window: int, now: float) -> None:
    """§3.8: credit the author when the score beats the baseline, and a bonus when it beats the old SOTA."""
    if algorithm.author_hotkey is None:
        return
    parent_scores = [row[0] for row in await connection.execute(
        select(algorithms.c.consensus_score).select_from(
            algorithm_parents.join(algorithms, algorithms.c.id == algorithm_parents.c.parent_id))
        .where(and_(algorithm_parents.c.child_id == algorithm.id, algorithms.c.status == SCORED)))]
    sota_score = previous_sota.consensus_score if previous_sota is not None else None
    baseline = max(parent_scores) if parent_scores else sota_score
    await connection.execute(update(algorithms).where(algorithms.c.id == algorithm.id).values(baseline_score=baseline))
    if baseline is None or not score > baseline:
        return
    author, settings = algorithm.author_hotkey, state.settings
    await connection.execute(update(miners).where(miners.c.miner_hotkey == author)
                             .values(evolutions_improved=miners.c.evolutions_improved + 1))
    await reputation.apply(connection, author, settings.evolver_weight, reputation.EVOLVE_IMPROVE,
                           window=window, algorithm_id=algorithm.id, now=now)
    if sota_score is not None and score > sota_score:
        await reputation.apply(connection, author, settings.sota_bonus, reputation.EVOLVE_SOTA,
                               window=window, algorithm_id=algorithm.id, now=now)


# ------------------------------------------------------------------ leases

@dataclass
class LeaseOutcome:
    evaluations: EvaluationOutcome
    evolutions_accepted: int = 0
    evolutions_rejected: int = 0
    algorithm_ids: list[int] = field(default_factory=list)


async def submit_lease(state: PoolState, connection: AsyncConnection, hotkey: str, lease_id: str,
                       reports: list[tuple[int, float | None]], evolutions: list[tuple[list[int], str]],
                       iterations: int | None, now: float) -> LeaseOutcome:
    """Evaluations as in submit_evaluation; the first `evolve_budget` evolutions by §3.6, the rest rejected."""
    assignment = await owned_active(connection, hotkey, lease_id, LEASE_NOT_FOUND, now)
    if assignment.kind != LEASE:
        raise PoolError(404, LEASE_NOT_FOUND)
    if (iterations or 0) < state.settings.lease_min_iterations:
        await close(connection, assignment.id, FAILED, now)
        raise LeaseRejected(f"iterations below LEASE_MIN_ITERATIONS ({state.settings.lease_min_iterations})")
    outcome = LeaseOutcome(await add_evaluations(state, connection, assignment, hotkey, reports, now))
    for index, (parents, text) in enumerate(evolutions):
        try:
            if index >= assignment.evolve_budget:
                raise InvalidDsl("over the evolve budget")
            validate_dsl(text, assignment.input_dim)
        except InvalidDsl:
            outcome.evolutions_rejected += 1
            continue
        algorithm_id, duplicate = await add_evolution(state, connection, assignment, hotkey, text, parents, now)
        outcome.algorithm_ids.append(algorithm_id)
        outcome.evolutions_accepted += 0 if duplicate else 1
    await connection.execute(update(assignments).where(assignments.c.id == assignment.id).values(iterations=iterations))
    await close(connection, assignment.id, COMPLETED, now)
    return outcome


class LeaseRejected(Exception):
    """422 for submit_lease; caught inside the transaction like InvalidDslSubmission."""
