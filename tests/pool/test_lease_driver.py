"""The driver's `--lease` mode (`PoolLeaseCoordinator`, pool.md §6.4) with real processes in mock mode: a lease
bundle is enqueued, worked and submitted, and a submission that meets a stopped pool is held and retried every
2 s until the restarted pool takes it."""

from __future__ import annotations

import httpx

from tests.pool.processes import start_driver, start_pool, start_sidecar, start_worker, stop_all

ENQUEUED = "[pool] Enqueued job kind=lease lease_id="


def _summary(pool_url: str) -> dict:
    return httpx.get(f"{pool_url}/api/v1/monitor/summary", timeout=5).json()


def test_lease_bundle_is_worked_and_submitted(tmp_path):
    pool, pool_url = start_pool(tmp_path)
    sidecar, sidecar_url = start_sidecar()
    worker = start_worker(sidecar_url, "lease_run")
    driver = start_driver(pool_url, sidecar_url, "lease_run", 20, "--lease")
    try:
        driver.wait_for_lines(ENQUEUED, "[pool] submit_lease ok=True", timeout=20)
        line = next(text for text in driver.lines if text.startswith("[pool] submit_lease ok=True"))
        assert " eval_n=4 evo_n=1 iter_n=" in line  # the four genesis programs, one evolution (budget 1)
        summary = _summary(pool_url)
        assert summary["tasks"]["by_kind"]["lease"]["completed_15m"] >= 1
        assert summary["consensus"]["pending"] >= 5  # the evolved child joined the four genesis programs
        driver.stop()
        assert "lease_ok=" in driver.output() and driver.output().rstrip().endswith("Done.")
    finally:
        stop_all(driver, worker, sidecar, pool)


def test_submission_is_held_and_retried_while_the_pool_is_down(tmp_path):
    pool, pool_url = start_pool(tmp_path)
    sidecar, sidecar_url = start_sidecar()
    driver = start_driver(pool_url, sidecar_url, "lease_retry", 0, "--lease")
    worker = None
    try:
        driver.wait_for_lines(ENQUEUED, timeout=20)
        pool.stop()  # the job is queued but not worked yet: the result will meet a pool that is down
        worker = start_worker(sidecar_url, "lease_retry")
        driver.wait_for_lines("[pool] submit_lease failed lease_id=", "retrying in 2s", timeout=20)
        assert "submit_lease ok=" not in driver.output()
        pool, _ = start_pool(tmp_path, port=int(pool_url.rsplit(":", 1)[1]))
        driver.wait_for_lines("[pool] submit_lease ok=True", timeout=20)
        assert driver.output().count("[pool] submit_lease ok=") == 1
        assert _summary(pool_url)["tasks"]["by_kind"]["lease"]["completed_15m"] == 1
    finally:
        stop_all(*filter(None, (driver, worker)), sidecar, pool)
