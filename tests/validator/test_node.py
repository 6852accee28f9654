"""The validator node without the chain extra: CLI behaviour and its relay processing rules (validator.md §9)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import signing
from tests.validator.rows import miner_row
from tests.validator.test_batch import ScriptedRelay, result, scripted_verify
from validator.metrics import MetricsLogger
from validator.node import NodeBatchProcessor
from validator.node_config import BLACKLIST_OFF, ConfigError, NodeConfig

ALICE, BOB = signing.keypair_from_uri("//Alice"), signing.keypair_from_uri("//Bob")


def run_node(*args):
    return subprocess.run([sys.executable, "-m", "validator.node", *args], capture_output=True, text=True, timeout=60)


def test_help_works_without_bittensor():
    proc = run_node("--help")
    assert proc.returncode == 0 and "--config" in proc.stdout


def test_missing_chain_extra_exits_2():
    proc = run_node("-c", "nowhere.yaml")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "the chain extra is required: pip install 'bitsota[chain]'"


def test_node_processing_has_no_seen_set_and_skips_unregistered_and_zero_claims(tmp_path):
    rows = [miner_row(ALICE, result("0.9"), 0.9), miner_row(BOB, result("0.9"), 0.9),
            {**miner_row(ALICE, result("0.9"), 0.0), "miner_hotkey": ALICE.ss58_address}]
    relay = ScriptedRelay(rows, threshold=None)
    offered = []
    processor = NodeBatchProcessor(client=relay, verify=scripted_verify, seen_block=lambda: 4242,
                                   metrics=MetricsLogger(tmp_path / "m.log"), default_threshold=0.5,
                                   is_registered=lambda hotkey: hotkey == ALICE.ss58_address,
                                   on_best=lambda hotkey, score: offered.append((hotkey, score)))
    processor.poll_once()
    processor.poll_once()
    c = processor.counters
    assert (c.new, c.passed, c.dupe, c.invalid, c.votes_attempted) == (2, 2, 0, 2, 2)
    assert relay.votes[0] == (ALICE.ss58_address, 0.9, 4242, rows[0]["id"])
    assert offered == [(ALICE.ss58_address, 0.9)] * 2
    statuses = [json.loads(line)["result_status"] for line in (tmp_path / "m.log").read_text().splitlines()
                if '"miner_result"' in line]
    assert statuses == ["passed", "not_registered"] * 2
    assert processor.stats_line().endswith("sota=0.500000")


def test_votes_can_be_switched_off(tmp_path):
    relay = ScriptedRelay([miner_row(ALICE, result("0.9"), 0.9)], threshold=0.5)
    processor = NodeBatchProcessor(client=relay, verify=scripted_verify, seen_block=lambda: 1, submit_votes=False,
                                   is_registered=lambda hotkey: True)
    processor.poll_once()
    assert processor.counters.passed == 1 and relay.votes == []


BASE = {"wallet_name": "w", "wallet_hotkey": "h", "capacitorless": {"burn_hotkey": "B" * 48}}


def test_config_defaults_and_errors():
    config = NodeConfig.from_mapping(BASE)
    assert (config.netuid, config.network, config.blacklist_cutoff, config.relay_poll_interval_s) == (94, "finney", BLACKLIST_OFF, 60.0)
    assert config.capacitorless.sticky and config.capacitorless.burn_share == pytest.approx(0.9)
    windowed = NodeConfig.from_mapping({**BASE, "capacitorless": {**BASE["capacitorless"], "mode": "windowed"}})
    assert not windowed.capacitorless.sticky
    forced = NodeConfig.from_mapping({**BASE, "reward_mode": "capacitorless_sticky",
                                      "capacitorless": {**BASE["capacitorless"], "mode": "windowed"}})
    assert forced.capacitorless.sticky
    with pytest.raises(ConfigError, match="capacitor"):
        NodeConfig.from_mapping({**BASE, "reward_mode": "capacitor"})
    with pytest.raises(ConfigError, match="burn_hotkey is required"):
        NodeConfig.from_mapping({**BASE, "capacitorless": {}})


def test_accept_test_scores_the_uid0_queue_for_the_log_only(tmp_path):
    from validator.node import process_test_submissions

    class Queue:
        def claim_test_submissions(self):
            return [{"id": "a" * 20, "task_id": "t1", "submitter_hotkey": ALICE.ss58_address, "score": 0.7,
                     "algorithm_result": json.dumps(result("0.9"))},
                    {"id": "b" * 16, "task_id": "t2", "submitter_hotkey": None, "score": None, "algorithm_result": "{"}]

    metrics = MetricsLogger(tmp_path / "m.log")
    assert process_test_submissions(Queue(), scripted_verify, metrics, 0.5) == 2
    first, second = [json.loads(line) for line in (tmp_path / "m.log").read_text().splitlines()]
    assert first["event"] == "test_submission" and first["test_submission_id"] == "a" * 16
    assert (first["validator_score"], first["is_valid"], first["submitter_hotkey"]) == (0.9, True, ALICE.ss58_address[:8] + "...")
    assert (second["validator_score"], second["is_valid"], second["submitter_hotkey"]) == (float("-inf"), False, None)
