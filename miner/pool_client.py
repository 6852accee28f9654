"""Signed Pool API client (pool.md §1-§2) for the headless driver and the TUI.

Every call signs `auth:<unix seconds>` afresh with the miner hotkey (the pool rejects replayed signatures).
Calls return a `PoolReply` (HTTP status, JSON body, detail) and never raise for an HTTP error status;
network failures raise httpx errors.
"""

from __future__ import annotations

import os
import time
from typing import Any, NamedTuple

import httpx
from bittensor_wallet import Keypair

from core.signing import sign
from core.tls import client_context

DEFAULT_POOL_URL = "http://127.0.0.1:8434"
DEFAULT_TIMEOUT_S = 5.0


def pool_url(env=None) -> str:
    env = os.environ if env is None else env
    return (env.get("BITSOTA_POOL_URL") or DEFAULT_POOL_URL).rstrip("/")


def pool_headers(keypair: Keypair, now: float | None = None) -> dict[str, str]:
    """`X-Key`, `X-Timestamp` (bare seconds) and `X-Signature` over `auth:<seconds>`."""
    seconds = str(int(time.time() if now is None else now))
    return {"X-Key": keypair.ss58_address, "X-Timestamp": seconds, "X-Signature": sign(keypair, f"auth:{seconds}")}


class PoolReply(NamedTuple):
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def detail(self) -> str:
        if isinstance(self.body, dict) and "detail" in self.body:
            return str(self.body["detail"])
        return "" if self.body is None else str(self.body)


class PoolClient:
    def __init__(self, keypair: Keypair, base_url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S,
                 transport: httpx.BaseTransport | None = None):
        self.keypair = keypair
        self.base_url = (base_url or pool_url()).rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  verify=client_context())

    @property
    def hotkey(self) -> str:
        return self.keypair.ss58_address

    def call(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
             signed: bool = True) -> PoolReply:
        headers = pool_headers(self.keypair) if signed else {}
        response = self._http.request(method, path, json=json, params=params, headers=headers)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return PoolReply(response.status_code, body)

    def health(self) -> PoolReply:
        return self.call("GET", "/health", signed=False)

    def register(self) -> PoolReply:
        return self.call("POST", "/api/v1/miners/register", json={})

    def stats(self) -> PoolReply:
        return self.call("GET", "/api/v1/miners/stats")

    def request_task(self, kind: str | None = None) -> PoolReply:
        return self.call("POST", "/api/v1/tasks/request", json={"task_type": kind} if kind else {})

    def submit_evolution(self, batch_id: str, evolved_function: str, parent_ids: list[int]) -> PoolReply:
        body = {"evolved_function": evolved_function, "parent_functions": [{"id": i} for i in parent_ids]}
        return self.call("POST", f"/api/v1/tasks/{batch_id}/submit_evolution", json=body)

    def submit_evaluation(self, batch_id: str, evaluations: list[dict]) -> PoolReply:
        return self.call("POST", f"/api/v1/tasks/{batch_id}/submit_evaluation", json={"evaluations": evaluations})

    def release(self, batch_id: str | None = None) -> PoolReply:
        return self.call("POST", "/api/v1/tasks/release", json={"batch_id": batch_id} if batch_id else {})

    def lease(self, **fields: Any) -> PoolReply:
        return self.call("POST", "/api/v1/tasks/lease", json=fields)

    def submit_lease(self, lease_id: str, result: dict) -> PoolReply:
        return self.call("POST", f"/api/v1/tasks/{lease_id}/submit_lease", json=result)

    def sota(self, task_type: str) -> PoolReply:
        return self.call("GET", "/api/v1/results/sota", params={"task_type": task_type}, signed=False)

    def results(self, **params: Any) -> PoolReply:
        return self.call("GET", "/api/v1/results/", params=params)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoolClient:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
