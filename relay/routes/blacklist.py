"""Blacklist votes (§7) and the admin endpoint that lifts a blacklist (§5.6)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import delete, select

from relay.auth import AdminToken, ValidatorHotkey
from relay.models import BlacklistVote, utcnow
from relay.schemas import Text, is_hotkey_format
from relay.state import get_state

router = APIRouter()


@router.post("/blacklist/{miner_hotkey}")
async def blacklist_vote(request: Request, miner_hotkey: str, validator: ValidatorHotkey) -> dict:
    if not is_hotkey_format(miner_hotkey):
        raise HTTPException(400, "Invalid miner hotkey format")
    async with get_state(request).db.write(conflict="Conflict: blacklist vote already recorded") as session:
        pair = (BlacklistVote.miner_hotkey == miner_hotkey, BlacklistVote.validator_hotkey == validator)
        if (await session.execute(select(BlacklistVote.id).where(*pair))).first() is not None:
            raise HTTPException(400, "Validator has already voted to blacklist this miner")
        session.add(BlacklistVote(miner_hotkey=miner_hotkey, validator_hotkey=validator, timestamp=utcnow()))
    return {"status": "blacklist vote recorded"}


@router.delete("/admin/blacklist/{miner_hotkey}", dependencies=[AdminToken])
async def clear_blacklist(request: Request, miner_hotkey: Text) -> dict:
    async with get_state(request).db.write() as session:
        removed = await session.execute(delete(BlacklistVote).where(BlacklistVote.miner_hotkey == miner_hotkey))
    return {"status": "blacklist cleared", "removed": removed.rowcount}  # type: ignore[attr-defined]  # a CursorResult
