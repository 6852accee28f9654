"""The headless submitter (`python -m miner.submitter`) against a real sidecar and a real test-mode relay: it
re-scores every candidate itself, so a candidate posted to the sidecar with a forged `verified` or
`validator_score` is refused when its real score does not qualify (issue 13 hole 2), and it writes what it
did to its status file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from miner.submitter.rule import NOT_ABOVE
from miner.submitter.status import read_status
from sidecar.client import SidecarClient
from tests.helpers import wait_for

CONSTANT_DSL = "# setup\ns1 = {value}\n# predict\ns0 = s1\n# learn\n"  # every constant scores the same


def alice_wallet(home: Path) -> str:
    """An unencrypted btcli hotkey `alice/default` holding //Alice; its address."""
    from core.signing import create_test_hotkey

    return create_test_hotkey("alice", "default", home / ".bittensor" / "wallets", uri="//Alice").ss58_address


def candidate(seq_hint: int, claimed: float, **extra) -> dict:
    return {"type": "candidate", "worker_id": 0, "iteration": 1000 * (seq_hint + 1), "task_type": "scalar_linear",
            "input_dim": 4, "algorithm_dsl": CONSTANT_DSL.format(value=seq_hint + 0.5), "eval_score": claimed,
            "validator_score": claimed, **extra}


def spawn_submitter(home: Path, sidecar_url: str, relay_url: str, run_id: str, *extra: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "miner.submitter", "--sidecar-url", sidecar_url, "--run-id", run_id,
            "--task-type", "scalar_linear", "--relay-url", relay_url, "--wallet-name", "alice",
            "--wallet-hotkey", "default", "--wallet-path", str(home / ".bittensor" / "wallets"),
            "--cooldown-s", "0", "--sota-refresh-s", "1", "--exit-with-parent", str(os.getpid()), *extra]
    env = {**os.environ, "VALIDATOR_TASK_COUNT": "8"}
    log = open(home / "submitter.log", "ab")
    return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def decision(home: Path, run_id: str, seq: int) -> dict | None:
    status = read_status(home / ".bitsota" / "submitter" / f"{run_id}.json")
    found = (status or {}).get("decisions", {}).get(str(seq))
    return found if found and found["status"] not in ("verifying", "pending") else None


def relay_submissions(relay_url: str) -> list[dict]:
    """Everything the test-mode relay took (`GET /results`, read as a validator would)."""
    from bittensor_wallet import Keypair

    from miner.relay_client import RelayClient

    with RelayClient(relay_url, Keypair.create_from_uri("//Validator"), "validator") as client:
        return client.results(50)


def test_forged_verified_field_is_rescored_and_refused(home, sidecar_server, relay_server):
    alice_wallet(home)
    run_id = "forged-run"
    with SidecarClient(sidecar_server.url) as sidecar:
        sidecar.start_run(run_id)
        child = spawn_submitter(home, sidecar_server.url, relay_server.url, run_id)
        try:
            # an honest candidate: its real score (0.254) is above the relay SOTA (0.0), so it is submitted
            sidecar.ingest_batch(run_id, [candidate(0, 0.254)])
            honest = wait_for(lambda: decision(home, run_id, 0), timeout=60, what="the honest candidate decided")
            assert honest["status"] == "submitted", honest
            real = honest["verified"]
            # a forged one: it claims 0.99 twice over, but scores exactly what the honest one did
            sidecar.ingest_batch(run_id, [candidate(1, 0.99, verified=0.99, verify_task_count=8,
                                                    verify_task_seed=1337)])
            forged = wait_for(lambda: decision(home, run_id, 1), timeout=60, what="the forged candidate decided")
        finally:
            child.terminate()
            assert child.wait(20) == 0
    assert forged == {"status": "skipped", "reason": NOT_ABOVE, "verified": pytest.approx(real)}
    taken = relay_submissions(relay_server.url)
    assert [s.get("score") for s in taken] == [pytest.approx(real)]  # the forged one never reached the relay
    status = read_status(home / ".bitsota" / "submitter" / f"{run_id}.json")
    assert status["state"] == "stopped" and status["hotkey"] == alice_wallet(home)
    assert [s["status"] for s in status["submissions"]] == ["submitted"]
    assert status["local_sota"] == pytest.approx(real) and status["relay_reachable"] is True
    logs = "\n".join(item.get("message") or "" for item in httpx.get(
        f"{sidecar_server.url}/logs", params={"run_id": run_id, "limit": 500}).json()["items"])
    assert "[submit] status=submitted" in logs and "[verify] candidate 1 re-scored" in logs


def test_a_program_too_expensive_to_verify_is_refused_not_waited_for():
    """Issue 13 hole 6: the re-score is bounded in time; past the bound the candidate is refused."""
    import time

    from miner.submitter.rescore import rescore
    from miner.submitter.rule import SubmissionBook

    started = time.monotonic()
    result = rescore(candidate(0, 0.9), timeout_s=0.05)  # not even the interpreter starts in 50 ms
    assert time.monotonic() - started < 10
    assert not result.finite and result.reason == "too expensive to verify: scoring took longer than 0.05 s"
    decision = SubmissionBook().decide(candidate(0, 0.9), None, None, 0.0, result)
    assert decision == ("skip", f"scores -inf: {result.reason}")


def test_a_restarted_submitter_resumes_its_run_and_never_submits_twice(home, sidecar_server, relay_server):
    """The status file carries the cursor and the submitted programs; a damaged resume block is ignored."""
    import json

    from bittensor_wallet import Keypair

    from miner.submitter.loop import Submitter, SubmitterOptions
    from miner.submitter.rule import Rescore

    run_id, status_file = "resume-run", home / "status.json"
    options = SubmitterOptions(sidecar_server.url, run_id, "scalar_linear", relay_url=relay_server.url, cooldown_s=0)
    scores = {CONSTANT_DSL.format(value=0.5): 0.3, CONSTANT_DSL.format(value=1.5): 0.4}
    with SidecarClient(sidecar_server.url) as sidecar:
        sidecar.start_run(run_id)
        sidecar.ingest_batch(run_id, [candidate(0, 0.3)])
        first = Submitter(options, Keypair.create_from_uri("//Alice"), status_file, say=lambda _l: None,
                          rescorer=lambda c, *_: Rescore(scores[c["algorithm_dsl"]]))
        first.tick()
        first.close()
        assert [s["status"] for s in read_status(status_file)["submissions"]] == ["submitted"]
        sidecar.ingest_batch(run_id, [candidate(0, 0.3), candidate(1, 0.4)])  # the same program again, then a new one
        second = Submitter(options, Keypair.create_from_uri("//Alice"), status_file, say=lambda _l: None,
                           rescorer=lambda c, *_: Rescore(scores[c["algorithm_dsl"]]))
        assert second.cursor.position == 1
        second.tick()
        second.close()
    status = read_status(status_file)
    assert [(s["seq"], s["status"]) for s in status["submissions"]] == [(0, "submitted"), (2, "submitted")]
    assert status["decisions"]["1"]["status"] == "skipped" and "already submitted" in status["decisions"]["1"]["reason"]
    damaged = {**status, "resume": {"cursor": "x", "submitted_hashes": 5, "best_submitted": "high", "pending": [1]}}
    status_file.write_text(json.dumps(damaged))
    third = Submitter(options, Keypair.create_from_uri("//Alice"), status_file, say=lambda _l: None)
    assert third.cursor.position == 0 and third.book.best_submitted is None and third.book.pending is None
    third.close()


def test_the_cooldown_parks_the_best_candidate_and_sends_it_when_it_ends(home, sidecar_server, relay_server):
    from bittensor_wallet import Keypair

    from miner.submitter.loop import Submitter, SubmitterOptions
    from miner.submitter.rule import BETTER_PENDING, Rescore

    now = [1_750_000_000.0]
    run_id, status_file = "cooldown-run", home / "status.json"
    options = SubmitterOptions(sidecar_server.url, run_id, "scalar_linear", relay_url=relay_server.url, cooldown_s=60)
    real = {CONSTANT_DSL.format(value=v + 0.5): score for v, score in ((0, 0.3), (1, 0.5), (2, 0.4))}
    submitter = Submitter(options, Keypair.create_from_uri("//Alice"), status_file, clock=lambda: now[0],
                          say=lambda _l: None, rescorer=lambda c, *_: Rescore(real[c["algorithm_dsl"]]))
    with SidecarClient(sidecar_server.url) as sidecar:
        sidecar.start_run(run_id)
        sidecar.ingest_batch(run_id, [candidate(0, 0.3), candidate(1, 0.5), candidate(2, 0.4)])
        submitter.tick()
        status = read_status(status_file)
        assert {k: v["status"] for k, v in status["decisions"].items()} == {
            "0": "submitted", "1": "pending", "2": "skipped"}
        assert status["decisions"]["2"]["reason"] == BETTER_PENDING
        assert status["pending"] == {"seq": 1, "score": 0.5} and status["cooldown_until_s"] == now[0] + 60
        now[0] += 61
        submitter.tick()
        assert sidecar.state(run_id)["local_sota"] == 0.5
    submitter.close()
    status = read_status(status_file)
    assert [(s["seq"], s["status"]) for s in status["submissions"]] == [(0, "submitted"), (1, "submitted")]
    assert status["pending"] is None and status["local_sota"] == 0.5


def test_an_encrypted_hotkey_is_unlocked_from_standard_input_only(home, sidecar_server, relay_server):
    from bittensor_wallet import Keypair, Wallet

    root = home / "wallets"
    Wallet(name="enc", hotkey="hk", path=str(root)).hotkey_file.set_keypair(
        Keypair.create_from_uri("//Ferdie"), encrypt=True, overwrite=True, password="s3cret-pass")
    argv = [sys.executable, "-m", "miner.submitter", "--sidecar-url", sidecar_server.url, "--run-id", "enc-run",
            "--task-type", "scalar_linear", "--relay-url", relay_server.url, "--wallet-name", "enc",
            "--wallet-hotkey", "hk", "--wallet-path", str(root), "--exit-with-parent", str(os.getpid())]
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert refused.returncode == 2 and "is encrypted: pass its password with --password-stdin" in refused.stderr
    child = subprocess.Popen([*argv, "--password-stdin"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        child.stdin.write("s3cret-pass\n")
        child.stdin.close()
        status = wait_for(lambda: read_status(home / ".bitsota" / "submitter" / "enc-run.json"), timeout=30,
                          what="the status file")
        assert status["hotkey"] == Keypair.create_from_uri("//Ferdie").ss58_address
    finally:
        child.terminate()
        assert child.wait(20) == 0
