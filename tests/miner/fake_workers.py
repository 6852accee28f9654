"""Worker-process targets for the coordinator tests (importable by spawned children).

Each has the signature of `miner.worker_process.worker_process_main`."""

from __future__ import annotations

import os
import time
from functools import partial

from miner.lifecycle import StopRequest
from miner.worker_process import QueueHost, worker_process_main


def _progress(worker_id: int, iteration: int) -> dict:
    return {"type": "progress", "worker_id": worker_id, "iteration": iteration, "pid": os.getpid()}


def _mine_until_stopped(worker_id: int, outbox, stop_event) -> None:
    iteration = 0
    while not stop_event.is_set():
        iteration += 1
        outbox.put(_progress(worker_id, iteration))
        stop_event.wait(0.05)
    outbox.put({"type": "done", "worker_id": worker_id, "iteration": iteration})


def crash_second(args, worker_id, outbox, inbox, stop_event, sota) -> None:
    """Worker 1 dies with exit code 3 without a word; the others mine until stopped."""
    if worker_id == 1:
        outbox.put(_progress(worker_id, 1))
        outbox.close()
        outbox.join_thread()
        os._exit(3)
    _mine_until_stopped(worker_id, outbox, stop_event)


def raise_in_second(args, worker_id, outbox, inbox, stop_event, sota) -> None:
    """The real worker entry point; worker 1 gets a task type its suite cannot build."""
    if worker_id == 1:
        args = args.replace(task_type="no_such_task")
    worker_process_main(args, worker_id, outbox, inbox, stop_event, sota)


def migrate_once(offset_per_worker: int, args, worker_id, outbox, inbox, stop_event, sota) -> None:
    """Ask to migrate once at iteration 5 (+ offset × worker id), log what came back, finish."""
    host = QueueHost(worker_id, outbox, inbox, stop_event, sota, 0.0, StopRequest())
    migrants = [{"from": worker_id, "slot": slot} for slot in range(2 + worker_id)]
    received = host.migrate(5 + offset_per_worker * worker_id, migrants)
    outbox.put({"type": "log", "worker_id": worker_id, "message": "received", "migrants": received})
    outbox.put({"type": "done", "worker_id": worker_id, "iteration": 5})


migrate_in_step = partial(migrate_once, 0)
migrate_out_of_step = partial(migrate_once, 1)


def stubborn(args, worker_id, outbox, inbox, stop_event, sota) -> None:
    """Ignores every stop request (only SIGKILL ends it)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    iteration = 0
    while True:
        iteration += 1
        outbox.put(_progress(worker_id, iteration))
        time.sleep(0.05)
