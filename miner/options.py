"""Miner command-line options (miner.md §2): the flags, the problem-config merge (§3.1) and validation.

Every command that mines (the sidecar miner, the standalone miner, the profiling tools) builds its parser
with `miner_parser()` and parses with `parse_options()`, so flags, config layering and error messages are
the same everywhere. A bad value raises `UsageError`, whose one-line text the command prints before
exiting with status 2.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import secrets
from collections.abc import Sequence
from typing import Any

from core import cli
from core.cli import http_url
from core.config import ConfigError
from core.engines import DEFAULT_ENGINE, ENGINE_NAMES, UnknownEngine, normalize_engine_name
from core.engines.typed_ops import OP_SPACES
from core.errors import BitsotaError
from core.tasks import UnknownTaskType, normalize_task_type
from miner import problem_config

log = logging.getLogger(__name__)

UNLIMITED_ITERATIONS = 2**31 - 1
MAX_DIM = 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATA_DIR_ENV = "BITSOTA_DATA_DIR"

# dest -> (minimum, maximum or None); None values (unset options) are not checked.
INT_LIMITS: dict[str, tuple[int, int | None]] = {
    "workers": (1, None), "seed": (0, None), "pop_size": (1, None), "miner_task_count": (1, None),
    "archive_size": (1, None), "validator_task_count": (1, None), "validator_task_seed": (0, None),
    "validate_every": (0, None), "cifar_seed": (0, None), "feature_dim": (1, MAX_DIM),
    "train_examples": (1, None), "val_examples": (1, None), "vector_dim": (1, MAX_DIM),
    "setup_max_ops": (0, None), "predict_max_ops": (0, None), "learn_max_ops": (0, None),
    "scalar_regs": (2, 20), "vector_regs": (1, 10), "matrix_regs": (0, 64), "fec_cache_size": (0, None),
    "log_every": (1, None), "population_snapshot_every": (0, None), "checkpoint_every": (0, None),
    "migration_iters": (0, None), "exit_with_parent": (1, None), "sidecar_batch_size": (1, None),
}
FLOAT_MINIMUMS: dict[str, float] = {"sidecar_flush_seconds": 0.01, "sidecar_timeout_seconds": 0.1}


class UsageError(BitsotaError, ValueError):
    """A bad flag or config value; the message is the single line to print (exit status 2)."""


class MinerOptions(argparse.Namespace):
    """The options of one mining command, validated once (`parse_options`) and read-only from then on: every
    module that mines reads the same values. `replace` gives a changed copy; pickling (worker processes)
    keeps the values."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"miner options are read-only; use options.replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("miner options are read-only")

    @classmethod
    def of(cls, namespace: argparse.Namespace) -> MinerOptions:
        options = cls.__new__(cls)
        options.__dict__.update(vars(namespace))
        return options

    def replace(self, **changes: Any) -> MinerOptions:
        unknown = set(changes) - set(vars(self))
        if unknown:
            raise AttributeError(f"no such miner options: {', '.join(sorted(unknown))}")
        return MinerOptions.of(argparse.Namespace(**{**vars(self), **changes}))


class OneLineParser(cli.OneLineParser):
    """The one-line parser of core.cli, but an error raises UsageError (the caller prints it) instead of exiting."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: error: {message}")


def flag_name(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def miner_parser(prog: str, description: str) -> OneLineParser:
    """A parser holding the miner flags of §2.2 (callers add their own groups)."""
    parser = OneLineParser(prog=prog, description=description)
    add_miner_arguments(parser)
    return parser


def add_miner_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument_group("miner options").add_argument
    add("--config", default=None, help="problem config JSON; its values become defaults, explicit flags win")
    add("--task-type", default="cifar10_binary", help="cifar10_binary, mnist_binary or scalar_linear")
    add("--engine", default=DEFAULT_ENGINE,
        help=f"{', '.join(ENGINE_NAMES)} (ga = baseline); default {DEFAULT_ENGINE}")
    add("--workers", type=int, default=1, help="worker processes; 1 runs in-process")
    add("--seed", type=int, default=None, help="base seed (worker w uses seed + w); default: drawn")
    add("--iterations", type=int, default=100, help="generations per worker; <= 0 = unlimited")
    add("--pop-size", type=int, default=100)
    add("--miner-task-count", type=int, default=3, help="tasks per fitness evaluation")
    add("--tournament-size", type=int, default=10)
    add("--mutation-prob", type=float, default=0.9)
    add("--archive-size", type=int, default=1000)
    add("--op-space", choices=OP_SPACES, default="all",
        help="evolve only: instructions it proposes: all 23 opcodes, or the AutoML-Zero demo's six "
             "(constant, dot product, scalar difference and product, scalar-vector product, vector sum)")
    add("--validator-task-count", type=int, default=None, help="local verification suite size (default 128)")
    add("--validator-task-seed", type=int, default=None, help="verification suite seed (default 1337)")
    add("--validate-every", type=int, default=10000, help="validation cadence in iterations; 0 = never")
    add("--sota-threshold", type=float, default=0.0, help="a candidate must verify >= this")
    add("--cifar-seed", type=int, default=0, help="miner suite seed base (all task types)")
    add("--feature-dim", type=int, default=16, help="input_dim")
    add("--train-examples", type=int, default=None)
    add("--val-examples", type=int, default=None)
    add("--vector-dim", type=int, default=None, help="default: feature dim")
    for phase in ("setup", "predict", "learn"):
        add(f"--{phase}-max-ops", type=int, default=64)
    add("--scalar-regs", type=int, default=20)
    add("--vector-regs", type=int, default=10)
    add("--matrix-regs", type=int, default=5)
    add("--fec-cache-size", type=int, default=0, help="functional equivalence cache size; 0 = off")
    add("--log-every", type=int, default=10, help="progress cadence in iterations")
    add("--population-snapshot-every", type=int, default=0, help="population event cadence; 0 = off")
    add("--initial-population-path", default=None)
    add("--checkpoint-dir", default=None)
    add("--checkpoint-every", type=int, default=0)
    add("--resume", action="store_true", help="continue from --checkpoint-dir")
    add("--migration-iters", type=int, default=0, help="island migration period; 0 = off")
    add("--worker-logs", action=argparse.BooleanOptionalAction, default=True, help="emit progress events")
    add("--offline-data-dir", "--data-dir", dest="offline_data_dir", default=None,
        help=f"data set directory (default: ${DATA_DIR_ENV} or the cache)")
    add("--dsl-roundtrip-check", action="store_true",
        help="accepted for compatibility; candidates are always verified from their DSL text")
    add("--verbose", action="store_true", help="engine log lines")
    add("--timing", action="store_true", help="per-interval timing lines")
    add("--run-tag", default=None)
    add("--csv-dir", default=None, help="write progress and candidate CSV files here")
    add("--exit-with-parent", type=int, default=None, metavar="PID", help="stop when PID is gone")
    add("--log-level", default="INFO", help="stderr logging level")


def add_sidecar_arguments(parser: argparse.ArgumentParser) -> None:
    """The sidecar miner's own flags (§2.1); their env fallbacks apply when the flag is absent."""
    add = parser.add_argument_group("sidecar options").add_argument
    add("--sidecar-url", type=http_url, default=None, help="default: $BITSOTA_SIDECAR_URL or http://127.0.0.1:8123")
    add("--run-id", default=os.environ.get("BITSOTA_SIDECAR_RUN_ID") or None, help="default: a new uuid4")
    add("--sidecar-batch-size", type=int, default=_env_number("BITSOTA_SIDECAR_BATCH_SIZE", int, 50))
    add("--sidecar-flush-seconds", type=float, default=_env_number("BITSOTA_SIDECAR_FLUSH_SECONDS", float, 0.25))
    add("--sidecar-timeout-seconds", type=float,
        default=_env_number("BITSOTA_SIDECAR_TIMEOUT_SECONDS", float, 2.0))
    add("--follow-sota", action=argparse.BooleanOptionalAction, default=True,
        help="every 30 s raise the threshold to the sidecar's global SOTA")


def _env_number(name: str, convert, default):
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return convert(text)
    except ValueError:
        raise UsageError(f"environment variable {name}={text!r} is not a valid number") from None


def miner_dests(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The options a problem config may set: every miner option except --config itself."""
    for group in parser._action_groups:  # argparse has no public accessor for a group's actions
        if group.title == "miner options":
            return {a.dest: a for a in group._group_actions if a.dest != "config"}
    raise ValueError("parser has no miner options")


# ---------------------------------------------------------------- parsing with a problem config

def parse_options(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> MinerOptions:
    """Parse `argv` with the `--config` defaults applied (§3.1), then validate and resolve the values into
    read-only options. They also carry `config_env` (the config's environment, not yet exported)."""
    config_path = pre_parse_config(argv)
    config: dict[str, Any] = {}
    if config_path:
        try:
            config = problem_config.load(config_path)
        except ConfigError as exc:
            raise UsageError(f"--config: {exc}") from None
        parser.set_defaults(**config_defaults(config, miner_dests(parser)))
    args = parser.parse_args(argv)
    args.config_env = problem_config.environment(config)
    validate(args)
    return MinerOptions.of(args)


def pre_parse_config(argv: Sequence[str] | None) -> str | None:
    """The `--config` value of `argv`, if any (§3.1 step 1)."""
    pre = OneLineParser(add_help=False)
    pre.add_argument("--config", default=None)
    known, _ = pre.parse_known_args(argv)
    return known.config


def config_defaults(config: dict, actions: dict[str, argparse.Action]) -> dict[str, Any]:
    """The merged config values for known options, converted to each option's type."""
    defaults = {}
    for key, value in problem_config.merged_options(config).items():
        action = actions.get(key)
        if action is None:
            log.debug("problem config key %r is not a miner option; ignored", key)
            continue
        defaults[key] = _coerce(action, value)
    return defaults


def _coerce(action: argparse.Action, value: Any) -> Any:
    name = action.option_strings[0]
    if action.nargs == 0:  # on/off flags
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.strip().lower() in ("true", "1", "yes")
        raise UsageError(f"{name}: config value {value!r} is not a boolean")
    if action.type is int:
        return _config_int(name, value)
    if action.type is float:
        if isinstance(value, bool):
            raise UsageError(f"{name}: config value {value!r} is not a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise UsageError(f"{name}: config value {value!r} is not a number") from None
    if isinstance(value, (dict, list)):
        raise UsageError(f"{name}: config value {value!r} is not a single value")
    return str(value)


def _config_int(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise UsageError(f"{name}: config value {value!r} is not an integer")


# ---------------------------------------------------------------- validation

def validate(args: argparse.Namespace) -> None:
    """Check merged values (§2.2 'values are validated after merging') and normalise names in place
    (before the options are frozen)."""
    for dest, (low, high) in INT_LIMITS.items():
        value = getattr(args, dest, None)
        if value is not None:
            _check_range(dest, value, low, high)
    for dest, minimum in FLOAT_MINIMUMS.items():
        value = getattr(args, dest, None)
        if value is not None and not value >= minimum:
            raise UsageError(f"{flag_name(dest)} must be at least {minimum}, got {value}")
    for dest in ("sota_threshold", "mutation_prob"):
        if not math.isfinite(getattr(args, dest)):
            raise UsageError(f"{flag_name(dest)} must be a finite number")
    try:
        args.task_type = normalize_task_type(args.task_type)
    except UnknownTaskType as exc:
        raise UsageError(f"--task-type: {exc}") from None
    try:
        args.engine = normalize_engine_name(args.engine)
    except UnknownEngine as exc:
        raise UsageError(f"--engine: {exc}") from None
    if (args.train_examples is None) != (args.val_examples is None):
        raise UsageError("--train-examples and --val-examples must be given together")
    if args.vector_dim is not None and args.vector_dim < args.feature_dim:
        raise UsageError(f"--vector-dim must be at least --feature-dim ({args.feature_dim}), got {args.vector_dim}")
    if (args.checkpoint_every or args.resume) and not args.checkpoint_dir:
        raise UsageError("--checkpoint-every and --resume need --checkpoint-dir")
    level = str(args.log_level).upper()
    if level not in LOG_LEVELS:
        raise UsageError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {args.log_level!r}")
    args.log_level = level
    args.iterations = UNLIMITED_ITERATIONS if args.iterations <= 0 else args.iterations


def _check_range(dest: str, value: int, low: int, high: int | None) -> None:
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise UsageError(f"{flag_name(dest)} must be {bounds}, got {value}")


def resolve_seed(options: MinerOptions) -> MinerOptions:
    """The options with a base seed; without --seed one is drawn from OS entropy."""
    if options.seed is None:
        return options.replace(seed=secrets.randbelow(2**31 - 1))
    return options


def apply_runtime_environment(args: argparse.Namespace) -> list[str]:
    """Export the config env (set-if-unset) and the data dir, before any worker starts."""
    exported = problem_config.export_environment(args.config_env)
    if args.offline_data_dir:
        os.environ[DATA_DIR_ENV] = os.path.expanduser(args.offline_data_dir)
    return exported


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "httpcore"):  # one line per request would drown the miner's own lines
        logging.getLogger(chatty).setLevel(max(logging.WARNING, getattr(logging, level)))


def prepare_run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> MinerOptions:
    """Everything a mining command does before its first event: parse and validate, set up logging,
    export the config env and the data dir, and fix the seed. Raises UsageError."""
    args = parse_options(parser, argv)
    configure_logging(args.log_level)
    apply_runtime_environment(args)
    check_evaluator()
    return resolve_seed(args)


def check_evaluator() -> None:
    """A BITSOTA_EVALUATOR (environment or config env) that cannot be used is a usage error, not a worker crash."""
    from core.evaluate import evaluator_problem  # the evaluators load numpy and the compiled module

    problem = evaluator_problem()
    if problem:
        raise UsageError(problem)
