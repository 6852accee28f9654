"""The whole validator node (validator.md §9) against the real relay, on a fake chain.

`python -m validator.node` runs as a real process with its relay poller thread and weight-manager ticks; the
chain is tests/validator/fake_chain/bittensor, which `core.chain` imports in place of the real library.
"""

from __future__ import annotations

import pytest

from core import signing
from tests.helpers import wait_for
from tests.validator.e2e import SGD_D4_SCORE, SGD_DSL, ValidatorNode, algorithm, submit
from tests.validator.relay_server import RelayServer

pytest.importorskip("yaml")

ALICE, BURN = signing.keypair_from_uri("//Alice"), signing.keypair_from_uri("//Burn")
NODE = "ValNode"
BURN_ONLY = ([0], [65535])
BURN_AND_WINNER = ([0, 2], [65535, 7282])      # 0.9 / 0.1 scaled by the maximum to u16


@pytest.fixture
def relay(tmp_path):
    server = RelayServer(tmp_path / "relay.db", SOTA_CONSENSUS_VOTES="1").start()
    yield server
    server.stop()


@pytest.fixture
def nodes():
    started: list[ValidatorNode] = []
    yield started
    for node in started:
        node.kill()


def node_config(relay_url: str) -> dict:
    return {
        "reward_mode": "capacitorless",
        "netuid": 94,
        "network": "fake",
        "relay": {"url": relay_url, "poll_interval_seconds": 0.3},
        "capacitorless": {"mode": "sticky_burnsplit", "burn_hotkey": BURN.ss58_address, "burn_share": 0.9,
                          "winner_source": "relay", "event_refresh_interval_s": 0, "poll_interval_s": 0.1,
                          "retry_interval_s": 0},
        "submission_schedule": {"mode": "interval", "interval_seconds": 3600},
        "submission_threshold": {"mode": "local_best"},
        "blacklist": {"cutoff_percentage": 0.1},
    }


def wait_for_node(node: ValidatorNode, condition, what: str) -> None:
    """wait_for, with the node's log at the moment of failure in the message."""
    try:
        wait_for(condition, timeout=60, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nnode log:\n{node.log()}") from None


def split(call: dict) -> tuple[list[int], list[int]]:
    return call["uids"], call["weights"]


def test_node_scores_votes_and_sets_the_winner_burn_split_after_finalization(relay, nodes, tmp_path):
    node_hotkey = signing.keypair_from_uri(f"//{NODE}").ss58_address
    node = ValidatorNode(tmp_path, NODE, [BURN.ss58_address, node_hotkey, ALICE.ss58_address], node_config(relay.url))
    nodes.append(node.start())

    # No SOTA event yet: all weight to the burn hotkey.
    wait_for_node(node, node.calls, "the first weights")
    assert split(node.calls()[0]) == BURN_ONLY

    assert submit(relay.url, ALICE, algorithm(SGD_DSL), SGD_D4_SCORE).status_code == 200
    wait_for_node(node, lambda: BURN_AND_WINNER in map(split, node.calls()), "the burn/winner split")
    assert relay.sota_threshold() == SGD_D4_SCORE          # the node's own score, voted and finalized
    assert relay.public_events()["total"] == 1

    assert node.terminate() == 0
    calls = [split(call) for call in node.calls()]
    switch = calls.index(BURN_AND_WINNER)
    assert switch > 0 and all(c == BURN_ONLY for c in calls[:switch])
    assert all(c == BURN_AND_WINNER for c in calls[switch:])   # sticky: the winner keeps its share
    assert {(c["signer"], c["netuid"], c["version_key"]) for c in node.calls()} == {(node_hotkey, 94, 1337)}

    [passed, *_] = node.records("miner_result")
    assert (passed["result_status"], passed["validator_score"], passed["sota_threshold"]) == ("passed", SGD_D4_SCORE, 0.0)
    [update] = node.records("sota_update")
    assert (update["new_sota"], update["miners_pushed_sota_count"]) == (SGD_D4_SCORE, 1)
    [end] = node.records("session_end")
    assert (end["unique_miners_seen"], end["miners_pushed_sota_count"], end["final_sota_success_rate"]) == (1, 1, 1.0)
    stopped = [line for line in node.log().splitlines() if "Validator node stopped (polls=" in line]
    assert len(stopped) == 1 and " votes=1/1 finalized=1 " in stopped[0]
