"""Invite codes and coldkeys (§5.3) and their admin endpoints (§5.6)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Set

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relay.auth import AdminToken, MinerHotkey
from relay.models import InvitationCode, utcnow
from relay.schemas import ColdkeyUpdate, InvitationCodeItem, InviteLink
from relay.state import get_state

router = APIRouter()
CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 8
MAX_COLDKEY_LENGTH = 128
ALLOCATION_ATTEMPTS = 25
MAX_PAGE = 2**31


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def _code_of(session: AsyncSession, hotkey: str) -> InvitationCode | None:
    found = await session.execute(select(InvitationCode).where(InvitationCode.miner_hotkey == hotkey))
    return found.scalar_one_or_none()


async def _code_row(session: AsyncSession, code: str) -> InvitationCode | None:
    return await session.get(InvitationCode, code)


async def _unused_code(session: AsyncSession, taken: Set[str] = frozenset()) -> str:
    """A fresh random code that is neither in the database nor in `taken`."""
    while True:
        code = new_code()
        if code not in taken and await _code_row(session, code) is None:
            return code


def _check_coldkey(coldkey: str | None) -> None:
    if coldkey is not None and len(coldkey) > MAX_COLDKEY_LENGTH:
        raise HTTPException(400, "coldkey_address too long")


@router.get("/invitation_code/linked")
async def linked_code(request: Request, hotkey: MinerHotkey) -> dict:
    async with get_state(request).db.read() as session:
        row = await _code_of(session, hotkey)
    return {"data": row.id if row else None}


@router.post("/invitation_code/link")
async def link_code(request: Request, link: InviteLink, hotkey: MinerHotkey) -> dict:
    _check_coldkey(link.coldkey_address)
    state = get_state(request)
    async with state.db.write(conflict="Conflict: invitation code link, retry") as session:
        owned = await _code_of(session, hotkey)
        if state.settings.test_mode and link.code == state.settings.test_invite_code:
            test_row = await _code_row(session, link.code)
            if test_row is None:
                session.add(InvitationCode(id=link.code, timestamp=utcnow()))
                await session.flush()
            elif test_row.miner_hotkey not in (None, hotkey) and owned is None:
                code = await _unused_code(session)
                session.add(InvitationCode(id=code, miner_hotkey=hotkey, coldkey_address=link.coldkey_address, timestamp=utcnow()))
                return {"data": 1}
        if owned is not None:
            if owned.id != link.code:
                raise HTTPException(409, "Hotkey already linked to an invitation code")
            if link.coldkey_address is not None:
                owned.coldkey_address = link.coldkey_address
            return {"data": 1}
        values = {"miner_hotkey": hotkey}
        if link.coldkey_address:
            values["coldkey_address"] = link.coldkey_address
        claimed = await session.execute(
            update(InvitationCode)
            .where(InvitationCode.id == link.code, InvitationCode.miner_hotkey.is_(None))
            .values(**values)
        )
        return {"data": claimed.rowcount}  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult


@router.post("/coldkey_address/update")
async def update_coldkey(request: Request, body: ColdkeyUpdate, hotkey: MinerHotkey) -> dict:
    _check_coldkey(body.coldkey_address)
    state = get_state(request)
    async with state.db.write(conflict="Conflict: could not allocate an invitation code") as session:
        row = await _code_of(session, hotkey)
        if row is None:
            if not state.settings.test_mode:
                raise HTTPException(404, "No invitation code linked to this miner")
            code = await _test_mode_code(session, state.settings.test_invite_code)
            row = InvitationCode(id=code, miner_hotkey=hotkey, timestamp=utcnow())
            session.add(row)
        row.coldkey_address = body.coldkey_address
        code = row.id
    return {"status": "success", "coldkey_address": body.coldkey_address, "invite_code": code}


async def _test_mode_code(session: AsyncSession, test_code: str) -> str:
    """The test code if free, else a generated one; 409 after ALLOCATION_ATTEMPTS collisions."""
    candidates = [test_code] + [new_code() for _ in range(ALLOCATION_ATTEMPTS - 1)]
    for code in candidates:
        if await _code_row(session, code) is None:
            return code
    raise HTTPException(409, "Conflict: could not allocate an invitation code")


@router.post("/invitation_code/generate/{count}", dependencies=[AdminToken])
async def generate_codes(request: Request, count: int) -> dict:
    count = min(max(count, 0), 1000)
    codes: list[str] = []
    async with get_state(request).db.write(conflict="Conflict: invitation code exists, retry") as session:
        for _ in range(count):
            codes.append(await _unused_code(session, set(codes)))
        now = utcnow()
        session.add_all(InvitationCode(id=code, timestamp=now) for code in codes)
    return {"data": codes}


@router.get("/invitation_code/list/{page}/{size}", dependencies=[AdminToken])
async def list_codes(request: Request, page: int, size: int) -> dict:
    page = min(max(page, 1), MAX_PAGE)
    size = min(max(size, 1), 500)
    async with get_state(request).db.read() as session:
        total = (await session.execute(select(func.count()).select_from(InvitationCode))).scalar_one()
        rows = await session.execute(
            select(InvitationCode).order_by(InvitationCode.timestamp, InvitationCode.id).offset((page - 1) * size).limit(size)
        )
        data = [InvitationCodeItem.model_validate(row).model_dump(mode="json") for row in rows.scalars()]
    return {"data": data, "count": total}
