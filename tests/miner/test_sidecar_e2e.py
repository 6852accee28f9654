"""End to end (miner.md §9): a real sidecar under uvicorn and the sidecar miner as a real subprocess."""

from __future__ import annotations

import signal
import subprocess

import numpy as np
import pytest

from core import datasets
from sidecar.client import StreamCursor
from tests.helpers import wait_for
from tests.miner.conftest import TINY

MINER = "scripts.miner_local_og_sidecar"


class Reader:
    """Follows one cursor stream the way the TUI does, checking that seqs never repeat or skip."""

    def __init__(self, fetch) -> None:
        self.fetch = fetch
        self.cursor = StreamCursor()
        self.items: list[dict] = []

    def poll(self) -> list[dict]:
        while True:
            page = self.cursor.take(self.fetch(self.cursor.position))
            if not page:
                return self.items
            expected = list(range(len(self.items), len(self.items) + len(page)))
            assert [item["seq"] for item in page] == expected
            self.items.extend(page)

    def messages(self) -> list[str]:
        return [item.get("message", "") for item in self.poll()]


def readers(client, run_id):
    return (Reader(lambda c: client.logs(c, limit=7, run_id=run_id)),
            Reader(lambda c: client.candidates(c, limit=1, run_id=run_id)),
            Reader(lambda c: client.populations(c, limit=2, run_id=run_id)))


def finished(process, timeout: float = 60) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the miner did not exit; stderr: {open(process.stderr_path).read()[-2000:]}") from None


def test_two_workers_report_progress_and_stop_cleanly_on_sigterm(sidecar, spawn_miner):
    url, client = sidecar
    run_id = client.start_run("e2e-two-workers", meta={"task_type": "scalar_linear"})
    logs, _, populations = readers(client, run_id)
    miner = spawn_miner(MINER, "--sidecar-url", url, "--run-id", run_id, *TINY, "--engine", "baseline",
                        "--workers", "2", "--validate-every", "0", "--iterations", "0", "--log-every", "20",
                        "--population-snapshot-every", "40", "--seed", "7")
    wait_for(lambda: {"[w0] Iter 0020", "[w1] Iter 0020"} <= {m.split(":")[0] for m in logs.messages()},
             timeout=90, what="progress from both workers")
    assert logs.messages()[0] == "[coord] start task=scalar_linear engine=baseline workers=2 seed=7"
    state = client.state(run_id)
    assert state["status"] == "running" and set(state["workers"]) == {"0", "1"}
    assert state["tasks_completed"] >= 40
    wait_for(lambda: populations.poll(), timeout=60, what="a population snapshot")
    snapshot = populations.items[0]
    assert snapshot["task_type"] == "scalar_linear" and len(snapshot["population"]) == 20

    miner.send_signal(signal.SIGTERM)
    assert finished(miner) == 0
    messages = logs.messages()
    assert {"[w0] done", "[w1] done"} <= set(messages)
    assert messages[-2] == "[coord] shutdown: stopped (SIGTERM), 0 events dropped"
    assert messages[-1] == "[coord] done"
    assert client.state(run_id)["status"] == "stopped"
    assert client.candidates(0, run_id=run_id).items == []  # --validate-every 0: no candidates


def candidate_run(client, spawn_miner, url, run_id, *flags):
    miner = spawn_miner(MINER, "--sidecar-url", url, "--run-id", run_id, *flags)
    assert finished(miner, timeout=120) == 0
    logs, candidates, _ = readers(client, run_id)
    return logs.messages(), candidates.poll()


def test_validation_produces_candidates_readable_with_cursors(sidecar, spawn_miner):
    url, client = sidecar
    messages, candidates = candidate_run(client, spawn_miner, url, "e2e-candidates", *TINY, "--workers", "1",
                                         "--validate-every", "5", "--iterations", "40", "--seed", "2")
    assert candidates, "a threshold of 0 lets the first verified program through"
    for item in candidates:
        assert item["task_type"] == "scalar_linear" and item["input_dim"] == 4
        assert item["algorithm_dsl"].startswith("# meta:") and item["verify_task_count"] == 4
        assert isinstance(item["validator_score"], float) and isinstance(item["eval_score"], float)
    verify = [m for m in messages if m.startswith("[verify] w0")]
    assert verify and f"[candidate] w0 iter {candidates[0]['iteration']}: verified_score=" \
        f"{candidates[0]['validator_score']:.6f}" in messages
    state = client.state("e2e-candidates")
    assert state["status"] == "stopped"  # a single-worker run that finished ends stopped
    assert state["best_candidate_score"] == max(c["validator_score"] for c in candidates)
    assert messages[-2:] == ["[coord] shutdown: finished, 0 events dropped", "[coord] done"]


@pytest.fixture
def fixture_cifar(tmp_path):
    """A synthetic CIFAR-10 data set in the real on-disk layout (class-dependent pixel means)."""
    root = tmp_path / "data"
    rng = np.random.default_rng(0)
    labels = np.arange(600, dtype=np.int32) % 10
    pixels = (rng.integers(0, 60, size=(600, 3072)) + 20 * labels[:, None]).clip(0, 255).astype(np.uint8)
    datasets.save_dataset(root, "cifar10", pixels, labels, synthetic=True, source="test fixture")
    return root


def test_candidates_on_fixture_cifar_data(sidecar, spawn_miner, fixture_cifar, tmp_path):
    url, client = sidecar
    _, candidates = candidate_run(client, spawn_miner, url, "e2e-cifar", "--task-type", "cifar10_binary",
                                  "--offline-data-dir", str(fixture_cifar), "--feature-dim", "4",
                                  "--train-examples", "40", "--val-examples", "40", "--pop-size", "10",
                                  "--miner-task-count", "2", "--validator-task-count", "4", "--workers", "1",
                                  "--validate-every", "5", "--iterations", "15", "--seed", "1")
    assert candidates and {c["task_type"] for c in candidates} == {"cifar10_binary"}
    assert all(0.0 <= c["validator_score"] <= 1.0 for c in candidates)  # accuracies
