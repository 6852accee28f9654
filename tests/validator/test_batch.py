"""Batch processing (validator.md §6) on scripted batches: counters, metrics records and the single vote.

The relay is a small scripted stand-in here (validator.md §10.1); tests/validator/test_relay_e2e.py runs
the same code against the real relay. Scores come from a scripted verify so each branch is reachable.
"""

from __future__ import annotations

import json
import math

import pytest

from core import signing
from tests.validator.rows import miner_row, unique_message
from validator.batch import BatchProcessor
from validator.metrics import MetricsLogger

ALICE, BOB, CHARLIE, DAVE = (signing.keypair_from_uri(u) for u in ("//Alice", "//Bob", "//Charlie", "//Dave"))


class ScriptedRelay:
    def __init__(self, rows, threshold=0.5, vote_answer=None):
        self.rows = rows
        self.threshold = threshold
        self.vote_answer = vote_answer if vote_answer is not None else {"status": "vote_recorded"}
        self.votes: list[tuple] = []
        self.blacklisted: list[str] = []

    def fetch_results(self, limit, task_id=None):
        return self.rows

    def fetch_sota_threshold(self):
        return self.threshold

    def blacklist(self, hotkey):
        self.blacklisted.append(hotkey)
        return True

    def vote_sota(self, hotkey, score, seen_block, result_id):
        self.votes.append((hotkey, score, seen_block, result_id))
        return self.vote_answer


def scripted_verify(parsed, threshold):
    """The program text is the score to return; `raise` makes evaluation fail."""
    if parsed["algorithm_dsl"] == "raise":
        raise RuntimeError("evaluator crashed")
    score = float(parsed["algorithm_dsl"])
    return score >= threshold, score


def result(score_text: str) -> dict:
    return {"algorithm_dsl": score_text, "task_type": "scalar_linear", "input_dim": 4}


def make_processor(relay, tmp_path, cutoff=0.1):
    metrics = MetricsLogger(tmp_path / "metrics.log")
    return BatchProcessor(client=relay, verify=scripted_verify, seen_block=lambda: 77,
                          blacklist_cutoff=cutoff, metrics=metrics)


def records(tmp_path, event=None):
    lines = (tmp_path / "metrics.log").read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    return [r for r in parsed if event is None or r["event"] == event]


def test_every_branch_is_counted_and_recorded(tmp_path):
    bad_signature = miner_row(ALICE, result("0.9"), 0.9)
    bad_signature["signature"] = signing.sign(BOB, bad_signature["timestamp_message"])
    rows = [
        miner_row(ALICE, result("0.9"), 0.9, message=unique_message(1)),        # passed
        miner_row(ALICE, result("0.9"), 0.9, message=unique_message(1)),        # same key: dupe
        {**miner_row(BOB, result("0.9"), 0.9), "timestamp_message": "  "},      # no key: invalid
        {**miner_row(BOB, result("0.9"), 0.9), "score": None},                  # null score: invalid
        bad_signature,                                                          # sig_fail
        miner_row(CHARLIE, "{not json", 0.7),                                   # parse_fail
        miner_row(CHARLIE, json.dumps([1, 2]), 0.7, message=unique_message(2)),  # parse_fail (not an object)
        miner_row(DAVE, result("raise"), 0.7),                                  # eval_err
        miner_row(DAVE, result("0.4"), 5.0, message=unique_message(3)),         # failed_sota, no blacklist
        miner_row(BOB, result("0.6"), 0.95, message=unique_message(4)),         # blacklisted
    ]
    relay = ScriptedRelay(rows)
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    c = processor.counters
    assert (c.polls, c.fetched, c.new, c.dupe, c.invalid, c.sig_fail, c.parse_fail, c.eval_err) == (1, 10, 3, 1, 2, 1, 2, 1)
    assert (c.failed_sota, c.blacklisted, c.passed, c.votes_attempted, c.votes_submitted) == (1, 1, 1, 1, 1)
    assert relay.blacklisted == [BOB.ss58_address]
    assert relay.votes == [(ALICE.ss58_address, 0.9, 77, rows[0]["id"])]
    statuses = [(r["miner_hotkey"], r["result_status"]) for r in records(tmp_path, "miner_result")]
    assert statuses == [
        (ALICE.ss58_address[:8] + "...", "passed"),
        (ALICE.ss58_address[:8] + "...", "failed_validation"),
        (CHARLIE.ss58_address[:8] + "...", "failed_validation"),
        (CHARLIE.ss58_address[:8] + "...", "failed_validation"),
        (DAVE.ss58_address[:8] + "...", "failed_sota"),
        (BOB.ss58_address[:8] + "...", "blacklisted"),
    ]
    [batch] = records(tmp_path, "evaluation_batch")
    assert batch["num_evaluations"] == 10 and batch["sota_threshold"] == 0.5

    # Second poll of the same rows: the seen-set makes them dupes, except the invalid and the crashed rows.
    processor.poll_once()
    assert (c.polls, c.dupe, c.invalid, c.eval_err, c.new, c.votes_attempted) == (2, 8, 4, 2, 3, 1)
    assert processor.stats_line() == (
        "polls=2 fetched=20 new=3 dupe=8 invalid=4 sig_fail=1 parse_fail=2 eval_err=2 failed_sota=1 "
        "blacklisted=1 passed=1 votes=1/1 finalized=0 unique_seen=6 sota=0.500000"
    )


def test_failed_validation_record_carries_claim_and_zero_score(tmp_path):
    row = miner_row(ALICE, "[]", "not a number")
    processor = make_processor(ScriptedRelay([row]), tmp_path)
    processor.poll_once()
    [record] = records(tmp_path, "miner_result")
    assert record["miner_score"] == 0.0 and record["validator_score"] == 0.0
    assert record["delta_improvement"] == 0 and isinstance(record["delta_improvement"], int)


def test_unparseable_claim_after_evaluation_is_invalid(tmp_path):
    processor = make_processor(ScriptedRelay([miner_row(ALICE, result("0.9"), "lots")]), tmp_path)
    processor.poll_once()
    c = processor.counters
    assert (c.new, c.invalid, c.passed, c.votes_attempted) == (1, 1, 0, 0)


def test_tie_goes_to_the_newest_and_only_one_vote_per_batch(tmp_path):
    rows = [miner_row(k, result("0.8"), 0.8) for k in (BOB, ALICE)] + [miner_row(CHARLIE, result("0.7"), 0.7)]
    relay = ScriptedRelay(rows)
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    assert processor.counters.passed == 3
    assert [v[0] for v in relay.votes] == [BOB.ss58_address]


def test_no_vote_when_nothing_beats_the_threshold(tmp_path):
    relay = ScriptedRelay([miner_row(ALICE, result("0.5"), 0.5)], threshold=0.5)
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    assert processor.counters.passed == 1 and relay.votes == []
    assert [r["event"] for r in records(tmp_path)] == ["miner_result", "evaluation_batch"]


def test_nan_claim_never_blacklists_and_infinite_claim_always_does(tmp_path):
    rows = [miner_row(ALICE, result("0.9"), math.nan), miner_row(BOB, result("0.9"), math.inf)]
    relay = ScriptedRelay(rows)
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    assert relay.blacklisted == [BOB.ss58_address]
    assert processor.counters.passed == 1


def test_cutoff_is_absolute_and_strict(tmp_path):
    rows = [miner_row(ALICE, result("0.5"), 0.75), miner_row(BOB, result("0.5"), 0.7500001)]
    relay = ScriptedRelay(rows, threshold=0.0)
    make_processor(relay, tmp_path, cutoff=0.25).poll_once()
    assert relay.blacklisted == [BOB.ss58_address]


@pytest.mark.parametrize("answer", [{"status": " Finalized "}, {"status": "vote_recorded", "finalized_event": {"id": 3}}])
def test_finalization_is_detected_by_status_or_event(tmp_path, answer):
    relay = ScriptedRelay([miner_row(ALICE, result("0.9"), 0.9)], threshold=0.5, vote_answer=answer)
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    assert processor.counters.votes_finalized == 1
    [update] = records(tmp_path, "sota_update")
    assert update["old_sota"] == 0.5 and update["new_sota"] == 0.9
    assert update["improvement"] == pytest.approx(0.4)
    assert update["triggering_miner"] == ALICE.ss58_address[:8] + "..."


def test_failed_vote_counts_as_attempted_only(tmp_path):
    relay = ScriptedRelay([miner_row(ALICE, result("0.9"), 0.9)])
    relay.vote_sota = lambda *a: None
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    assert "votes=0/1 finalized=0" in processor.stats_line()


@pytest.mark.parametrize("body", [None, []])
def test_empty_poll_fetches_no_threshold(tmp_path, body):
    relay = ScriptedRelay(body)
    relay.fetch_sota_threshold = lambda: pytest.fail("threshold fetched for an empty poll")
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    assert processor.stats_line().endswith("unique_seen=0")
    assert not (tmp_path / "metrics.log").exists()


def test_missing_threshold_counts_as_zero(tmp_path):
    relay = ScriptedRelay([miner_row(ALICE, result("0.1"), 0.1)], threshold=None)
    processor = make_processor(relay, tmp_path)
    processor.poll_once()
    assert processor.stats_line().endswith("sota=0.000000")
    assert len(relay.votes) == 1


def test_metrics_use_python_json_for_non_finite_scores(tmp_path):
    relay = ScriptedRelay([miner_row(ALICE, result("-inf"), 0.9)], threshold=0.5)
    make_processor(relay, tmp_path).poll_once()
    line = (tmp_path / "metrics.log").read_text().splitlines()[0]
    assert '"validator_score": -Infinity' in line
    record = json.loads(line)
    expected_types = {"timestamp": str, "session_id": str, "event": str, "miner_hotkey": str, "miner_score": float,
                      "validator_score": float, "sota_threshold": float, "delta_improvement": int,
                      "result_status": str, "pushed_sota": bool, "unique_miners_seen": int,
                      "miners_pushed_sota_count": int, "runtime_minutes": float}
    assert {k: type(v) for k, v in record.items()} == expected_types
    assert record["result_status"] == "failed_sota" and record["pushed_sota"] is False


def test_metrics_write_error_is_printed_and_ignored(tmp_path, capsys):
    metrics = MetricsLogger(tmp_path / "missing-dir" / "metrics.log")
    metrics.session_start()
    assert capsys.readouterr().out.startswith("Failed to write validator metrics log: ")
