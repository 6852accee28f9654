"""Faults in the guide's loop, with real processes: the relay SIGKILLed and restarted under a polling validator,
the sidecar SIGKILLed under a running miner and restarted from its journal, a miner worker or the whole miner
killed. (The TUI's side of these recoveries is tested with the TUI.)"""

from __future__ import annotations

import os
import signal

import httpx

from sidecar.client import SidecarClient
from tests.e2e.services import VOTE_TIMEOUT_S
from tests.e2e.test_local_guide import mine_and_submit, miner_keypair
from tests.e2e.tui_like import TuiLikeSubmitter
from tests.helpers import wait_for

# Plain SGD linear regression: far better on scalar_linear than anything a short search finds.
SGD_DSL = "# setup\ns2 = 0.01\n# predict\ns0 = dot(v1, v0)\n# learn\ns3 = s1 - s0\ns4 = s2 * s3\nv2 = s4 * v0\nv1 = v1 + v2\n"


def sota(relay) -> float:
    return httpx.get(f"{relay.url}/sota_threshold", timeout=5).json()["sota_threshold"]


def child_pids(pid: int, marker: str) -> list[int]:
    """Live children of `pid` whose command line contains `marker` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            cmdline = open(f"/proc/{entry}/cmdline").read()
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z" and marker in cmdline:
            found.append(int(entry))
    return found


def pid_gone(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def post_candidate(sidecar_url: str, run_id: str, dsl: str) -> None:
    """A candidate event as the miner sends it, for a program the search would take long to find."""
    event = {"type": "candidate", "worker_id": 0, "iteration": 1, "validator_score": 0.5, "eval_score": 0.5,
             "input_dim": 16, "algorithm_dsl": dsl, "task_type": "scalar_linear"}
    SidecarClient(sidecar_url).ingest_batch(run_id, [event])


def test_relay_sigkill_and_restart_under_a_polling_validator(stack, workdir, validator_suite):
    relay = stack.relay(votes=1).start()
    sidecar = stack.sidecar().start()
    validator = stack.validator(relay.url, "local_val").start()
    submitter = mine_and_submit(stack, workdir, relay, sidecar, "before_kill")
    validator.wait_until(lambda: sota(relay) > 0, "the first SOTA", VOTE_TIMEOUT_S)
    first = sota(relay)

    relay.process.send_signal(signal.SIGKILL)
    assert relay.wait(10) == -signal.SIGKILL
    validator.wait_until(lambda: "failed" in validator.log().lower(), "a failed poll", 30)
    assert validator.alive
    relay.start()  # same port, same database file
    assert sota(relay) == first  # committed state survived the SIGKILL
    events = httpx.get(f"{relay.url}/sota-events", timeout=5).json()
    assert [(e["miner_hotkey"], e["score"]) for e in events["results"]] == [(submitter.relay.hotkey, first)]

    # The validator carries on against the restarted relay: a better program is voted in.
    after = TuiLikeSubmitter(relay.url, sidecar.url, "after_restart", miner_keypair(workdir), workdir)
    post_candidate(sidecar.url, "after_restart", SGD_DSL)
    [(_, outcome)] = after.poll()
    assert outcome == "submitted"
    validator.wait_until(lambda: sota(relay) > first, "a vote after the restart", VOTE_TIMEOUT_S)
    assert sota(relay) == after.submitted()[0]["verified"]
    assert httpx.get(f"{relay.url}/sota-events", timeout=5).json()["total"] == 2
    assert validator.stop() == 0


def test_sidecar_sigkill_and_journal_restart_under_a_running_miner(stack, workdir):
    journal = workdir / "journal"
    sidecar = stack.sidecar(journal_dir=journal).start()
    client = SidecarClient(sidecar.url)
    miner = stack.miner(sidecar.url, "journaled", "--validate-every", "10", "--log-every", "20", "--seed", "3").start()
    miner.wait_until(lambda: client.candidates(0, run_id="journaled").items, "a candidate")
    before = client.candidates(0, run_id="journaled").items

    port = sidecar.url.rsplit(":", 1)[1]
    sidecar.process.send_signal(signal.SIGKILL)
    sidecar.wait(10)
    restarted = stack.sidecar(port=int(port), journal_dir=journal).start()
    after = client.candidates(0, run_id="journaled").items
    assert after[:len(before)] == before  # acknowledged candidates come back with the same seq
    logs_at_restart = client.logs(0, limit=500, run_id="journaled").cursor

    # The miner never noticed for good: it retries and keeps reporting into the restored run.
    miner.wait_until(lambda: client.logs(logs_at_restart, run_id="journaled").items, "new progress after the restart")
    assert miner.alive
    assert miner.stop(timeout=30) == 0
    state = client.state("journaled")
    assert state["status"] == "stopped"
    seqs = [item["seq"] for item in client.candidates(0, run_id="journaled").items]
    assert seqs == list(range(len(seqs)))
    assert restarted.stop() == -signal.SIGTERM


def test_a_killed_worker_is_reported_and_the_miner_restarts_into_the_same_run(stack, workdir):
    sidecar = stack.sidecar().start()
    client = SidecarClient(sidecar.url)
    miner = stack.miner(sidecar.url, "crashy", "--log-every", "20").start()
    wait_for(lambda: len(child_pids(miner.pid, "spawn_main")) == 2, timeout=30, what="two worker processes")
    wait_for(lambda: client.state("crashy").get("tasks_completed", 0) > 0, timeout=60, what="progress")
    os.kill(child_pids(miner.pid, "spawn_main")[0], signal.SIGKILL)
    assert miner.wait(30) == 1  # a worker crash is a runtime failure
    messages = [item.get("message", "") for item in client.logs(0, limit=500, run_id="crashy").items]
    assert any(m.startswith("[error] worker exited (exitcode=-9)") for m in messages), messages[-10:]
    seen = client.logs(0, limit=500, run_id="crashy").cursor

    again = stack.miner(sidecar.url, "crashy", "--log-every", "20", name="miner2").start()
    again.wait_until(lambda: any(" Iter " in item.get("message", "") for item in client.logs(seen, run_id="crashy").items),
                     "progress from the restarted miner")
    assert client.state("crashy")["status"] == "running"
    assert again.stop(timeout=30) == 0


def test_a_sigkilled_miner_leaves_no_worker_behind(stack):
    sidecar = stack.sidecar().start()
    miner = stack.miner(sidecar.url, "orphans").start()
    wait_for(lambda: len(child_pids(miner.pid, "spawn_main")) == 2, timeout=30, what="two worker processes")
    workers = child_pids(miner.pid, "spawn_main")
    miner.process.send_signal(signal.SIGKILL)
    assert miner.wait(10) == -signal.SIGKILL
    wait_for(lambda: all(pid_gone(pid) for pid in workers), timeout=15, what="the workers to exit with their parent")


def test_pool_api_sigkilled_and_restarted_with_an_assignment_in_flight(stack):
    pool = stack.pool().start()
    sidecar = stack.sidecar().start()
    driver = stack.pool_driver(pool.url, sidecar.url, "pool_restart", duration_s=60).start()
    # No worker yet: the driver's evolve assignment stays in flight across the restart.
    driver.wait_until(lambda: "[pool] Enqueued job kind=evolve" in driver.log(), "an assignment", 30)
    batch_id = driver.log().split("[pool] Enqueued job kind=evolve batch_id=", 1)[1].split()[0]

    pool.process.send_signal(signal.SIGKILL)
    pool.wait(10)
    pool.start()
    stack.pool_worker(sidecar.url, "pool_restart").start()
    driver.wait_until(lambda: f"[pool] submit_evolution ok=True batch_id={batch_id}" in driver.log(),
                      "the pre-restart batch accepted after the restart", 30)
    driver.wait_until(lambda: "[pool] submit_evaluation ok=True" in driver.log(), "the driver carrying on with new work", 30)
    assert driver.alive and pool.alive
    assert driver.stop() in (0, -signal.SIGTERM)
    assert "Traceback" not in pool.log() + driver.log()
