"""§3.10 and acceptance check 5: an abandoned evaluate batch is reassigned once it expires."""

from __future__ import annotations

from pool.sweeper import sweep_once
from tests.pool.conftest import open_pool, sqlite_settings


async def test_abandoned_batch_is_reassigned_after_expiry(tmp_path):
    settings = sqlite_settings(tmp_path, task_timeout_s=2.0, consensus_k=1, dev=True, eval_batch_size=4)
    async with open_pool(settings) as pool:
        abandoned = (await pool.request("Alice", "evaluate")).json()
        held = [a["id"] for a in abandoned["algorithms"]]
        assert held == [1, 2, 3, 4]
        # While Alice holds them (k=1: one evaluator each), nobody else gets them.
        busy = await pool.request("Bob", "evaluate")
        assert (busy.status_code, busy.json()["detail"]) == (404, "No tasks available")
        pool.clock.advance(2.5)
        await sweep_once(pool.state)
        summary = (await pool.client.get("/api/v1/monitor/summary")).json()
        assert summary["tasks"]["expired_15m"] == 1 and summary["miners"]["with_active_assignment"] == 0
        reassigned = (await pool.request("Bob", "evaluate")).json()
        assert [a["id"] for a in reassigned["algorithms"]] == held
        late = await pool.evaluate("Alice", abandoned["batch_id"], {1: 0.5})
        assert (late.status_code, late.json()["detail"]) == (404, "Active assignment not found")
        # Alice is not stuck: her expired assignment no longer blocks her.
        assert (await pool.request("Alice", "evolve")).status_code == 200


async def test_request_expires_the_askers_own_overdue_assignment(pool):
    first = (await pool.request("Alice", "evolve")).json()
    pool.clock.advance(1801)
    second = await pool.request("Alice", "evolve")
    assert second.status_code == 200 and second.json()["batch_id"] != first["batch_id"]
