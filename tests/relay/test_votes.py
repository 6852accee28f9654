"""SOTA voting (§6) on SQLite and PostgreSQL: every branch of the algorithm, finalization and windows."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from relay.models import SotaCache
from relay.settings import Settings
from relay.sota import ceil_to_mod, reward_window, score_to_int
from tests.relay.conftest import headers, hotkey

ALICE, EVE = hotkey("Alice"), hotkey("Eve")


def vote(client, validator, miner, score, block, result_id="r1"):
    body = {"miner_hotkey": miner, "score": score, "seen_block": block, "result_id": result_id}
    return client.post("/sota/vote", json=body, headers=headers(validator, "validator"))


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def rejected(response) -> str:
    assert response.status_code == 400, response.text
    return response.json()["detail"]


def threshold(client) -> float:
    return client.get("/sota_threshold").json()["sota_threshold"]


def test_recorded_then_already_voted(relay):
    first = ok(vote(relay, "Bob", ALICE, 0.8, 100))
    assert first == {"status": "vote_recorded", "votes_for_candidate": 1, "votes_needed": 2, "current_sota": 0.0, "finalized_event": None}
    again = ok(vote(relay, "Bob", ALICE, 0.8, 100))
    assert (again["status"], again["votes_for_candidate"]) == ("already_voted", 1)


def test_same_round_update_and_rejection(relay_factory):
    client = relay_factory(alignment_mod=100)
    assert ok(vote(client, "Bob", ALICE, 0.8, 150))["status"] == "vote_recorded"
    assert rejected(vote(client, "Bob", EVE, 0.7, 160)) == "Validator has already voted this round (existing vote is better or equal)"
    assert ok(vote(client, "Bob", EVE, 0.8, 170))["status"] == "vote_updated"  # equal score, other miner
    updated = ok(vote(client, "Bob", ALICE, 0.9, 199))
    assert (updated["status"], updated["votes_for_candidate"]) == ("vote_updated", 1)
    assert ok(vote(client, "Charlie", EVE, 0.8, 150))["votes_for_candidate"] == 1  # Bob's EVE vote was replaced


def test_stale_round_vote_is_replaced(relay_factory):
    client = relay_factory(alignment_mod=100)
    ok(vote(client, "Bob", ALICE, 0.9, 150))
    later = ok(vote(client, "Bob", EVE, 0.7, 250))  # round 300 ≠ 200: the old vote is deleted
    assert later["status"] == "vote_recorded"
    assert ok(vote(client, "Charlie", ALICE, 0.9, 250))["votes_for_candidate"] == 1


def test_votes_count_across_rounds_and_finalize_with_window(relay_factory):
    client = relay_factory(alignment_mod=100)
    ok(vote(client, "Dave", EVE, 0.85, 120))
    ok(vote(client, "Bob", ALICE, 0.8, 150))
    final = ok(vote(client, "Charlie", ALICE, 0.8, 950, result_id="abc"))
    assert final["status"] == "finalized"
    assert (final["votes_for_candidate"], final["votes_needed"], final["current_sota"]) == (2, 2, 0.8)
    event = final["finalized_event"]
    assert event["miner_hotkey"] == ALICE and event["score_int"] == 800000000000000000  # > 2^31 on Postgres too
    assert (event["decision_block"], event["start_block"], event["end_block"]) == (950, 1100, 2100)
    assert (event["alignment_mod"], event["t2_blocks"], event["result_id"]) == (100, 1000, "abc")
    assert threshold(client) == 0.8
    # Every vote was wiped, including Dave's vote for another candidate.
    assert ok(vote(client, "Charlie", EVE, 0.85, 1000))["votes_for_candidate"] == 1
    # The finalized candidate is no longer above the SOTA.
    assert rejected(vote(client, "Dave", ALICE, 0.8, 1000)) == "Score 0.8 is not above current SOTA 0.8"
    events = client.get("/sota/events", headers=headers("Bob", "validator")).json()
    assert [e["id"] for e in events] == [event["id"]]


def test_three_validators(relay_factory):
    client = relay_factory(alignment_mod=1, consensus_votes=3)
    assert ok(vote(client, "Bob", ALICE, 0.6, 10))["votes_for_candidate"] == 1
    assert ok(vote(client, "Charlie", ALICE, 0.6, 11))["status"] == "vote_recorded"
    final = ok(vote(client, "Dave", ALICE, 0.6, 12))
    assert (final["status"], final["votes_for_candidate"], final["current_sota"]) == ("finalized", 3, 0.6)
    assert final["finalized_event"]["decision_block"] == 12
    assert (final["finalized_event"]["start_block"], final["finalized_event"]["end_block"]) == (13, 1013)


def test_single_validator_local_settings(relay_factory):
    client = relay_factory(alignment_mod=1, consensus_votes=1)
    final = ok(vote(client, "Bob", ALICE, 0.8125, 1738740000))
    event = final["finalized_event"]
    assert (event["start_block"], event["end_block"], event["t2_blocks"]) == (1738740001, 1738741001, 1000)
    second = ok(vote(client, "Bob", EVE, 0.9, 1738740005))["finalized_event"]
    public = client.get("/sota-events").json()
    assert public["total"] == 2 and public["total_pages"] == 1
    assert [row["miner_hotkey"] for row in public["results"]] == [EVE, ALICE]  # created_at descending
    assert public["results"][0]["created_at"] == second["created_at"] != event["created_at"]
    assert set(public["results"][0]) == {"miner_hotkey", "score", "created_at"}


def test_existing_event_is_reused_without_changing_sota(relay_factory):
    client = relay_factory(alignment_mod=1, consensus_votes=1)
    first = ok(vote(client, "Bob", ALICE, 0.5, 10))["finalized_event"]

    async def reset_sota():
        async with client.app.state.relay.db.write() as session:
            await session.execute(update(SotaCache).values(sota_value=0.25))

    client.portal.call(reset_sota)
    again = ok(vote(client, "Charlie", ALICE, 0.5, 20))
    assert again["status"] == "finalized"
    assert again["finalized_event"]["id"] == first["id"]
    assert again["current_sota"] == 0.25


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"miner_hotkey": "short", "score": 0.9, "seen_block": 5}, "Invalid miner hotkey format"),
        ({"miner_hotkey": ALICE, "score": 0.9, "seen_block": 0}, "seen_block must be > 0"),
        ({"miner_hotkey": ALICE, "score": "nan", "seen_block": 5}, "score must be a finite number"),
        ({"miner_hotkey": ALICE, "score": "inf", "seen_block": 5}, "score must be a finite number"),
        ({"miner_hotkey": ALICE, "score": 10.0, "seen_block": 5}, "score out of range"),
        ({"miner_hotkey": ALICE, "score": 1e300, "seen_block": 5}, "score out of range"),
        ({"miner_hotkey": ALICE, "score": -0.5, "seen_block": 5}, "Score -0.5 is not above current SOTA 0.0"),
    ],
)
def test_vote_validation(relay, body, detail):
    response = relay.post("/sota/vote", json=body, headers=headers("Bob", "validator"))
    assert rejected(response) == detail


def test_vote_body_type_errors_are_422(relay):
    for body in ({"miner_hotkey": ALICE, "score": 0.9}, {"miner_hotkey": ALICE, "score": 0.9, "seen_block": 1.5}):
        assert relay.post("/sota/vote", json=body, headers=headers("Bob", "validator")).status_code == 422
    lax = {"miner_hotkey": ALICE, "score": "0.9", "seen_block": 7.0}
    assert ok(relay.post("/sota/vote", json=lax, headers=headers("Bob", "validator")))["status"] == "vote_recorded"


def test_sota_events_limit_and_order(relay_factory):
    client = relay_factory(alignment_mod=1, consensus_votes=1)
    for index, block in enumerate((300, 100, 200)):
        ok(vote(client, "Bob", ALICE, 0.1 * (index + 1), block))
    events = client.get("/sota/events", params={"limit": 2}, headers=headers("Bob", "validator")).json()
    assert [e["start_block"] for e in events] == [301, 201]
    assert client.get("/sota/events", params={"limit": 0}, headers=headers("Bob", "validator")).json()[0]["start_block"] == 301
    assert client.get("/sota/events").status_code == 422  # validator auth required


def base_settings(**overrides) -> Settings:
    return dataclasses.replace(Settings(database_url="sqlite+aiosqlite:///:memory:"), **overrides)


@pytest.mark.parametrize(
    ("overrides", "decision", "window"),
    [
        ({}, 12345, (12500, 13500, 1000)),
        ({"alignment_mod": 1}, 1738740000, (1738740001, 1738741001, 1000)),
        ({"t2_intervals": 1}, 12345, (12500, 12700, 200)),  # at least SOTA_MIN_T2_INTERVALS
        ({"t2_intervals": 5, "activation_delay_intervals": 0}, 12400, (12400, 12900, 500)),
        ({"t2_blocks": 1050}, 100, (200, 1300, 1100)),  # ceil(1050 / 100) = 11 intervals
    ],
)
def test_reward_window_examples(overrides, decision, window):
    result = reward_window(decision, base_settings(**overrides))
    assert (result.start_block, result.end_block, result.t2_blocks) == window
    assert result.decision_block == decision


def test_round_and_score_helpers():
    assert [ceil_to_mod(b, 100) for b in (1, 100, 101, 199, 200)] == [100, 100, 200, 200, 200]
    assert score_to_int(0.8125) == 812500000000000000
    assert score_to_int(2.5e-18) == 2  # half to even
    assert score_to_int(9.2) == int(round(9.2 * 10**18))  # still below 2^63
