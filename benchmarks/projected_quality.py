"""Search quality on the projected binary tasks (issue 11): cifar10_binary / mnist_binary on generated data.

    python -m benchmarks.projected_quality [--engine NAME] --recipe cifar10_binary|mnist_binary \\
        --seeds 1,2,3,4,5 --cpu-seconds N [--feature-dim F] [--task-count D] [--settings NAME] \\
        [--unseen-tasks C] [--data-dir DIR]

No data set can be downloaded here, so the raw data set is *generated* in the format the real one is parsed
into (`core.datasets`: uint8 pixels, CIFAR_10_small's 20,000 rows of 3,072 pixels with classes 0-9, or the
MNIST digit-0/1 rows of 784 pixels), marked synthetic in its manifest, and cached in a data dir under the
system temp dir (`--data-dir` to choose another; never in the repository). Its labels have learnable
structure: each row's pixels are a fixed random linear image of a 12-dimensional latent vector, plus pixel
noise, and the latent vector is drawn around a per-class mean, so two classes differ along one direction a
linear learner can find in the projected features (a constant predictor scores about 0.5).

From there everything is the real code path: the miner's options (`miner.options`, `--config` with
`problem_config.json.example`), the engine built by `miner.worker.build_engine` (`make_engine` on the miner
fitness of algorithm.md §11, FEC settings from `miner_hyperparams.json`), the task ids, projection, class
pairs and train/validation split of the projected recipe (§8). Each seed searches N CPU seconds of this
process (building the suite is not charged). Its best program is then re-scored as a validator scores it
(printed, parsed leniently, median accuracy with -inf of §7) on the validator's suite (§10: seed 1337, 2000
samples split 0.5, `--unseen-tasks` tasks, default the validator's 128) less the ids any miner suite of up to
128 tasks at that dimension contains; re-scoring is not charged. Prints one `name=value` per line:

- per seed, as it finishes: seed_<s>_best_unseen (validation accuracy of its best program), seed_<s>_fitness
  (that program's search fitness), seed_<s>_evaluations;
- median_validation_accuracy: median over seeds of best_unseen (what a validator reports for them);
- best_unseen: the seeds' best_unseen, comma-separated in seed order;
- evals_per_cpu_second: programs evaluated (cache hits included) per search CPU second, all seeds together.

Settings (`--settings`, default miner-default): what a miner runs with, read from the shipped files:
- miner-default: `problem_config.json.example` (its mining and args sections, as `--config` gives them to the
  miner) with FEC probe sizes from `miner_hyperparams.json`;
- hyperparams-tasks: miner-default with `miner_hyperparams.json`'s miner_task_count;
- fec-on: miner-default with `miner_hyperparams.json`'s fec_cache_size;
- few-tasks: miner-default with 4 miner tasks;
- small-program: miner-default with ops 4/6/12 (setup/predict/learn);
- small-data: miner-default with 100/100 training/validation examples per miner task (the validator keeps 1000/1000);
- demo-ops: miner-default drawing only the AutoML-Zero demo's six ops (`--op-space automl-zero-demo`, evolve only);
- tui-quick: the TUI's QUICK profile (tui/services/launch.py), the local run without a problem config.
`--feature-dim` and `--task-count` override the setting's feature dim and miner task count.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.search_quality import UnseenScorer, charged_search, parse_seeds, positive, report
from core import datasets
from core.cli import OneLineParser
from core.engines import DEFAULT_ENGINE, ENGINE_NAMES
from core.hyperparams import miner_hyperparams, validator_hyperparams
from core.tasks import miner_suite, verification_suite
from core.tasks.registry import CIFAR10_BINARY, MNIST_BINARY

REPO = Path(__file__).resolve().parents[1]
PROBLEM_CONFIG_EXAMPLE = REPO / "problem_config.json.example"
RECIPES = (CIFAR10_BINARY, MNIST_BINARY)
EXCLUDED_MINER_TASKS = 128  # unseen tasks avoid every id a miner suite of up to this many tasks draws
GENERATOR_VERSION = 1


# ---------------------------------------------------------------- generated raw data sets

@dataclass(frozen=True)
class PoolRecipe:
    """A generated raw data set in the parsed format of `core.datasets` (uint8 pixels, int labels)."""

    name: str  # data set name in core.datasets: cifar10 or mnist
    features: int
    rows_per_class: tuple[int, ...]  # label k has rows_per_class[k] rows
    separation: float  # scale of the class means in latent space (larger = easier)
    latent_dim: int = 12
    signal: float = 40.0  # pixel std of the latent image
    noise: float = 25.0  # pixel std of independent noise
    seed: int = 11

    def key(self) -> str:
        return hashlib.sha256(f"v{GENERATOR_VERSION}|{self!r}".encode()).hexdigest()[:12]

    def generate(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.Generator(np.random.PCG64(self.seed))
        mixing = rng.standard_normal((self.latent_dim, self.features)) * (self.signal / np.sqrt(self.latent_dim))
        means = rng.standard_normal((len(self.rows_per_class), self.latent_dim)) * self.separation
        y = rng.permutation(np.repeat(np.arange(len(self.rows_per_class)), self.rows_per_class)).astype(np.int32)
        X = np.empty((len(y), self.features), dtype=np.uint8)
        for start in range(0, len(y), 2000):
            labels = y[start:start + 2000]
            latent = means[labels] + rng.standard_normal((len(labels), self.latent_dim))
            pixels = 128.0 + latent @ mixing + self.noise * rng.standard_normal((len(labels), self.features))
            X[start:start + len(labels)] = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
        return X, y


POOLS = {
    # CIFAR_10_small: 20,000 rows, 2,000 per class; one-vs-one pairs of moderate difficulty
    CIFAR10_BINARY: PoolRecipe("cifar10", 3072, (2000,) * 10, separation=0.35),
    # MNIST digits 0/1 as the real pool has them (6,903 zeros, 7,877 ones); an easier pair
    MNIST_BINARY: PoolRecipe("mnist", 784, (6903, 7877), separation=1.2),
}


def default_data_root() -> Path:
    return Path(tempfile.gettempdir()) / "bitsota-projected-quality"


def prepare_data_dir(recipe: str, root: Path) -> Path:
    """The data dir of `recipe`'s generated pool (generated once, then reused), exported as BITSOTA_DATA_DIR."""
    pool = POOLS[recipe]
    directory = root / f"{pool.name}-{pool.key()}"
    if not datasets.dataset_present(pool.name, directory):
        X, y = pool.generate()
        datasets.save_dataset(directory, pool.name, X, y, synthetic=True,
                              source=f"benchmarks.projected_quality generator v{GENERATOR_VERSION}: {pool!r}")
    os.environ[datasets.DATA_DIR_ENV] = str(directory)
    return directory


# ---------------------------------------------------------------- settings: what a miner runs with

def _with_hyperparams(key: str) -> Callable[[], list[str]]:
    return lambda: [f"--{key.replace('_', '-')}", str(getattr(miner_hyperparams(), key))]


def _tui_quick() -> list[str]:
    from tui.services.launch import QUICK_PROFILE

    return list(QUICK_PROFILE)


SETTINGS: dict[str, Callable[[], list[str]]] = {
    "miner-default": lambda: ["--config", str(PROBLEM_CONFIG_EXAMPLE)],
    "hyperparams-tasks": lambda: ["--config", str(PROBLEM_CONFIG_EXAMPLE), *_with_hyperparams("miner_task_count")()],
    "fec-on": lambda: ["--config", str(PROBLEM_CONFIG_EXAMPLE), *_with_hyperparams("fec_cache_size")()],
    "few-tasks": lambda: ["--config", str(PROBLEM_CONFIG_EXAMPLE), "--miner-task-count", "4"],
    "small-program": lambda: ["--config", str(PROBLEM_CONFIG_EXAMPLE), "--setup-max-ops", "4",
                              "--predict-max-ops", "6", "--learn-max-ops", "12"],
    "small-data": lambda: ["--config", str(PROBLEM_CONFIG_EXAMPLE), "--train-examples", "100", "--val-examples", "100"],
    "demo-ops": lambda: ["--config", str(PROBLEM_CONFIG_EXAMPLE), "--op-space", "automl-zero-demo"],
    "tui-quick": _tui_quick,
}


def miner_options(settings: str, recipe: str, engine: str, seed: int, feature_dim: int | None,
                  task_count: int | None):
    """The options a miner started with this setting would parse (miner.options, config layering included)."""
    from miner.options import miner_parser, parse_options

    argv = [*SETTINGS[settings](), "--task-type", recipe, "--engine", engine, "--seed", str(seed)]
    if feature_dim is not None:
        argv += ["--feature-dim", str(feature_dim)]
    if task_count is not None:
        argv += ["--miner-task-count", str(task_count)]
    return parse_options(miner_parser("projected_quality", "miner options"), argv)


def build_engine(options):
    """The engine exactly as a mining worker builds it."""
    from miner.worker import build_engine as worker_engine

    return worker_engine(options, 0)


# ---------------------------------------------------------------- the validator's re-score

def unseen_scorer(recipe: str, feature_dim: int, unseen_tasks: int) -> UnseenScorer:
    """The validator's suite of `recipe` (its seed and sizes) without any id a miner suite may hold."""
    validator = validator_hyperparams()
    miner_ids = {entry.spec.task_id for entry in miner_suite(recipe, feature_dim, EXCLUDED_MINER_TASKS, 0)}
    suite = verification_suite(recipe, feature_dim, unseen_tasks, validator.task_seed,
                               overrides=validator.task_overrides(recipe))
    return UnseenScorer(feature_dim, [entry for entry in suite if entry.spec.task_id not in miner_ids])


@dataclass
class SeedResult:
    seed: int
    unseen: float
    fitness: float
    evaluations: int
    search_seconds: float


def run_seed(engine, scorer: UnseenScorer, cpu_seconds: float) -> SeedResult:
    charged, _ = charged_search(engine, cpu_seconds)
    best = engine.best_program
    unseen = scorer.score(best) if best is not None else float("-inf")
    return SeedResult(engine.seed, unseen, float(engine.best_fitness), engine.evaluations, charged)


def seed_lines(r: SeedResult) -> dict:
    return {f"seed_{r.seed}_best_unseen": f"{r.unseen:.6f}", f"seed_{r.seed}_fitness": f"{r.fitness:.6f}",
            f"seed_{r.seed}_evaluations": r.evaluations}


def summary(results: list[SeedResult]) -> dict:
    return {
        "median_validation_accuracy": f"{statistics.median(r.unseen for r in results):.6f}",
        "best_unseen": ",".join(f"{r.unseen:.6f}" for r in results),
        "evals_per_cpu_second": f"{sum(r.evaluations for r in results) / sum(r.search_seconds for r in results):.0f}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks.projected_quality", description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=ENGINE_NAMES, default=DEFAULT_ENGINE, help="default: the miners' default")
    parser.add_argument("--recipe", choices=RECIPES, required=True)
    parser.add_argument("--seeds", type=parse_seeds, default=[1, 2, 3], help="comma-separated engine seeds")
    parser.add_argument("--cpu-seconds", type=positive(float), required=True, help="search CPU seconds per seed")
    parser.add_argument("--feature-dim", type=positive(int), default=None, help="default: the setting's")
    parser.add_argument("--task-count", type=positive(int), default=None, help="miner suite size; default: the setting's")
    parser.add_argument("--settings", choices=sorted(SETTINGS), default="miner-default")
    parser.add_argument("--unseen-tasks", type=positive(int), default=None,
                        help="validator suite size before removing miner ids; default: the validator's (128)")
    parser.add_argument("--data-dir", default=None, help=f"where generated data is cached (default {default_data_root()})")
    args = parser.parse_args(argv)
    data_dir = prepare_data_dir(args.recipe, Path(args.data_dir) if args.data_dir else default_data_root())
    first = miner_options(args.settings, args.recipe, args.engine, args.seeds[0], args.feature_dim, args.task_count)
    unseen_tasks = args.unseen_tasks or validator_hyperparams().task_count
    scorer = unseen_scorer(args.recipe, first.feature_dim, unseen_tasks)
    report({"engine": first.engine, "recipe": args.recipe, "settings": args.settings, "feature_dim": first.feature_dim,
            "task_count": first.miner_task_count, "pop_size": first.pop_size,
            "program_ops": f"{first.setup_max_ops}/{first.predict_max_ops}/{first.learn_max_ops}",
            "fec_cache_size": first.fec_cache_size, "cpu_seconds": args.cpu_seconds,
            "unseen_tasks": scorer.task_count, "data_dir": data_dir})
    results = []
    for seed in args.seeds:
        options = miner_options(args.settings, args.recipe, args.engine, seed, args.feature_dim, args.task_count)
        results.append(run_seed(build_engine(options), scorer, args.cpu_seconds))
        report(seed_lines(results[-1]))
    report(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
