"""§2 and acceptance check 1: signed headers, clock skew, replay cache, tolerated prefixes."""

from __future__ import annotations

from core.signing import sign
from tests.pool.conftest import KEYS, hotkey

REGISTER = "/api/v1/miners/register"


async def test_valid_signature_registers_and_is_idempotent(pool):
    first = await pool.call("Alice", "POST", REGISTER)
    assert first.status_code == 200
    assert first.json()["status"] == "registered" and first.json()["is_new"] is True
    second = await pool.call("Alice", "POST", REGISTER)
    assert second.status_code == 200 and second.json()["is_new"] is False
    assert second.json()["hotkey"] == hotkey("Alice")


async def test_stale_timestamp_is_rejected(pool):
    for offset in (301, -301):
        stale = pool.clock.now + offset
        ts = str(int(stale))
        hdrs = {"X-Key": hotkey("Alice"), "X-Timestamp": ts, "X-Signature": sign(KEYS["Alice"], f"auth:{ts}")}
        response = await pool.client.post(REGISTER, headers=hdrs)
        assert response.status_code == 401
        assert response.json()["detail"] == "Timestamp outside allowed window"


async def test_replayed_signature_is_rejected(pool):
    ts = str(int(pool.clock.now))
    hdrs = {"X-Key": hotkey("Alice"), "X-Timestamp": ts, "X-Signature": sign(KEYS["Alice"], f"auth:{ts}")}
    assert (await pool.client.post(REGISTER, headers=hdrs)).status_code == 200
    replay = await pool.client.post(REGISTER, headers=hdrs)
    assert replay.status_code == 401 and replay.json()["detail"] == "Replayed request"


async def test_0x_signature_and_auth_prefixed_timestamp_are_accepted(pool):
    ts = str(int(pool.clock.now))
    prefixed = {"X-Key": hotkey("Bob"), "X-Timestamp": ts, "X-Signature": "0x" + sign(KEYS["Bob"], f"auth:{ts}")}
    assert (await pool.client.post(REGISTER, headers=prefixed)).status_code == 200
    relay_style = {"X-Key": hotkey("Bob"), "X-Timestamp": f"auth:{ts}", "X-Signature": sign(KEYS["Bob"], f"auth:{ts}")}
    assert (await pool.client.post(REGISTER, headers=relay_style)).status_code == 200


async def test_each_auth_failure_has_its_detail(pool):
    ts = str(int(pool.clock.now))
    good = sign(KEYS["Alice"], f"auth:{ts}")
    cases = [
        ({}, "Missing authentication headers"),
        ({"X-Key": hotkey("Alice"), "X-Timestamp": "soon", "X-Signature": good}, "Invalid timestamp"),
        ({"X-Key": "not-a-hotkey", "X-Timestamp": ts, "X-Signature": good}, "Invalid hotkey"),
        ({"X-Key": hotkey("Bob"), "X-Timestamp": ts, "X-Signature": good}, "Invalid signature"),
        ({"X-Key": hotkey("Alice"), "X-Timestamp": ts, "X-Signature": "zz"}, "Invalid signature"),
    ]
    for hdrs, detail in cases:
        response = await pool.client.post(REGISTER, headers=hdrs)
        assert (response.status_code, response.json()["detail"]) == (401, detail)


async def test_monitor_token_guards_summary(tmp_path):
    from tests.pool.conftest import open_pool, sqlite_settings

    async with open_pool(sqlite_settings(tmp_path, monitor_token="s3cret")) as pool:
        denied = await pool.client.get("/api/v1/monitor/summary", headers={"X-Monitor-Token": "wrong"})
        assert denied.status_code == 401 and denied.json()["detail"] == "Invalid monitor token"
        allowed = await pool.client.get("/api/v1/monitor/summary", headers={"X-Monitor-Token": "s3cret"})
        assert allowed.status_code == 200 and allowed.json()["pool"]["consensus_k"] == 3
