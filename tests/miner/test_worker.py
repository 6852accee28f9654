"""The per-iteration worker loop (miner.md §4.2-4.4) with a recording host, and the candidate rule."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from core.dsl import check_dsl, from_dsl
from core.engines import EngineParams
from core.engines.checkpoint import checkpoint_path
from miner.options import miner_parser, parse_options
from miner.progress import population_stats
from miner.validation import CandidateGate
from miner.worker import MiningWorker
from tests.miner.conftest import RecordingHost, tiny_args

WALL_CLOCK_FIELDS = ("rate", "eval_rate", "event_id", "ts")


def run_worker(*flags: str, host: RecordingHost | None = None) -> RecordingHost:
    host = host or RecordingHost()
    MiningWorker(tiny_args("--seed", "3", *flags), 0, host).run()
    return host


def test_progress_cadence_first_every_and_last():
    host = run_worker("--iterations", "25", "--log-every", "10", "--validate-every", "0")
    assert [e["iteration"] for e in host.of_type("progress")] == [1, 10, 20, 25]
    first = host.of_type("progress")[0]
    assert set(first) >= {"worker_id", "engine_best", "pop_best", "pop_median", "pop_q1", "pop_q3", "rate",
                          "evaluations", "eval_rate", "fec_hit_rate"}
    assert first["evaluations"] == 21  # the population of 20, then one child
    assert host.events[-1] == {"type": "done", "worker_id": 0, "iteration": 25}
    assert host.of_type("candidate") == [] and host.of_type("log") == []


def test_no_worker_logs_means_no_progress():
    host = run_worker("--iterations", "5", "--no-worker-logs", "--validate-every", "0")
    assert host.of_type("progress") == []
    assert host.events == [{"type": "done", "worker_id": 0, "iteration": 5}]


def test_population_snapshots_pair_programs_with_their_scores():
    host = run_worker("--iterations", "12", "--log-every", "100", "--population-snapshot-every", "5",
                      "--validate-every", "0")
    snapshots = host.of_type("population")
    assert [s["iteration"] for s in snapshots] == [5, 10]
    snapshot = snapshots[-1]
    assert (snapshot["task_type"], snapshot["engine"], snapshot["worker_id"]) == ("scalar_linear", "baseline", 0)
    assert len(snapshot["population"]) == 20
    for item in snapshot["population"]:
        assert item["format"] == "dsl" and item["input_dim"] == 4
        assert item["fitness"] is None or math.isfinite(item["fitness"])
    json.dumps(snapshot, allow_nan=False)  # wire-safe


def test_validation_cadence_and_candidates_are_verified_dsl():
    host = run_worker("--iterations", "60", "--log-every", "100", "--validate-every", "10")
    verify_lines = [e["message"] for e in host.of_type("log") if e["message"].startswith("[verify]")]
    iterations = [int(line.split("iter ")[1].split(":")[0]) for line in verify_lines]
    assert iterations and iterations[0] >= 10
    assert all(b - a >= 10 for a, b in zip(iterations, iterations[1:]))
    candidates = host.of_type("candidate")
    assert candidates, "a threshold of 0 lets the first verified program through"
    scores = [c["validator_score"] for c in candidates]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)  # each improves the last
    for candidate in candidates:
        assert candidate["task_type"] == "scalar_linear" and candidate["input_dim"] == 4
        assert (candidate["verify_task_count"], candidate["verify_task_seed"]) == (4, 1337)
        assert not [i for i in check_dsl(candidate["algorithm_dsl"], 4) if i.severity == "error"]
        assert from_dsl(candidate["algorithm_dsl"], 4, strict=True) is not None
    assert host.events[-1]["type"] == "done"


def test_a_high_threshold_verifies_but_emits_no_candidate():
    host = RecordingHost(base_threshold=1e9)
    run_worker("--iterations", "30", "--validate-every", "10", host=host)
    assert host.of_type("candidate") == []
    assert any("passed=False" in e["message"] for e in host.of_type("log"))


def test_validate_every_zero_never_verifies():
    host = run_worker("--iterations", "30", "--validate-every", "0")
    assert not [e for e in host.of_type("log") if e["message"].startswith("[verify]")]


def test_a_stop_request_ends_after_the_current_generation_with_final_progress():
    host = RecordingHost(stop_after=7)
    run_worker("--iterations", "0", "--log-every", "100", "--validate-every", "0", host=host)
    assert host.events[-1] == {"type": "done", "worker_id": 0, "iteration": 7}
    assert [e["iteration"] for e in host.of_type("progress")] == [1, 7]


def test_checkpoints_are_written_and_logged(tmp_path):
    host = run_worker("--iterations", "10", "--validate-every", "0", "--checkpoint-dir", str(tmp_path),
                      "--checkpoint-every", "4")
    assert [e["message"] for e in host.of_type("log")] == ["[checkpoint] w0 iter 4", "[checkpoint] w0 iter 8"]
    saved = json.loads(checkpoint_path(tmp_path, "scalar_linear", "baseline", 0).read_text())
    assert saved["generation"] == 8


def test_resume_continues_from_the_checkpoint(tmp_path):
    run_worker("--iterations", "6", "--validate-every", "0", "--checkpoint-dir", str(tmp_path),
               "--checkpoint-every", "6")
    worker = MiningWorker(tiny_args("--seed", "3", "--checkpoint-dir", str(tmp_path), "--resume"), 0,
                          host := RecordingHost())
    worker.load_start_state()
    assert worker.engine.generation == 6
    assert host.events[0]["message"] == "[checkpoint] w0 resumed at generation 6"


def test_a_mismatching_initial_population_is_logged_and_ignored(tmp_path):
    path = tmp_path / "population.json"
    path.write_text(json.dumps({"task_type": "cifar10_binary", "population": []}))
    host = run_worker("--iterations", "2", "--validate-every", "0", "--initial-population-path", str(path))
    assert "initial population ignored" in host.of_type("log")[0]["message"]
    assert host.events[-1]["type"] == "done"


def test_timing_lines_follow_progress():
    host = run_worker("--iterations", "10", "--log-every", "5", "--validate-every", "0", "--timing")
    timing = [e["message"] for e in host.of_type("log")]
    assert len(timing) == 3 and timing[0].startswith("[timing] w0 iter 1: evolve=")


def test_same_seed_gives_the_same_event_stream():
    def stream():
        host = run_worker("--iterations", "40", "--log-every", "7", "--validate-every", "9",
                          "--population-snapshot-every", "13")
        return [{k: v for k, v in e.items() if k not in WALL_CLOCK_FIELDS} for e in host.events]

    first, second = stream(), stream()
    assert first == second
    assert {e["type"] for e in first} >= {"progress", "population", "log", "candidate", "done"}


def test_population_stats_use_linear_percentiles_of_finite_scores():
    stats = population_stats([1.0, 2.0, -math.inf, 3.0, 4.0, None])
    assert stats == {"pop_best": 4.0, "pop_median": 2.5, "pop_q1": 1.75, "pop_q3": 3.25}
    assert population_stats([-math.inf]) == {"pop_best": None, "pop_median": None, "pop_q1": None, "pop_q3": None}


# ---------------------------------------------------------------- the candidate rule in isolation

class ScriptedVerifier:
    def __init__(self, *scores: float) -> None:
        self.scores = list(scores)
        self.calls: list = []

    def __call__(self, submitted, threshold, **options):
        self.calls.append((submitted, threshold, options))
        return SimpleNamespace(score=self.scores.pop(0), task_count=options["task_count"],
                               task_seed=options["task_seed"])


@pytest.fixture
def program():
    return EngineParams(input_dim=4, pop_size=2).new_program()


def gate(verifier, validate_every=5):
    return CandidateGate(worker_id=2, task_type="scalar_linear", engine="archive", input_dim=4,
                         validate_every=validate_every, task_count=4, task_seed=99, verify=verifier)


def test_gate_is_due_only_after_the_cadence_and_on_a_fitness_gain(program):
    candidate_gate = gate(ScriptedVerifier(0.5))
    assert not candidate_gate.due(4, program, 0.1)  # first validation at i >= N
    assert not candidate_gate.due(5, None, 0.1)
    assert not candidate_gate.due(5, program, -math.inf)
    assert candidate_gate.due(5, program, 0.1)
    candidate_gate.validate(5, program, 0.1, 0.0)
    assert not candidate_gate.due(20, program, 0.1)  # no gain since the last validation
    assert not candidate_gate.due(9, program, 0.2)  # too soon
    assert candidate_gate.due(10, program, 0.2)
    assert not gate(ScriptedVerifier(), validate_every=0).due(100, program, 0.1)


def test_candidate_needs_the_threshold_and_a_better_verified_score(program):
    verifier = ScriptedVerifier(0.30, 0.40, 0.35, 0.45)
    candidate_gate = gate(verifier)
    assert [e["type"] for e in candidate_gate.validate(5, program, 0.1, 0.5)] == ["log"]  # below threshold
    assert [e["type"] for e in candidate_gate.validate(10, program, 0.2, 0.2)] == ["log", "candidate"]
    assert [e["type"] for e in candidate_gate.validate(15, program, 0.3, 0.2)] == ["log"]  # not better than 0.40
    events = candidate_gate.validate(20, program, 0.4, 0.2)
    assert events[0]["message"] == "[verify] w2 iter 20: verified_score=0.450000 threshold=0.200000 passed=True"
    candidate = events[1]
    assert candidate["validator_score"] == 0.45 and candidate["eval_score"] == 0.4
    assert (candidate["worker_id"], candidate["iteration"], candidate["engine"]) == (2, 20, "archive")
    assert (candidate["verify_task_count"], candidate["verify_task_seed"]) == (4, 99)
    submitted, threshold, options = verifier.calls[-1]
    assert submitted["task_type"] == "scalar_linear" and submitted["input_dim"] == 4 and threshold == 0.2
    assert options["scalar_large_suite"] == "extended"


def test_verbose_forwards_the_engine_log_lines():
    host = run_worker("--iterations", "3", "--log-every", "100", "--validate-every", "0", "--verbose")
    lines = [e["message"] for e in host.of_type("log")]
    assert len(lines) == 3 and all(line.startswith("[regularized-evo] iter=") for line in lines)


def test_the_default_engine_is_evolve_and_its_candidates_are_verified_dsl():
    assert parse_options(miner_parser("test-miner", "test"), []).engine == "evolve"
    host = RecordingHost()
    worker = MiningWorker(tiny_args("--seed", "3", "--engine", "evolve", "--iterations", "30", "--log-every", "10",
                                    "--validate-every", "10"), 0, host)
    worker.run()
    progress = host.of_type("progress")
    assert [e["iteration"] for e in progress] == [1, 10, 20, 30]
    assert progress[-1]["evaluations"] == 20 + 30 * 5  # the population, then batches of pop_size // 4
    candidates = host.of_type("candidate")
    assert candidates
    for candidate in candidates:
        assert candidate["engine"] == "evolve"
        assert from_dsl(candidate["algorithm_dsl"], 4, strict=True) is not None
