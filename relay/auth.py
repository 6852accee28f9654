"""Authentication dependencies: signed miner/validator headers (§3.2), UID0 (§3.5) and admin (§3.6)."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
import time
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from core.infra import signatures
from relay.allowlist import AllowlistUnavailable
from relay.state import RelayState, get_state

log = logging.getLogger("relay")

MINER_FAILED = "Authentication failed for miner"
VALIDATOR_FAILED = "Authentication failed"
BACKEND_UNAVAILABLE = "Authentication backend unavailable"
TIMESTAMP = re.compile(r"[0-9]+(\.[0-9]+)?")
MAX_TIMESTAMP_CHARS = 32  # far beyond any unix time with a fraction; longer digit strings are not times

XKey = Annotated[str, Header()]
XTimestamp = Annotated[str, Header()]
XSignature = Annotated[str, Header()]


class _Rejected(Exception):
    """A signed request failed a check; `reason` goes into X-Auth-Error."""

    def __init__(self, reason: str):
        self.reason = reason


def signed_time(message: str) -> float:
    """The unix time inside a signed message (`auth:<t>` or `<t>`), or _Rejected("bad_timestamp")."""
    stripped = message.strip()
    stripped = stripped[len("auth:"):] if stripped.startswith("auth:") else stripped
    if len(stripped) > MAX_TIMESTAMP_CHARS or not TIMESTAMP.fullmatch(stripped):
        raise _Rejected("bad_timestamp")
    return float(stripped)


async def check_signed_request(state: RelayState, key: str, message: str, signature: str, now: float) -> None:
    """Steps 3 to 5 of §3.2 on the canonical headers: freshness, signature, replay. Raises _Rejected."""
    try:
        headers = signatures.canonical(key, message, signature)
    except signatures.BadSignedHeader:
        raise _Rejected("bad_signature") from None
    window = state.settings.max_clock_skew_s
    checks_time = window > 0
    if checks_time:
        signed_at = signed_time(message)
        if abs(now - signed_at) > window:
            raise _Rejected("stale_timestamp")
    if not signatures.verifies(headers):
        raise _Rejected("bad_signature")
    if checks_time and not await state.replay.spend(headers, signed_at + window, now):
        raise _Rejected("replayed")


async def _authenticate(state: RelayState, role: str, key: str, message: str, signature: str) -> None:
    failed = MINER_FAILED if role == "miner" else VALIDATOR_FAILED
    try:
        await check_signed_request(state, key, message, signature, time.time())
    except _Rejected as rejected:
        _reject(role, key, rejected.reason, failed)
    except Exception:  # a database failure while spending: the relay cannot tell, so it refuses (503)
        log.exception("%s authentication error", role)
        raise HTTPException(503, BACKEND_UNAVAILABLE) from None


def _reject(role: str, key: str, reason: str, detail: str) -> None:
    log.warning("%s auth rejected: reason=%s x_key=%s", role, reason, key[:8])
    raise HTTPException(401, detail, headers={"X-Auth-Error": reason})


async def miner_auth(request: Request, x_key: XKey, x_timestamp: XTimestamp, x_signature: XSignature) -> str:
    """The authenticated miner hotkey."""
    await _authenticate(get_state(request), "miner", x_key, x_timestamp, x_signature)
    return x_key


async def validator_auth(request: Request, x_key: XKey, x_timestamp: XTimestamp, x_signature: XSignature) -> str:
    """The authenticated validator hotkey (allowlisted unless in test mode)."""
    state = get_state(request)
    if not state.settings.test_mode:
        try:
            allowed = await state.allowlist.allows(x_key)
        except AllowlistUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        if not allowed:
            _reject("validator", x_key, "not_allowlisted", VALIDATOR_FAILED)
    await _authenticate(state, "validator", x_key, x_timestamp, x_signature)
    return x_key


async def uid0_auth(request: Request, hotkey: Annotated[str, Depends(validator_auth)]) -> str:
    """A validator that is UID0, or any validator in test mode while UID0 is unknown."""
    state = get_state(request)
    uid0 = state.allowlist.uid0_hotkey
    if uid0 is None:
        if not state.settings.test_mode:
            raise HTTPException(503, "UID0 validator not configured or unavailable")
    elif hotkey != uid0:
        raise HTTPException(403, "Only UID0 validator may access this endpoint")
    return hotkey


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


async def admin_token_auth(request: Request, x_auth_token: Annotated[str, Header()]) -> None:
    if not _same(x_auth_token, get_state(request).settings.admin_token):
        raise HTTPException(401, "Authentication failed for admin")


def _basic_credentials(authorization: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(authorization[len("basic "):].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _Rejected("Invalid authorization header") from None
    user, colon, password = decoded.partition(":")
    if not colon:
        raise _Rejected("Invalid authorization header")
    return user, password


async def dashboard_auth(
    request: Request,
    x_auth_token: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    settings = get_state(request).settings
    if x_auth_token is not None and _same(x_auth_token, settings.admin_token):
        return
    challenge = {"WWW-Authenticate": "Basic"}
    if authorization is None or not authorization.lower().startswith("basic "):
        raise HTTPException(401, "Authentication required", headers=challenge)
    try:
        user, password = _basic_credentials(authorization)
    except _Rejected as rejected:
        raise HTTPException(401, rejected.reason, headers=challenge) from None
    user_ok = _same(user, settings.dashboard_username)
    password_ok = _same(password, settings.dashboard_password)
    if not (user_ok and password_ok):
        raise HTTPException(401, "Invalid credentials", headers=challenge)


MinerHotkey = Annotated[str, Depends(miner_auth)]
ValidatorHotkey = Annotated[str, Depends(validator_auth)]
Uid0Hotkey = Annotated[str, Depends(uid0_auth)]
AdminToken = Depends(admin_token_auth)
DashboardAuth = Depends(dashboard_auth)
