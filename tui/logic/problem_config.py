"""The shipped default problem config (tui.md §11.2), written only when a fresh direct run needs it."""

from __future__ import annotations

from pathlib import Path

from tui.logic.files import bitsota_home, write_json_atomic

DEFAULT_PROBLEM_CONFIG = {
    "mining": {"engine": "evolve", "checkpoint_generations": 1000, "miner_task_count": 10,
               "validator_task_count": None, "validate_every": 1000, "fec_cache_size": 0,
               "engine_params": {"pop_size": 100, "tournament_size": 10, "mutation_prob": 0.9,
                                 "op_space": "automl-zero-demo"}},
    "args": {"task_type": "cifar10_binary", "workers": 1, "iterations": 0, "seed": None, "feature_dim": 16,
             "train_examples": None, "val_examples": None, "setup_max_ops": 7, "predict_max_ops": 11,
             "learn_max_ops": 23, "scalar_regs": 5, "vector_regs": 9, "matrix_regs": 2, "vector_dim": None,
             "log_every": 1000, "population_snapshot_every": 0, "migration_iters": 0, "verbose": False},
    "env": {"MINER_SUBMISSION_COOLDOWN_SECONDS": "60"},
}


def default_path() -> Path:
    return bitsota_home() / "problem_config.json"


def write_default_if_missing(path: Path | None) -> None:
    """Write the shipped default at `path` when it is the default location and nothing is there yet."""
    if path is not None and path == default_path() and not path.exists():
        write_json_atomic(path, DEFAULT_PROBLEM_CONFIG)
