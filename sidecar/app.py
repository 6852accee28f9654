"""The sidecar's HTTP API (sidecar.md §3-§6): `create_app(config)` builds a fresh FastAPI app."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from sidecar import SERVICE_NAME, __version__
from sidecar.bodylimit import BodyLimit
from sidecar.caps import MAX_BODY_BYTES, MAX_EVENTS_PER_BATCH, caps_summary
from sidecar.config import SidecarConfig
from sidecar.errors import PAYLOAD_TOO_LARGE, ApiError
from sidecar.journal import Journal
from sidecar.jsonsafe import finite_json
from sidecar.models import GlobalSota, JobEnqueue, JobResult, RunRef, RunStart, SubmissionResult, blank_to_none
from sidecar.replay import replay
from sidecar.state import SidecarState

APP_TITLE = "BitSota Local Sidecar"
LEASE_SECONDS_RANGE = (1, 86400)


def create_app(config: SidecarConfig | None = None) -> FastAPI:
    config = config or SidecarConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        journal, current = None, None
        runs: dict = {}
        if config.journal_dir is not None:
            runs, current = replay(config.journal_dir, config.journal_keep_runs)
            journal = Journal(config.journal_dir, config.journal_max_bytes)
            journal.start()
        app.state.sidecar = state = SidecarState(journal, runs, current)
        try:
            yield
        finally:
            if journal is not None:
                state.journal_pending_progress()
                journal.close()

    app = FastAPI(title=APP_TITLE, version=__version__, lifespan=lifespan,
                  exception_handlers={ApiError: _api_error, RequestValidationError: _validation_error})
    app.state.config = config
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(_router())
    return app


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    return JSONResponse({"detail": error.detail}, status_code=error.status_code)


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, minus the echoed input, which may hold NaN or infinity (not valid JSON)."""
    errors = [{key: value for key, value in entry.items() if key != "input"} for entry in error.errors()]
    return JSONResponse({"detail": finite_json(jsonable_encoder(errors))}, status_code=422)


def _sidecar_state(request: Request) -> SidecarState:
    return request.app.state.sidecar


State = Annotated[SidecarState, Depends(_sidecar_state)]


def _clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


def parse_batch(body: bytes) -> tuple[str, list]:
    """The run id and events of an `/ingest_batch` body, without model validation (the hot path)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "Invalid JSON") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "Payload must be a JSON object")
    run_id = payload.get("run_id")
    if not isinstance(run_id, str) or not run_id.strip():
        raise ApiError(400, "run_id must be provided")
    events = payload.get("events")
    if not isinstance(events, list):
        raise ApiError(400, "events must be a list")
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise ApiError(413, PAYLOAD_TOO_LARGE)
    return run_id.strip(), finite_json(events)


def _router() -> APIRouter:
    router = APIRouter()
    _add_service_routes(router)
    _add_run_routes(router)
    for path, store, default_limit, max_limit in (
        ("/logs", "logs", 200, 500),
        ("/candidates", "candidates", 200, 500),
        ("/populations", "populations", 50, 50),
        ("/jobs/results", "job_results", 200, 500),
    ):
        router.add_api_route(path, _cursor_reader(store, default_limit, max_limit), methods=["GET"])
    _add_job_routes(router)
    return router


def _add_service_routes(router: APIRouter) -> None:
    @router.get("/health")
    async def health():
        return {"status": "ok", "ts": time.time(), "service": SERVICE_NAME, "version": __version__}

    @router.get("/version")
    async def version(request: Request):
        journal = request.app.state.config.journal_dir is not None
        return {"service": SERVICE_NAME, "version": __version__, "journal": journal, "caps": caps_summary()}


def _add_run_routes(router: APIRouter) -> None:
    @router.post("/runs/start")
    async def start_run(state: State, body: RunStart | None = None):
        body = body or RunStart()
        if body.run_id is not None and not body.run_id.strip():
            raise ApiError(400, "run_id must be non-empty")
        meta = finite_json(body.meta) if body.meta is not None else None
        return {"run_id": await state.start_run(blank_to_none(body.run_id), body.replace, meta)}

    @router.post("/runs/stop")
    async def stop_run(state: State, body: RunRef | None = None):
        await state.stop_run(blank_to_none(body.run_id) if body else None)
        return {"status": "ok"}

    @router.get("/runs")
    async def list_runs(state: State):
        return JSONResponse(state.list_runs())

    @router.get("/state")
    async def run_state(state: State, run_id: str | None = None):
        return JSONResponse(state.state_view(blank_to_none(run_id)))

    @router.post("/set_global_sota")
    async def set_global_sota(state: State, body: GlobalSota):
        await state.set_global_sota(blank_to_none(body.run_id), body.value)
        return {"status": "ok"}

    @router.post("/submission_result")
    async def submission_result(state: State, body: SubmissionResult):
        await state.record_submission(blank_to_none(body.run_id), body.score, body.status, body.kind)
        return {"status": "ok"}

    @router.post("/ingest_batch")
    async def ingest_batch(request: Request, state: State):
        run_id, events = parse_batch(await request.body())
        await state.ingest(run_id, events)
        return {"status": "ok", "received": len(events)}


def _add_job_routes(router: APIRouter) -> None:
    @router.post("/jobs/enqueue")
    async def enqueue_job(state: State, body: JobEnqueue):
        payload = finite_json(body.payload) if body.payload is not None else {}
        job = await state.enqueue_job(blank_to_none(body.run_id), blank_to_none(body.job_id), body.kind, payload)
        return {"run_id": job["run_id"], "job_id": job["job_id"], "status": "queued"}

    @router.get("/jobs/next")
    async def next_job(state: State, run_id: str | None = None, worker_id: str = "worker", lease_seconds: int = 60):
        lease_seconds = _clamp(lease_seconds, *LEASE_SECONDS_RANGE)
        leased_run_id, job = state.next_job(blank_to_none(run_id), worker_id.strip() or "worker", lease_seconds)
        if job is None:
            return Response(status_code=204)
        return JSONResponse({"run_id": leased_run_id, "job": job})

    @router.post("/jobs/{job_id}/result")
    async def job_result(state: State, job_id: str, body: JobResult):
        result = finite_json(body.result) if body.result is not None else {}
        stored = await state.record_job_result(blank_to_none(body.run_id), job_id.strip(), body.status,
                                               result, body.error)
        return {"status": "ok"} if stored else {"status": "ok", "duplicate": True}


def _cursor_reader(store: str, default_limit: int, max_limit: int):
    async def read(state: State, cursor: int = 0, limit: int = default_limit, run_id: str | None = None):
        page = state.read(store, blank_to_none(run_id), max(cursor, 0), _clamp(limit, 1, max_limit))
        return JSONResponse({"cursor": page.cursor, "items": page.items, "skipped": page.skipped})

    read.__name__ = f"read_{store}"
    return read
