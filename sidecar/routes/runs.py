"""Run routes: start, stop, list, state, SOTA, submissions and event ingestion (sidecar.md §3, §5)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from core.infra.jsonsafe import finite_json
from sidecar.caps import MAX_EVENTS_PER_BATCH
from sidecar.errors import PAYLOAD_TOO_LARGE, ApiError
from sidecar.models import GlobalSota, RunRef, RunStart, SubmissionResult, blank_to_none
from sidecar.routes.deps import State

router = APIRouter()


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
