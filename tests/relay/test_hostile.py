"""Hostile input against a real `python -m relay --test` process: each test here failed on the relay before the
hardening (issue 13). Re-spelled and re-used signatures, other SS58 spellings, surrogates, oversized DSLs and
result pages, booleans as scores, short admin tokens and slow clients."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core import signing
from core.infra.signatures import ss58_encode
from tests.relay.conftest import KEYS, admin_execute, hotkey, with_database
from tests.relay.processes import ROOT, RelayProcess

# A loaded machine may take seconds to answer; no keep-alive, so every request is a connection of its own.
HTTP = httpx.Client(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))


@pytest.fixture
def relay(tmp_path):
    with RelayProcess(tmp_path, env={"SOTA_CONSENSUS_VOTES": "1"}) as process:
        yield process


def miner_headers(name: str = "Alice") -> dict[str, str]:
    return signing.signed_headers(KEYS[name], "miner")


def submission(task_id: str = "t1", dsl: str = "s1 = s0", score=0.5) -> dict:
    return {"task_id": task_id, "algorithm_result": {"algorithm_dsl": dsl, "task_type": "scalar_linear"}, "score": score}


def _spellings(signature: str) -> dict[str, str]:
    return {"upper case": signature.upper(), "0x prefix": "0x" + signature, "0X and upper": "0X" + signature.upper()}


@pytest.mark.parametrize("spelling", ["upper case", "0x prefix", "0X and upper"])
def test_a_respelled_signature_is_a_replay(relay, spelling):
    original = miner_headers()
    assert HTTP.get(f"{relay.url}/invitation_code/linked", headers=original).status_code == 200
    respelled = {**original, "X-Signature": _spellings(original["X-Signature"])[spelling]}
    response = HTTP.get(f"{relay.url}/invitation_code/linked", headers=respelled)
    assert response.status_code == 401
    assert response.headers["X-Auth-Error"] == "replayed"


def test_a_signature_with_whitespace_inside_is_refused(relay):
    original = miner_headers()
    spaced = " ".join(original["X-Signature"][i:i + 2] for i in range(0, 128, 2))
    response = HTTP.get(f"{relay.url}/invitation_code/linked", headers={**original, "X-Signature": spaced})
    assert response.status_code == 401
    assert response.headers["X-Auth-Error"] == "bad_signature"


def test_a_0x_signature_is_accepted_once(relay):
    fresh = miner_headers()
    fresh["X-Signature"] = "0x" + fresh["X-Signature"]
    assert HTTP.get(f"{relay.url}/invitation_code/linked", headers=fresh).status_code == 200


def test_the_same_key_under_another_ss58_prefix_is_refused(relay):
    message = signing.auth_message("miner")
    polkadot_alice = ss58_encode(KEYS["Alice"].public_key, 0)
    assert len(polkadot_alice) == 48  # passes the public relay's 48-character hotkey rule
    forged = {"X-Key": polkadot_alice, "X-Timestamp": message, "X-Signature": signing.sign(KEYS["Alice"], message)}
    response = HTTP.post(f"{relay.url}/submit_solution", json=submission(), headers=forged)
    assert response.status_code == 401
    assert response.headers["X-Auth-Error"] == "bad_signature"


def test_headers_served_by_results_cannot_act_for_the_miner_even_after_a_restart(relay):
    assert HTTP.post(f"{relay.url}/submit_solution", json=submission(), headers=miner_headers()).status_code == 200
    rows = HTTP.get(f"{relay.url}/results", headers=signing.signed_headers(KEYS["Bob"], "validator")).json()
    (row,) = rows
    relay.restart()
    for signature in [row["signature"], *_spellings(row["signature"]).values()]:
        stolen = {"X-Key": row["miner_hotkey"], "X-Timestamp": row["timestamp_message"], "X-Signature": signature}
        response = HTTP.post(f"{relay.url}/coldkey_address/update", json={"coldkey_address": "5Attacker"},
                              headers=stolen)
        assert response.status_code == 401, signature
        assert response.headers["X-Auth-Error"] == "replayed"
    # ...while the stored signature still verifies for validators that re-check it.
    assert signing.verify(row["miner_hotkey"], row["timestamp_message"], row["signature"])


LONE_SURROGATE = '"\\udc00"'
SURROGATE_BODIES = [
    ("/submit_solution", '{"task_id": %s, "algorithm_result": {"algorithm_dsl": "s1 = s0"}, "score": 0.5}'),
    ("/submit_solution", '{"task_id": "t", "algorithm_result": {"algorithm_dsl": %s}, "score": 0.5}'),
    ("/invitation_code/link", '{"code": %s}'),
    ("/invitation_code/link", '{"code": "TESTTEST1", "coldkey_address": %s}'),
    ("/coldkey_address/update", '{"coldkey_address": %s}'),
]


@pytest.mark.parametrize(("path", "template"), SURROGATE_BODIES)
def test_a_lone_surrogate_is_a_4xx_with_detail(relay, path, template):
    response = HTTP.post(f"{relay.url}{path}", content=template % LONE_SURROGATE,
                          headers={**miner_headers(), "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


def test_a_lone_surrogate_in_a_vote_result_id_is_a_4xx(relay):
    body = f'{{"miner_hotkey": "{hotkey("Alice")}", "score": 0.9, "seen_block": 5, "result_id": {LONE_SURROGATE}}}'
    response = HTTP.post(f"{relay.url}/sota/vote", content=body, headers={
        **signing.signed_headers(KEYS["Bob"], "validator"), "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


def test_a_boolean_score_is_422(relay):
    response = HTTP.post(f"{relay.url}/submit_solution", json=submission(score=True), headers=miner_headers())
    assert response.status_code == 422


def test_an_oversized_dsl_is_refused_with_the_limit_in_detail(relay):
    big = submission(dsl="s1 = s0\n" * 100_000)  # 800 KB: under the body limit, far over the stored-result limit
    response = HTTP.post(f"{relay.url}/submit_solution", json=big, headers=miner_headers())
    assert response.status_code == 413
    assert "65536" in response.json()["detail"]


def test_a_body_over_the_limit_is_413_before_auth(relay):
    response = HTTP.post(f"{relay.url}/submit_solution", content=b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413


def test_a_results_page_is_bounded_in_bytes(tmp_path):
    env = {"SOTA_CONSENSUS_VOTES": "1", "RELAY_RESULTS_MAX_BYTES": "200000"}
    with RelayProcess(tmp_path, env=env) as relay:
        for index in range(8):
            body = submission(f"t{index}", dsl=f"s1 = {index}\n" + "# pad\n" * 8000)  # ~48 KB each
            miner = signing.keypair_from_uri(f"//page-miner-{index}")
            response = HTTP.post(f"{relay.url}/submit_solution", json=body,
                                  headers=signing.signed_headers(miner, "miner"))
            assert response.status_code == 200, response.text
        page = HTTP.get(f"{relay.url}/results", params={"limit": 1000},
                         headers=signing.signed_headers(KEYS["Bob"], "validator"))
    assert page.status_code == 200
    assert len(page.content) <= 200_000
    task_ids = [row["task_id"] for row in page.json()]
    assert task_ids == ["t7", "t6", "t5", "t4"][:len(task_ids)] and len(task_ids) >= 3  # newest first, then cut


@pytest.mark.parametrize("token", ["", "   ", "short-token"])
def test_a_short_admin_token_stops_the_relay_outside_test_mode(tmp_path, token):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RELAY_LOG_FILE": "", "ADMIN_AUTH_TOKEN": token,
           "RELAY_ALLOWLIST_MODE": "static", "BITSOTA_TEST_MODE": "0"}
    done = subprocess.run([sys.executable, "-m", "relay", "--migrate-only", "--database-url", "sqlite:///./r.db"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "ADMIN_AUTH_TOKEN" in done.stderr


def _closed_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sent before closing the connection, waiting at most `seconds`."""
    sock.settimeout(seconds)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            return received
        received += chunk
    raise AssertionError("the server kept the connection open")


def test_slow_partial_headers_are_cut_off(tmp_path):
    with RelayProcess(tmp_path, env={"RELAY_HEADER_TIMEOUT_S": "1"}) as relay:
        with socket.create_connection(("127.0.0.1", relay.port)) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            _closed_within(sock, 10)


def test_a_stalled_body_is_cut_off(tmp_path):
    with RelayProcess(tmp_path, env={"RELAY_BODY_TIMEOUT_S": "1"}) as relay:
        with socket.create_connection(("127.0.0.1", relay.port)) as sock:
            sock.sendall(b"POST /submit_solution HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{\"task_id\": ")
            answer = _closed_within(sock, 10)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")


def test_test_submissions_are_handed_out_once_on_postgres(tmp_path, postgres_url):
    name = f"bitsota_hostile_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(postgres_url, f'CREATE DATABASE "{name}"'))
    try:
        with RelayProcess(tmp_path, with_database(postgres_url, name)) as relay:
            for index in range(30):
                body = submission(f"q{index}")
                response = HTTP.post(f"{relay.url}/test/submit_solution", json=body,
                                      headers=signing.signed_headers(KEYS["Bob"], "validator"))
                assert response.status_code == 200, response.text

            def claim(index: int) -> list[str]:
                key = signing.keypair_from_uri(f"//claimer-{index}")
                rows = HTTP.get(f"{relay.url}/test/submissions", params={"limit": 30},
                                 headers=signing.signed_headers(key, "validator"), timeout=30).json()
                return [row["id"] for row in rows]

            with ThreadPoolExecutor(8) as pool:
                claimed = [row for rows in pool.map(claim, range(8)) for row in rows]
        assert sorted(claimed) == sorted(set(claimed))
        assert len(claimed) == 30
    finally:
        asyncio.run(admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

