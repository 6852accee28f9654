"""§3.7-§3.8 and acceptance check 3: k-of-n median consensus, verdicts, reputation and evolution credit."""

from __future__ import annotations

import pytest

from core.genesis import genesis_dsls
from miner.pool_compute import mock_score
from pool.consensus import INVALID, NO_CONSENSUS, PENDING, SCORED, Rules, decide, late_verdict

RULES = Rules(k=3, max_evaluators=7, tolerance_ratio=0.10, tolerance_abs=1e-6)


def test_spec_example_reproduces_exactly():
    first = decide({"a": 0.80, "b": 0.81, "c": 0.50}, 3, RULES)
    assert (first.status, first.eval_target) == (PENDING, 4)
    second = decide({"a": 0.80, "b": 0.81, "c": 0.50, "d": 0.79}, first.eval_target, RULES)
    assert second.status == SCORED and second.consensus_score == pytest.approx(0.80, abs=1e-12)
    assert second.verdicts == {"a": "agree", "b": "agree", "c": "disagree", "d": "agree"}


def test_failure_consensus_and_no_consensus():
    invalid = decide({"a": None, "b": None, "c": None, "d": 0.5}, 4, RULES)
    assert invalid.status == INVALID and invalid.verdicts["d"] == "disagree" and invalid.verdicts["a"] == "agree"
    spread = {name: 0.1 * (i + 1) ** 2 for i, name in enumerate("abcdefg")}
    undecided = decide(spread, 7, RULES)
    assert undecided.status == NO_CONSENSUS and set(undecided.verdicts.values()) == {"none"}


def test_late_verdicts():
    assert late_verdict(SCORED, 0.8, 0.81, RULES) == "agree"
    assert late_verdict(SCORED, 0.8, None, RULES) == "disagree"
    assert late_verdict(INVALID, None, None, RULES) == "agree"
    assert late_verdict(NO_CONSENSUS, None, 0.3, RULES) == "none"


async def _evaluate_all(pool, name: str, score_of) -> dict:
    batch = (await pool.request(name, "evaluate")).json()
    reply = await pool.evaluate(name, batch["batch_id"], {a["id"]: score_of(a) for a in batch["algorithms"]})
    assert reply.status_code == 200
    return reply.json()


def honest(algorithm: dict) -> float:
    return mock_score(algorithm["algorithm_dsl"], algorithm["task_type"])


async def test_skewed_evaluator_loses_reputation(pool):
    """Two honest scores and one +50 % skew leave the genesis programs pending with target 4; a third honest
    score decides them: +1 for each honest evaluator, −1 for the skewed one."""
    await _evaluate_all(pool, "Alice", honest)
    await _evaluate_all(pool, "Bob", honest)
    skewed = await _evaluate_all(pool, "Charlie", lambda a: honest(a) * 1.5)
    assert skewed["consensus_reached"] == []
    board = (await pool.client.get("/api/v1/miners/leaderboard")).json()["miners"]
    assert {row["reputation"] for row in board} == {0.0}  # nobody has reputation yet
    decided = await _evaluate_all(pool, "Dave", honest)
    assert decided["consensus_reached"] == [1, 2, 3, 4]
    board = (await pool.client.get("/api/v1/miners/leaderboard", params={"limit": 10})).json()["miners"]
    reputations = {row["hotkey"]: row["reputation"] for row in board}
    from tests.pool.conftest import hotkey

    assert reputations == {hotkey("Alice"): 4.0, hotkey("Bob"): 4.0, hotkey("Dave"): 4.0, hotkey("Charlie"): -4.0}
    sota = (await pool.client.get("/api/v1/results/sota")).json()
    best = max(genesis_dsls(), key=lambda dsl: mock_score(dsl, "cifar10_binary"))
    assert sota["sota_score"] == pytest.approx(mock_score(best, "cifar10_binary"))
    assert sota["miner_hotkey"] is None  # genesis programs have no author


async def test_evolution_credit_and_sota_bonus(pool):
    # Settle genesis with three honest evaluators.
    for name in ("Alice", "Bob", "Charlie"):
        await _evaluate_all(pool, name, lambda a: 0.5)
    batch = (await pool.request("Dave", "evolve")).json()
    parents = [a["id"] for a in batch["algorithms"]]
    child = genesis_dsls()[2] + "\n# better child"
    child_id = (await pool.evolve("Dave", batch["batch_id"], child, parents)).json()["algorithm_id"]
    for name in ("Alice", "Bob", "Charlie"):
        result = await _evaluate_all(pool, name, lambda a: 0.9 if a["id"] == child_id else 0.5)
    assert result["consensus_reached"] == [child_id]
    stats = (await pool.call("Dave", "GET", "/api/v1/miners/stats")).json()["miner"]
    assert stats["evolutions_improved"] == 1
    assert stats["reputation"] == pytest.approx(1.0 + 5.0)  # evolve_improve + evolve_sota
    results = (await pool.call("Dave", "GET", "/api/v1/results/", params={"limit": 1})).json()
    assert results["results"][0]["id"] == child_id and sorted(results["results"][0]["parent_ids"]) == sorted(parents)
    summary = (await pool.client.get("/api/v1/monitor/summary")).json()
    assert [h["algorithm_id"] for h in summary["sota"]["history"]][-1] == child_id
    assert summary["consensus"]["reached_window"] == 5 and summary["consensus"]["rate_window"] == 1.0
