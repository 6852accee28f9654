"""`python -m benchmarks.projected_quality`: generated raw data in the data set format, the miner's settings,
and one name=value line per figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks import projected_quality
from core import datasets
from core.hyperparams import miner_hyperparams

REPO = Path(__file__).resolve().parents[2]


def test_prints_per_seed_and_summary_figures_on_tiny_sizes(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.projected_quality", "--recipe", "mnist_binary", "--seeds", "3,4",
         "--cpu-seconds", "1", "--feature-dim", "2", "--task-count", "2", "--unseen-tasks", "4",
         "--data-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=True)
    figures = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert (figures["engine"], figures["settings"], figures["feature_dim"], figures["task_count"]) == (
        "evolve", "miner-default", "2", "2")
    assert figures["program_ops"] == "7/11/23"  # from problem_config.json.example
    assert 1 <= int(figures["unseen_tasks"]) <= 4
    per_seed = [float(figures[f"seed_{s}_best_unseen"]) for s in (3, 4)]
    assert all(0.0 <= accuracy <= 1.0 for accuracy in per_seed)
    assert figures["best_unseen"] == ",".join(f"{a:.6f}" for a in per_seed)
    assert abs(float(figures["median_validation_accuracy"]) - np.median(per_seed)) < 1e-6
    assert all(int(figures[f"seed_{s}_evaluations"]) > 0 for s in (3, 4))
    assert float(figures["evals_per_cpu_second"]) > 0
    assert datasets.read_manifest(Path(figures["data_dir"]))["synthetic"] is True  # generated, marked, outside the repo
    assert tmp_path in Path(figures["data_dir"]).parents


def test_generated_pools_have_the_parsed_formats_and_learnable_labels():
    pool = projected_quality.PoolRecipe("mnist", 64, (300, 500), separation=1.2)
    X, y = pool.generate()
    assert X.dtype == np.uint8 and X.shape == (800, 64) and y.dtype == np.int32
    assert np.bincount(y).tolist() == [300, 500]
    assert np.array_equal(pool.generate()[0], X)  # deterministic
    # a nearest-centroid rule on half the rows beats a constant on the other half
    Xf = X.astype(float) - X.mean(axis=0)
    direction = Xf[:400][y[:400] == 1].mean(axis=0) - Xf[:400][y[:400] == 0].mean(axis=0)
    accuracy = np.mean((Xf[400:] @ direction > 0) == (y[400:] == 1))
    assert accuracy > 0.8 > max(np.mean(y[400:] == 1), np.mean(y[400:] == 0))


def test_settings_read_the_shipped_files():
    example = json.loads((REPO / "problem_config.json.example").read_text())
    default = projected_quality.miner_options("miner-default", "cifar10_binary", "baseline", 1, None, None)
    assert (default.engine, default.feature_dim, default.miner_task_count, default.fec_cache_size) == (
        "baseline", example["args"]["feature_dim"], example["mining"]["miner_task_count"],
        example["mining"]["fec_cache_size"])
    fec = projected_quality.miner_options("fec-on", "cifar10_binary", "evolve", 1, None, 3)
    assert (fec.fec_cache_size, fec.miner_task_count) == (miner_hyperparams().fec_cache_size, 3)


def test_an_unknown_recipe_is_one_usage_line():
    done = subprocess.run([sys.executable, "-m", "benchmarks.projected_quality", "--recipe", "scalar_linear",
                           "--cpu-seconds", "1"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "scalar_linear" in done.stderr
