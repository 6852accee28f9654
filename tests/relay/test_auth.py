"""Signed-header authentication (§3): freshness, replay, forged and malformed signatures, admin auth."""

from __future__ import annotations

import base64
import time

import pytest

from core import signing
from tests.relay.conftest import KEYS, headers, hotkey

SUBMIT = {"task_id": "run:0:1", "score": 0.5,
          "algorithm_result": {"algorithm_dsl": "s1 = s0", "task_type": "scalar_linear", "input_dim": 4}}


def submit(client, hdrs, body=SUBMIT):
    return client.post("/submit_solution", json=body, headers=hdrs)


def test_good_miner_and_validator_signatures_pass(sqlite_relay_factory):
    client = sqlite_relay_factory()
    assert submit(client, headers("Alice", "miner")).status_code == 200
    response = client.get("/results", headers=headers("Bob", "validator"))
    assert response.status_code == 200
    assert [row["miner_hotkey"] for row in response.json()] == [hotkey("Alice")]


def test_either_message_form_is_accepted_for_either_role(sqlite_relay_factory):
    client = sqlite_relay_factory()
    assert client.get("/invitation_code/linked", headers=headers("Alice", "validator")).status_code == 200
    assert client.get("/results", headers=headers("Bob", "miner")).status_code == 200


def test_missing_headers_are_422(sqlite_relay_factory):
    client = sqlite_relay_factory()
    partial = headers("Alice")
    del partial["X-Signature"]
    response = submit(client, partial)
    assert response.status_code == 422
    assert ["header", "x-signature"] in [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: {**h, "X-Signature": "0x" + h["X-Signature"][2:]}, "bad_signature"),
        (lambda h: {**h, "X-Signature": h["X-Signature"] + "00"}, "bad_signature"),
        (lambda h: {**h, "X-Signature": h["X-Signature"][:-2]}, "bad_signature"),
        (lambda h: {**h, "X-Signature": "zz" * 64}, "bad_signature"),
        (lambda h: {**h, "X-Key": hotkey("Bob")}, "bad_signature"),
        (lambda h: {**h, "X-Key": "not-a-hotkey"}, "bad_signature"),
        (lambda h: {**h, "X-Timestamp": "auth:" + str(int(h["X-Timestamp"][5:]) + 1)}, "bad_signature"),
        (lambda h: {**h, "X-Timestamp": "auth:yesterday"}, "bad_timestamp"),
        (lambda h: {**h, "X-Timestamp": "auth:-5"}, "bad_timestamp"),
    ],
)
def test_forged_or_malformed_miner_auth_is_401(sqlite_relay_factory, mutate, reason):
    client = sqlite_relay_factory()
    response = submit(client, mutate(headers("Alice")))
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication failed for miner"}
    assert response.headers["X-Auth-Error"] == reason


def test_uppercase_signature_and_bytes_wrapped_signature_pass(sqlite_relay_factory):
    client = sqlite_relay_factory()
    upper = headers("Alice")
    upper["X-Signature"] = upper["X-Signature"].upper()
    assert client.get("/invitation_code/linked", headers=upper).status_code == 200
    message = signing.auth_message("miner")
    wrapped = KEYS["Alice"].sign(f"<Bytes>{message}</Bytes>".encode()).hex()
    response = client.get(
        "/invitation_code/linked", headers={"X-Key": hotkey("Alice"), "X-Timestamp": message, "X-Signature": wrapped}
    )
    assert response.status_code == 200


def test_stale_timestamp_rejected_with_validator_detail(sqlite_relay_factory):
    client = sqlite_relay_factory()
    for offset in (-301, 301):
        response = client.get("/results", headers=headers("Bob", "validator", now=time.time() + offset))
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication failed"}
        assert response.headers["X-Auth-Error"] == "stale_timestamp"
    assert client.get("/results", headers=headers("Bob", "validator", now=time.time() - 290)).status_code == 200


def test_replayed_headers_rejected(sqlite_relay_factory):
    client = sqlite_relay_factory()
    same = headers("Alice")
    assert client.get("/invitation_code/linked", headers=same).status_code == 200
    again = client.get("/invitation_code/linked", headers=same)
    assert again.status_code == 401
    assert again.headers["X-Auth-Error"] == "replayed"
    assert client.get("/invitation_code/linked", headers=headers("Alice")).status_code == 200


def test_skew_zero_disables_freshness_and_replay(sqlite_relay_factory):
    client = sqlite_relay_factory(max_clock_skew_s=0)
    old = headers("Alice", now=time.time() - 10_000)
    assert client.get("/invitation_code/linked", headers=old).status_code == 200
    assert client.get("/invitation_code/linked", headers=old).status_code == 200
    forged = {**old, "X-Key": hotkey("Bob")}
    assert client.get("/invitation_code/linked", headers=forged).status_code == 401


def test_production_allowlist_static_mode(sqlite_relay_factory):
    client = sqlite_relay_factory(test_mode=False, allowlist_mode="static", validator_allowlist=(hotkey("Bob"),))
    assert client.get("/results", headers=headers("Bob", "validator")).status_code == 200
    refused = client.get("/results", headers=headers("Charlie", "validator"))
    assert refused.status_code == 401
    assert refused.headers["X-Auth-Error"] == "not_allowlisted"
    # Miners need an invite outside test mode.
    response = submit(client, headers("Alice"))
    assert (response.status_code, response.json()["detail"]) == (403, "Please register your invitation code first")


def test_admin_token_auth(sqlite_relay_factory):
    client = sqlite_relay_factory()
    assert client.post("/invitation_code/generate/2").status_code == 422
    bad = client.post("/invitation_code/generate/2", headers={"X-Auth-Token": "nope"})
    assert (bad.status_code, bad.json()) == (401, {"detail": "Authentication failed for admin"})
    good = client.post("/invitation_code/generate/2", headers={"X-Auth-Token": "dev"})
    assert good.status_code == 200 and len(good.json()["data"]) == 2


def _basic(text: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(text.encode()).decode()}


@pytest.mark.parametrize(
    ("auth_headers", "status", "detail"),
    [
        ({}, 401, "Authentication required"),
        ({"Authorization": "Bearer x"}, 401, "Authentication required"),
        ({"Authorization": "Basic !!!"}, 401, "Invalid authorization header"),
        (_basic("nocolon"), 401, "Invalid authorization header"),
        (_basic("admin:wrong"), 401, "Invalid credentials"),
        (_basic("root:dev"), 401, "Invalid credentials"),
        ({"X-Auth-Token": "wrong"}, 401, "Authentication required"),
    ],
)
def test_dashboard_auth_failures(sqlite_relay_factory, auth_headers, status, detail):
    client = sqlite_relay_factory()
    response = client.get("/admin/status", headers=auth_headers)
    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert response.headers["WWW-Authenticate"] == "Basic"


def test_dashboard_login_admin_dev_and_token(sqlite_relay_factory):
    client = sqlite_relay_factory()
    assert client.get("/admin/status", headers=_basic("admin:dev")).json()["status"] == "healthy"
    assert client.get("/admin/status", headers={"X-Auth-Token": "dev"}).status_code == 200
