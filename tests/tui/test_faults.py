"""Faults under a mining TUI (tui.md §6-§8): the relay SIGKILLed and restarted on its port and database, and the
owned sidecar SIGKILLed (restarted once from its journal, a second death stops mining). Real processes: a
`python -m relay --test` subprocess, the sidecar and miner the TUI spawns, the app driven by Pilot."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx
import pytest
from bittensor_wallet import Keypair

from miner.relay_client import RelayClient
from sidecar.client import SidecarClient
from tests.helpers import free_port, wait_for
from tests.tui.support import alice_wallet, log_text, make_app, until
from tui.services import processes
from tui.widgets.candidates_table import CandidatesTable

SIZE = (120, 34)
SGD_DSL = ("# setup\ns2 = {rate}\n# predict\ns0 = dot(v1, v0)\n# learn\ns3 = s1 - s0\ns4 = s2 * s3\n"
           "v2 = s4 * v0\nv1 = v1 + v2\n")


def fast_problem_config(path: Path, validate_every: int) -> Path:
    """A small scalar_linear search: dim 4, tiny programs, progress lines every 20 generations."""
    path.write_text(json.dumps({
        "mining": {"engine": "baseline", "validate_every": validate_every, "miner_task_count": 2,
                   "checkpoint_generations": 100000, "engine_params": {"pop_size": 20}},
        "args": {"feature_dim": 4, "train_examples": 50, "val_examples": 50, "setup_max_ops": 2,
                 "predict_max_ops": 2, "learn_max_ops": 2, "scalar_regs": 2, "vector_regs": 2, "matrix_regs": 2,
                 "log_every": 20, "seed": 3}}))
    return path


def sgd_candidate(rate: float, score: float, iteration: int) -> dict:
    """A candidate event as the miner sends it, for a program the short search would take long to find."""
    return {"type": "candidate", "worker_id": 0, "iteration": iteration, "eval_score": score,
            "validator_score": score, "input_dim": 4, "algorithm_dsl": SGD_DSL.format(rate=rate),
            "task_type": "scalar_linear", "verify_task_count": 8, "verify_task_seed": 1337}


class RelayProcess:
    """`python -m relay --test` on a fixed port and SQLite file, so a restart finds both again."""

    def __init__(self, tmp_path: Path) -> None:
        self.port, self.database, self.log = free_port(), tmp_path / "relay.db", tmp_path / "relay.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SOTA_CONSENSUS_VOTES": "1", "SOTA_ALIGNMENT_MOD": "1",
                    "RELAY_LOG_FILE": str(tmp_path / "relay-app.log")}
        self.child: processes.Child | None = None

    def start(self) -> None:
        argv = processes.python_module("relay", "--test", "--host", "127.0.0.1", "--port", str(self.port),
                                       "--database-url", f"sqlite:///{self.database}")
        self.child = processes.spawn("relay", argv, self.log, self.env)
        wait_for(self.healthy, timeout=30, interval=0.1, what="relay /health")

    def healthy(self) -> bool:
        assert self.child is not None and self.child.alive(), processes.tail(self.log)
        try:
            return httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def sigkill(self) -> None:
        assert self.child is not None, "sigkill() before start()"
        os.killpg(self.child.pgid, signal.SIGKILL)
        assert self.child.popen is not None, "spawned here, so its Popen is known"
        self.child.popen.wait(10)

    def stop(self) -> None:
        if self.child is not None and self.child.alive():
            processes.stop(self.child)

    def vote(self, validator_uri: str, miner_hotkey: str, score: float) -> None:
        """A validator's vote; with one vote needed it becomes the relay's SOTA at once."""
        with RelayClient(self.url, Keypair.create_from_uri(validator_uri), "validator") as client:
            assert client.vote(miner_hotkey, score, seen_block=1)["status"] == "finalized"


@pytest.fixture
def relay_process(tmp_path):
    relay = RelayProcess(tmp_path)
    relay.start()
    yield relay
    relay.stop()


def mining_app(relay_url: str, home: Path, problem_config: Path, **config_changes):
    return make_app(["--relay-url", relay_url, "--sidecar-port", str(free_port()), "--wallet", "alice",
                     "--task-type", "scalar_linear", "--problem-config", str(problem_config)],
                    test_mode=True, **config_changes)


def statuses(session) -> list[str]:
    return [row.status for row in session.rows.values()]


async def test_relay_killed_and_restarted_mid_run(home, tmp_path, relay_process, monkeypatch):
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "8")  # a fast suite for the submitter's own re-scoring
    alice = alice_wallet(home).address
    relay = relay_process
    # No cooldown, so each candidate reaches the relay; the miner's own candidates are kept out of the way.
    app = mining_app(relay.url, home, fast_problem_config(tmp_path / "problem.json", 10**9),
                     cooldown_s=0.0, sota_refresh_s=0.5)
    async with app.run_test(size=SIZE) as pilot:
        session = app.session
        await until(pilot, lambda: session.keypair is not None, what="wallet loaded")
        await pilot.press("s")
        await until(pilot, lambda: session.running and session.miner_child, timeout=30, what="mining")
        sidecar = SidecarClient(session.config.sidecar_url)
        sidecar.ingest_batch(session.run_id, [sgd_candidate(0.01, 1.0, 100)])
        await until(pilot, lambda: statuses(session) == ["submitted"], what="the first submission")
        committed = session.rows[0].response["result_id"]
        relay.vote("//Charlie", alice, 0.35)
        await until(pilot, lambda: session.global_sota == 0.35, what="the voted SOTA")

        relay.sigkill()
        header = app.query_one("#header-bar")
        await until(pilot, lambda: "relay unreachable" in str(header.render()), what="relay-unreachable state")
        await until(pilot, lambda: f"[submitter] relay unreachable at {relay.url}" in log_text(app), what="the line")
        progress = sidecar.logs(0, limit=1, run_id=session.run_id).cursor
        sidecar.ingest_batch(session.run_id, [sgd_candidate(0.02, 1.0, 200)])
        await until(pilot, lambda: statuses(session) == ["submitted", "failed"], what="a failed submission")
        assert "ConnectError" in session.rows[1].reason
        await until(pilot, lambda: sidecar.logs(progress, limit=1, run_id=session.run_id).items,
                    timeout=30, what="mining progress while the relay is down")
        assert session.running and session.miner_child.alive() and session.global_sota == 0.35
        assert "sidecar connected" in str(header.render())  # the sidecar is fine: only the relay is gone

        relay.start()  # same port, same database
        with RelayClient(relay.url, Keypair.create_from_uri("//Charlie"), "validator") as client:
            assert client.sota_threshold() == 0.35  # committed before the kill
            assert committed in [result["id"] for result in client.results(limit=10)]
        await until(pilot, lambda: "relay reachable" in str(header.render()), what="relay back")
        await until(pilot, lambda: f"[submitter] relay reachable again at {relay.url}" in log_text(app),
                    what="the relay-back line")
        relay.vote("//Dave", alice, 0.55)
        await until(pilot, lambda: session.global_sota == 0.55, what="the SOTA after the restart")
        await until(pilot, lambda: str(app.query_one("#sota-global").render()) == "0.5500", what="SOTA panel")
        sidecar.ingest_batch(session.run_id, [sgd_candidate(0.03, 1.0, 300)])
        await until(pilot, lambda: statuses(session) == ["submitted", "failed", "submitted"],
                    what="a submission after the restart")
        # The pane keeps the newest lines only (mining progress can push the first submission's line out).
        submitted = f"[submit] status=submitted score=1.000000 result_id={session.rows[2].response['result_id']}"
        await until(pilot, lambda: submitted in log_text(app), what="the submit line")
        table = app.query_one(CandidatesTable)
        await until(pilot, lambda: table.row_count == 3, what="every candidate in the table")
        miner = session.miner_child
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not miner.alive(), timeout=15, what="miner stopped on quit")


async def test_owned_sidecar_killed_is_restarted_once_then_mining_stops(home, tmp_path, relay_server, monkeypatch):
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "8")
    alice_wallet(home)
    app = mining_app(relay_server.url, home, fast_problem_config(tmp_path / "problem.json", 10))
    async with app.run_test(size=SIZE) as pilot:
        session = app.session
        await until(pilot, lambda: session.keypair is not None, what="wallet loaded")
        await pilot.press("s")
        await until(pilot, lambda: session.running and session.sidecar_child, timeout=30, what="mining")
        first = session.sidecar_child
        assert f"--journal-dir {home}/.bitsota/sidecar-journal" in " ".join(first.popen.args)
        await until(pilot, lambda: session.rows, timeout=30, what="a candidate from the miner")
        sidecar = SidecarClient(session.config.sidecar_url)
        before = sidecar.candidates(0, run_id=session.run_id).items
        shown = {seq: row.candidate["algorithm_dsl"] for seq, row in session.rows.items()}

        os.killpg(first.pgid, signal.SIGKILL)
        await until(pilot, lambda: session.sidecar_child is not first and session.connected, timeout=20,
                    what="the sidecar restarted")
        assert "[warning] the sidecar died; restarting it" in log_text(app)
        after = sidecar.candidates(0, run_id=session.run_id).items
        assert after[:len(before)] == before  # the journal restored the run: same candidates, same seq
        assert all(after[seq]["algorithm_dsl"] == dsl for seq, dsl in shown.items())
        progress = sidecar.logs(0, limit=500, run_id=session.run_id).cursor
        await until(pilot, lambda: sidecar.logs(progress, limit=1, run_id=session.run_id).items, timeout=30,
                    what="the miner reporting into the restored run")
        assert session.running and session.miner_child.alive()
        assert list(session.rows) == list(range(len(session.rows)))  # no candidate shown twice or skipped

        miner, second = session.miner_child, session.sidecar_child
        os.killpg(second.pgid, signal.SIGKILL)
        await until(pilot, lambda: not session.running, timeout=20, what="mining stopped")
        # the log pane is written in batches: wait for the lines rather than reading it once
        await until(pilot, lambda: "ERROR: the sidecar died again; stopping mining" in log_text(app),
                    what="the second death reported")
        await until(pilot, lambda: "Mining stopped." in log_text(app), what="the stop reported")
        assert not miner.alive()
        await until(pilot, lambda: str(app.query_one("#start-stop").label) == "Start Mining", what="button")
        await pilot.press("ctrl+q")
