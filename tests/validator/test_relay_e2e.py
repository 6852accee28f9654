"""The local validator against the real relay, in real subprocesses (validator.md §5-8, relay.md §6-7)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from core import signing
from tests.helpers import wait_for
from tests.validator.e2e import CONSTANT_DSL, SGD_D4_SCORE, SGD_DSL, Validator, algorithm, submit
from tests.validator.relay_server import RelayServer

ALICE, BOB, CHARLIE, DAVE = (signing.keypair_from_uri(u) for u in ("//Alice", "//Bob", "//Charlie", "//Dave"))


@pytest.fixture
def make_relay(tmp_path):
    servers: list[RelayServer] = []

    def make(**env: str) -> RelayServer:
        server = RelayServer(tmp_path / f"relay{len(servers)}.db", **env).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def validators():
    started: list[Validator] = []
    yield started
    for validator in started:
        validator.kill()


def stats_fields(log: str) -> dict[str, str]:
    """The key=value pairs of the last stats line in a validator log."""
    line = [line for line in log.splitlines() if " - INFO - polls=" in line][-1]
    return dict(pair.split("=", 1) for pair in line.split(" - INFO - ", 1)[1].split())


def test_genuine_submission_is_rescored_voted_and_finalized(make_relay, tmp_path):
    relay = make_relay(SOTA_CONSENSUS_VOTES="1")
    assert submit(relay.url, ALICE, algorithm(SGD_DSL), SGD_D4_SCORE).status_code == 200
    validator = Validator(tmp_path, "Val1", relay.url)
    proc = validator.run_once()
    assert proc.returncode == 0, proc.stderr
    stats = stats_fields(proc.stderr)
    assert {k: stats[k] for k in ("polls", "fetched", "new", "passed", "votes", "finalized", "sota")} == {
        "polls": "1", "fetched": "1", "new": "1", "passed": "1", "votes": "1/1", "finalized": "1", "sota": "0.000000"}
    assert relay.sota_threshold() == SGD_D4_SCORE      # the validator's own measurement, bit for bit
    assert [r["event"] for r in validator.records()] == [
        "session_start", "miner_result", "sota_update", "evaluation_batch", "session_end"]
    [update] = validator.records("sota_update")
    assert update["new_sota"] == SGD_D4_SCORE and update["old_sota"] == 0.0


def test_two_validators_finalize_exactly_one_event_while_polling(make_relay, tmp_path, validators):
    relay = make_relay(SOTA_CONSENSUS_VOTES="2")
    validators += [Validator(tmp_path, name, relay.url).start() for name in ("Val1", "Val2")]
    assert submit(relay.url, ALICE, algorithm(SGD_DSL), SGD_D4_SCORE).status_code == 200
    wait_for(lambda: relay.sota_threshold() > 0, timeout=60, what="SOTA finalized by two validators")
    wait_for(lambda: all(v.records("evaluation_batch") for v in validators), timeout=30, what="both batches")
    assert relay.sota_threshold() == SGD_D4_SCORE
    assert relay.public_events()["total"] == 1
    assert [code for code in (v.terminate() for v in validators)] == [0, 0]
    assert sum(len(v.records("sota_update")) for v in validators) == 1
    assert all("Local validator stopped (polls=" in v.log() for v in validators)


def test_fast_and_canonical_processes_agree_on_score_int(make_relay, tmp_path, golden_dir):
    """Two processes, two evaluators, fixed seen_block: the relay finalizes only if the score_int matches."""
    rows = [json.loads(line) for line in (golden_dir / "scalar_linear_scores.jsonl").read_text().splitlines()]
    random_ops = next(r for r in rows if r["id"] == "ga_regularized_mutations/1011")
    assert "gaussian" in random_ops["dsl"] or "uniform" in random_ops["dsl"]
    relay = make_relay(SOTA_CONSENSUS_VOTES="2")
    assert submit(relay.url, BOB, algorithm(random_ops["dsl"]), random_ops["median"]).status_code == 200
    fixed = ("--seen-block-mode", "fixed", "--seen-block", "1")
    fast = Validator(tmp_path, "Val1", relay.url, *fixed, env={"BITSOTA_EVALUATOR": "fast"})
    canonical = Validator(tmp_path, "Val2", relay.url, *fixed, env={"BITSOTA_EVALUATOR": "canonical"})
    assert fast.run_once().returncode == 0 and "evaluator=fast" in fast.log()
    assert canonical.run_once().returncode == 0 and "evaluator=canonical" in canonical.log()
    [fast_result], [canonical_result] = fast.records("miner_result"), canonical.records("miner_result")
    assert fast_result["validator_score"] == canonical_result["validator_score"] == random_ops["median"]
    assert stats_fields(canonical.log())["finalized"] == "1"
    events = relay.public_events()
    assert events["total"] == 1 and events["results"][0]["score"] == random_ops["median"]


def test_false_claim_gets_a_blacklist_vote(make_relay, tmp_path):
    relay = make_relay(SOTA_CONSENSUS_VOTES="1", CONCENSUS_BLACKLIST="1")
    assert submit(relay.url, ALICE, algorithm(SGD_DSL), 0.75).status_code == 200   # off by 0.25 > 0.1
    validator = Validator(tmp_path, "Val1", relay.url)
    proc = validator.run_once()
    stats = stats_fields(proc.stderr)
    assert (stats["blacklisted"], stats["passed"], stats["votes"]) == ("1", "0", "0/0")
    assert relay.sota_threshold() == 0.0
    again = submit(relay.url, ALICE, algorithm(SGD_DSL, iteration=2), SGD_D4_SCORE)
    assert again.status_code == 403 and again.json()["detail"] == "Miner is blacklisted"


def test_forged_unparseable_and_below_sota_rows_are_counted(make_relay, tmp_path):
    relay = make_relay(SOTA_CONSENSUS_VOTES="1", DEFAULT_SOTA_THRESHOLD="0.5")
    for miner, dsl in ((ALICE, SGD_DSL), (BOB, SGD_DSL + "# b\n"), (CHARLIE, CONSTANT_DSL)):
        assert submit(relay.url, miner, algorithm(dsl), 0.99).status_code == 200
    with sqlite3.connect(relay.db_path) as db:   # what a tampering relay could serve
        message = db.execute("SELECT timestamp_message FROM mining_results WHERE miner_hotkey=?",
                             (ALICE.ss58_address,)).fetchone()[0]
        db.execute("UPDATE mining_results SET signature=? WHERE miner_hotkey=?",
                   (signing.sign(DAVE, message), ALICE.ss58_address))
        db.execute("UPDATE mining_results SET algorithm_result=? WHERE miner_hotkey=?", ("{not json", BOB.ss58_address))
    validator = Validator(tmp_path, "Val1", relay.url)
    proc = validator.run_once()
    assert proc.returncode == 0, proc.stderr
    stats = stats_fields(proc.stderr)
    assert {k: stats[k] for k in ("fetched", "new", "sig_fail", "parse_fail", "failed_sota", "blacklisted", "votes",
                                  "unique_seen", "sota")} == {
        "fetched": "3", "new": "1", "sig_fail": "1", "parse_fail": "1", "failed_sota": "1", "blacklisted": "0",
        "votes": "0/0", "unique_seen": "3", "sota": "0.500000"}
    statuses = sorted(r["result_status"] for r in validator.records("miner_result"))
    assert statuses == ["failed_sota", "failed_validation", "failed_validation"]
    assert relay.sota_threshold() == 0.5


def test_validator_survives_relay_downtime_and_resumes_voting(make_relay, tmp_path, validators):
    relay = make_relay(SOTA_CONSENSUS_VOTES="1")
    validator = Validator(tmp_path, "Val1", relay.url, "--stats-interval", "0.1")
    validators.append(validator.start())
    wait_for(lambda: "polls=2 " in validator.log(), timeout=30, what="two polls")
    relay.stop()
    wait_for(lambda: "Relay request GET /results failed" in validator.log(), timeout=30, what="a failed poll")
    relay.start()
    assert submit(relay.url, ALICE, algorithm(SGD_DSL), SGD_D4_SCORE).status_code == 200
    wait_for(lambda: relay.sota_threshold() == SGD_D4_SCORE, timeout=60, what="vote after the relay restart")
    assert validator.process.poll() is None
    assert validator.terminate() == 0
    assert "Local validator stopped (polls=" in validator.log()
    [end] = validator.records("session_end")
    assert end["unique_miners_seen"] == 1 and end["final_sota_success_rate"] == 0
