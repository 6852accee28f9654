"""The node's optional vote gates (validator.md §9: submission_schedule, submission_threshold.mode local_best) and
its periodic_summary metrics record (§8), on scripted relays and a scripted clock."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest

from core import signing
from tests.helpers import wait_for
from tests.validator.rows import miner_row
from tests.validator.test_batch import ScriptedRelay, result, scripted_verify
from validator.batch import Candidate
from validator.metrics import MetricsLogger
from validator.node import SUMMARY_INTERVAL_S, NodeBatchProcessor, write_summaries
from validator.node_config import ConfigError, NodeConfig, SubmissionConfig, load_config
from validator.vote_gates import SubmissionSchedule, VoteGates, next_utc_slot

ALICE, BOB = signing.keypair_from_uri("//Alice"), signing.keypair_from_uri("//Bob")


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def gates_config(schedule=None, threshold=None) -> SubmissionConfig:
    return SubmissionConfig.from_mapping(schedule or {}, threshold or {})


def node(relay, gates, tmp_path=None):
    metrics = MetricsLogger(tmp_path / "m.log") if tmp_path else None
    return NodeBatchProcessor(client=relay, verify=scripted_verify, seen_block=lambda: 9, default_threshold=0.5,
                              is_registered=lambda hotkey: True, gates=gates, metrics=metrics)


def records(tmp_path, event):
    return [r for r in map(json.loads, (tmp_path / "m.log").read_text().splitlines()) if r["event"] == event]


def rows_scoring(*scores_by_miner):
    return [miner_row(keypair, result(score), float(score)) for keypair, score in scores_by_miner]


# --- configuration -------------------------------------------------------------------------------------------


def test_gates_default_to_immediate_and_sota_only():
    config = NodeConfig.from_mapping({"wallet_name": "w", "wallet_hotkey": "h", "capacitorless": {"burn_hotkey": "B"}})
    assert config.submission == SubmissionConfig(schedule="immediate", interval_s=0.0, utc_times=(), local_best=False)


def test_gate_config_is_parsed():
    config = gates_config({"mode": " UTC_Times ", "utc_times": ["12:00", "00:30", "12:00"]}, {"mode": "local_best"})
    assert (config.schedule, config.utc_times, config.local_best) == ("utc_times", ((0, 30), (12, 0)), True)
    assert gates_config({"mode": "interval", "interval_seconds": 600, "utc_times": []}).interval_s == 600.0


@pytest.mark.parametrize("schedule, threshold, message", [
    ({"mode": "weekly"}, {}, "submission_schedule.mode must be immediate, interval or utc_times, not weekly"),
    ({"mode": "interval"}, {}, "interval_seconds must be > 0 in interval mode"),
    ({"mode": "interval", "interval_seconds": -5}, {}, "interval_seconds must be > 0"),
    ({"mode": "utc_times", "utc_times": []}, {}, 'must list at least one "HH:MM" time'),
    ({"mode": "utc_times", "utc_times": "12:00"}, {}, "must be a list"),
    ({"mode": "utc_times", "utc_times": ["24:00"]}, {}, "entry '24:00' is not an \"HH:MM\" time"),
    ({"mode": "utc_times", "utc_times": ["7:5"]}, {}, "entry '7:5' is not"),
    ({"mode": "utc_times", "utc_times": [720]}, {}, 'must be quoted "HH:MM" strings, not 720'),
    ({}, {"mode": "best_ever"}, "submission_threshold.mode must be sota_only or local_best, not best_ever"),
])
def test_bad_gate_config_is_one_clear_error(schedule, threshold, message):
    with pytest.raises(ConfigError) as raised:
        gates_config(schedule, threshold)
    assert message in str(raised.value)


def test_unquoted_yaml_time_is_reported(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "validator_config.yaml"
    path.write_text("wallet_name: w\nwallet_hotkey: h\ncapacitorless: {burn_hotkey: B}\n"
                    "submission_schedule:\n  mode: utc_times\n  utc_times: [12:00]\n")
    with pytest.raises(ConfigError, match='quoted "HH:MM" strings, not 720'):
        load_config(path)


# --- the schedule ----------------------------------------------------------------------------------------------


def test_next_utc_slot_is_strictly_later_and_wraps_to_the_next_day():
    times = ((0, 0), (12, 0))
    assert next_utc_slot(times, utc("2026-02-05T10:00:00")) == utc("2026-02-05T12:00:00")
    assert next_utc_slot(times, utc("2026-02-05T12:00:00")) == utc("2026-02-06T00:00:00")
    assert next_utc_slot(((23, 59),), utc("2026-12-31T23:59:30")) == utc("2027-01-01T23:59:00")


def test_immediate_always_allows():
    schedule = SubmissionSchedule(gates_config(), Clock(0.0))
    schedule.record_vote()
    assert schedule.allows()


def test_interval_allows_the_first_vote_then_one_per_interval():
    clock = Clock(1000.0)
    schedule = SubmissionSchedule(gates_config({"mode": "interval", "interval_seconds": 600}), clock)
    assert schedule.allows()
    schedule.record_vote()
    clock.now = 1599.0
    assert not schedule.allows() and schedule.next_allowed() == 1600.0
    clock.now = 1600.0
    assert schedule.allows()


def test_utc_times_allow_one_vote_per_scheduled_time_after_start():
    clock = Clock(utc("2026-02-05T10:00:00"))
    schedule = SubmissionSchedule(gates_config({"mode": "utc_times", "utc_times": ["00:00", "12:00"]}), clock)
    assert not schedule.allows()                       # 00:00 passed before the node started
    clock.now = utc("2026-02-05T12:00:00")
    assert schedule.allows()
    clock.now = utc("2026-02-05T12:00:30")
    schedule.record_vote()
    clock.now = utc("2026-02-05T23:59:59")
    assert not schedule.allows() and schedule.next_allowed() == utc("2026-02-06T00:00:00")
    clock.now = utc("2026-02-06T00:00:00")
    assert schedule.allows()


# --- the gates in the node's batch processing ------------------------------------------------------------------


def test_interval_holds_the_next_vote_and_sends_it_when_the_interval_has_passed():
    clock = Clock(1000.0)
    relay = ScriptedRelay(rows_scoring((ALICE, "0.9")), threshold=0.5)
    processor = node(relay, VoteGates(gates_config({"mode": "interval", "interval_seconds": 600}), clock))
    processor.poll_once()
    assert len(relay.votes) == 1                       # the first vote is not held back
    clock.now = 1300.0
    processor.poll_once()                              # no seen-set: the same row is the best again
    assert len(relay.votes) == 1 and processor.gates.held.score == 0.9
    relay.rows = rows_scoring((BOB, "0.95"))
    processor.poll_once()
    assert processor.gates.held.score == 0.95          # a higher score replaces the held vote
    relay.rows = rows_scoring((ALICE, "0.92"))
    processor.poll_once()
    assert processor.gates.held.score == 0.95          # a lower one does not
    clock.now = 1600.0
    relay.rows = []
    processor.poll_once()
    assert relay.votes[1][:3] == (BOB.ss58_address, 0.95, 9) and processor.gates.held is None
    assert processor.counters.votes_attempted == 2


def test_held_vote_is_dropped_when_the_threshold_has_passed_it():
    clock = Clock(1000.0)
    relay = ScriptedRelay(rows_scoring((ALICE, "0.9")), threshold=0.5)
    processor = node(relay, VoteGates(gates_config({"mode": "interval", "interval_seconds": 60}), clock))
    processor.poll_once()
    processor.poll_once()
    assert processor.gates.held is not None
    clock.now = 2000.0
    relay.rows, relay.threshold = [], 0.9              # another validator finalized 0.9 meanwhile
    processor.poll_once()
    assert len(relay.votes) == 1 and processor.gates.held is None
    assert processor.stats_line().endswith("sota=0.900000")


def test_failed_held_vote_is_kept_and_retried():
    clock = Clock(1000.0)
    relay = ScriptedRelay(rows_scoring((ALICE, "0.9")), threshold=0.5)
    gates = VoteGates(gates_config({"mode": "interval", "interval_seconds": 60}), clock)
    gates.schedule.record_vote()
    processor = node(relay, gates)
    processor.poll_once()
    clock.now = 1100.0
    relay.rows, answers = [], iter([None, {"status": "vote_recorded"}])
    relay.vote_sota = lambda *vote: next(answers)
    processor.poll_once()
    assert gates.held is not None and processor.counters.votes_attempted == 1
    processor.poll_once()
    assert gates.held is None and processor.stats_line().startswith("polls=3 ") and "votes=1/2" in processor.stats_line()


def test_local_best_skips_a_lower_candidate_that_sota_only_would_vote_for():
    for mode, expected_votes in (("local_best", [0.9]), ("sota_only", [0.9, 0.8])):
        relay = ScriptedRelay(rows_scoring((ALICE, "0.9")), threshold=0.5)
        processor = node(relay, VoteGates(gates_config(threshold={"mode": mode})))
        processor.poll_once()
        relay.rows = rows_scoring((ALICE, "0.8"))      # the relay keeps a miner's latest row only
        processor.poll_once()
        assert [vote[1] for vote in relay.votes] == expected_votes, mode


def test_local_best_counts_held_votes_and_equal_scores_pass():
    clock = Clock(1000.0)
    gates = VoteGates(gates_config({"mode": "interval", "interval_seconds": 60}, {"mode": "local_best"}), clock)
    gates.schedule.record_vote()
    sent = []
    gates.offer(Candidate({"miner_hotkey": "a"}, 0.9), 0.5, lambda c, t: sent.append(c.score) or True)
    assert gates.held.score == 0.9 and gates.local_best == 0.9
    clock.now = 1060.0
    gates.offer(Candidate({"miner_hotkey": "b"}, 0.8), 0.5, lambda c, t: sent.append(c.score) or True)
    gates.offer(Candidate({"miner_hotkey": "c"}, 0.9), 0.5, lambda c, t: sent.append(c.score) or True)
    assert sent == [0.9] and gates.held is None        # the sent 0.9 supersedes the held 0.9


# --- periodic_summary ------------------------------------------------------------------------------------------


def test_summary_cadence_and_fields(tmp_path):
    relay = ScriptedRelay(rows_scoring((ALICE, "0.9"), (BOB, "0.7")), threshold=0.5,
                          vote_answer={"status": "finalized"})
    processor = node(relay, VoteGates(gates_config()), tmp_path)
    processor.poll_once()
    stop = threading.Event()
    stop.set()
    write_summaries(processor.metrics, 0.01, stop)    # the first summary comes one interval after start
    assert records(tmp_path, "periodic_summary") == []

    stop = threading.Event()
    thread = threading.Thread(target=write_summaries, args=(processor.metrics, 0.02, stop))
    thread.start()
    wait_for(lambda: len(records(tmp_path, "periodic_summary")) >= 2, timeout=10, what="two periodic summaries")
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    first = records(tmp_path, "periodic_summary")[0]
    assert {k: type(v) for k, v in first.items()} == {
        "timestamp": str, "session_id": str, "event": str, "unique_miners_seen": int,
        "miners_pushed_sota_count": int, "sota_success_rate": float, "runtime_hours": float}
    assert (first["unique_miners_seen"], first["miners_pushed_sota_count"], first["sota_success_rate"]) == (2, 1, 0.5)
    [update] = records(tmp_path, "sota_update")
    assert update["miners_pushed_sota_count"] == 1
    assert SUMMARY_INTERVAL_S == 600.0                 # the node's cadence: every ten minutes
