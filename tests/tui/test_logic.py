"""Headless TUI logic: the submission rule and cooldown, settings, auto-start, themes, history, wallets, state
file, update check and the TUI's own log file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from miner.submitter.rule import ALREADY_SUBMITTED, MISSING_FIELDS, NOT_ABOVE, Rescore, SubmissionBook, submission_body
from tests.tui.conftest import FROZEN_NOW
from tui.logic import auto_start, tui_log
from tui.logic import settings as gui_settings
from tui.logic.files import logs_dir
from tui.logic.history import SeriesHistory, downsample
from tui.logic.problem_config import DEFAULT_PROBLEM_CONFIG
from tui.logic.state_file import ServiceRecord, TuiState, load_state, save_state
from tui.logic.themes import pick_theme
from tui.logic.updates import newer_version
from tui.logic.wallets import check_coldkey, check_mnemonic, check_name

DSL = "# setup\ns1 = 0.5\n# predict\ns0 = s1\n# learn\n"


def candidate(seq: int, score: float, **extra) -> dict:
    return {"seq": seq, "algorithm_dsl": DSL.replace("0.5", str(seq + 1)), "input_dim": 4, "validator_score": score,
            "task_type": "scalar_linear", "worker_id": 0, "iteration": 1000 * (seq + 1),
            "verify_task_count": 8, "verify_task_seed": 1337, **extra}


def pending(seq: int, score: float) -> dict:
    return {**candidate(seq, score), "rescored": score}


def test_missing_fields_and_duplicates_are_skipped():
    book = SubmissionBook()
    assert book.decide({"validator_score": 1.0}, None, None, 0.0) == ("skip", MISSING_FIELDS)
    first = candidate(0, 0.5)
    assert book.decide(first, None, None, 0.0, Rescore(0.5)).action == "submit"
    book.record_success(first, 0.5, 0.0)
    assert book.decide(dict(first), None, None, 1000.0) == ("skip", ALREADY_SUBMITTED)


def test_a_claimed_score_only_ever_skips_and_the_own_score_decides():
    book = SubmissionBook()
    assert book.decide(candidate(0, 0.5), 0.5, None, 0.0) == ("skip", NOT_ABOVE)  # claims too little: no re-score
    forged = candidate(1, 0.99, verified=0.99, verify_task_count=8)
    assert book.decide(forged, 0.5, None, 0.0).action == "verify"  # claims enough: re-scored, whatever it says
    assert book.decide(forged, 0.5, None, 0.0, Rescore(0.25)) == ("skip", NOT_ABOVE)
    assert book.decide(candidate(2, None), 0.5, None, 0.0).action == "verify"  # no claim at all


def test_submit_only_above_max_of_global_and_local():
    book = SubmissionBook()
    assert book.decide(candidate(1, 0.5), 0.1, 0.6, 0.0, Rescore(0.5)) == ("skip", NOT_ABOVE)
    assert book.decide(candidate(2, 0.7), 0.1, 0.6, 0.0, Rescore(0.7)).action == "submit"
    book.best_submitted = 0.8  # what this run submitted counts as local SOTA
    assert book.decide(candidate(3, 0.75), 0.1, 0.6, 0.0, Rescore(0.75)) == ("skip", NOT_ABOVE)


def test_an_infinite_score_says_why_instead_of_not_above():
    book = SubmissionBook()
    decision = book.decide(candidate(0, 0.9), None, None, 0.0, Rescore(float("-inf"), "estimated work exceeds"))
    assert decision == ("skip", "scores -inf: estimated work exceeds")


def test_cooldown_keeps_only_the_best_pending_and_rechecks_it():
    book = SubmissionBook(cooldown_s=60)
    book.record_success(candidate(0, 0.5), 0.5, now=100.0)
    low, high = pending(1, 0.6), pending(2, 0.7)
    assert book.decide(low, None, None, 110.0, Rescore(0.6)).action == "pending"
    assert book.park(low) is None
    assert book.park(high) is low  # the weaker one loses its place
    assert book.park(pending(3, 0.65)) is not None and book.pending is high
    assert book.release_pending(None, None, 150.0) is None  # still cooling down
    released, decision = book.release_pending(0.69, None, 161.0)
    assert released is high and decision.action == "submit"
    book.pending = pending(4, 0.71)
    assert book.release_pending(0.9, None, 200.0)[1] == ("skip", NOT_ABOVE)


def test_submission_body_matches_the_relay_contract():
    body = submission_body(candidate(2, 0.99, worker_id=1, iteration=3000), "run-1", 0.25)
    assert body["task_id"] == "run-1:1:3000" and body["score"] == 0.25  # the own score, never the claim
    assert set(body["algorithm_result"]) == {"task_type", "algorithm_dsl", "input_dim", "worker_id", "iteration"}


def test_gui_settings_coerce_and_warn(home):
    settings, warnings = gui_settings.from_mapping({"miner_workers": "4", "log_max_lines": "lots",
                                                    "keep_running": "yes", "validator_task_count": None})
    assert settings.miner_workers == 4 and settings.keep_running is True
    assert settings.log_max_lines == 5000 and any("log_max_lines" in w for w in warnings)
    assert gui_settings.apply_env(settings, {"BITSOTA_TEST_MODE": "On"}).test_mode is True
    missing = home / "nope.json"
    _settings, path, warnings = gui_settings.load(str(missing))
    assert path == missing and "does not exist" in warnings[0]


@pytest.mark.parametrize("env, expected", [
    ({}, "textual-dark"), ({"SSH_CONNECTION": "1 2 3 4"}, "ansi-dark"),
    ({"SSH_TTY": "/dev/pts/1", "COLORTERM": "truecolor"}, "textual-dark")])
def test_auto_theme_prefers_terminal_colours_over_ssh(env, expected):
    assert pick_theme("auto", env) == expected
    assert pick_theme("nord", env) == "nord"


def test_history_is_bounded_and_downsampled():
    history = SeriesHistory(capacity=5)
    for value in [None, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]:
        history.add(value)
    assert history.values() == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert downsample([1, 5, 2, 8, None, 3], 2) == [5, 8]
    assert downsample([None], 10) == []


def test_wallet_input_checks():
    assert check_name("ab") and check_name("bad name") and check_name("good_name-1") is None
    assert check_coldkey("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY") is None
    assert check_coldkey("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ")  # checksum
    assert check_mnemonic("one two three") and check_mnemonic(" ".join(["abandon"] * 12))


def test_state_file_round_trip(home):
    state = TuiState(run_id="r", miner_pid=123, submitter_pid=124, cursors={"logs": 7}, run_wallet="alice",
                     services=[ServiceRecord("relay", 5, 5, 8002)])
    save_state(state)
    loaded = load_state()
    assert loaded == state and loaded.recorded_pids() == [123, 124, 5]


def test_update_check_compares_dotted_versions():
    assert newer_version({"version": "0.10.0"}, "0.9.3") == "0.10.0"
    assert newer_version({"version": "v0.2.0rc1"}, "0.1.0") == "v0.2.0rc1"
    assert newer_version({"version": "0.1.0"}, "0.1.0") is None
    assert newer_version({"version": "0.0.9"}, "0.1.0") is None
    assert newer_version({"version": 2}, "0.1.0") is None and newer_version(["0.2"], "0.1.0") is None
    assert newer_version({"versionCode": 5}, "0.1.0") is None


def test_tui_log_keeps_the_last_five_runs_and_tees_the_pane(home):
    directory = logs_dir()
    directory.mkdir(parents=True)
    for day in range(1, 8):
        (directory / f"tui-2025010{day}-120000.log").write_text("old run")
    (directory / "tui-20250101-120000.log.1").write_text("rotated part of the oldest run")
    (directory / "miner-run.log").write_text("a child's log")
    handler = tui_log.start(None, FROZEN_NOW)
    try:
        tui_log.tee(["[pool] submit_evolution ok=True batch_id=b1"])
        logging.getLogger("httpx").info("HTTP Request: GET /state")  # below the root's WARNING: not written
    finally:
        tui_log.stop(handler)
    current = tui_log.run_log_path(FROZEN_NOW)
    runs = sorted(p.name for p in directory.glob("tui-*"))
    assert runs == [f"tui-2025010{day}-120000.log" for day in (4, 5, 6, 7)] + [current.name]
    assert (directory / "miner-run.log").exists()
    text = current.read_text()
    assert "bitsota.tui: [pool] submit_evolution ok=True batch_id=b1" in text and "HTTP Request" not in text


@pytest.mark.parametrize("flag, env, expected, warned", [
    (False, {}, auto_start.AutoStart(False, None, None), 0),
    (True, {"BITSOTA_AUTO_START_MINING": "0"}, auto_start.AutoStart(True, None, None), 0),
    (False, {"BITSOTA_AUTO_START_MINING": "ON", "BITSOTA_AUTO_TASK_TYPE": " Pool ", "BITSOTA_AUTO_WORKERS": "8"},
     auto_start.AutoStart(True, "pool", 8), 0),
    (False, {"BITSOTA_AUTO_START_MINING": "nope", "BITSOTA_AUTO_TASK_TYPE": "cifar10", "BITSOTA_AUTO_WORKERS": "0"},
     auto_start.AutoStart(False, None, None), 2),
])
def test_auto_start_from_flag_and_environment(flag, env, expected, warned):
    found, warnings = auto_start.from_environment(flag, env)
    assert found == expected and len(warnings) == warned


def test_the_default_problem_config_is_the_shipped_example():
    """The TUI writes `DEFAULT_PROBLEM_CONFIG` where no config exists; it must stay the shipped example (less
    its notes), or a TUI user and a miner started from the example would search differently."""
    example = json.loads((Path(__file__).resolve().parents[2] / "problem_config.json.example").read_text())
    example.pop("_notes")
    assert DEFAULT_PROBLEM_CONFIG == example
