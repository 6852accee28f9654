"""Verification end to end: golden medians through verify_solution_quality, input checks, resource limits,
synthetic-data refusal and the `python -m validator.score` command."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from core import verify
from core.tasks import verification_suite
from core.tasks.store import STORE
from tests.core.tasks_support import golden_cifar_pool, isolated_data  # noqa: F401

TRANSCENDENTAL = ("exp(", "log(", "sin(", "cos(", "tan(")
SGD_D4 = """# meta: scalar_count=5 vector_count=4 matrix_count=1 vector_dim=4 setup_max_ops=2 predict_max_ops=2 learn_max_ops=4
# setup
s2 = 0.01
# predict
s0 = dot(v1, v0)
# learn
s3 = s1 - s0
s4 = s3 * s2
v2 = v0 * s4
v1 = v1 + v2"""


def _score(value) -> float:
    return float(value)  # golden non-finite scores are the strings "-inf"/"nan"


def _golden_programs(path, count: int) -> list[dict]:
    """The first `count` programs without transcendentals (bit-exact by spec), plus one with median -inf."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    exact = [r for r in rows if not any(t in r["dsl"] for t in TRANSCENDENTAL)]
    failing = [r for r in exact if _score(r["median"]) == -math.inf][:1]
    return exact[:count] + failing


@pytest.fixture(autouse=True)
def eight_tasks(monkeypatch, tmp_path):
    for name in ("VALIDATOR_HYPERPARAMS_PATH", "BITSOTA_VALIDATOR_HYPERPARAMS_PATH", "VALIDATOR_TASK_SEED",
                 "VALIDATOR_MAX_WORK", verify.ALLOW_SYNTHETIC_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "8")


def test_scalar_linear_golden_medians(golden_dir):
    programs = _golden_programs(golden_dir / "scalar_linear_scores.jsonl", 12)
    assert len(programs) == 13
    for row in programs:
        submitted = {"algorithm_dsl": row["dsl"], "input_dim": row["input_dim"], "task_type": "scalar_linear"}
        passed, score = verify.verify_solution_quality(submitted)
        assert score == _score(row["median"]), row["id"]
        assert passed == (score >= 0.0)
        detailed = verify.verify_detailed(submitted)
        assert detailed.task_ids == row["task_ids"]
        assert detailed.per_task == [_score(s) for s in row["per_task"]]


def test_cifar_golden_medians_through_the_synthetic_pool(golden_dir, monkeypatch):
    programs = _golden_programs(golden_dir / "cifar_fixture_scores.jsonl", 4)
    X, y = golden_cifar_pool()
    monkeypatch.setenv(verify.ALLOW_SYNTHETIC_ENV, "1")
    with STORE.override("cifar10", X, y):
        for row in programs:
            submitted = json.dumps({"algorithm_dsl": row["dsl"], "input_dim": row["input_dim"]})  # default type
            passed, score = verify.verify_solution_quality(submitted, sota_threshold=0.5)
            assert score == _score(row["median"]), row["id"]
            assert passed == (score >= 0.5)
        detailed = verify.verify_detailed(submitted)
        assert detailed.task_ids == [1538, 3626, 1852, 2256, 725, 3866, 3424, 13]
        assert detailed.synthetic_data


def test_synthetic_scores_are_refused_without_opt_in(golden_dir):
    X, y = golden_cifar_pool()
    with STORE.override("cifar10", X, y):
        assert verify.verify_solution_quality({"algorithm_dsl": "s0 = 1.0", "input_dim": 16}) == (False, -math.inf)


@pytest.mark.parametrize("algorithm_result", [
    None, 42, "not json", "[1]", {}, {"algorithm_dsl": ""}, {"algorithm_dsl": "   "}, {"algorithm_dsl": 7},
    {"algorithm_dsl": SGD_D4, "task_type": "imagenet"},
    {"algorithm_dsl": SGD_D4, "task_type": "scalar_linear", "input_dim": "four"},
    {"algorithm_dsl": SGD_D4, "task_type": "scalar_linear", "input_dim": -1},
    {"algorithm_dsl": SGD_D4, "task_type": "scalar_linear", "input_dim": 1025},
    {"algorithm_dsl": "s0 = 1.0\n" * 4097, "task_type": "scalar_linear", "input_dim": 4},
    {"algorithm_dsl": "#" * (1 << 20) + "\ns0 = 1.0", "task_type": "scalar_linear", "input_dim": 4},
    {"algorithm_dsl": "# meta: matrix_count=5 vector_dim=1000\ns0 = 1.0", "task_type": "scalar_linear", "input_dim": 4},
])
def test_invalid_submissions_score_minus_inf(algorithm_result):
    assert verify.verify_solution_quality(algorithm_result) == (False, -math.inf)


def test_reasons_are_reported():
    too_big = verify.verify_detailed({"algorithm_dsl": "# meta: matrix_count=5 vector_dim=1000\ns0 = 1.0",
                                      "task_type": "scalar_linear", "input_dim": 4})
    assert "more than 4194304" in too_big.reason and too_big.score == -math.inf
    unknown = verify.verify_detailed({"algorithm_dsl": SGD_D4, "task_type": "imagenet"})
    assert "unknown task type" in unknown.reason


def test_falsy_input_dim_uses_the_default_and_strings_are_accepted():
    result = verify.verify_detailed({"algorithm_dsl": SGD_D4, "task_type": " Scalar_Linear ", "input_dim": 0})
    assert result.input_dim == 16 and result.task_type == "scalar_linear" and math.isfinite(result.score)
    assert verify.verify_detailed({"algorithm_dsl": SGD_D4, "task_type": "scalar_linear",
                                   "input_dim": "4"}).input_dim == 4


def test_work_limit(monkeypatch):
    submitted = {"algorithm_dsl": SGD_D4, "task_type": "scalar_linear", "input_dim": 4}
    assert math.isfinite(verify.verify_solution_quality(submitted)[1])
    monkeypatch.setenv("VALIDATOR_MAX_WORK", "1000")
    assert verify.verify_solution_quality(submitted) == (False, -math.inf)
    assert "VALIDATOR_MAX_WORK" in verify.verify_detailed(submitted).reason


def test_scalar_default_count_follows_the_large_suite_mode(monkeypatch):
    monkeypatch.delenv("VALIDATOR_TASK_COUNT")
    submitted = {"algorithm_dsl": SGD_D4, "task_type": "scalar_linear", "input_dim": 4}
    assert verify.verify_solution_quality(submitted) == (False, -math.inf)  # reference: 128 > 8 ids
    score = verify.score_on_eval_suite(SGD_D4, 4, "scalar_linear")  # extended: ids 0..127
    assert 0.99 < score <= 1.0
    assert verify.score_on_eval_suite("", 4, "scalar_linear") == -math.inf


def _score_cli(*args, env=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "validator.score", *args], capture_output=True, text=True,
                          input=stdin, env=env or dict(os.environ), timeout=120)


def test_cli_json_fields(tmp_path):
    program = tmp_path / "sgd.dsl"
    program.write_text(SGD_D4)
    done = _score_cli(str(program), "--task-type", "scalar_linear", "--input-dim", "4", "--task-count", "4",
                      "--threshold", "0.5", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["task_type"] == "scalar_linear" and out["input_dim"] == 4 and out["task_count"] == 4
    assert out["task_ids"] == [7, 5, 6, 1] and len(out["per_task"]) == 4 and out["passed"] is True
    assert out["score"] == sorted(out["per_task"])[1] / 2 + sorted(out["per_task"])[2] / 2
    assert any(issue["code"] == "kind_mismatch" for issue in out["issues"])
    failed = json.loads(_score_cli("-", "--task-type", "scalar_linear", "--input-dim", "4", "--task-count", "16",
                                   "--scalar-large-suite", "reference", "--json", stdin=SGD_D4).stdout)
    assert failed["score"] is None and failed["per_task"] == [] and "suite cannot be drawn" in failed["reason"]


def test_cli_human_output_and_errors(tmp_path):
    program = tmp_path / "sgd.dsl"
    program.write_text(SGD_D4)
    done = _score_cli(str(program), "--task-type", "scalar_linear", "--input-dim", "4", "--task-count", "2",
                      "--task-seed", "5")
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[0].startswith("score: 0.99") and "median of 2 scalar_linear" in lines[0]
    assert len([line for line in lines if line.strip().startswith("task ")]) == 2
    missing = _score_cli(str(tmp_path / "absent.dsl"))
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0 and "cannot read" in missing.stderr
    unknown = _score_cli(str(program), "--task-type", "imagenet")
    assert unknown.returncode == 1 and unknown.stderr.strip() == (
        "error: unknown task type 'imagenet'; expected one of cifar10_binary, mnist_binary, scalar_linear")


def test_cli_reports_missing_data_sets(isolated_data, tmp_path):
    program = tmp_path / "p.dsl"
    program.write_text("s0 = 1.0")
    gui_config = tmp_path / "gui.json"
    gui_config.write_text(json.dumps({"cifar10_dataset_url": (tmp_path / "nowhere.arff.gz").as_uri()}))
    env = dict(os.environ, BITSOTA_DATA_DIR=str(isolated_data), BITSOTA_GUI_CONFIG=str(gui_config),
               SCIKIT_LEARN_DATA=str(tmp_path / "sk"))
    env.pop("CIFAR10_DATASET_URL", None)
    done = _score_cli(str(program), "--input-dim", "4", "--task-count", "1", env=env)
    assert done.returncode == 1
    assert "Data set cifar10 is unavailable: missing CIFAR_10_small.arff.gz" in done.stderr
    assert "Expected SHA-256: 8bc18551" in done.stderr


def test_core_verify_module_is_the_same_cli(tmp_path):
    done = subprocess.run([sys.executable, "-m", "core.verify", "-", "--task-type", "scalar_linear", "--input-dim",
                           "4", "--task-count", "1", "--json"], input=SGD_D4, capture_output=True, text=True,
                          timeout=120)
    expected = [entry.spec.task_id for entry in verification_suite("scalar_linear", 4, 1, 1337)]
    assert done.returncode == 0 and json.loads(done.stdout)["task_ids"] == expected
