"""The command lines and environments of a run's children (tui.md §5 step 5): the miner or pool worker, and
the headless submitter that submits for them."""

from __future__ import annotations

import os
from pathlib import Path

from core.config import ConfigError, load_json_object
from core.engines import DEFAULT_ENGINE
from miner.submitter.status import status_path
from tui.logic import population_state as populations
from tui.logic.files import bitsota_home, read_json_object
from tui.logic.wallets import WalletEntry
from tui.services import processes
from tui.services.local_stack import local_dir
from tui.services.session_types import SessionConfig

# `--local` without a problem config: the AutoML-Zero demo's search on Scalar Linear (4 features, 100/100
# examples, 10 tasks, ops 10/2/8, registers 4/3/1, population 1000, its six ops). Measured with
# `python -m benchmarks.search_quality --config automl-zero-demo` (docs/performance.md), this finds a
# learning rule that validators score >= 0.99 within about a minute of one core in 5 of 5 seeds.
QUICK_PROFILE = ("--feature-dim", "4", "--train-examples", "100", "--val-examples", "100",
                 "--miner-task-count", "10", "--setup-max-ops", "10", "--predict-max-ops", "2",
                 "--learn-max-ops", "8", "--scalar-regs", "4", "--vector-regs", "3", "--matrix-regs", "1",
                 "--pop-size", "1000", "--op-space", "automl-zero-demo", "--fec-cache-size", "100000",
                 "--validate-every", "1000", "--log-every", "1000")


def problem_config(config: SessionConfig) -> dict:
    """The problem config as a dict ({} when there is none); ConfigError naming the file and the error."""
    path = config.problem_config
    if path is None or not path.is_file():
        return {}
    data = load_json_object(path)
    for section in ("mining", "args", "env"):
        if data.get(section) is not None and not isinstance(data[section], dict):
            raise ConfigError(f"{path}: \"{section}\" must be an object, got {type(data[section]).__name__}")
    return data


def population_path(config: SessionConfig) -> Path:
    """The population state file; a `--local` run keeps its own beside its relay database."""
    configured = config.settings.population_state_path
    if configured:
        return Path(configured).expanduser()
    return (local_dir() if config.local else bitsota_home()) / "population_state.json"


def miner_argv(config: SessionConfig, run_id: str, task_type: str, workers: int, global_sota: float | None) -> list[str]:
    settings, problem = config.settings, problem_config(config)
    mining, args = problem.get("mining") or {}, problem.get("args") or {}
    argv = ["--sidecar-url", config.sidecar_url, "--run-id", run_id, "--task-type", task_type,
            "--workers", str(workers), "--iterations", "0"]
    if global_sota is not None:
        argv += ["--sota-threshold", repr(global_sota)]
    if problem:
        argv += ["--config", str(config.problem_config)]
    elif config.local:
        argv += list(QUICK_PROFILE)
    every = mining.get("checkpoint_generations") or settings.miner_validate_every_n_generations
    argv += ["--population-snapshot-every", str(every)]
    optional = {"--miner-task-count": ("miner_task_count", settings.miner_task_count),
                "--validator-task-count": ("validator_task_count", settings.validator_task_count),
                "--seed": ("seed", settings.miner_seed),
                "--migration-iters": ("migration_iters", settings.miner_migration_generations or None)}
    for flag, (key, value) in optional.items():
        if value is not None and mining.get(key) is None and args.get(key) is None:
            argv += [flag, str(value)]
    saved = population_path(config)
    engine = args.get("engine") or mining.get("engine") or DEFAULT_ENGINE
    if populations.matches(read_json_object(saved), task_type, engine):
        argv += ["--initial-population-path", str(saved)]
    return processes.python_module("miner.sidecar_miner", *argv, "--exit-with-parent", str(os.getpid()))


def miner_env(config: SessionConfig) -> dict[str, str]:
    env = dict(config.env)
    problem = problem_config(config)
    for section in (problem.get("env") or {}, (problem.get("mining") or {}).get("env") or {}):
        for name, value in section.items():
            if value not in (None, ""):
                env.setdefault(str(name), "1" if value is True else "0" if value is False else str(value))
    return env


def pool_worker_argv(config: SessionConfig, run_id: str, workers: int) -> list[str]:
    return processes.python_module(
        "miner.pool_worker", "--sidecar-url", config.sidecar_url, "--run-id", run_id, "--workers", str(workers),
        "--mode", config.pool_worker_mode, "--lease-evolve-generations",
        str(config.settings.pool_lease_evolve_generations), "--exit-with-parent", str(os.getpid()))


def submitter_argv(config: SessionConfig, run_id: str, task_type: str, wallet: WalletEntry,
                   pool_mode: str) -> list[str]:
    """`python -m miner.submitter` for this run, signing with `wallet` (fixed for the run's life)."""
    argv = ["--sidecar-url", config.sidecar_url, "--run-id", run_id, "--task-type", task_type,
            "--wallet-name", wallet.wallet, "--wallet-hotkey", wallet.hotkey, "--wallet-path", str(wallet.root),
            "--cooldown-s", repr(config.cooldown_s), "--sota-refresh-s", repr(config.sota_refresh_s),
            "--verify-timeout-s", repr(config.verify_timeout_s), "--status-file", str(status_path(run_id)),
            "--exit-with-parent", str(os.getpid())]
    if task_type == "pool":
        argv += ["--pool-url", config.pool_url, "--pool-mode", pool_mode]
    else:
        argv += ["--relay-url", config.relay_url]
    if wallet.encrypted:
        argv.append("--password-stdin")
    return processes.python_module("miner.submitter", *argv)

