"""Job routes: the local job queue (sidecar.md §6)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from core.infra.jsonsafe import finite_json
from sidecar.models import JobEnqueue, JobResult, blank_to_none
from sidecar.routes.deps import State, clamp

router = APIRouter()
LEASE_SECONDS_RANGE = (1, 86400)


@router.post("/jobs/enqueue")
async def enqueue_job(state: State, body: JobEnqueue):
    payload = finite_json(body.payload) if body.payload is not None else {}
    job = await state.enqueue_job(blank_to_none(body.run_id), blank_to_none(body.job_id), body.kind, payload)
    return {"run_id": job["run_id"], "job_id": job["job_id"], "status": "queued"}


@router.get("/jobs/next")
async def next_job(state: State, run_id: str | None = None, worker_id: str = "worker", lease_seconds: int = 60):
    lease_seconds = clamp(lease_seconds, *LEASE_SECONDS_RANGE)
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
