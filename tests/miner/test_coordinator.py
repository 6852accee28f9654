"""The multi-worker coordinator (miner.md §5) and stopping (§4.5): crashes, errors, migration, desync,
one and two signals. Workers are real spawned processes; some run the test targets of fake_workers."""

from __future__ import annotations

import functools
import os
import signal
import threading

import pytest

from miner.coordinator import BLAS_THREAD_VARS, Coordinator, limit_blas_threads
from miner.lifecycle import StopRequest
from miner.run import MinerRun
from miner.sota import SharedSota
from miner.worker_process import worker_process_main
from tests.helpers import wait_for
from tests.miner import fake_workers
from tests.miner.conftest import tiny_args


def coordinate(target, *flags: str, stop: StopRequest | None = None) -> tuple[int, list[dict]]:
    events: list[dict] = []
    args = tiny_args("--workers", "2", "--seed", "5", *flags)
    status = Coordinator(args, events.append, stop or StopRequest(), SharedSota(), target=target).run()
    return status, events


def errors(events):
    return [e for e in events if e.get("type") == "error"]


def test_a_worker_exiting_with_an_error_code_stops_the_run():
    status, events = coordinate(fake_workers.crash_second)
    assert status == 1
    assert [(e["worker_id"], e["message"]) for e in errors(events)] == [(1, "worker exited (exitcode=3)")]
    done = [e for e in events if e.get("type") == "done"]
    assert [e["worker_id"] for e in done] == [0]  # the other worker was stopped cleanly
    assert any(e.get("message", "").startswith("[coord] stopping (error)") for e in events)


def test_a_worker_exception_is_reported_with_its_traceback_and_stops_everyone():
    status, events = coordinate(fake_workers.raise_in_second, "--iterations", "0", "--validate-every", "0")
    assert status == 1
    reported = errors(events)
    assert len(reported) == 1 and reported[0]["worker_id"] == 1
    assert "UnknownTaskType" in reported[0]["traceback"]
    done = [e for e in events if e.get("type") == "done"]
    assert [e["worker_id"] for e in done] == [0]


def test_migration_deals_every_worker_as_many_migrants_as_it_sent():
    status, events = coordinate(fake_workers.migrate_in_step)
    assert status == 0 and errors(events) == []
    received = {e["worker_id"]: e["migrants"] for e in events if e.get("message") == "received"}
    assert len(received[0]) == 2 and len(received[1]) == 3
    pooled = sorted((m["from"], m["slot"]) for got in received.values() for m in got)
    assert pooled == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]


def test_migration_at_different_iterations_is_a_desync_error():
    status, events = coordinate(fake_workers.migrate_out_of_step)
    assert status == 1
    [error] = errors(events)
    assert error["message"] in ("[coord] migration desync: workers are at different iterations (w0@5, w1@6)",
                                "[coord] migration desync: workers are at different iterations (w1@6, w0@5)")
    received = [e for e in events if e.get("message") == "received"]
    assert all(e["migrants"] is None for e in received)  # the waiting worker gave up on the stop


def test_real_workers_with_migration_are_deterministic():
    def per_worker_stream():
        _, events = coordinate(worker_process_main, "--iterations", "30", "--log-every", "10", "--validate-every", "12",
                               "--migration-iters", "10", "--population-snapshot-every", "15")
        streams: dict[int, list] = {0: [], 1: []}
        for event in events:
            streams[event["worker_id"]].append({k: v for k, v in event.items() if k not in ("rate", "eval_rate")})
        return streams

    first, second = per_worker_stream(), per_worker_stream()
    assert first == second
    assert first[0] != first[1]  # seed + w: the workers differ
    assert [e["type"] for e in first[0]][-1] == "done"


def test_blas_threads_are_limited_where_unset():
    environ = {"OMP_NUM_THREADS": "4"}
    limit_blas_threads(environ)
    assert environ == {"OMP_NUM_THREADS": "4", **{name: "1" for name in BLAS_THREAD_VARS[1:]}}


# ---------------------------------------------------------------- signals (in this process: MinerRun)

def signal_when(events: list[dict], *conditions, signum=signal.SIGTERM) -> threading.Thread:
    """Send `signum` to this process once for each condition, after it holds."""
    def run() -> None:
        for condition in conditions:
            wait_for(functools.partial(condition, events), timeout=60, what="the miner's events")
            os.kill(os.getpid(), signum)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def both_workers_mining(events):
    return {e["worker_id"] for e in list(events) if e.get("type") == "progress"} == {0, 1}


def stopping_logged(events):
    return any(e.get("message", "").startswith("[coord] stopping") for e in list(events))


def test_one_signal_stops_cleanly_with_done_shutdown_and_final_done():
    events: list[dict] = []
    args = tiny_args("--workers", "2", "--seed", "1", "--iterations", "0", "--log-every", "5", "--validate-every", "0")
    sender = signal_when(events, both_workers_mining)
    status = MinerRun(args, events.append).execute()
    sender.join(5)
    assert status == 0
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-2:] == ["shutdown", "done"]
    assert events[-1] == {"type": "done"}
    assert events[-2]["message"] == "[coord] shutdown: stopped (SIGTERM), 0 events dropped"
    assert sorted(e["worker_id"] for e in events if e["type"] == "done" and "worker_id" in e) == [0, 1]
    assert errors(events) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))


def test_a_second_signal_exits_at_once_and_kills_the_workers():
    events: list[dict] = []
    args = tiny_args("--workers", "2", "--seed", "1")
    sender = signal_when(events, both_workers_mining, stopping_logged)
    status = MinerRun(args, events.append, worker_target=fake_workers.stubborn).execute()
    sender.join(5)
    assert status == 128 + signal.SIGTERM
    assert "shutdown" not in [e["type"] for e in events]
    for pid in {e["pid"] for e in events if e.get("type") == "progress"}:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
