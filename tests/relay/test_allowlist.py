"""The production validator allowlist (§3.4) and the UID0 rule (§3.5), with a fake chain adapter."""

from __future__ import annotations

import sys
import time

import pytest
from fastapi.testclient import TestClient

from core import chain
from relay.app import create_app
from tests.relay.conftest import headers, hotkey, sqlite_settings


class FakeChain:
    def __init__(self):
        self.calls = 0
        self.failure: Exception | None = None
        self.delay = 0.0
        self.view = chain.MetagraphView(
            hotkeys=[hotkey("Dave"), hotkey("Bob"), hotkey("Charlie"), hotkey("Eve")],
            stake=[60000.0, 50001.0, 50000.0, 90000.0],
            validator_permit=[True, True, True, False],
            last_update=[0, 0, 0, 0],
        )

    def __call__(self, netuid, network):
        self.calls += 1
        assert (netuid, network) == (94, "finney")
        time.sleep(self.delay)
        if self.failure:
            raise self.failure
        return self.view


@pytest.fixture
def production(tmp_path):
    fake = FakeChain()
    clients = []

    def start(loader=fake, **overrides):
        settings = sqlite_settings(tmp_path / "relay.db", **{"test_mode": False, "validator_allowlist": (), **overrides})
        client = TestClient(create_app(settings, load_metagraph=loader)).__enter__()
        clients.append(client)
        return client

    yield fake, start
    for client in clients:
        client.__exit__(None, None, None)


def status_of(client, name):
    return client.get("/results", headers=headers(name, "validator"))


def test_stake_strictly_above_threshold_and_permit_required(production):
    fake, start = production
    client = start()
    assert status_of(client, "Dave").status_code == 200
    assert status_of(client, "Bob").status_code == 200  # 50001 > 50000
    assert status_of(client, "Charlie").headers["X-Auth-Error"] == "not_allowlisted"  # exactly 50000
    assert status_of(client, "Eve").headers["X-Auth-Error"] == "not_allowlisted"  # no permit
    assert fake.calls == 1  # cached for RELAY_AUTH_SYNC_INTERVAL_S
    report = client.get("/admin/status", headers={"X-Auth-Token": "dev"}).json()
    assert report["auth"]["validator_cache_count"] == 2
    assert report["uid0_hotkey"] == hotkey("Dave")


def test_static_list_is_always_allowed(production):
    fake, start = production
    client = start(validator_allowlist=(hotkey("Ferdie"),))
    assert status_of(client, "Ferdie").status_code == 200


def test_sync_failure_without_cache_is_503(production):
    fake, start = production
    fake.failure = RuntimeError("rpc down")
    client = start()
    first = status_of(client, "Dave")
    assert (first.status_code, first.json()["detail"]) == (503, "validator sync failed: RuntimeError")
    assert status_of(client, "Dave").status_code == 503
    assert fake.calls == 2  # the sync time was not advanced, so every request retries


def test_missing_chain_extra_reports_the_import_error(production, monkeypatch):
    monkeypatch.setitem(sys.modules, "bittensor", None)  # `import bittensor` now fails
    _fake, start = production
    client = start(loader=chain.load_metagraph)
    response = status_of(client, "Dave")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("ModuleNotFoundError: ")
    assert "bittensor" in response.json()["detail"]


def test_sync_timeout_message(production):
    fake, start = production
    fake.delay = 0.5
    client = start(auth_sync_timeout_s=0.1)
    response = status_of(client, "Dave")
    assert (response.status_code, response.json()["detail"]) == (503, "validator sync timeout after 0.1s")


def test_stale_allowlist_served_while_chain_is_down(production):
    fake, start = production
    client = start(auth_sync_interval_s=0.0)
    assert status_of(client, "Dave").status_code == 200
    fake.failure = RuntimeError("down")
    assert status_of(client, "Dave").status_code == 200
    assert status_of(client, "Bob").status_code == 200
    assert fake.calls == 2  # after a failure the next sync waits 30 s


def test_uid0_rule(production):
    fake, start = production
    client = start()
    body = {"task_id": "t", "algorithm_result": {"a": 1}, "score": None}
    not_uid0 = client.post("/test/submit_solution", json=body, headers=headers("Bob", "validator"))
    assert (not_uid0.status_code, not_uid0.json()["detail"]) == (403, "Only UID0 validator may access this endpoint")
    assert client.post("/test/submit_solution", json=body, headers=headers("Dave", "validator")).status_code == 200


def test_uid0_unknown_outside_test_mode_is_503(production):
    _fake, start = production
    client = start(allowlist_mode="static", validator_allowlist=(hotkey("Bob"),))
    response = client.get("/test/submissions", headers=headers("Bob", "validator"))
    assert (response.status_code, response.json()["detail"]) == (503, "UID0 validator not configured or unavailable")


def test_pinned_uid0_applies_in_test_mode(production):
    _fake, start = production
    client = start(test_mode=True, uid0_hotkey=hotkey("Charlie"))
    assert client.get("/test/submissions", headers=headers("Bob", "validator")).status_code == 403
    assert client.get("/test/submissions", headers=headers("Charlie", "validator")).json() == []
