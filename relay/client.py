"""A small signed HTTP client for the relay (tests, the local validator, the TUI).

Every call signs afresh (sr25519 signatures are randomised and the relay rejects replays).
"""

from __future__ import annotations

from typing import Any

import httpx
from bittensor_wallet import Keypair

from core.signing import Role, signed_headers


class RelayError(RuntimeError):
    """A non-2xx relay answer; `status` and `detail` come from the response."""

    def __init__(self, status: int, detail: Any):
        super().__init__(f"relay answered {status}: {detail}")
        self.status = status
        self.detail = detail


class RelayClient:
    def __init__(self, base_url: str, keypair: Keypair, role: Role, timeout: float = 30.0):
        self.keypair = keypair
        self.role = role
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def __enter__(self) -> "RelayClient":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def hotkey(self) -> str:
        return self.keypair.ss58_address

    def request(self, method: str, path: str, *, signed: bool = True, **kwargs: Any) -> httpx.Response:
        """The raw response; signed with this client's role unless `signed` is false."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if signed:
            headers.update(signed_headers(self.keypair, self.role))
        return self._http.request(method, path, headers=headers, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON of a successful call; RelayError otherwise."""
        response = self.request(method, path, **kwargs)
        if response.is_error:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text
            raise RelayError(response.status_code, detail)
        return response.json()

    # Miner calls
    def submit_solution(self, task_id: str, algorithm_result: dict, score: float | None) -> dict:
        body = {"task_id": task_id, "algorithm_result": algorithm_result, "score": score}
        return self.call("POST", "/submit_solution", json=body)

    def link_invite(self, code: str, coldkey_address: str | None = None) -> int:
        body = {"code": code, "coldkey_address": coldkey_address}
        return self.call("POST", "/invitation_code/link", json=body)["data"]

    # Validator calls
    def results(self, limit: int = 256, task_id: str | None = None) -> list[dict]:
        params: dict[str, Any] = {"limit": limit}
        if task_id:
            params["task_id"] = task_id
        return self.call("GET", "/results", params=params)

    def vote(self, miner_hotkey: str, score: float, seen_block: int, result_id: str | None = None) -> dict:
        body = {"miner_hotkey": miner_hotkey, "score": score, "seen_block": seen_block, "result_id": result_id}
        return self.call("POST", "/sota/vote", json=body)

    def sota_events(self, limit: int = 20) -> list[dict]:
        return self.call("GET", "/sota/events", params={"limit": limit})

    def blacklist(self, miner_hotkey: str) -> dict:
        return self.call("POST", f"/blacklist/{miner_hotkey}")

    # Public
    def sota_threshold(self) -> float:
        return float(self.call("GET", "/sota_threshold", signed=False)["sota_threshold"])
