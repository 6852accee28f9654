"""Hostile input against a real `python -m pool` process: each test here failed on the pool before the hardening
(issue 13). Re-spelled signatures, other SS58 spellings, replays across a restart, oversized bodies, NUL and huge
numbers, absurd timestamps and a new miner's concurrent first requests."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core import signing
from core.infra.signatures import ss58_encode
from miner.pool_client import pool_headers
from tests.pool.processes import start_pool
from tests.relay.conftest import admin_execute, with_database

REGISTER = "/api/v1/miners/register"
STATS = "/api/v1/miners/stats"

# A loaded machine may take seconds to answer; no keep-alive, so every request is a connection of its own.
HTTP = httpx.Client(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))


@pytest.fixture
def pool(tmp_path):
    process, url = start_pool(tmp_path)
    yield url
    process.stop()


@pytest.fixture
def postgres_pool(tmp_path, postgres_url):
    name = f"bitsota_pool_hostile_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(postgres_url, f'CREATE DATABASE "{name}"'))
    process, url = start_pool(tmp_path, env={"DATABASE_URL": with_database(postgres_url, name)})
    yield url
    process.stop()
    asyncio.run(admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def key(name: str):
    return signing.keypair_from_uri(f"//{name}")


@pytest.mark.parametrize("respell", [str.upper, lambda s: "0x" + s, lambda s: "0X" + s.upper()])
def test_a_respelled_signature_is_a_replay(pool, respell):
    original = pool_headers(key("Alice"))
    assert HTTP.post(pool + REGISTER, headers=original).status_code == 200
    response = HTTP.post(pool + REGISTER, headers={**original, "X-Signature": respell(original["X-Signature"])})
    assert (response.status_code, response.json()["detail"]) == (401, "Replayed request")


def test_a_signature_with_whitespace_inside_is_refused(pool):
    original = pool_headers(key("Alice"))
    spaced = " ".join(original["X-Signature"][i:i + 2] for i in range(0, 128, 2))
    response = HTTP.post(pool + REGISTER, headers={**original, "X-Signature": spaced})
    assert (response.status_code, response.json()["detail"]) == (401, "Invalid signature")


def test_the_same_key_under_another_ss58_prefix_is_refused(pool):
    genuine = pool_headers(key("Alice"))
    other_prefix = {**genuine, "X-Key": ss58_encode(key("Alice").public_key, 0)}
    response = HTTP.post(pool + REGISTER, headers=other_prefix)
    assert (response.status_code, response.json()["detail"]) == (401, "Invalid hotkey")


def test_a_signature_is_still_spent_after_a_restart(tmp_path):
    process, url = start_pool(tmp_path)
    try:
        spent = pool_headers(key("Alice"))
        assert HTTP.post(url + REGISTER, headers=spent).status_code == 200
        process.stop()
        process, url = start_pool(tmp_path, port=int(url.rsplit(":", 1)[1]))
        response = HTTP.post(url + REGISTER, headers=spent)
        assert (response.status_code, response.json()["detail"]) == (401, "Replayed request")
    finally:
        process.stop()


def test_a_huge_body_is_413_before_auth(pool):
    response = HTTP.post(pool + REGISTER, content=b"{" + b" " * (4 * 1024 * 1024) + b"}")
    assert response.status_code == 413
    assert response.json()["detail"]


def test_a_huge_chunked_body_is_413_before_auth(pool):
    def chunks():
        for _ in range(64):
            yield b" " * (64 * 1024)

    response = HTTP.post(pool + REGISTER, content=chunks())
    assert response.status_code == 413


def test_a_400_digit_timestamp_is_401_with_detail(pool):
    headers = {**pool_headers(key("Alice")), "X-Timestamp": "9" * 400}
    response = HTTP.post(pool + REGISTER, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_new_miners_concurrent_first_requests_all_succeed(pool):
    miner = key("first-requests")

    def call(index: int) -> int:
        path = REGISTER if index % 2 else STATS
        method = httpx.post if index % 2 else httpx.get
        return method(pool + path, headers=pool_headers(miner), timeout=30).status_code

    with ThreadPoolExecutor(12) as executor:
        statuses = list(executor.map(call, range(12)))
    assert statuses == [200] * 12


@pytest.mark.parametrize("path", ["/api/v1/results/sota", "/api/v1/monitor/summary"])
def test_nul_in_a_query_is_4xx_on_postgres(postgres_pool, path):
    response = HTTP.get(postgres_pool + path, params={"task_type": "cifar\x00"})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


def test_nul_in_a_signed_results_query_is_4xx_on_postgres(postgres_pool):
    response = HTTP.get(postgres_pool + "/api/v1/results/", params={"task_type": "cifar\x00"},
                         headers=pool_headers(key("Alice")))
    assert 400 <= response.status_code < 500, response.text


def test_nul_in_a_dsl_or_batch_id_is_4xx_on_postgres(postgres_pool):
    miner = key("nul-miner")
    task = HTTP.post(postgres_pool + "/api/v1/tasks/request", json={"task_type": "evolve"},
                      headers=pool_headers(miner)).json()
    evolution = HTTP.post(f"{postgres_pool}/api/v1/tasks/{task['batch_id']}/submit_evolution",
                           json={"evolved_function": "s1 = s0\x00"}, headers=pool_headers(miner))
    assert 400 <= evolution.status_code < 500, evolution.text
    release = HTTP.post(postgres_pool + "/api/v1/tasks/release", json={"batch_id": "b\x00"},
                         headers=pool_headers(miner))
    assert 400 <= release.status_code < 500, release.text


def test_iterations_beyond_int64_is_4xx_on_postgres(postgres_pool):
    miner = key("lease-miner")
    lease = HTTP.post(postgres_pool + "/api/v1/tasks/lease", json={}, headers=pool_headers(miner))
    assert lease.status_code == 200, lease.text
    body = {"evaluations": [], "evolutions": [], "iterations": 2**63}
    response = HTTP.post(f"{postgres_pool}/api/v1/tasks/{lease.json()['lease_id']}/submit_lease", json=body,
                          headers=pool_headers(miner))
    assert response.status_code == 422, response.text


def test_a_boolean_score_is_422(pool):
    miner = key("bool-miner")
    response = HTTP.post(f"{pool}/api/v1/tasks/{uuid.uuid4()}/submit_evaluation",
                          json={"evaluations": [{"algorithm_id": 1, "score": True}]}, headers=pool_headers(miner))
    assert response.status_code == 422, response.text

