"""The worker side of the multi-worker coordinator (miner.md §5): a spawned process running one
`MiningWorker`, talking to the coordinator over queues.

Messages to the coordinator are event dicts (`progress`, `candidate`, `population`, `log`, `error`,
`done`) and `migration_request {worker_id, iteration, count, migrants}`; the coordinator answers a
request with `migration_response {iteration, migrants}` on the worker's own queue.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import queue
import traceback

from miner.events import error_event
from miner.lifecycle import StopRequest, worker_signals
from miner.options import configure_logging
from miner.sota import SharedSota
from miner.worker import MiningWorker

log = logging.getLogger(__name__)

RESPONSE_POLL_S = 0.2


class QueueHost:
    """A worker's view of the coordinator. It stops on the shared stop event, its own SIGTERM, or when
    the coordinator process is gone."""

    has_peers = True

    def __init__(self, worker_id: int, outbox, inbox, stop_event, sota: SharedSota, base_threshold: float,
                 local_stop: StopRequest) -> None:
        self.worker_id = worker_id
        self._outbox, self._inbox = outbox, inbox
        self._stop_event = stop_event
        self._sota = sota
        self._base_threshold = base_threshold
        self._local_stop = local_stop
        # The coordinator's pid as of the spawn: if it died while this child was still importing, getppid() is
        # already init's here, and comparing against it would never notice.
        parent = multiprocessing.parent_process()
        self._parent_pid = parent.pid if parent is not None else os.getppid()

    def emit(self, event: dict) -> None:
        self._outbox.put(event)

    def stop_requested(self) -> bool:
        return self._local_stop.requested or self._stop_event.is_set() or os.getppid() != self._parent_pid

    def threshold(self) -> float:
        return self._sota.threshold(self._base_threshold)

    def migrate(self, iteration: int, migrants: list[dict]) -> list[dict] | None:
        self._outbox.put({"type": "migration_request", "worker_id": self.worker_id, "iteration": iteration,
                          "count": len(migrants), "migrants": migrants})
        while not self.stop_requested():
            try:
                message = self._inbox.get(timeout=RESPONSE_POLL_S)
            except queue.Empty:
                continue
            if message.get("type") == "migration_response" and message.get("iteration") == iteration:
                return message["migrants"]
            log.warning("worker %d ignored an unexpected message %r", self.worker_id, message.get("type"))
        return None


def worker_process_main(args: argparse.Namespace, worker_id: int, outbox, inbox, stop_event,
                        sota: SharedSota) -> None:
    """Entry point of `miner-worker-{i}`: run the worker; on an exception report it and exit with 1."""
    local_stop = StopRequest()
    worker_signals(local_stop)
    configure_logging(args.log_level)
    host = QueueHost(worker_id, outbox, inbox, stop_event, sota, args.sota_threshold, local_stop)
    try:
        MiningWorker(args, worker_id, host).run()
    except Exception:
        outbox.put(error_event(traceback=traceback.format_exc(), worker_id=worker_id))
        outbox.close()
        outbox.join_thread()
        raise SystemExit(1) from None
