"""`python -m benchmarks.search_quality` as the issue's checks run it: one name=value line per figure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_prints_the_contract_figures_for_other_settings_too():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.search_quality", "--config", "quick", "--seeds", "3,4",
         "--cpu-seconds", "1", "--feature-dim", "3", "--task-count", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=True)
    figures = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert re.fullmatch(r"[0-2]/2", figures["found"])
    assert figures["median_cpu_seconds_to_found"] == "none" or float(figures["median_cpu_seconds_to_found"]) <= 1.5
    assert float(figures["best_unseen_median"]) <= 1.0
    assert float(figures["evals_per_cpu_second"]) > 0


def test_an_unknown_engine_is_one_usage_line():
    done = subprocess.run([sys.executable, "-m", "benchmarks.search_quality", "--engine", "nope"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "nope" in done.stderr


def test_an_engine_parameter_can_be_overridden_and_a_bad_one_is_one_usage_line():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.search_quality", "--config", "quick", "--seeds", "2", "--cpu-seconds", "1",
         "--param", "local_search_every=1000", "--param", "task_score=validator"],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=True)
    figures = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert figures["param_local_search_every"] == "1000" and figures["param_task_score"] == "validator"
    assert float(figures["evals_per_cpu_second"]) > 0
    for bad in ("nope=1", "local_search_every=often", "task_score=scale-free"):
        refused = subprocess.run([sys.executable, "-m", "benchmarks.search_quality", "--config", "quick",
                                  "--cpu-seconds", "1", "--param", bad], cwd=REPO, capture_output=True, text=True,
                                 timeout=60)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, bad
        assert bad.split("=")[0] in refused.stderr
