"""The TUI's relay calls (tui.md §4, §5, §7), signed with the miner hotkey through `miner.relay_client`."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import httpx
from bittensor_wallet import Keypair

from miner.relay_client import RelayClient, RelayError

CONTROL_TIMEOUT_S = 10.0
SUBMIT_TIMEOUT_S = 30.0
MAX_CLOCK_SKEW_S = 60.0

INVITE_ERRORS = {
    "invalid": "Invalid or already used code.",
    "timeout": "Request timed out. Please check your connection.",
    "connect": "Cannot connect to server. Please try again later.",
    "other": "Verification failed, please try again.",
}


class SubmitResult(NamedTuple):
    status: str  # submitted, rejected or failed
    result_id: str | None = None
    detail: str | None = None


def _client(url: str, keypair: Keypair | None, timeout: float) -> RelayClient:
    return RelayClient(url, keypair, "miner", timeout=timeout)


def clock_skew(url: str, now: float) -> float | None:
    """Seconds between the relay's /health timestamp and `now` (None when unknown)."""
    try:
        data = httpx.get(f"{url}/health", timeout=CONTROL_TIMEOUT_S).json()
        return abs(datetime.fromisoformat(str(data["timestamp"])).timestamp() - now)
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
        return None


def sota_threshold(url: str) -> float:
    """`GET /sota_threshold` (unsigned); raises RelayError failures."""
    with _client(url, None, CONTROL_TIMEOUT_S) as client:
        return float(client.call("GET", "/sota_threshold", signed=False)["sota_threshold"])


def invite_linked(url: str, keypair: Keypair) -> bool:
    with _client(url, keypair, CONTROL_TIMEOUT_S) as client:
        return client.call("GET", "/invitation_code/linked").get("data") is not None


def update_coldkey(url: str, keypair: Keypair, coldkey: str) -> str | None:
    """None on success, else the error to log."""
    try:
        with _client(url, keypair, CONTROL_TIMEOUT_S) as client:
            answer = client.call("POST", "/coldkey_address/update", json={"coldkey_address": coldkey})
    except RelayError as exc:
        return str(exc)
    return None if isinstance(answer, dict) and answer.get("status") == "success" else f"unexpected answer {answer!r}"


def link_invite(url: str, keypair: Keypair, code: str, coldkey: str | None) -> str | None:
    """None when the code was linked, else the message the invite modal shows (§7.3)."""
    try:
        with _client(url, keypair, CONTROL_TIMEOUT_S) as client:
            data = client.link_invite(code, coldkey)
    except RelayError as exc:
        if exc.status is not None:
            return INVITE_ERRORS["invalid"] if exc.status == 403 else f"Server error: {exc.status}"
        if isinstance(exc.__cause__, httpx.TimeoutException):
            return INVITE_ERRORS["timeout"]
        return INVITE_ERRORS["connect"] if exc.transport else INVITE_ERRORS["other"]
    return None if data == 1 else INVITE_ERRORS["invalid"]


def submit(url: str, keypair: Keypair, body: dict) -> SubmitResult:
    """`POST /submit_solution`: submitted (200), rejected (HTTP error, with detail) or failed (network)."""
    try:
        with _client(url, keypair, SUBMIT_TIMEOUT_S) as client:
            answer = client.submit_solution(body["task_id"], body["algorithm_result"], body["score"])
    except RelayError as exc:
        if exc.status is not None:
            return SubmitResult("rejected", detail=str(exc.detail))
        return SubmitResult("failed", detail=str(exc))
    return SubmitResult("submitted", result_id=answer.get("result_id"))


def version_manifest(url: str) -> dict:
    """The update manifest at `url` (the relay's `/version.json`); raises httpx errors or ValueError."""
    response = httpx.get(url, timeout=CONTROL_TIMEOUT_S)
    response.raise_for_status()
    manifest = response.json()
    if not isinstance(manifest, dict):
        raise ValueError("the update manifest is not a JSON object")
    return manifest
