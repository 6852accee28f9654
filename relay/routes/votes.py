"""SOTA voting endpoints for validators (§6.3, §5.4 /sota/events)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select

from relay.auth import ValidatorHotkey
from relay.models import SotaEvent
from relay.schemas import SotaEventItem, SotaVoteRequest, SotaVoteResponse, is_hotkey_format
from relay.sota import VoteRejected, cast_vote, check_vote_request
from relay.state import get_state

router = APIRouter()


@router.post("/sota/vote", response_model=SotaVoteResponse)
async def sota_vote(request: Request, vote: SotaVoteRequest, validator: ValidatorHotkey) -> SotaVoteResponse:
    if not is_hotkey_format(vote.miner_hotkey):
        raise HTTPException(400, "Invalid miner hotkey format")
    state = get_state(request)
    try:
        check_vote_request(vote)
        # Votes are serialised by the database: BEGIN IMMEDIATE on SQLite, and on PostgreSQL the row lock that
        # cast_vote takes on the global SOTA row first; so every process and host votes in one order.
        async with state.db.write(conflict="Conflict: concurrent vote, retry") as session:
            return await cast_vote(session, state.settings, validator, vote)
    except VoteRejected as rejected:
        raise HTTPException(400, str(rejected)) from None


@router.get("/sota/events", response_model=list[SotaEventItem])
async def sota_events(request: Request, _validator: ValidatorHotkey, limit: int = 20) -> list[SotaEventItem]:
    limit = min(max(limit, 1), 200)
    query = select(SotaEvent).order_by(SotaEvent.start_block.desc(), SotaEvent.id.desc()).limit(limit)
    async with get_state(request).db.read() as session:
        return [SotaEventItem.model_validate(row) for row in (await session.execute(query)).scalars()]
