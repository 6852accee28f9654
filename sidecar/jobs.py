"""One run's pool job table and FIFO queue with leases (sidecar.md §6)."""

from __future__ import annotations

from collections import deque

from sidecar.caps import JOBS_CAP, OPEN_JOBS_CAP
from sidecar.errors import ApiError

FINISHED = frozenset({"completed", "failed", "canceled"})


class JobTable:
    def __init__(self) -> None:
        self.jobs: dict[str, dict] = {}
        self.queue: deque[str] = deque()  # may hold ids of jobs no longer queued; leasing skips them
        self._leased: dict[str, None] = {}  # ids of leased jobs, in lease order
        self._open = 0  # queued plus leased jobs

    def enqueue(self, job_id: str, run_id: str, kind: str, payload: dict, now: float) -> dict:
        if job_id in self.jobs:
            raise ApiError(409, "job_id already exists")
        if self._open >= OPEN_JOBS_CAP:
            raise ApiError(429, "job queue is full")
        self.prune(JOBS_CAP - 1)
        job = {
            "job_id": job_id, "run_id": run_id, "kind": kind, "payload": payload, "status": "queued",
            "attempt": 0, "worker_id": None, "lease_expires_at_s": None,
            "created_at_s": now, "updated_at_s": now,
        }
        self.jobs[job_id] = job
        self.queue.append(job_id)
        self._open += 1
        return job

    def sweep(self, now: float) -> list[dict]:
        """Return every expired lease to the front of the queue; the jobs changed."""
        expired = [self.jobs[job_id] for job_id in self._leased if not _lease_alive(self.jobs[job_id], now)]
        for job in reversed(expired):
            del self._leased[job["job_id"]]
            job.update(status="queued", worker_id=None, lease_expires_at_s=None, updated_at_s=now)
            self.queue.appendleft(job["job_id"])
        return expired

    def lease(self, worker_id: str, lease_seconds: int, now: float) -> dict | None:
        """Lease the first queued job to `worker_id` (call `sweep` first); None when nothing is queued."""
        while self.queue:
            job = self.jobs.get(self.queue.popleft())
            if job is None or job["status"] != "queued":
                continue
            job.update(status="leased", attempt=job["attempt"] + 1, worker_id=worker_id,
                       lease_expires_at_s=now + lease_seconds, updated_at_s=now)
            self._leased[job["job_id"]] = None
            return job
        return None

    def finish(self, job_id: str, ok: bool, now: float) -> dict | None:
        """Complete or fail the job; None when it had already finished (the first result wins)."""
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "job not found")
        if job["status"] in FINISHED:
            return None
        self._leased.pop(job_id, None)
        self._open -= 1
        job.update(status="completed" if ok else "failed", lease_expires_at_s=None, updated_at_s=now)
        return job

    def prune(self, keep: int) -> None:
        """Drop finished jobs, oldest update first, until at most `keep` jobs remain."""
        excess = min(len(self.jobs) - keep, len(self.jobs) - self._open)  # only finished jobs may go
        if excess <= 0:
            return
        finished = sorted((job for job in self.jobs.values() if job["status"] in FINISHED),
                          key=lambda job: job["updated_at_s"])
        for job in finished[:excess]:
            del self.jobs[job["job_id"]]

    def counts(self) -> dict[str, int]:
        statuses = [job["status"] for job in self.jobs.values()]
        return {
            "queued_jobs": statuses.count("queued"),
            "leased_jobs": statuses.count("leased"),
            "completed_jobs": statuses.count("completed") + statuses.count("failed"),
        }

    def requeue_after_restart(self) -> None:
        """Rebuild the queue of jobs read back from the journal; leased ones go first, as if expired."""
        leased = [job for job in self.jobs.values() if job["status"] == "leased"]
        queued = [job for job in self.jobs.values() if job["status"] == "queued"]
        for job in leased:
            job.update(status="queued", worker_id=None, lease_expires_at_s=None)
        self.queue = deque(job["job_id"] for job in leased + queued)
        self._leased = {}
        self._open = len(self.queue)
        self.prune(JOBS_CAP)


def _lease_alive(job: dict, now: float) -> bool:
    expiry = job.get("lease_expires_at_s")
    return isinstance(expiry, (int, float)) and expiry > now
