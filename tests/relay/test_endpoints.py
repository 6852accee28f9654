"""Every relay endpoint's success and error paths (§5, §7, §8), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from tests.relay.conftest import headers, hotkey

ALICE, EVE = hotkey("Alice"), hotkey("Eve")
ADMIN = {"X-Auth-Token": "dev"}


def solution(n: int = 0, **extra) -> dict:
    return {"algorithm_dsl": f"s1 = s0 + {n}", "task_type": "scalar_linear", "input_dim": 4, **extra}


def submit(client, name="Alice", score=0.5, n=0, task_id="run:0:1", **extra):
    body = {"task_id": task_id, "algorithm_result": solution(n, **extra), "score": score}
    return client.post("/submit_solution", json=body, headers=headers(name))


def detail(response, status):
    assert response.status_code == status, response.text
    return response.json()["detail"]


def results(client, **params):
    response = client.get("/results", params=params, headers=headers("Bob", "validator"))
    assert response.status_code == 200, response.text
    return response.json()


# --- public ---------------------------------------------------------------------------------------

def test_health_and_request_id(relay):
    response = relay.get("/health", headers={"X-Request-ID": "trace-1"})
    assert response.json()["status"] == "healthy"
    assert response.json()["timestamp"].endswith("+00:00")
    assert response.headers["X-Request-ID"] == "trace-1"
    assert len(relay.get("/health").headers["X-Request-ID"]) == 36


def test_version_manifest(relay_factory, tmp_path):
    packaged = relay_factory().get("/version.json").json()
    assert {"version", "versionCode", "desc", "mac", "linux", "windows"} <= set(packaged)
    custom = tmp_path / "v.json"
    custom.write_text(json.dumps({"version": "9.9.9", "versionCode": 99, "extra": True}))
    assert relay_factory(version_file=custom).get("/version.json").json()["extra"] is True
    missing = relay_factory(version_file=tmp_path / "nope.json").get("/version.json")
    assert detail(missing, 404) == "Version info not found"


def test_sota_threshold_shape(relay_factory):
    body = relay_factory(default_sota_threshold=0.25).get("/sota_threshold").json()
    assert body["task_type"] == "global" and body["cached"] is True and body["sota_threshold"] == 0.25
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?", body["updated_at"])


def test_public_sota_events_empty_and_clamped(relay):
    body = relay.get("/sota-events", params={"page": -3, "page_size": 1000}).json()
    assert body == {"results": [], "total": 0, "page": 1, "page_size": 100, "total_pages": 0}
    assert relay.get("/sota-events", params={"page": "x"}).status_code == 422


# --- submissions ----------------------------------------------------------------------------------

def test_submit_accepts_and_results_show_the_signed_row(relay):
    sent = headers("Alice")
    body = {"task_id": "run:0:1", "algorithm_result": {"z": 1, "a": [1, 2]}, "score": "0.5"}
    accepted = relay.post("/submit_solution", json=body, headers=sent).json()
    assert accepted["status"] == "accepted" and re.fullmatch(r"[0-9a-f]{16}", accepted["result_id"])
    [row] = results(relay)
    assert row["id"] == accepted["result_id"] and row["miner_hotkey"] == ALICE
    assert row["algorithm_result"] == '{"z": 1, "a": [1, 2]}'  # json.dumps defaults, insertion order
    assert (row["score"], row["task_id"], row["validator_verified"]) == (0.5, "run:0:1", None)
    assert (row["signature"], row["timestamp_message"]) == (sent["X-Signature"], sent["X-Timestamp"])
    assert row["coldkey_address"] is None


def test_resubmission_replaces_the_row_and_keeps_its_id(relay):
    first = submit(relay, score=0.9, n=1).json()["result_id"]
    second = submit(relay, score=0.1, n=2, task_id="run:0:2").json()["result_id"]
    assert first == second
    [row] = results(relay)
    assert (row["score"], row["task_id"]) == (0.1, "run:0:2")


def test_submit_score_checks(relay):
    assert detail(submit(relay, score=None), 400) == "score is required"
    assert detail(submit(relay, score="NaN", n=1), 400) == "score must be a finite number"
    assert detail(submit(relay, score="-inf", n=2), 400) == "score must be a finite number"
    assert submit(relay, score="abc", n=3).status_code == 422


def test_duplicates_within_five_minutes_from_any_miner(relay):
    assert submit(relay, "Alice", n=7).status_code == 200
    assert detail(submit(relay, "Eve", n=7), 400) == "Duplicate solution submitted within 5 minutes"
    reordered = {"task_id": "t", "algorithm_result": dict(reversed(list(solution(7).items()))), "score": 0.5}
    again = relay.post("/submit_solution", json=reordered, headers=headers("Eve"))
    assert detail(again, 400) == "Duplicate solution submitted within 5 minutes"  # sorted keys


def test_sota_gate(relay_factory):
    client = relay_factory(default_sota_threshold=0.5)
    assert detail(submit(client, score=0.25), 400) == "Score 0.25 is below the SOTA threshold of 0.5"
    assert submit(client, score=0.5, n=1).status_code == 200  # equal is accepted


def test_rate_limit(relay_factory):
    client = relay_factory(max_submissions_per_hour=2)
    assert submit(client, n=1).status_code == 200
    assert submit(client, n=2).status_code == 200
    assert detail(submit(client, n=3), 429) == "Rate limit exceeded. Max 2 submissions per hour"
    assert submit(client, "Eve", n=4).status_code == 200


def test_invite_required_outside_test_mode(relay_factory):
    client = relay_factory(test_mode=False, allowlist_mode="static", validator_allowlist=())
    assert detail(submit(client), 403) == "Please register your invitation code first"
    [code] = client.post("/invitation_code/generate/1", headers=ADMIN).json()["data"]
    link = client.post("/invitation_code/link", json={"code": code}, headers=headers("Alice"))
    assert link.json() == {"data": 1}
    assert submit(client, n=1).status_code == 200


def test_results_filters_order_and_limits(relay):
    submit(relay, "Alice", n=1, task_id="a")
    submit(relay, "Eve", n=2, task_id="b")
    assert [row["miner_hotkey"] for row in results(relay)] == [EVE, ALICE]  # newest first
    assert [row["task_id"] for row in results(relay, task_id="a")] == ["a"]
    assert len(results(relay, limit=0)) == 1 and len(results(relay, limit=10**30)) == 2
    assert relay.get("/results", params={"limit": "many"}, headers=headers("Bob", "validator")).status_code == 422


def test_results_for_one_miner(relay):
    submit(relay, "Alice")
    one = relay.get(f"/results/{ALICE}", params={"limit": 5}, headers=headers("Bob", "validator")).json()
    assert [row["miner_hotkey"] for row in one] == [ALICE]
    assert relay.get(f"/results/{EVE}", headers=headers("Bob", "validator")).json() == []
    assert detail(relay.get("/results/abc", headers=headers("Bob", "validator")), 400) == "Invalid hotkey format"


# --- invite codes and coldkeys -----------------------------------------------------------------

def link(client, name, code, coldkey=None):
    return client.post("/invitation_code/link", json={"code": code, "coldkey_address": coldkey}, headers=headers(name))


def linked(client, name):
    return client.get("/invitation_code/linked", headers=headers(name)).json()["data"]


def test_test_code_usable_by_two_hotkeys(relay):
    assert linked(relay, "Alice") is None
    assert link(relay, "Alice", "TESTTEST1", "5Cold").json() == {"data": 1}
    assert linked(relay, "Alice") == "TESTTEST1"
    assert link(relay, "Eve", "TESTTEST1").json() == {"data": 1}
    eve_code = linked(relay, "Eve")
    assert re.fullmatch(r"[A-Z0-9]{8}", eve_code)
    submit(relay, "Alice")
    assert results(relay)[0]["coldkey_address"] == "5Cold"


def test_link_rules(relay):
    codes = relay.post("/invitation_code/generate/2", headers=ADMIN).json()["data"]
    assert link(relay, "Alice", "UNKNOWN1").json() == {"data": 0}
    assert link(relay, "Alice", codes[0]).json() == {"data": 1}
    assert link(relay, "Alice", codes[0], "5NewCold").json() == {"data": 1}  # same code: coldkey updated
    assert detail(link(relay, "Alice", codes[1]), 409) == "Hotkey already linked to an invitation code"
    assert link(relay, "Eve", codes[0]).json() == {"data": 0}  # already used
    assert detail(link(relay, "Eve", codes[1], "x" * 129), 400) == "coldkey_address too long"
    listing = relay.get("/invitation_code/list/1/10", headers=ADMIN).json()
    assert listing["count"] == 2
    alice_row = next(row for row in listing["data"] if row["id"] == codes[0])
    assert (alice_row["miner_hotkey"], alice_row["coldkey_address"]) == (ALICE, "5NewCold")


def test_coldkey_update(relay_factory):
    test_client = relay_factory()
    created = test_client.post("/coldkey_address/update", json={"coldkey_address": "5C"}, headers=headers("Alice"))
    assert created.json() == {"status": "success", "coldkey_address": "5C", "invite_code": "TESTTEST1"}
    other = test_client.post("/coldkey_address/update", json={"coldkey_address": "5D"}, headers=headers("Eve")).json()
    assert other["invite_code"] != "TESTTEST1" and len(other["invite_code"]) == 8
    too_long = test_client.post("/coldkey_address/update", json={"coldkey_address": "y" * 129}, headers=headers("Eve"))
    assert detail(too_long, 400) == "coldkey_address too long"
    assert test_client.post("/coldkey_address/update", json={}, headers=headers("Eve")).status_code == 422


def test_coldkey_update_needs_a_code_in_production(relay_factory):
    client = relay_factory(test_mode=False, allowlist_mode="static", validator_allowlist=())
    response = client.post("/coldkey_address/update", json={"coldkey_address": "5C"}, headers=headers("Alice"))
    assert detail(response, 404) == "No invitation code linked to this miner"


def test_generate_and_list_clamps(relay):
    assert relay.post("/invitation_code/generate/-5", headers=ADMIN).json() == {"data": []}
    codes = relay.post("/invitation_code/generate/3", headers=ADMIN).json()["data"]
    assert len(set(codes)) == 3 and all(re.fullmatch(r"[A-Z0-9]{8}", code) for code in codes)
    first = relay.get("/invitation_code/list/0/2", headers=ADMIN).json()
    second = relay.get("/invitation_code/list/2/2", headers=ADMIN).json()
    assert first["count"] == 3 and len(first["data"]) == 2 and len(second["data"]) == 1
    assert {row["id"] for row in first["data"] + second["data"]} == set(codes)
    assert relay.get("/invitation_code/list/a/2", headers=ADMIN).status_code == 422


# --- blacklist -------------------------------------------------------------------------------------

def blacklist(client, validator, miner):
    return client.post(f"/blacklist/{miner}", headers=headers(validator, "validator"))


def test_blacklist_votes_block_a_miner_until_cleared(relay):
    assert detail(blacklist(relay, "Bob", "bad"), 400) == "Invalid miner hotkey format"
    assert blacklist(relay, "Bob", ALICE).json() == {"status": "blacklist vote recorded"}
    assert detail(blacklist(relay, "Bob", ALICE), 400) == "Validator has already voted to blacklist this miner"
    assert submit(relay, n=1).status_code == 200  # one vote of two
    assert blacklist(relay, "Charlie", ALICE).status_code == 200
    assert detail(submit(relay, n=2), 403) == "Miner is blacklisted"
    # The rejected submission still counts as a duplicate for 5 minutes.
    assert detail(submit(relay, "Eve", n=2), 400) == "Duplicate solution submitted within 5 minutes"
    assert [row["miner_hotkey"] for row in results(relay)] == [ALICE]  # the old row stays
    cleared = relay.delete(f"/admin/blacklist/{ALICE}", headers=ADMIN)
    assert cleared.json() == {"status": "blacklist cleared", "removed": 2}
    assert submit(relay, n=3).status_code == 200
    assert relay.delete(f"/admin/blacklist/{ALICE}", headers={"X-Auth-Token": "x"}).status_code == 401


def test_single_vote_blacklists_when_configured(relay_factory):
    client = relay_factory(blacklist_consensus=1)
    blacklist(client, "Bob", ALICE)
    assert detail(submit(client), 403) == "Miner is blacklisted"


# --- UID0 test queue ---------------------------------------------------------------------------

def test_test_queue_claims_on_read(relay):
    sent = headers("Bob", "validator")
    body = {"task_id": "probe", "algorithm_result": {"algorithm_dsl": "x"}, "score": None}
    accepted = relay.post("/test/submit_solution", json=body, headers=sent).json()
    assert accepted["status"] == "accepted" and len(accepted["test_submission_id"]) == 16
    claimed = relay.get("/test/submissions", headers=headers("Charlie", "validator")).json()
    assert [item["id"] for item in claimed] == [accepted["test_submission_id"]]
    item = claimed[0]
    assert (item["submitter_hotkey"], item["claimed_by"], item["score"]) == (hotkey("Bob"), hotkey("Charlie"), None)
    assert (item["signature"], item["timestamp_message"]) == (sent["X-Signature"], sent["X-Timestamp"])
    assert relay.get("/test/submissions", headers=headers("Charlie", "validator")).json() == []
    assert results(relay) == []  # never in /results


# --- admin, middleware -------------------------------------------------------------------------

def test_admin_status_counts_requests(relay):
    submit(relay)
    results(relay)
    relay.get("/health")
    report = relay.get("/admin/status", headers=ADMIN).json()
    assert report["db_ok"] is True and report["schema_revision"] == "0004" and report["test_mode"] is True
    assert report["metrics"]["totals"]["miner"] == 1 and report["metrics"]["totals"]["validator"] == 1
    assert report["metrics"]["last_1m"]["public"] >= 1
    assert report["replay_cache_entries"] == 2


def test_admin_dashboard_html(relay_factory):
    client = relay_factory(dashboard_refresh_s=7)
    page = client.get("/admin/dashboard", headers=ADMIN)
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "<title>Relay Admin Dashboard</title>" in text and 'content="7"' in text and "Auto-refresh: 7s" in text
    for label in ("Miner last 1m", "Validator last 1h", "5xx last 24h", "Current SOTA", "0.000000", "Test mode"):
        assert label in text


def test_body_too_large(relay_factory):
    client = relay_factory(max_body_bytes=1000)
    response = submit(client, padding="x" * 2000)
    assert detail(response, 413) == "Request body too large"


def test_cors_allows_bitsota_origins(relay):
    allowed = relay.options(
        "/submit_solution", headers={"Origin": "https://www.bitsota.ai", "Access-Control-Request-Method": "POST"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://www.bitsota.ai"
    other = relay.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_nul_characters_are_400_and_overlong_ids_422(relay):
    body = {"task_id": "a\x00b", "algorithm_result": {"k": "\x00"}, "score": 0.5}
    refused = relay.post("/submit_solution", json=body, headers=headers("Alice"))
    assert refused.status_code == 400 and "NUL" in refused.json()["detail"]
    nul_query = relay.get("/results", params={"task_id": "\x00"}, headers=headers("Bob", "validator"))
    assert nul_query.status_code == 400 and "NUL" in nul_query.json()["detail"]
    vote = {"miner_hotkey": ALICE, "score": 0.9, "seen_block": 5, "result_id": "r" * 65}
    assert relay.post("/sota/vote", json=vote, headers=headers("Bob", "validator")).status_code == 422
