"""§3.9 and acceptance check 4: reward shares, window closing, idempotence across a restart."""

from __future__ import annotations

from sqlalchemy import func, select

from pool.closing import close_due_windows
from pool.models import balances, window_rewards, windows
from pool.rewards import MinerWindow, net_budget
from pool.rewards import window_rewards as compute
from tests.pool.conftest import FakeClock, hotkey, open_pool, sqlite_settings


def test_spec_reward_example():
    miners = [MinerWindow("a", 21, 1), MinerWindow("b", 4979, 3)]
    rewards = {r.hotkey: r.reward_rao for r in compute(miners, 1_000_000_000, 0.05, 1)}
    assert rewards["a"] == 3_990_000
    assert sum(rewards.values()) <= net_budget(1_000_000_000, 0.05)


def test_eligibility_and_cap():
    miners = [MinerWindow("neg", -2, 5), MinerWindow("idle", 3, 0), MinerWindow("banned", 3, 4, banned=True),
              MinerWindow("a", 3, 2), MinerWindow("b", 1, 1)]
    rewards = compute(miners, 1000, 0.0, 1)
    assert [(r.hotkey, r.reward_rao) for r in rewards] == [("a", 750), ("b", 250)]
    capped = compute(miners, 1000, 0.0, 1, max_share=0.6)
    assert [(r.hotkey, r.reward_rao) for r in capped] == [("a", 600), ("b", 400)]


async def _totals(state):
    async with state.db.read() as connection:
        closed = (await connection.execute(select(windows))).all()
        rewards = (await connection.execute(select(window_rewards))).all()
        pending = dict((await connection.execute(select(balances.c.miner_hotkey, balances.c.pending_rao))).all())
        count = await connection.scalar(select(func.count()).select_from(windows))
    return closed, rewards, pending, count


async def test_window_closes_and_reclosing_after_restart_changes_nothing(tmp_path):
    settings = sqlite_settings(tmp_path, window_seconds=5.0, consensus_k=3)
    clock = FakeClock()
    async with open_pool(settings, clock) as pool:
        for name in ("Alice", "Bob", "Charlie"):
            batch = (await pool.request(name, "evaluate")).json()
            await pool.evaluate(name, batch["batch_id"], {a["id"]: 0.5 for a in batch["algorithms"]})
        clock.advance(6)
        assert await close_due_windows(pool.state) == [0]
        closed, rewards, pending, _ = await _totals(pool.state)
        assert closed[0].status == "closed" and closed[0].distributed_rao == sum(r.reward_rao for r in rewards)
        assert closed[0].distributed_rao <= net_budget(settings.window_budget_rao, settings.fee)
        share = net_budget(settings.window_budget_rao, settings.fee) // 3
        assert pending == {hotkey(n): share for n in ("Alice", "Bob", "Charlie")}
        stats = (await pool.call("Alice", "GET", "/api/v1/miners/stats")).json()
        assert stats["miner"]["pending_rao"] == share and stats["pool"]["window_number"] == 1
    clock.advance(1)
    async with open_pool(settings, clock) as restarted:
        assert await close_due_windows(restarted.state) == []
        after = await _totals(restarted.state)
    assert after[2] == pending and after[3] == 1
    clock.advance(20)  # downtime: the empty windows 1..4 are caught up, oldest first, with no rewards
    async with open_pool(settings, clock) as later:
        assert await close_due_windows(later.state) == [1, 2, 3, 4]
        assert (await _totals(later.state))[2] == pending
