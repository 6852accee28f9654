"""HTTP client for the relay's validator endpoints (relay.md §5.4, §6, §7), signed with the validator hotkey.

Every call returns a value or None; transport errors and non-2xx answers are logged here (logger
`validator.relay_client`, its level set by `--relay-client-log-level`) and never raised.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from core import signing

logger = logging.getLogger("validator.relay_client")

REQUEST_TIMEOUT_S = 10.0
VOTE_TIMEOUT_S = 15.0


class RelayError(Exception):
    """A request that failed in transport or got a non-2xx answer; `body` is the answer's text, if any."""

    def __init__(self, message: str, body: str = "") -> None:
        super().__init__(message)
        self.body = body


class RelayClient:
    def __init__(self, base_url: str, hotkey: Any, *, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.hotkey = hotkey
        self._http = httpx.Client(base_url=self.base_url, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, *, signed: bool, timeout: float, **kwargs: Any) -> Any:
        """The decoded JSON answer (None for an empty body); raises RelayError on any failure."""
        headers = signing.signed_headers(self.hotkey, "validator") if signed else {}
        try:
            response = self._http.request(method, path, headers=headers, timeout=timeout, **kwargs)
        except httpx.HTTPError as exc:
            raise RelayError(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise RelayError(f"HTTP {response.status_code} for {method} {path}", response.text)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise RelayError(f"invalid JSON from {method} {path}", response.text) from exc

    def _call(self, method: str, path: str, *, signed: bool = True, timeout: float = REQUEST_TIMEOUT_S,
              **kwargs: Any) -> Any:
        try:
            return self._request(method, path, signed=signed, timeout=timeout, **kwargs)
        except RelayError as exc:
            logger.error("Relay request %s %s failed: %s%s", method, path, exc, f" response={exc.body}" if exc.body else "")
            return None

    def fetch_results(self, limit: int, task_id: str | None = None) -> Any:
        """The `/results` body as decoded (a list when the relay is well-behaved), None on failure."""
        params: dict[str, Any] = {"limit": max(1, limit)}
        if task_id:
            params["task_id"] = task_id
        return self._call("GET", "/results", params=params)

    def fetch_sota_threshold(self) -> float | None:
        """The global SOTA, unauthenticated; None on any failure or a null value."""
        try:
            body = self._request("GET", "/sota_threshold", signed=False, timeout=REQUEST_TIMEOUT_S)
            value = body.get("sota_threshold") if isinstance(body, dict) else None
            return None if value is None else float(value)
        except (RelayError, TypeError, ValueError) as exc:
            logger.warning("Could not fetch SOTA threshold: %s", exc)
            return None

    def blacklist(self, miner_hotkey: str) -> bool:
        return self._call("POST", f"/blacklist/{miner_hotkey}") is not None

    def vote_sota(self, miner_hotkey: str, score: float, seen_block: int, result_id: str | None) -> dict | None:
        """The vote response object, or None when the vote was not accepted (logged)."""
        body: dict[str, Any] = {"miner_hotkey": miner_hotkey, "score": score, "seen_block": seen_block}
        if result_id is not None:
            body["result_id"] = result_id
        try:
            answer = self._request("POST", "/sota/vote", signed=True, timeout=VOTE_TIMEOUT_S, json=body)
        except RelayError as exc:
            logger.error("Failed to submit SOTA vote: %s response=%s", exc, exc.body)
            return None
        if not isinstance(answer, dict):
            logger.error("Failed to submit SOTA vote: unexpected response type %s response=%s", type(answer).__name__, answer)
            return None
        return answer

    def fetch_sota_events(self, limit: int) -> list | None:
        body = self._call("GET", "/sota/events", params={"limit": limit})
        return body if isinstance(body, list) else None

    def claim_test_submissions(self, limit: int = 50) -> list | None:
        """UID0 test queue (claim-on-read); None on failure."""
        body = self._call("GET", "/test/submissions", params={"limit": limit})
        return body if isinstance(body, list) else None
