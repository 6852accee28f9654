"""Acceptance check 6 and faults, with real processes on loopback in mock mode."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from sidecar.client import SidecarClient
from tests.pool.processes import start_driver, start_pool, start_sidecar, start_worker, stop_all

SMOKE_LINES = ("[pool] Enqueued job kind=evolve", "[pool] submit_evolution ok=True", "[pool] submit_evaluation ok=True")


def test_smoke_run_prints_the_three_lines_and_monitor_once_exits_0(tmp_path):
    pool, pool_url = start_pool(tmp_path)
    sidecar, sidecar_url = start_sidecar()
    worker = start_worker(sidecar_url, "pool_smoke")
    driver = start_driver(pool_url, sidecar_url, "pool_smoke", duration_s=20)
    started = time.monotonic()
    try:
        driver.wait_for_lines(*SMOKE_LINES, timeout=20)
        assert time.monotonic() - started < 20
        once = subprocess.run([sys.executable, "-m", "scripts.pool_monitor", "--pool-url", pool_url, "--once"],
                              capture_output=True, text=True, timeout=30)
        assert once.returncode == 0, once.stdout + once.stderr
        assert "health status=healthy" in once.stdout and "tasks issued_per_min=" in once.stdout
        with SidecarClient(sidecar_url) as client:  # the worker's events arrive through the event sender
            messages = [item.get("message", "") for item in client.logs(0, 500, run_id="pool_smoke").items]
        assert any(m.startswith("[pool-miner] evolve job=") for m in messages)
        driver.stop()
        assert "[pool] summary enqueued=" in driver.output() and driver.output().rstrip().endswith("Done.")
        assert worker.stop() == 0
    finally:
        stop_all(driver, worker, sidecar, pool)


def test_killed_worker_job_times_out_and_the_miner_carries_on(tmp_path):
    """A worker that leased the job and died: the assignment expires, the driver's watchdog frees it and the
    next batch is served by a live worker."""
    pool, pool_url = start_pool(tmp_path, env={"POOL_TASK_TIMEOUT_S": "3"})
    sidecar, sidecar_url = start_sidecar()
    driver = start_driver(pool_url, sidecar_url, "fault", duration_s=20)
    worker = None
    try:
        driver.wait_for_lines("[pool] Enqueued job kind=evolve", timeout=15)
        with SidecarClient(sidecar_url) as doomed:  # leases the job and never answers, like a killed worker
            assert doomed.next_job("fault", "doomed", lease_seconds=600) is not None
        driver.wait_for_lines("[pool] Job timed out batch_id=", timeout=10)
        worker = start_worker(sidecar_url, "fault")
        driver.wait_for_lines("[pool] submit_evolution ok=True", timeout=15)
        summary = httpx.get(f"{pool_url}/api/v1/monitor/summary", timeout=5).json()
        assert summary["tasks"]["by_kind"]["evolve"]["completed_15m"] >= 1
    finally:
        stop_all(*(p for p in (driver, worker, sidecar, pool) if p is not None))


def test_unreachable_sidecar_is_one_line_and_exit_2():
    driver = subprocess.run([sys.executable, "-m", "scripts.pool_sidecar_driver", "--sidecar-url",
                             "http://127.0.0.1:9", "--duration-s", "1"], capture_output=True, text=True, timeout=30)
    assert driver.returncode == 2
    assert len(driver.stderr.strip().splitlines()) == 1 and "unreachable" in driver.stderr
