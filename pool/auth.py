"""Signed-header miner authentication (pool.md §2) and the monitor token."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from bittensor_wallet import Keypair
from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy import insert, select, update

from core import signing
from pool.models import miners
from pool.state import PoolState, get_state

LAST_SEEN_RESOLUTION_S = 10.0


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail)


def signed_message(timestamp_header: str) -> tuple[str, int]:
    """(message, seconds): `auth:<ts>`, or the header itself when it already carries the prefix."""
    message = timestamp_header if timestamp_header.startswith("auth:") else f"auth:{timestamp_header}"
    seconds = message[len("auth:"):]
    if not seconds.isascii() or not seconds.isdigit():
        raise _unauthorized("Invalid timestamp")
    return message, int(seconds)


def _valid_hotkey(address: str) -> bool:
    try:
        Keypair(ss58_address=address)
    except Exception:  # bittensor_wallet raises ValueError or its own errors for bad addresses
        return False
    return True


def check_signature(state: PoolState, key: str, timestamp: str, signature: str, now: float) -> None:
    message, seconds = signed_message(timestamp)
    skew = state.settings.max_clock_skew_s
    if abs(now - seconds) > skew:
        raise _unauthorized("Timestamp outside allowed window")
    if not _valid_hotkey(key):
        raise _unauthorized("Invalid hotkey")
    signature_hex = signature[2:] if signature.lower().startswith("0x") else signature
    if not signing.verify(key, message, signature_hex):
        raise _unauthorized("Invalid signature")
    if not state.replay.check_and_add(key, signature_hex, now + 2 * skew, now):
        raise _unauthorized("Replayed request")


async def touch_miner(state: PoolState, hotkey: str, now: float) -> tuple[Any, bool]:
    """Upsert the miner and refresh `last_seen` (at most every 10 s); returns (row, created)."""
    async with state.db.read() as connection:
        row = (await connection.execute(select(miners).where(miners.c.miner_hotkey == hotkey))).first()
    if row is not None and now - row.last_seen_ts < LAST_SEEN_RESOLUTION_S:
        return row, False
    async with state.write() as connection:
        if row is None:
            await connection.execute(insert(miners).values(miner_hotkey=hotkey, registered_ts=now, last_seen_ts=now))
        else:
            await connection.execute(update(miners).where(miners.c.miner_hotkey == hotkey).values(last_seen_ts=now))
        fresh = (await connection.execute(select(miners).where(miners.c.miner_hotkey == hotkey))).first()
    return fresh, row is None


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
    check_signature(state, x_key.strip(), x_timestamp.strip(), x_signature.strip(), now)
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
