"""`PoolTaskCoordinator.tick()` (pool.md §6.4): the state machine shared by the headless driver and the TUI.

Each tick registers, collects the active job's result from the sidecar, submits it to the pool, and requests
and enqueues the next batch. It never blocks longer than one HTTP call; log lines go to `log(line)`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import httpx

from miner.pool_client import PoolClient, PoolReply
from sidecar.client import SidecarClient, StreamCursor

REQUEST_INTERVAL_S = 1.0
EVALUATE_AFTER_EVOLVES = 3
ERROR_DEDUP_S = 5.0
BLOCK_S = 5.0
DEFAULT_JOB_TIMEOUT_S = 1800.0
ACTIVE_TASK = "Miner already has active task"
EVOLVE, EVALUATE = "evolve", "evaluate"


@dataclass
class ActiveJob:
    kind: str
    batch_id: str
    job_id: str
    payload: dict
    deadline: float


@dataclass
class Counters:
    enqueued: int = 0
    evolve_ok: int = 0
    evaluate_ok: int = 0
    failures: int = 0


def _deadline(timeout_at: str | None, now: float) -> float:
    try:
        return datetime.strptime(str(timeout_at), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return now + DEFAULT_JOB_TIMEOUT_S


@dataclass
class PoolTaskCoordinator:
    pool: PoolClient
    sidecar: SidecarClient
    run_id: str
    log: Callable[[str], None] = print
    clock: Callable[[], float] = time.time
    registered: bool = False
    active: ActiveJob | None = None
    evolve_streak: int = 0
    counters: Counters = field(default_factory=Counters)
    results: StreamCursor = field(default_factory=StreamCursor)
    _last_request: float = float("-inf")
    _last_register: float = float("-inf")
    _blocked_until: float = float("-inf")
    _recent_errors: dict[str, float] = field(default_factory=dict)
    _network_error: str = ""

    def tick(self) -> None:
        now = self.clock()
        if not self.registered:
            self._register(now)
        if self.active is not None:
            self._collect(now)
        if self.active is not None and now >= self.active.deadline:
            self.log(f"[pool] Job timed out batch_id={self.active.batch_id}")
            self._release_active()
        if self.active is not None or not self.registered or now - self._last_request < REQUEST_INTERVAL_S:
            return
        if now < self._blocked_until:
            return
        self._request(now)

    # -------------------------------------------------------------- steps

    def _register(self, now: float) -> None:
        if now - self._last_register < REQUEST_INTERVAL_S:
            return
        self._last_register = now
        try:
            reply = self.pool.register()
        except httpx.HTTPError as exc:
            self._error(f"[pool] register failed: {exc}")
            return
        if reply.ok:
            self.registered = True
            self.log("[pool] Registered with pool")
        else:
            self._error(f"[pool] register failed: HTTP {reply.status} ({reply.detail})")

    def _collect(self, now: float) -> None:
        try:
            page = self.sidecar.job_results(self.results.position, 50, run_id=self.run_id)
        except Exception as exc:  # the sidecar may be restarting; try again next tick
            self._error(f"[pool] reading job results failed: {exc}")
            return
        for event in self.results.take(page):
            if self.active is not None and event.get("job_id") == self.active.job_id:
                self._finish(event)

    def _finish(self, event: dict) -> None:
        job = self.active
        if event.get("status") != "completed":
            self.log(f"[pool] Job failed kind={job.kind} status={event.get('status')}")
            self.counters.failures += 1
            self._release_active()
            return
        result = event.get("result") or {}
        if job.kind == EVOLVE:
            name, reply = "submit_evolution", self._submit(lambda: self.pool.submit_evolution(
                job.batch_id, str(result.get("evolved_function", "")), [a.get("id") for a in job.payload["algorithms"]]))
            self.log(f"[pool] submit_evolution ok={reply is not None and reply.ok} batch_id={job.batch_id}")
        else:
            evaluations = list(result.get("evaluations") or [])
            name, reply = "submit_evaluation", self._submit(
                lambda: self.pool.submit_evaluation(job.batch_id, evaluations))
            self.log(f"[pool] submit_evaluation ok={reply is not None and reply.ok} batch_id={job.batch_id} "
                     f"n={len(evaluations)}")
        self._after_submit(name, job, reply, result)

    def _submit(self, call: Callable[[], PoolReply]) -> PoolReply | None:
        try:
            return call()
        except httpx.HTTPError as exc:
            self._network_error = str(exc) or type(exc).__name__
            return None

    def _after_submit(self, name: str, job: ActiveJob, reply: PoolReply | None, result: dict) -> None:
        ok = reply is not None and reply.ok
        if reply is None:
            self._error(f"[pool] {name} failed batch_id={job.batch_id}: {self._network_error}")
        elif not ok:
            self._error(f"[pool] {name} failed batch_id={job.batch_id}: HTTP {reply.status} ({reply.detail})")
        if ok:
            if job.kind == EVOLVE:
                self.counters.evolve_ok += 1
            else:
                self.counters.evaluate_ok += 1
        else:
            self.counters.failures += 1
        score = result.get("fitness") if job.kind == EVOLVE else None
        try:
            self.sidecar.submission_result(float(score) if isinstance(score, (int, float)) else 0.0,
                                           "submitted" if ok else "failed", run_id=self.run_id, kind="pool")
        except Exception:  # the report is informational
            pass
        self.active = None
        self._last_request = self.clock()

    def _request(self, now: float) -> None:
        self._last_request = now
        first = EVALUATE if self.evolve_streak >= EVALUATE_AFTER_EVOLVES else EVOLVE
        for kind in (first, EVOLVE if first == EVALUATE else EVALUATE):
            try:
                reply = self.pool.request_task(kind)
            except httpx.HTTPError as exc:
                self._error(f"[pool] request_task failed task_type={kind}: {exc}")
                return
            if reply.status == 400 and reply.detail == ACTIVE_TASK:
                self._error("[pool] request blocked: miner already has active task; retrying in 5s")
                self._blocked_until = now + BLOCK_S
                return
            batch = reply.body if reply.ok and isinstance(reply.body, dict) else None
            if batch and batch.get("batch_id") and batch.get("task_type") and batch.get("algorithms"):
                self._enqueue(batch, now)
                return
            if reply.status not in (200, 404):
                self._error(f"[pool] request_task failed task_type={kind}: HTTP {reply.status} ({reply.detail})")
                return

    def _enqueue(self, batch: dict, now: float) -> None:
        kind, algorithms = batch["task_type"], batch["algorithms"]
        payload = {"batch_id": batch["batch_id"], "algorithms": algorithms,
                   "input_dim": algorithms[0].get("input_dim"), "task_type": algorithms[0].get("task_type"),
                   "generations": batch.get("generations"), "timeout_at": batch.get("timeout_at")}
        try:
            job_id = self.sidecar.enqueue_job(kind, payload, run_id=self.run_id)["job_id"]
        except Exception:  # sidecar refused or unreachable: give the batch back
            self.log(f"[pool] Failed to enqueue sidecar job for kind={kind}")
            self._release(batch["batch_id"])
            return
        self.active = ActiveJob(kind, batch["batch_id"], job_id, payload, _deadline(batch.get("timeout_at"), now))
        self.counters.enqueued += 1
        self.evolve_streak = self.evolve_streak + 1 if kind == EVOLVE else 0
        self.log(f"[pool] Enqueued job kind={kind} batch_id={batch['batch_id']} job_id={job_id}")

    # -------------------------------------------------------------- helpers

    def _release_active(self) -> None:
        if self.active is not None:
            self._release(self.active.batch_id)
        self.active = None

    def release_active(self) -> None:
        """Give the active assignment back (driver exit, TUI stop)."""
        self._release_active()

    def _release(self, batch_id: str) -> None:
        try:
            self.pool.release(batch_id)
        except httpx.HTTPError:
            pass  # it expires on the pool anyway

    def _error(self, line: str) -> None:
        now = self.clock()
        if now - self._recent_errors.get(line, float("-inf")) >= ERROR_DEDUP_S:
            self._recent_errors[line] = now
            self.log(line)
