"""Relay forwarding (pool.md §3.11) against the real relay: `relay.app.create_app` under uvicorn in test mode on a
temporary SQLite file. The pool serves scalar_linear, whose verification suite is fast, so re-verification runs."""

from __future__ import annotations

import asyncio
import functools
import json
import time

import httpx
from sqlalchemy import select

from core import signing
from core.genesis import genesis_dsls
from core.verify import score_on_eval_suite
from pool.forwarder import BACKOFF_MAX_S, Backoff, Forwarder
from pool.hotkey import pool_keypair
from pool.models import relay_submissions
from relay.app import create_app as create_relay_app
from relay.settings import Settings as RelaySettings
from tests.helpers import free_port
from tests.pool.conftest import open_pool, serve_in_thread, sqlite_settings

PROBLEM = "scalar_linear"
VALIDATOR = signing.keypair_from_uri("//RelayValidator")


@functools.cache
def real_scores() -> dict[str, float]:
    return {dsl: score_on_eval_suite(dsl, 16, PROBLEM) for dsl in genesis_dsls(16)}


def relay_app(tmp_path):
    settings = RelaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/relay.db", admin_token="dev",
                             test_mode=True, log_file="")
    return create_relay_app(settings)


def pool_settings(tmp_path, relay_url: str, **overrides):
    signing.create_test_hotkey("pool", "pool_hot", tmp_path / "wallets", uri="//PoolHot")
    return sqlite_settings(tmp_path, task_types=(PROBLEM,), relay_task_type=PROBLEM, relay_url=relay_url,
                           wallet_name="pool", wallet_hotkey="pool_hot", wallet_path=str(tmp_path / "wallets"),
                           **overrides)


async def settle_genesis(pool, inflation: float = 1.0) -> tuple[int, float]:
    """Three miners score the genesis programs on the real suite (times `inflation`, when they collude);
    returns the pool SOTA's id and score."""
    for name in ("Alice", "Bob", "Charlie"):
        batch = (await pool.request(name, "evaluate")).json()
        scores = {a["id"]: real_scores()[a["algorithm_dsl"]] * inflation for a in batch["algorithms"]}
        assert (await pool.evaluate(name, batch["batch_id"], scores)).status_code == 200
    sota = (await pool.client.get("/api/v1/results/sota", params={"task_type": PROBLEM})).json()
    assert sota["sota_score"] == max(real_scores().values()) * inflation
    return sota["algorithm_id"], sota["sota_score"]


async def submissions(pool) -> list:
    async with pool.state.db.read() as connection:
        return (await connection.execute(select(relay_submissions).order_by(relay_submissions.c.id))).all()


async def eventually(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := await condition():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the forwarder")


def relay_results(relay_url: str) -> list[dict]:
    reply = httpx.get(f"{relay_url}/results", headers=signing.signed_headers(VALIDATOR, "validator"), timeout=5)
    assert reply.status_code == 200, reply.text
    return reply.json()


def assert_signed_by_pool(item: dict, algorithm_id: int, score: float) -> None:
    pool_hotkey = signing.keypair_from_uri("//PoolHot").ss58_address
    assert (item["miner_hotkey"], item["task_id"], item["score"]) == (pool_hotkey, f"pool-{algorithm_id}", score)
    assert item["timestamp_message"].startswith("auth:")
    assert signing.verify(pool_hotkey, item["timestamp_message"], item["signature"])
    assert json.loads(item["algorithm_result"])["task_type"] == PROBLEM


async def test_best_verified_algorithm_is_forwarded_signed_by_the_pool_hotkey(tmp_path):
    with serve_in_thread(relay_app(tmp_path)) as relay_url:
        settings = pool_settings(tmp_path, relay_url, relay_interval_s=0.05)
        async with open_pool(settings, background=True) as pool:
            sota_id, score = await settle_genesis(pool)
            rows = await eventually(lambda: submissions(pool))
            assert [(r.algorithm_id, r.outcome, r.http_status, r.local_score) for r in rows] == \
                [(sota_id, "forwarded", 200, score)]
            summary = (await pool.client.get("/api/v1/monitor/summary", params={"task_type": PROBLEM})).json()
            assert summary["relay"]["forwarded_total"] == 1 and summary["relay"]["last_outcome"] == "forwarded"
            assert summary["relay"]["backlog"] == 0
        [item] = relay_results(relay_url)
        assert_signed_by_pool(item, sota_id, score)
        threshold = httpx.get(f"{relay_url}/sota_threshold", timeout=5).json()["sota_threshold"]
        assert threshold == 0.0  # the relay's SOTA moves only after validator votes, not on submission


async def test_network_errors_back_off_per_candidate_until_the_relay_answers(tmp_path):
    port = free_port()  # nothing listens here until the relay starts below
    relay_url = f"http://127.0.0.1:{port}"
    settings = pool_settings(tmp_path, relay_url)
    async with open_pool(settings) as pool, httpx.AsyncClient(base_url=relay_url, timeout=5) as http:
        sota_id, score = await settle_genesis(pool)
        forwarder = Forwarder(pool.state, pool_keypair(settings), http)
        assert await forwarder.step() == "retry"
        for wait_s in (30, 60):  # the first back-offs; no attempt before each one has elapsed
            pool.clock.advance(wait_s - 1)
            assert await forwarder.step() is None
            pool.clock.advance(1)
            assert await forwarder.step() == "retry"
        rows = await submissions(pool)
        assert [(r.outcome, r.http_status) for r in rows] == [("retry", None)] * 3
        assert "relay unreachable" in rows[0].detail
        summary = (await pool.client.get("/api/v1/monitor/summary", params={"task_type": PROBLEM})).json()
        assert (summary["relay"]["last_outcome"], summary["relay"]["backlog"]) == ("retry", 1)
        with serve_in_thread(relay_app(tmp_path), port=port):
            pool.clock.advance(119)
            assert await forwarder.step() is None
            pool.clock.advance(1)
            assert await forwarder.step() == "forwarded"
            assert await forwarder.step() is None  # forwarded once, never again
            [item] = relay_results(relay_url)
        assert (await submissions(pool))[-1].outcome == "forwarded"
    assert_signed_by_pool(item, sota_id, score)


async def test_colluding_evaluators_fail_re_verification_and_nothing_is_sent(tmp_path):
    with serve_in_thread(relay_app(tmp_path)) as relay_url:
        settings = pool_settings(tmp_path, relay_url)
        async with open_pool(settings) as pool, httpx.AsyncClient(base_url=relay_url, timeout=5) as http:
            await settle_genesis(pool, inflation=1.5)
            forwarder = Forwarder(pool.state, pool_keypair(settings), http)
            assert await forwarder.step() == "verify_failed"
            assert await forwarder.step() is None and await submissions(pool) == []
        assert relay_results(relay_url) == []


def test_backoff_doubles_from_30s_and_is_capped_at_10_minutes():
    backoff = Backoff()
    delays = []
    for _ in range(8):
        backoff.fail(7, 1000.0)
        delays.append(backoff.next_ts[7] - 1000.0)
    assert delays == [30, 60, 120, 240, 480, 600, 600, 600] and BACKOFF_MAX_S == 600
    assert backoff.ready(8, 1000.0) and not backoff.ready(7, 1599.0) and backoff.ready(7, 1600.0)
