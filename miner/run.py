"""One miner run from start to finish (miner.md §4.1, §4.5): the `start` event, the data set check, the
worker loop in-process or under the coordinator, then `shutdown` and the bare `done`.

Both miners use it; they differ only in where the events go (`publish`).
"""

from __future__ import annotations

import argparse
import os
import time
import traceback
from collections.abc import Callable

from core import __version__
from core.datasets import DatasetUnavailable, ensure_dataset
from miner.coordinator import Coordinator
from miner.events import error_event, run_done_event, shutdown_event
from miner.lifecycle import ImmediateExit, StopControl, StopRequest
from miner.sota import SharedSota
from miner.worker import MiningWorker
from miner.worker_process import worker_process_main

DATASET_OF_TASK = {"cifar10_binary": "cifar10", "mnist_binary": "mnist"}

EXIT_OK = 0
EXIT_FAILURE = 1


class InProcessHost:
    """The single worker (`--workers 1`) runs in the main process."""

    has_peers = False

    def __init__(self, publish: Callable[[dict], None], stop: StopRequest, sota: SharedSota,
                 base_threshold: float) -> None:
        self.emit = publish
        self._stop = stop
        self._sota = sota
        self._base_threshold = base_threshold

    def stop_requested(self) -> bool:
        return self._stop.requested

    def threshold(self) -> float:
        return self._sota.threshold(self._base_threshold)

    def migrate(self, iteration: int, migrants: list[dict]) -> None:
        return None


def start_event(args: argparse.Namespace, run_id: str | None) -> dict:
    message = f"[coord] start task={args.task_type} engine={args.engine} workers={args.workers} seed={args.seed}"
    return {
        "type": "start", "run_id": run_id, "task_type": args.task_type, "ts": time.time(), "engine": args.engine,
        "workers": args.workers, "seed": args.seed, "input_dim": args.feature_dim, "pid": os.getpid(),
        "version": __version__, "message": message,
    }


class MinerRun:
    """`execute()` returns the exit status: 0 finished or stopped on request, 1 runtime failure,
    128 + signal number after a second stop signal."""

    def __init__(self, args: argparse.Namespace, publish: Callable[[dict], None], *,
                 dropped: Callable[[], int] = lambda: 0, run_id: str | None = None, sota: SharedSota | None = None,
                 worker_target: Callable = worker_process_main) -> None:
        self.args = args
        self.publish = publish
        self.dropped = dropped
        self.run_id = run_id
        self.sota = sota or SharedSota()
        self.worker_target = worker_target
        self.stop = StopRequest()

    def execute(self) -> int:
        try:
            with StopControl(self.stop, self.args.exit_with_parent):
                status = self._mine()
                self._finish(status)
        except ImmediateExit as exc:
            return exc.status
        return status

    def _mine(self) -> int:
        self.publish(start_event(self.args, self.run_id))
        dataset = DATASET_OF_TASK.get(self.args.task_type)
        if dataset is not None:
            try:
                ensure_dataset(dataset)
            except DatasetUnavailable as exc:
                self.publish(error_event(message=str(exc)))
                return EXIT_FAILURE
        if self.args.workers == 1:
            return self._mine_in_process()
        return Coordinator(self.args, self.publish, self.stop, self.sota, target=self.worker_target).run()

    def _mine_in_process(self) -> int:
        host = InProcessHost(self.publish, self.stop, self.sota, self.args.sota_threshold)
        try:
            MiningWorker(self.args, 0, host).run()
        except Exception:
            self.publish(error_event(traceback=traceback.format_exc(), worker_id=0))
            return EXIT_FAILURE
        return EXIT_OK

    def _finish(self, status: int) -> None:
        if status != EXIT_OK:
            outcome = "failed"
        elif self.stop.requested:
            outcome = f"stopped ({self.stop.reason})"
        else:
            outcome = "finished"
        dropped = self.dropped()
        self.publish(shutdown_event(dropped, f"[coord] shutdown: {outcome}, {dropped} events dropped"))
        self.publish(run_done_event())
