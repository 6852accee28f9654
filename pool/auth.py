"""Signed-header miner authentication (pool.md §2) and the monitor token."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy import Row, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.infra import signatures
from pool.models import miners
from pool.state import PoolState, get_state

LAST_SEEN_RESOLUTION_S = 10.0
MAX_TIMESTAMP_DIGITS = 20  # any unix time fits; a longer digit string is not a time


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail)


def signed_message(timestamp_header: str) -> tuple[str, int]:
    """(message, seconds): `auth:<ts>`, or the header itself when it already carries the prefix."""
    message = timestamp_header if timestamp_header.startswith("auth:") else f"auth:{timestamp_header}"
    seconds = message[len("auth:"):]
    if len(seconds) > MAX_TIMESTAMP_DIGITS or not seconds.isascii() or not seconds.isdigit():
        raise _unauthorized("Invalid timestamp")
    return message, int(seconds)


async def check_signature(state: PoolState, key: str, timestamp: str, signature: str, now: float) -> None:
    message, seconds = signed_message(timestamp)
    skew = state.settings.max_clock_skew_s
    if abs(now - seconds) > skew:
        raise _unauthorized("Timestamp outside allowed window")
    try:
        public_key = signatures.public_key_bytes(key)
    except signatures.BadSignedHeader:
        raise _unauthorized("Invalid hotkey") from None
    try:
        headers = signatures.SignedHeaders(public_key, signatures.signature_bytes(signature), message)
    except signatures.BadSignedHeader:
        raise _unauthorized("Invalid signature") from None
    if not signatures.verifies(headers):
        raise _unauthorized("Invalid signature")
    if not await state.replay.spend(headers, seconds + skew, now):
        raise _unauthorized("Replayed request")


async def touch_miner(state: PoolState, hotkey: str, now: float) -> tuple[Row[Any], bool]:
    """Upsert the miner and refresh `last_seen` (at most every 10 s); returns (row, created).

    A new miner's concurrent first requests race to insert its row: the insert does nothing when another
    request got there first, so none of them fails."""
    async with state.db.read() as connection:
        row = (await connection.execute(select(miners).where(miners.c.miner_hotkey == hotkey))).first()
    if row is not None and now - row.last_seen_ts < LAST_SEEN_RESOLUTION_S:
        return row, False
    dialect_insert = postgresql.insert if state.db.engine.dialect.name == "postgresql" else sqlite.insert
    async with state.db.write() as connection:
        if row is None:
            inserted = await connection.execute(
                dialect_insert(miners).values(miner_hotkey=hotkey, registered_ts=now, last_seen_ts=now)
                .on_conflict_do_nothing(index_elements=["miner_hotkey"]).returning(miners.c.miner_hotkey))
            created = inserted.first() is not None
        else:
            created = False
            await connection.execute(update(miners).where(miners.c.miner_hotkey == hotkey).values(last_seen_ts=now))
        fresh = (await connection.execute(select(miners).where(miners.c.miner_hotkey == hotkey))).one()
    return fresh, created


async def miner_auth(
    request: Request,
    x_key: Annotated[str | None, Header()] = None,
    x_timestamp: Annotated[str | None, Header()] = None,
    x_signature: Annotated[str | None, Header()] = None,
) -> str:
    if not (x_key and x_timestamp and x_signature):
        raise _unauthorized("Missing authentication headers")
    state = get_state(request)
    now = state.now()
    await check_signature(state, x_key.strip(), x_timestamp.strip(), x_signature.strip(), now)
    row, created = await touch_miner(state, x_key.strip(), now)
    if row.is_banned:
        raise HTTPException(403, "Miner is banned")
    request.state.miner_created = created
    return x_key.strip()


async def monitor_auth(request: Request, x_monitor_token: Annotated[str | None, Header()] = None) -> None:
    expected = get_state(request).settings.monitor_token
    if expected and not hmac.compare_digest((x_monitor_token or "").encode(), expected.encode()):
        raise HTTPException(401, "Invalid monitor token")


MinerHotkey = Annotated[str, Depends(miner_auth)]
MonitorAccess = Depends(monitor_auth)
