"""Miner submissions (§5.2) and the validators' view of them (§5.4 /results)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra import signatures
from relay.auth import MinerHotkey, ValidatorHotkey
from relay.models import BlacklistVote, InvitationCode, MiningResult, utcnow
from relay.schemas import MiningResultItem, SolutionSubmission, SubmissionAccepted, Text, is_hotkey_format
from relay.settings import Settings
from relay.sota import global_sota_row
from relay.state import RelayState, get_state

router = APIRouter()


def solution_hash(algorithm_result: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys, default separators) used for duplicate detection."""
    return hashlib.sha256(json.dumps(algorithm_result, sort_keys=True).encode("utf-8")).hexdigest()


async def has_invitation(session: AsyncSession, hotkey: str) -> bool:
    found = await session.execute(select(InvitationCode.id).where(InvitationCode.miner_hotkey == hotkey))
    return found.first() is not None


async def blacklist_votes(session: AsyncSession, miner: str) -> int:
    query = select(func.count(func.distinct(BlacklistVote.validator_hotkey))).where(BlacklistVote.miner_hotkey == miner)
    return (await session.execute(query)).scalar_one()


async def _upsert_result(session: AsyncSession, row: dict) -> str:
    """One row per miner: INSERT … ON CONFLICT (miner_hotkey) DO UPDATE, keeping the existing id."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    changed = {key: value for key, value in row.items() if key != "id"}
    statement = (
        dialect.insert(MiningResult)
        .values(**row)
        .on_conflict_do_update(index_elements=["miner_hotkey"], set_=changed)
        .returning(MiningResult.id)
    )
    return (await session.execute(statement)).scalar_one()


def stored_result(solution: SolutionSubmission, settings: Settings) -> str:
    """The `algorithm_result` JSON text to store; 413 naming the limit when it is larger than validators accept."""
    text = json.dumps(solution.algorithm_result)
    size = len(text.encode("utf-8"))
    if size > settings.max_result_bytes:
        raise HTTPException(413, f"algorithm_result is {size} bytes; the limit is {settings.max_result_bytes} bytes")
    return text


def signed_headers_of(request: Request) -> dict[str, str]:
    """What a stored row keeps of the request's signed headers: the signature in canonical form (lower-case hex,
    no 0x) and the signed message. The signature is already spent in the replay ledger, so serving it to
    validators (who may re-verify it) never lets anyone send it again as fresh headers."""
    signature = signatures.signature_bytes(request.headers["x-signature"]).hex()
    return {"signature": signature, "timestamp_message": request.headers["x-timestamp"]}


async def _refusal_after_claim(session: AsyncSession, state: RelayState, hotkey: str,
                               score: float) -> HTTPException | None:
    """Steps 8 and 9 of §5.2: a blacklisted miner (403) or a score below the SOTA threshold (400)."""
    if await blacklist_votes(session, hotkey) >= state.settings.blacklist_consensus:
        return HTTPException(403, "Miner is blacklisted")
    current = (await global_sota_row(session)).sota_value
    if score < current:
        return HTTPException(400, f"Score {score} is below the SOTA threshold of {current}")
    return None


@router.post("/submit_solution", response_model=SubmissionAccepted)
async def submit_solution(
    request: Request, solution: SolutionSubmission, hotkey: MinerHotkey
) -> SubmissionAccepted:
    state = get_state(request)
    algorithm_result = stored_result(solution, state.settings)
    score = solution.score
    if score is None:
        raise HTTPException(400, "score is required")
    if not math.isfinite(score):
        raise HTTPException(400, "score must be a finite number")
    # An attempt that passes the claim checks is recorded even when a later check refuses it (§5.2 step 7), so
    # those refusals are raised after the transaction commits.
    async with state.db.write(conflict="Conflict: result id already exists, retry") as session:
        if not state.settings.test_mode and not await has_invitation(session, hotkey):
            raise HTTPException(403, "Please register your invitation code first")
        await state.claims.check_and_record(session, hotkey, solution_hash(solution.algorithm_result), time.time(),
                                            state.settings.max_submissions_per_hour)
        refusal = await _refusal_after_claim(session, state, hotkey, score)
        if refusal is None:
            result_id = await _upsert_result(
                session,
                {
                    "id": hashlib.sha256(f"{hotkey}:{solution.task_id}:{int(time.time())}".encode()).hexdigest()[:16],
                    "miner_hotkey": hotkey,
                    "task_id": solution.task_id,
                    "algorithm_result": algorithm_result,
                    "score": score,
                    **signed_headers_of(request),
                    "timestamp": utcnow(),
                },
            )
    if refusal is not None:
        raise refusal
    return SubmissionAccepted(result_id=result_id)


def _results_query():
    return select(MiningResult, InvitationCode.coldkey_address).outerjoin(
        InvitationCode, InvitationCode.miner_hotkey == MiningResult.miner_hotkey
    )


def _item(result: MiningResult, coldkey: str | None) -> MiningResultItem:
    return MiningResultItem.model_validate(result).model_copy(update={"coldkey_address": coldkey})


def _items(rows) -> list[MiningResultItem]:
    return [_item(result, coldkey) for result, coldkey in rows]


@router.get("/results", response_model=list[MiningResultItem])
async def results(
    request: Request, hotkey: ValidatorHotkey, limit: int = 256, task_id: Text | None = None
) -> Response:
    """The newest rows first, as many as `limit` allows and as fit in RELAY_RESULTS_MAX_BYTES of JSON; rows are
    streamed from the database, so a page never holds more than its byte budget in memory."""
    if not is_hotkey_format(hotkey):
        raise HTTPException(400, "Invalid validator hotkey format")
    state = get_state(request)
    limit = min(max(limit, 1), state.settings.results_max_limit)
    query = _results_query().order_by(MiningResult.timestamp.desc(), MiningResult.id.desc()).limit(limit)
    if task_id:
        query = query.where(MiningResult.task_id == task_id)
    budget = state.settings.results_max_bytes - 2  # the brackets
    items: list[bytes] = []
    async with state.db.read() as session:
        rows = await session.stream(query)
        try:
            async for result, coldkey in rows:
                item = _item(result, coldkey).model_dump_json().encode("utf-8")
                if len(item) + 1 > budget:
                    break
                budget -= len(item) + 1
                items.append(item)
        finally:
            await rows.close()
    return Response(b"[" + b",".join(items) + b"]", media_type="application/json")


@router.get("/results/{miner_hotkey}", response_model=list[MiningResultItem])
async def miner_result(
    request: Request, miner_hotkey: str, _validator: ValidatorHotkey, limit: Annotated[int | None, Query()] = None
) -> list[MiningResultItem]:
    if not is_hotkey_format(miner_hotkey):
        raise HTTPException(400, "Invalid hotkey format")
    async with get_state(request).db.read() as session:
        return _items(await session.execute(_results_query().where(MiningResult.miner_hotkey == miner_hotkey)))
