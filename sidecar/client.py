"""A small HTTP client for the sidecar API (sidecar.md §3), for miners, pool workers and the TUI.

`SidecarClient` is blocking and `AsyncSidecarClient` awaits; both share every endpoint's request
and response handling through `_Endpoints`, whose methods return what `_call` returns (a value, or
an awaitable of it).

    with SidecarClient() as sidecar:
        run_id = sidecar.start_run(meta={"task_type": "scalar_linear"})
        sidecar.ingest_batch(run_id, [{"type": "log", "message": "hello"}])
        logs = StreamCursor()
        new_items = logs.take(sidecar.logs(logs.position, run_id=run_id))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx

from core.tls import client_context

DEFAULT_TIMEOUT_S = 2.0


def sidecar_url(env: Mapping[str, str] | None = None) -> str:
    """`BITSOTA_SIDECAR_URL`, else http://$BITSOTA_SIDECAR_HOST:$BITSOTA_SIDECAR_PORT (127.0.0.1:8123)."""
    env = os.environ if env is None else env
    if env.get("BITSOTA_SIDECAR_URL"):
        return env["BITSOTA_SIDECAR_URL"].rstrip("/")
    host = env.get("BITSOTA_SIDECAR_HOST", "127.0.0.1")
    return f"http://{host}:{env.get('BITSOTA_SIDECAR_PORT', '8123')}"


class SidecarError(Exception):
    """The sidecar answered with an error status; `detail` is its explanation."""

    def __init__(self, status_code: int, detail: Any):
        super().__init__(f"sidecar HTTP {status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


class Page(NamedTuple):
    cursor: int
    items: list[dict]
    skipped: int = 0


@dataclass
class StreamCursor:
    """Where a reader is in one cursor stream (logs, candidates, populations or job results).
    Reset it to 0 whenever the run is (re)started (sidecar.md §4 rule 6)."""

    position: int = 0
    skipped: int = 0

    def take(self, page: Page) -> list[dict]:
        """Advance past `page` and return its items; `skipped` accumulates items lost to eviction."""
        self.position = page.cursor
        self.skipped += page.skipped
        return page.items

    def reset(self) -> None:
        self.position = 0
        self.skipped = 0


class _Request(NamedTuple):
    method: str
    path: str
    params: dict | None
    body: Any
    parse: Callable[[httpx.Response], Any]
    quiet_statuses: frozenset = frozenset()  # statuses answered by `parse` instead of SidecarError


def _json(response: httpx.Response) -> Any:
    return response.json()


def _field(name: str) -> Callable[[httpx.Response], Any]:
    return lambda response: response.json()[name]


def _page(response: httpx.Response) -> Page:
    data = response.json()
    return Page(data["cursor"], data["items"], data.get("skipped", 0))


def _leased_job(response: httpx.Response) -> dict | None:
    return None if response.status_code == 204 else response.json()["job"]


def _optional_json(response: httpx.Response) -> dict | None:
    return None if response.status_code == 404 else response.json()


def _without_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


class _Endpoints:
    def _call(self, request: _Request) -> Any:
        raise NotImplementedError

    def health(self):
        return self._call(_Request("GET", "/health", None, None, _json))

    def version(self):
        """`/version`, or None from a reference sidecar that lacks the extensions."""
        return self._call(_Request("GET", "/version", None, None, _optional_json, frozenset({404})))

    def start_run(self, run_id: str | None = None, *, replace: bool = True, meta: dict | None = None):
        body = _without_none({"run_id": run_id, "replace": replace, "meta": meta})
        return self._call(_Request("POST", "/runs/start", None, body, _field("run_id")))

    def stop_run(self, run_id: str | None = None):
        return self._call(_Request("POST", "/runs/stop", None, _without_none({"run_id": run_id}), _json))

    def runs(self):
        return self._call(_Request("GET", "/runs", None, None, _json))

    def state(self, run_id: str | None = None):
        return self._call(_Request("GET", "/state", _without_none({"run_id": run_id}), None, _json))

    def set_global_sota(self, value: float, run_id: str | None = None):
        body = _without_none({"run_id": run_id, "value": value})
        return self._call(_Request("POST", "/set_global_sota", None, body, _json))

    def submission_result(self, score: float, status: str, run_id: str | None = None, kind: str | None = None):
        body = _without_none({"run_id": run_id, "score": score, "status": status, "kind": kind})
        return self._call(_Request("POST", "/submission_result", None, body, _json))

    def ingest_batch(self, run_id: str, events: list[dict]):
        """Post events; returns the number the sidecar received."""
        body = {"run_id": run_id, "events": events}
        return self._call(_Request("POST", "/ingest_batch", None, body, _field("received")))

    def logs(self, cursor: int = 0, limit: int = 200, run_id: str | None = None):
        return self._read("/logs", cursor, limit, run_id)

    def candidates(self, cursor: int = 0, limit: int = 200, run_id: str | None = None):
        return self._read("/candidates", cursor, limit, run_id)

    def populations(self, cursor: int = 0, limit: int = 50, run_id: str | None = None):
        return self._read("/populations", cursor, limit, run_id)

    def job_results(self, cursor: int = 0, limit: int = 200, run_id: str | None = None):
        return self._read("/jobs/results", cursor, limit, run_id)

    def enqueue_job(self, kind: str, payload: dict | None = None, run_id: str | None = None,
                    job_id: str | None = None):
        """Queue a job; returns `{"run_id", "job_id", "status": "queued"}`."""
        body = _without_none({"run_id": run_id, "job_id": job_id, "kind": kind, "payload": payload or {}})
        return self._call(_Request("POST", "/jobs/enqueue", None, body, _json))

    def next_job(self, run_id: str | None = None, worker_id: str = "worker", lease_seconds: int = 60):
        """Lease the next job: the job record, or None when nothing is queued (204)."""
        params = _without_none({"run_id": run_id, "worker_id": worker_id, "lease_seconds": lease_seconds})
        return self._call(_Request("GET", "/jobs/next", params, None, _leased_job))

    def post_job_result(self, job_id: str, status: str, result: dict | None = None, error: str | None = None,
                        run_id: str | None = None):
        """Report a job's outcome (`status` "ok" or "error"); `duplicate` is true in the answer when
        the job had already finished."""
        body = _without_none({"run_id": run_id, "status": status, "result": result or {}, "error": error})
        return self._call(_Request("POST", f"/jobs/{job_id}/result", None, body, _json))

    def _read(self, path: str, cursor: int, limit: int, run_id: str | None):
        params = _without_none({"cursor": cursor, "limit": limit, "run_id": run_id})
        return self._call(_Request("GET", path, params, None, _page))


def _parse(request: _Request, response: httpx.Response) -> Any:
    if response.status_code >= 400 and response.status_code not in request.quiet_statuses:
        try:
            detail = response.json().get("detail", response.text)
        except (ValueError, AttributeError):
            detail = response.text
        raise SidecarError(response.status_code, detail)
    return request.parse(response)


class SidecarClient(_Endpoints):
    """Blocking client on one keep-alive connection. Network failures raise httpx errors."""

    def __init__(self, base_url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = (base_url or sidecar_url()).rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  verify=client_context())

    def _call(self, request: _Request) -> Any:
        response = self._http.request(request.method, request.path, params=request.params, json=request.body)
        return _parse(request, response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SidecarClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class AsyncSidecarClient(_Endpoints):
    """The same endpoints for asyncio code (the TUI): every method returns an awaitable."""

    def __init__(self, base_url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = (base_url or sidecar_url()).rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport,
                                       verify=client_context())

    async def _call(self, request: _Request) -> Any:
        response = await self._http.request(request.method, request.path, params=request.params,
                                            json=request.body)
        return _parse(request, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncSidecarClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()
