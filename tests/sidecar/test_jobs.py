"""The pool job queue (sidecar.md §6) over HTTP, plus table pruning."""

from __future__ import annotations

import pytest

from sidecar.caps import JOBS_CAP, OPEN_JOBS_CAP
from sidecar.errors import ApiError
from sidecar.jobs import JobTable
from tests.helpers import wait_for


def enqueue(sidecar, **body):
    return sidecar.http.post("/jobs/enqueue", json={"kind": "evaluate", **body})


def lease(sidecar, **params):
    return sidecar.http.get("/jobs/next", params=params)


def result(sidecar, job_id, **body):
    return sidecar.http.post(f"/jobs/{job_id}/result", json=body)


def test_enqueue_errors_and_defaults(sidecar):
    response = enqueue(sidecar)
    assert response.status_code == 400 and response.json()["detail"] == "run_id must be provided (or start a run)"
    response = enqueue(sidecar, run_id="pool", kind="  ")
    assert response.status_code == 400 and response.json()["detail"] == "kind must be non-empty"

    created = enqueue(sidecar, run_id="pool", payload={"batch_id": "b1"}).json()
    assert created["run_id"] == "pool" and created["status"] == "queued" and len(created["job_id"]) == 36
    assert sidecar.http.get("/state").json()["run_id"] == "pool"  # enqueue made the run current
    assert enqueue(sidecar, job_id="j1").json() == {"run_id": "pool", "job_id": "j1", "status": "queued"}
    response = enqueue(sidecar, job_id="j1")
    assert response.status_code == 409 and response.json()["detail"] == "job_id already exists"
    assert enqueue(sidecar, payload=[1, 2]).status_code == 422
    assert sidecar.http.get("/state").json()["queued_jobs"] == 2


def test_lease_fifo_attempts_and_204(sidecar):
    response = lease(sidecar)
    assert response.status_code == 400 and response.json()["detail"] == "run_id must be provided (or start a run)"
    sidecar.http.post("/runs/start", json={"run_id": "pool"})
    assert lease(sidecar).status_code == 204
    assert lease(sidecar, run_id="ghost").status_code == 204
    assert sidecar.http.get("/runs").json()["current_run_id"] == "pool"  # leasing creates nothing

    for job_id in ("a", "b", "c"):
        enqueue(sidecar, job_id=job_id, payload={"n": job_id})
    first = lease(sidecar, run_id="pool", worker_id="w0", lease_seconds=600).json()
    assert first["run_id"] == "pool"
    job = first["job"]
    assert (job["job_id"], job["status"], job["attempt"], job["worker_id"]) == ("a", "leased", 1, "w0")
    assert job["payload"] == {"n": "a"} and 599 < job["lease_expires_at_s"] - job["updated_at_s"] <= 600
    assert lease(sidecar).json()["job"]["worker_id"] == "worker"  # default worker id
    huge = lease(sidecar, lease_seconds=10**9).json()["job"]
    assert huge["lease_expires_at_s"] - huge["updated_at_s"] == 86400  # clamped
    assert lease(sidecar).status_code == 204
    state = sidecar.http.get("/state").json()
    assert (state["queued_jobs"], state["leased_jobs"], state["completed_jobs"]) == (0, 3, 0)
    assert lease(sidecar, lease_seconds="soon").status_code == 422


def test_expired_lease_is_requeued_at_the_front(sidecar):
    sidecar.http.post("/runs/start", json={"run_id": "pool"})
    enqueue(sidecar, job_id="slow")
    enqueue(sidecar, job_id="next")
    assert lease(sidecar, worker_id="w1", lease_seconds=0).json()["job"]["job_id"] == "slow"  # clamped to 1 s
    wait_for(lambda: sidecar.http.get("/state").json()["queued_jobs"] == 2, timeout=10,
             what="the expired lease to be swept by /state")
    again = lease(sidecar, worker_id="w2").json()["job"]
    assert (again["job_id"], again["attempt"], again["worker_id"]) == ("slow", 2, "w2")
    assert lease(sidecar).json()["job"]["job_id"] == "next"


def test_results_duplicates_and_errors(sidecar):
    response = result(sidecar, "x", status="ok")
    assert response.status_code == 400 and response.json()["detail"] == "run_id must be provided (or start a run)"
    response = result(sidecar, "%20", run_id="pool", status="ok")
    assert response.status_code == 400 and response.json()["detail"] == "job_id must be non-empty"
    sidecar.http.post("/runs/start", json={"run_id": "pool"})
    response = result(sidecar, "x", status="done")
    assert response.status_code == 400 and response.json()["detail"] == "status must be ok|error"
    assert result(sidecar, "x").json()["detail"] == "status must be ok|error"
    response = result(sidecar, "x", run_id="ghost", status="ok")
    assert response.status_code == 404 and response.json()["detail"] == "run not found"
    response = result(sidecar, "x", status="ok")
    assert response.status_code == 404 and response.json()["detail"] == "job not found"
    assert result(sidecar, "x", status="ok", result=[1]).status_code == 422
    assert result(sidecar, "x", status="ok", error={"why": 1}).status_code == 422

    enqueue(sidecar, job_id="e1", kind="evolve", payload={"batch_id": "b"})
    enqueue(sidecar, job_id="e2", kind="evaluate")
    lease(sidecar, worker_id="w0")
    ok = result(sidecar, "e1", status="ok", result={"evolved_function": "dsl", "fitness": 0.5})
    assert ok.json() == {"status": "ok"}
    assert result(sidecar, "e1", status="error", error="late").json() == {"status": "ok", "duplicate": True}
    assert result(sidecar, "e2", status="error", error="boom").json() == {"status": "ok"}  # never leased

    page = sidecar.http.get("/jobs/results", params={"run_id": "pool"}).json()
    first, second = page["items"]
    assert page["cursor"] == 2
    assert first == {"job_id": "e1", "run_id": "pool", "kind": "evolve", "status": "completed", "attempt": 1,
                     "worker_id": "w0", "payload": {"batch_id": "b"},
                     "result": {"evolved_function": "dsl", "fitness": 0.5}, "error": None,
                     "ts": first["ts"], "seq": 0}
    assert (second["status"], second["error"], second["attempt"], second["seq"]) == ("failed", "boom", 0, 1)
    logs = [item["message"] for item in sidecar.http.get("/logs").json()["items"]]
    assert logs == ["[job] evolve e1 -> completed", "[job] evaluate e2 -> failed"]
    state = sidecar.http.get("/state").json()
    assert (state["queued_jobs"], state["leased_jobs"], state["completed_jobs"]) == (0, 0, 2)
    assert lease(sidecar).status_code == 204  # finished jobs are never leased again


def test_job_table_prunes_oldest_finished_jobs_only():
    table = JobTable()
    for index in range(JOBS_CAP):
        table.enqueue(f"j{index}", "r", "evaluate", {}, now=float(index))
    for index in range(0, 10):
        table.lease("w", 60, now=100.0 + index)
        table.finish(f"j{index}", ok=True, now=1000.0 - index)  # j9 finished first
    table.enqueue("new1", "r", "evaluate", {}, now=2000.0)
    table.enqueue("new2", "r", "evaluate", {}, now=2001.0)
    assert len(table.jobs) == JOBS_CAP
    assert "j9" not in table.jobs and "j8" not in table.jobs and "j7" in table.jobs
    assert table.counts() == {"queued_jobs": JOBS_CAP - 10 + 2, "leased_jobs": 0, "completed_jobs": 8}
    assert all(f"j{index}" in table.jobs for index in range(10, JOBS_CAP))  # queued jobs are never dropped


def test_open_jobs_are_capped_not_dropped():
    table = JobTable()
    for index in range(OPEN_JOBS_CAP):
        table.enqueue(f"j{index}", "r", "evaluate", {}, now=0.0)
    with pytest.raises(ApiError) as refused:
        table.enqueue("one-more", "r", "evaluate", {}, now=1.0)
    assert refused.value.status_code == 429 and refused.value.detail == "job queue is full"
    table.lease("w", 60, now=2.0)
    table.finish("j0", ok=True, now=3.0)
    table.enqueue("one-more", "r", "evaluate", {}, now=4.0)
    assert "j0" not in table.jobs and len(table.jobs) == OPEN_JOBS_CAP  # the finished one made room
