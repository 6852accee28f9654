"""The multi-worker coordinator (miner.md §5, algorithm.md §14): spawns the worker processes, forwards
their events, runs island migration and stops everything on an error or a stop request."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import time
from collections.abc import Callable

from core.engines.migration import MigrationRequest, coordinator_rng, exchange_migrants
from miner.events import error_event, log_event
from miner.lifecycle import StopRequest
from miner.sota import SharedSota
from miner.worker_process import worker_process_main

BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")
FORWARDED_TYPES = frozenset({"progress", "candidate", "population", "log", "error", "done"})
RECEIVE_TIMEOUT_S = 0.5
JOIN_GRACE_S = 10.0
KILL_GRACE_S = 5.0


def limit_blas_threads(environ=os.environ) -> None:
    """One BLAS thread per worker process, unless the user chose otherwise."""
    for name in BLAS_THREAD_VARS:
        environ.setdefault(name, "1")


class Coordinator:
    def __init__(self, args: argparse.Namespace, publish: Callable[[dict], None], stop: StopRequest,
                 sota: SharedSota, *, target: Callable = worker_process_main) -> None:
        self.args = args
        self.publish = publish
        self.stop = stop
        self.sota = sota
        self.target = target
        self.context = multiprocessing.get_context("spawn")
        self.outbox = self.context.Queue()
        self.inboxes = [self.context.Queue() for _ in range(args.workers)]
        self.stop_event = self.context.Event()
        self.processes: list = []
        self.rng = coordinator_rng(args.seed)
        self.pending: dict[int, MigrationRequest] = {}
        self.finished: set[int] = set()  # workers that sent `done`
        self.reported: set[int] = set()  # workers whose failure was already reported
        self.failed = False
        self._stop_since: float | None = None
        self._killed = False
        self._exits_checked_at = 0.0

    def run(self) -> int:
        """Mine with all workers until they finish; 0 on success or a requested stop, 1 on a failure."""
        self._spawn()
        try:
            while not self._all_exited():
                self._receive()
                self._propagate_stop()
            self._drain()
        finally:
            self._kill_alive()
        return 1 if self.failed else 0

    # ------------------------------------------------------------------ processes

    def _spawn(self) -> None:
        limit_blas_threads()
        cpus = os.cpu_count() or 1
        if self.args.workers > cpus:
            self.publish(log_event(f"[coord] warning: {self.args.workers} workers on {cpus} CPUs"))
        for worker_id in range(self.args.workers):
            process = self.context.Process(
                target=self.target, name=f"miner-worker-{worker_id}",
                args=(self.args, worker_id, self.outbox, self.inboxes[worker_id], self.stop_event, self.sota),
            )
            process.start()
            self.processes.append(process)

    def _all_exited(self) -> bool:
        return all(process.exitcode is not None for process in self.processes)

    def _check_exits(self) -> None:
        """Report workers that exited with a non-zero code, unless they reported their own error (their
        last messages are read first, so a traceback wins over the bare exit code)."""
        self._exits_checked_at = time.monotonic()
        if self._killed or not any(self._unreported_failure(w) for w in range(len(self.processes))):
            return
        self._read_available()
        for worker_id, process in enumerate(self.processes):
            if self._unreported_failure(worker_id):
                self.reported.add(worker_id)
                self._fail(error_event(message=f"worker exited (exitcode={process.exitcode})", worker_id=worker_id))

    def _unreported_failure(self, worker_id: int) -> bool:
        return self.processes[worker_id].exitcode not in (None, 0) and worker_id not in self.reported

    def _propagate_stop(self) -> None:
        """Pass a stop request on to the workers; past the grace period, kill the ones still running."""
        if self.stop.requested and not self.stop_event.is_set():
            self.stop_event.set()
            self._stop_since = time.monotonic()
            alive = sum(process.is_alive() for process in self.processes)
            self.publish(log_event(f"[coord] stopping ({self.stop.reason}); waiting for {alive} workers"))
        if self._stop_since is not None and time.monotonic() - self._stop_since > JOIN_GRACE_S:
            for worker_id, process in enumerate(self.processes):
                if process.is_alive():
                    self.publish(log_event(f"[coord] worker {worker_id} did not stop; terminating it"))
                    self.reported.add(worker_id)  # killed on purpose: not a crash
                    process.kill()
            self._stop_since = None

    def _kill_alive(self) -> None:
        alive = [process for process in self.processes if process.is_alive()]
        self._killed = True
        for process in alive:
            process.kill()
        for process in alive:
            process.join(KILL_GRACE_S)

    # ------------------------------------------------------------------ messages

    def _receive(self) -> None:
        try:
            self._handle(self.outbox.get(timeout=RECEIVE_TIMEOUT_S))
        except queue.Empty:
            pass
        if time.monotonic() - self._exits_checked_at >= RECEIVE_TIMEOUT_S:
            self._check_exits()

    def _drain(self) -> None:
        """After the last worker exited: everything still queued, then the exit codes."""
        self._read_available(wait_s=0.05)
        self._check_exits()

    def _read_available(self, wait_s: float = 0.0) -> None:
        while True:
            try:
                message = self.outbox.get(timeout=wait_s) if wait_s else self.outbox.get_nowait()
            except queue.Empty:
                return
            self._handle(message)

    def _handle(self, message) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "migration_request":
            self._on_migration_request(message)
        elif kind in FORWARDED_TYPES:
            if kind == "error":
                self.reported.add(message.get("worker_id"))
                self._fail(message)
                return
            self.publish(message)
            if kind == "done":
                self.finished.add(message.get("worker_id"))
                self._exchange_if_complete()
        else:
            self.publish(log_event(f"[coord] unexpected worker message: {message!r:.300}"))

    def _fail(self, event: dict) -> None:
        self.publish(event)
        self.failed = True
        self.stop.request("error")
        self._propagate_stop()

    # ------------------------------------------------------------------ migration

    def _on_migration_request(self, message: dict) -> None:
        request = MigrationRequest(int(message["worker_id"]), int(message["iteration"]), list(message["migrants"]))
        iterations = {pending.iteration for pending in self.pending.values()}
        if iterations and iterations != {request.iteration}:
            detail = ", ".join(f"w{r.worker_id}@{r.iteration}" for r in [*self.pending.values(), request])
            self._fail(error_event(message=f"[coord] migration desync: workers are at different iterations "
                                           f"({detail})"))
            return
        self.pending[request.worker_id] = request
        self._exchange_if_complete()

    def _exchange_if_complete(self) -> None:
        """Once every worker still mining has asked at the same iteration, deal the shuffled migrants."""
        waiting_for = set(range(self.args.workers)) - self.finished - set(self.pending)
        if not self.pending or waiting_for:
            return
        requests = list(self.pending.values())
        self.pending.clear()
        dealt = exchange_migrants(requests, self.rng)
        for request in requests:
            self.inboxes[request.worker_id].put({"type": "migration_response", "iteration": request.iteration,
                                                 "migrants": dealt[request.worker_id]})
