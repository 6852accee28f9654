"""All runs of one sidecar behind one lock (sidecar.md §2, §9), and which run each request means."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid

from sidecar.caps import RUNS_CAP, TOTAL_STORE_BYTES
from sidecar.errors import NO_RUN, ApiError
from sidecar.journal import Journal, NoJournal
from sidecar.run import Run
from sidecar.store import Page

log = logging.getLogger("sidecar")

# Beyond this many queued journal operations a request waits for the writer, bounding the queue.
JOURNAL_BACKLOG_LIMIT = 20_000
JOURNAL_SYNC_TIMEOUT_S = 10.0


def _new_run_id() -> str:
    return str(uuid.uuid4())


class SidecarState:
    def __init__(self, journal: Journal | None = None, runs: dict[str, Run] | None = None,
                 current_run_id: str | None = None):
        self._lock = threading.Lock()
        self._journal = journal or NoJournal()
        self._runs: dict[str, Run] = runs or {}
        self.current_run_id = current_run_id

    # ---- runs ----------------------------------------------------------------------------------

    async def start_run(self, run_id: str | None, replace: bool, meta: dict | None) -> str:
        with self._lock:
            now = time.time()
            run = self._runs.get(run_id) if run_id else None
            if run is not None and not replace:
                durable = self._journal.append(run, run.set_status("running", now))
            else:
                run = Run(run_id or _new_run_id(), now, meta)
                durable = self._add_run(run)
            self._make_current(run.run_id)
        await self._settle(durable)
        return run.run_id

    async def stop_run(self, run_id: str | None) -> None:
        with self._lock:
            run = self._resolve(run_id)
            if run is None:
                raise ApiError(404, "run not found")
            durable = self._journal.append(run, run.set_status("stopped", time.time()))
        await self._settle(durable)

    def list_runs(self) -> dict:
        with self._lock:
            runs = sorted(self._runs.values(), key=lambda run: run.created_at_s)
            return {"current_run_id": self.current_run_id, "runs": [run.summary() for run in runs]}

    def state_view(self, run_id: str | None) -> dict:
        with self._lock:
            now = time.time()
            run = self._resolve(run_id)
            if run is None:
                return {"run_id": run_id, "status": "idle", "global_sota": None, "local_sota": None,
                        "successful_submissions": 0, "tasks_completed": 0, "best_candidate_score": None,
                        "updated_at_s": now, "workers": {}}
            self._journal.append(run, run.sweep_jobs(now))
            return run.state_view()

    # ---- SOTA and submissions ------------------------------------------------------------------

    async def set_global_sota(self, run_id: str | None, value: float) -> None:
        with self._lock:
            now = time.time()
            if run_id:  # an unknown name is created with that id (the reference used a random one)
                run = self._get_or_create(run_id, now)
            else:
                run = self._resolve(None) or self._get_or_create(_new_run_id(), now)
            durable = self._journal.append(run, run.set_global_sota(value, now))
        await self._settle(durable)

    async def record_submission(self, run_id: str | None, score: float, status: str, kind: str | None) -> None:
        with self._lock:
            run = self._resolve(run_id)
            if run is None:
                raise ApiError(400, "No active run (provide run_id or start a run)")
            durable = self._journal.append(run, run.record_submission(score, status, kind, time.time()))
        await self._settle(durable)

    # ---- events and stores ---------------------------------------------------------------------

    async def ingest(self, run_id: str, events: list) -> None:
        with self._lock:
            now = time.time()
            run = self._get_or_create(run_id, now)
            durable = self._journal.append(run, run.ingest(events, now))
            self._drop_runs_over_byte_budget(run)
        await self._settle(durable)

    def read(self, store: str, run_id: str | None, cursor: int, limit: int) -> Page:
        with self._lock:
            run = self._resolve(run_id)
            return run.stores[store].read(cursor, limit) if run is not None else Page(cursor, [], 0)

    # ---- jobs ----------------------------------------------------------------------------------

    async def enqueue_job(self, run_id: str | None, job_id: str | None, kind: str, payload: dict) -> dict:
        with self._lock:
            run_id = self._require_run_id(run_id)
            if not kind.strip():
                raise ApiError(400, "kind must be non-empty")
            now = time.time()
            run = self._get_or_create(run_id, now)
            job, records = run.enqueue_job(job_id or str(uuid.uuid4()), kind, payload, now)
            durable = self._journal.append(run, records)
        await self._settle(durable)
        return job

    def next_job(self, run_id: str | None, worker_id: str, lease_seconds: int) -> tuple[str, dict | None]:
        with self._lock:
            run = self._runs.get(self._require_run_id(run_id))
            if run is None:
                return "", None
            job, records = run.lease_job(worker_id, lease_seconds, time.time())
            self._journal.append(run, records)
            return run.run_id, job

    async def record_job_result(self, run_id: str | None, job_id: str, status: str, result: dict,
                                error: str | None) -> bool:
        """Store a job's result; False when the job had already finished (a duplicate)."""
        if not job_id.strip():
            raise ApiError(400, "job_id must be non-empty")
        with self._lock:
            run_id = self._require_run_id(run_id)
            if status not in ("ok", "error"):
                raise ApiError(400, "status must be ok|error")
            run = self._runs.get(run_id)
            if run is None:
                raise ApiError(404, "run not found")
            stored, records = run.finish_job(job_id, status == "ok", result, error, time.time())
            durable = self._journal.append(run, records)
        await self._settle(durable)
        return stored

    def journal_pending_progress(self) -> None:
        """At shutdown: journal the latest progress of every worker that throttling held back."""
        with self._lock:
            for run in self._runs.values():
                self._journal.append(run, run.unjournaled_worker_records())

    # ---- helpers (called with the lock held) ---------------------------------------------------

    def _resolve(self, run_id: str | None) -> Run | None:
        key = run_id or self.current_run_id
        return self._runs.get(key) if key else None

    def _require_run_id(self, run_id: str | None) -> str:
        run_id = run_id or self.current_run_id
        if not run_id:
            raise ApiError(400, NO_RUN)
        return run_id

    def _get_or_create(self, run_id: str, now: float) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            run = Run(run_id, now)
            self._add_run(run)
        self._make_current(run_id)
        return run

    def _add_run(self, run: Run) -> bool:
        """Add `run`, replacing any run with its id, and drop the stalest runs beyond RUNS_CAP;
        True when the journal must confirm the new run before the reply."""
        self._runs[run.run_id] = run
        durable = self._journal.append(run, [run.run_record()])
        while len(self._runs) > RUNS_CAP:
            self._drop_stalest_run_but(run)
        return durable

    def _drop_runs_over_byte_budget(self, keep: Run) -> None:
        """Bound the stores of all runs together (each run's stores are capped on their own too)."""
        while len(self._runs) > 1 and sum(run.stored_bytes() for run in self._runs.values()) > TOTAL_STORE_BYTES:
            if not self._drop_stalest_run_but(keep):
                return

    def _drop_stalest_run_but(self, keep: Run) -> bool:
        """Forget the least recently updated run other than `keep` and the current one; False when none is left."""
        others = [other for other in self._runs.values() if other is not keep and other.run_id != self.current_run_id]
        if not others:
            return False
        stalest = min(others, key=lambda other: other.updated_at_s)
        del self._runs[stalest.run_id]
        self._journal.forget(stalest.run_id)
        return True

    def _make_current(self, run_id: str) -> None:
        if run_id != self.current_run_id:
            self.current_run_id = run_id
            self._journal.set_current(run_id)

    async def _settle(self, durable: bool) -> None:
        """Wait for the journal when the change must be on disk before the reply, or when the
        writer lags too far behind (back-pressure keeps its queue bounded under a flood)."""
        if not durable and self._journal.backlog() <= JOURNAL_BACKLOG_LIMIT:
            return
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._journal.sync()), JOURNAL_SYNC_TIMEOUT_S)
        except TimeoutError:
            log.warning("journal did not confirm a write within %.0f s", JOURNAL_SYNC_TIMEOUT_S)
