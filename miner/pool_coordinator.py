"""`PoolTaskCoordinator.tick()` and `PoolLeaseCoordinator.tick()` (pool.md §6.4): the state machines shared by the
headless driver and the TUI.

Each tick registers, collects the active job's result from the sidecar, submits it to the pool, and requests
and enqueues the next batch or lease. It never blocks longer than one HTTP call; log lines go to `log(line)`.
The two coordinators differ only in what they request and how they submit.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from miner.pool_client import PoolClient, PoolReply
from sidecar.client import SidecarClient, StreamCursor

REQUEST_INTERVAL_S = 1.0
EVALUATE_AFTER_EVOLVES = 3
ERROR_DEDUP_S = 5.0
BLOCK_S = 5.0
DEFAULT_JOB_TIMEOUT_S = 1800.0
LEASE_RETRY_S = 2.0
ACTIVE_TASK = "Miner already has active task"
LEASE_NOT_FOUND = "Active lease assignment not found"
EVOLVE, EVALUATE, LEASE = "evolve", "evaluate", "lease"
LEASE_REQUEST = {"eval_batch_size": 8, "seed_batch_size": 8, "gossip_limit": 0}


@dataclass
class ActiveJob:
    kind: str
    batch_id: str  # the lease_id for a lease
    job_id: str
    payload: dict
    deadline: float
    submission: dict | None = None  # a lease result the pool has not taken yet (429, 5xx, network error)
    retry_at: float = 0.0

    @property
    def label(self) -> str:
        return f"lease_id={self.batch_id}" if self.kind == LEASE else f"batch_id={self.batch_id}"


@dataclass
class Counters:
    enqueued: int = 0
    evolve_ok: int = 0
    evaluate_ok: int = 0
    lease_ok: int = 0
    failures: int = 0


def _deadline(timeout_at: str | None, now: float) -> float:
    try:
        return datetime.strptime(str(timeout_at), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return now + DEFAULT_JOB_TIMEOUT_S


@dataclass
class _PoolCoordinator:
    """Registration, result collection, the watchdog, releases and de-duplicated error lines."""

    pool: PoolClient
    sidecar: SidecarClient
    run_id: str
    log: Callable[[str], None] = print
    clock: Callable[[], float] = time.time
    registered: bool = False
    active: ActiveJob | None = None
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
            self._collect(self.active, now)
        if self.active is not None and now >= self.active.deadline:
            self.log(f"[pool] Job timed out {self.active.label}")
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
        reply = self._call("[pool] register failed", self.pool.register)
        if reply is None:
            return
        if reply.ok:
            self.registered = True
            self.log("[pool] Registered with pool")
        else:
            self._refused("[pool] register failed", reply)

    def _collect(self, job: ActiveJob, now: float) -> None:
        try:
            page = self.sidecar.job_results(self.results.position, 50, run_id=self.run_id)
        except Exception as exc:  # the sidecar may be restarting; try again next tick
            self._error(f"[pool] reading job results failed: {exc}")
            return
        for event in self.results.take(page):
            if self.active is job and event.get("job_id") == job.job_id:
                self._finish(job, event)

    def _finish(self, job: ActiveJob, event: dict) -> None:
        if event.get("status") != "completed":
            reason = " ".join(str(event.get("error") or "no reason given by the worker").split())[:300]
            self.log(f"[pool] Job failed kind={job.kind} status={event.get('status')} error={reason}")
            self.counters.failures += 1
            self._release_active()
            return
        self._submit_result(job, event.get("result") or {})

    def _submit_result(self, job: ActiveJob, result: dict) -> None:
        raise NotImplementedError

    def _request(self, now: float) -> None:
        raise NotImplementedError

    def _call(self, failure: str, call: Callable[[], PoolReply]) -> PoolReply | None:
        """The pool's reply, or None after a network error, logged as `<failure>: <error>`."""
        try:
            return call()
        except httpx.HTTPError as exc:
            self._error(f"{failure}: {exc}")
            return None

    def _refused(self, failure: str, reply: PoolReply) -> None:
        self._error(f"{failure}: HTTP {reply.status} ({reply.detail})")

    def _submit(self, call: Callable[[], PoolReply]) -> PoolReply | None:
        try:
            return call()
        except httpx.HTTPError as exc:
            self._network_error = str(exc) or type(exc).__name__
            return None

    def _after_submit(self, name: str, job: ActiveJob, reply: PoolReply | None, score) -> None:
        ok = reply is not None and reply.ok
        if reply is None:
            self._error(f"[pool] {name} failed {job.label}: {self._network_error}")
        elif not ok:
            self._refused(f"[pool] {name} failed {job.label}", reply)
        if ok:
            ok_counter = {EVOLVE: "evolve_ok", EVALUATE: "evaluate_ok", LEASE: "lease_ok"}[job.kind]
            setattr(self.counters, ok_counter, getattr(self.counters, ok_counter) + 1)
        else:
            self.counters.failures += 1
        try:
            self.sidecar.submission_result(float(score) if isinstance(score, (int, float)) else 0.0,
                                           "submitted" if ok else "failed", run_id=self.run_id, kind="pool")
        except Exception:  # the report is informational
            pass
        self.active = None
        self._last_request = self.clock()

    def _blocked_by_active_task(self, reply: PoolReply, now: float) -> bool:
        if reply.status == 400 and reply.detail == ACTIVE_TASK:
            self._error("[pool] request blocked: miner already has active task; retrying in 5s")
            self._blocked_until = now + BLOCK_S
            return True
        return False

    def _enqueue_job(self, kind: str, assignment_id: str, payload: dict, timeout_at, now: float) -> bool:
        try:
            job_id = self.sidecar.enqueue_job(kind, payload, run_id=self.run_id)["job_id"]
        except Exception:  # sidecar refused or unreachable: give the assignment back
            self.log(f"[pool] Failed to enqueue sidecar job for kind={kind}")
            self._release(assignment_id)
            return False
        self.active = ActiveJob(kind, assignment_id, job_id, payload, _deadline(timeout_at, now))
        self.counters.enqueued += 1
        self.log(f"[pool] Enqueued job kind={kind} {self.active.label} job_id={job_id}")
        return True

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


@dataclass
class PoolTaskCoordinator(_PoolCoordinator):
    """Evolve and evaluate batches, an evaluate after every three evolves (§6.4)."""

    evolve_streak: int = 0

    def _submit_result(self, job: ActiveJob, result: dict) -> None:
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
        self._after_submit(name, job, reply, result.get("fitness") if job.kind == EVOLVE else None)

    def _request(self, now: float) -> None:
        self._last_request = now
        first = EVALUATE if self.evolve_streak >= EVALUATE_AFTER_EVOLVES else EVOLVE
        for kind in (first, EVOLVE if first == EVALUATE else EVALUATE):
            failure = f"[pool] request_task failed task_type={kind}"
            reply = self._call(failure, functools.partial(self.pool.request_task, kind))
            if reply is None or self._blocked_by_active_task(reply, now):
                return
            batch = reply.body if reply.ok and isinstance(reply.body, dict) else None
            if batch and batch.get("batch_id") and batch.get("task_type") and batch.get("algorithms"):
                self._enqueue(batch, now)
                return
            if reply.status not in (200, 404):
                self._refused(failure, reply)
                return

    def _enqueue(self, batch: dict, now: float) -> None:
        kind, algorithms = batch["task_type"], batch["algorithms"]
        payload = {"batch_id": batch["batch_id"], "algorithms": algorithms,
                   "input_dim": algorithms[0].get("input_dim"), "task_type": algorithms[0].get("task_type"),
                   "generations": batch.get("generations"), "timeout_at": batch.get("timeout_at")}
        if self._enqueue_job(kind, batch["batch_id"], payload, batch.get("timeout_at"), now):
            self.evolve_streak = self.evolve_streak + 1 if kind == EVOLVE else 0


@dataclass
class PoolLeaseCoordinator(_PoolCoordinator):
    """**(optional)** Lease bundles (§6.4): evaluations plus an evolve budget, submitted in one call. A submission
    that meets 429, 5xx or a network error is held and retried every 2 s until the lease times out."""

    task_type: str | None = None  # the problem to lease; None lets the pool choose its first

    def _collect(self, job: ActiveJob, now: float) -> None:
        if job.submission is None:
            super()._collect(job, now)
        elif now >= job.retry_at:
            self._submit_lease(job, job.submission, now)

    def _submit_result(self, job: ActiveJob, result: dict) -> None:
        body = {"evaluations": list(result.get("evaluations") or []),
                "evolutions": list(result.get("evolutions") or []),
                "iterations": int(result.get("iterations") or 0)}
        job.submission = body
        self._submit_lease(job, body, self.clock())

    def _submit_lease(self, job: ActiveJob, body: dict, now: float) -> None:
        reply = self._submit(lambda: self.pool.submit_lease(job.batch_id, body))
        if reply is None or reply.status == 429 or reply.status >= 500:
            reason = self._network_error if reply is None else f"HTTP {reply.status} ({reply.detail})"
            self._error(f"[pool] submit_lease failed {job.label}: {reason}; retrying in {LEASE_RETRY_S:.0f}s")
            job.retry_at = now + LEASE_RETRY_S
            return
        self.log(f"[pool] submit_lease ok={reply.ok} {job.label} eval_n={len(body['evaluations'])} "
                 f"evo_n={len(body['evolutions'])} iter_n={body['iterations']}")
        if reply.status == 404 and reply.detail == LEASE_NOT_FOUND:
            self._blocked_until = now + BLOCK_S
        self._after_submit("submit_lease", job, reply, None)

    def _request(self, now: float) -> None:
        self._last_request = now
        fields = {**LEASE_REQUEST, **({"task_type": self.task_type} if self.task_type else {})}
        reply = self._call("[pool] request_lease failed", lambda: self.pool.lease(**fields))
        if reply is None or self._blocked_by_active_task(reply, now):
            return
        lease = reply.body if reply.ok and isinstance(reply.body, dict) else None
        if lease and lease.get("lease_id"):
            payload = {key: lease.get(key) for key in ("lease_id", "evaluate_algorithms", "seed_algorithms",
                                                        "evolve_budget", "input_dim", "window_number", "timeout_at")}
            self._enqueue_job(LEASE, lease["lease_id"], payload, lease.get("timeout_at"), now)
        elif reply.status != 404:
            self._refused("[pool] request_lease failed", reply)
