"""Search quality: does an engine find a learning algorithm, and how fast (issue 11's benchmark contract).

    python -m benchmarks.search_quality [--engine NAME] --config automl-zero-demo|quick --seeds 1,2,3 \\
        --cpu-seconds N [--feature-dim F] [--task-count D] [--param NAME=VALUE ...]

Runs one search per seed, one after another in this process, each for N CPU seconds of this process (not
wall time), with the engine built exactly as a miner builds it (`make_engine` on the miner fitness of
algorithm.md §11); `--param` overrides one engine parameter (`core.engines.params.EngineParams`, e.g.
`--param local_search_every=0 --param task_score=validator` for the `evolve` engine without its local search
and calibrated score). Whenever the engine's best program changes it is re-scored the way a validator scores
it (printed, parsed leniently, median with -inf of the task scores, §7) on 100 scalar_linear tasks of the
same data sizes and feature dimension that the miner suite never contains; the time spent re-scoring is not
charged to the search. A seed has *found* a learning rule when that re-score reaches 0.99; its search stops
there (as a miner would submit it). Prints one `name=value` per line:

- found=K/S: seeds whose best program re-scored >= 0.99 on the unseen tasks;
- median_cpu_seconds_to_found: median search CPU seconds to that point over the seeds that found one;
- best_unseen_median: median over seeds of the last re-score of their best program;
- evals_per_cpu_second: programs evaluated (cache hits included) per search CPU second, all seeds together;
- per seed, as each finishes: seed_<s>_unseen, seed_<s>_cpu_seconds_to_found (or none), seed_<s>_evaluations.

Configs (scalar_linear, 100/100 examples, program shape of the AutoML-Zero demo: ops 10/2/8, registers
4/3/1, tournament 10, mutation probability 0.9):
- automl-zero-demo: 4 features, 10 tasks, population 1000, FEC on 10/10 probe examples; `evolve` draws only
  the six ops of the AutoML-Zero demo (constant set, dot product, scalar difference, scalar product,
  scalar-vector product, vector sum). The specified engines cannot be restricted and draw all 23 opcodes.
- quick: 4 features, 4 tasks, population 100, FEC on 32/32 probe examples; all 23 opcodes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.bench_search import DEMO_SHAPE
from core.cli import OneLineParser
from core.dsl import from_dsl, to_dsl
from core.engines import DEFAULT_ENGINE, ENGINE_NAMES, EngineParams, make_engine
from core.engines.fitness import SuiteFitness, miner_fitness
from core.evaluate import TaskSet
from core.program import Program
from core.scoring import median_score
from core.tasks.suites import SuiteEntry, eval_seed, make_spec, suite_seed

FOUND_SCORE = 0.99
UNSEEN_TASKS = 100
UNSEEN_FIRST_ID = 1000  # extension ids from here have parameter seeds no miner suite id uses
VALIDATOR_TASK_SEED = 1337
EXAMPLES = 100


@dataclass(frozen=True)
class QualityConfig:
    feature_dim: int
    task_count: int
    pop_size: int
    fec_examples: int
    op_space: str


CONFIGS = {
    "automl-zero-demo": QualityConfig(feature_dim=4, task_count=10, pop_size=1000, fec_examples=10,
                                      op_space="automl-zero-demo"),
    "quick": QualityConfig(feature_dim=4, task_count=4, pop_size=100, fec_examples=32, op_space="all"),
}


def engine_setup(config: QualityConfig, feature_dim: int, task_count: int, **overrides) -> tuple[EngineParams, SuiteFitness]:
    """The engine parameters (with `overrides`) and miner fitness function of a config."""
    params = engine_params(config, feature_dim, **overrides)
    fitness_fn = miner_fitness("scalar_linear", feature_dim, task_count, 0, train_examples=EXAMPLES,
                               val_examples=EXAMPLES, fec_cache_size=100_000,
                               fec_train_examples=config.fec_examples, fec_valid_examples=config.fec_examples)
    return params, fitness_fn


def engine_params(config: QualityConfig, feature_dim: int, **overrides) -> EngineParams:
    return EngineParams(input_dim=feature_dim, pop_size=config.pop_size, tournament_size=10, mutation_prob=0.9,
                        op_space=config.op_space, **{**DEMO_SHAPE, **overrides})


def build_engine(engine: str, config: QualityConfig, feature_dim: int, task_count: int, seed: int, **overrides):
    params, fitness_fn = engine_setup(config, feature_dim, task_count, **overrides)
    return make_engine(engine, params, fitness_fn, seed=seed)


def parse_param(text: str) -> tuple[str, object]:
    """`NAME=VALUE` for an engine parameter, VALUE read as the type of the parameter's default."""
    name, _, value = text.partition("=")
    defaults = EngineParams().to_dict()
    if name not in defaults or not value:
        raise argparse.ArgumentTypeError(f"--param takes NAME=VALUE with NAME one of {', '.join(defaults)}, "
                                         f"not {text!r}")
    kind = type(defaults[name])
    try:
        if kind is bool:
            if value not in ("true", "false"):
                raise ValueError(value)
            return name, value == "true"
        return name, kind(value)
    except ValueError:
        wanted = {int: "an integer", float: "a number", bool: "true or false"}.get(kind, "a word")
        raise argparse.ArgumentTypeError(f"--param {name} takes {wanted}, not {value!r}") from None


class UnseenScorer:
    """The validator's score of a program on tasks outside every miner suite: by default 100 scalar_linear
    tasks; `entries` (suite entries with their eval seeds) gives other tasks."""

    def __init__(self, feature_dim: int, entries: Sequence[SuiteEntry] | None = None) -> None:
        if entries is None:
            sizes = {"train_samples": EXAMPLES, "val_samples": EXAMPLES}
            specs = [make_spec("scalar_linear", UNSEEN_FIRST_ID + k, feature_dim, sizes) for k in range(UNSEEN_TASKS)]
            seed = suite_seed(VALIDATOR_TASK_SEED, feature_dim)
            entries = [SuiteEntry(spec, eval_seed(spec, seed)) for spec in specs]
        self.feature_dim = feature_dim
        self.task_count = len(entries)
        self.tasks = TaskSet([entry.load() for entry in entries], [entry.eval_seed for entry in entries])

    def score(self, program: Program) -> float:
        submitted = from_dsl(to_dsl(program), self.feature_dim)
        return median_score(self.tasks.scores(submitted))


@dataclass
class SeedResult:
    seed: int
    unseen: float
    seconds_to_found: float | None
    evaluations: int
    search_seconds: float


def charged_search(engine, cpu_seconds: float, on_new_best: Callable[[Program], bool] | None = None) -> tuple[float, bool]:
    """Evolve generations until `cpu_seconds` CPU seconds of this process are charged to the search, or until
    `on_new_best(best)` (called, uncharged, whenever the best program changes) returns True. What the
    generation that crosses the budget finds is not looked at (a generation with a local search takes
    seconds). Returns (charged CPU seconds, whether on_new_best stopped it)."""
    charged, last_best = 0.0, None
    while charged < cpu_seconds:
        started = time.process_time()
        engine.evolve_generation()
        charged += time.process_time() - started
        if charged > cpu_seconds:
            break
        if on_new_best is not None and engine.best_program is not last_best:
            last_best = engine.best_program
            if on_new_best(last_best):
                return charged, True
    return charged, False


def run_seed(engine, scorer: UnseenScorer, cpu_seconds: float) -> SeedResult:
    """Search until the budget is spent or the best re-scores >= FOUND_SCORE; re-scoring is not charged."""
    unseen = float("-inf")

    def rescore(best: Program) -> bool:
        nonlocal unseen
        unseen = scorer.score(best)
        return unseen >= FOUND_SCORE

    charged, found = charged_search(engine, cpu_seconds, rescore)
    return SeedResult(engine.seed, unseen, charged if found else None, engine.evaluations, charged)


def parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds takes comma-separated integers, not {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError("--seeds needs at least one non-negative seed")
    return seeds


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text!r}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks.search_quality", description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=ENGINE_NAMES, default=DEFAULT_ENGINE, help="default: the miners' default")
    parser.add_argument("--config", choices=sorted(CONFIGS), required=True)
    parser.add_argument("--seeds", type=parse_seeds, default=[1, 2, 3], help="comma-separated engine seeds")
    parser.add_argument("--cpu-seconds", type=positive(float), required=True, help="search CPU seconds per seed")
    parser.add_argument("--feature-dim", type=positive(int), default=None, help="default: the config's (4)")
    parser.add_argument("--task-count", type=positive(int), default=None, help="miner suite size; default: the config's")
    parser.add_argument("--param", type=parse_param, action="append", default=[], metavar="NAME=VALUE",
                        help="override one engine parameter (a field of core.engines.params.EngineParams, e.g. "
                             "local_search_every=0); repeat for more")
    args = parser.parse_args(argv)
    config = CONFIGS[args.config]
    feature_dim = args.feature_dim or config.feature_dim
    task_count = args.task_count or config.task_count
    overrides = dict(args.param)
    try:
        engine_params(config, feature_dim, **overrides)  # a bad value stops here, before any search
    except ValueError as error:
        parser.error(str(error))
    scorer = UnseenScorer(feature_dim)
    report({"engine": args.engine, "config": args.config, "feature_dim": feature_dim, "task_count": task_count,
            "cpu_seconds": args.cpu_seconds, **{f"param_{name}": value for name, value in overrides.items()}})
    results = []
    for seed in args.seeds:
        engine = build_engine(args.engine, config, feature_dim, task_count, seed, **overrides)
        results.append(run_seed(engine, scorer, args.cpu_seconds))
        report(seed_lines(results[-1]))
    report(summary(results))
    return 0


def seed_lines(r: SeedResult) -> dict:
    return {f"seed_{r.seed}_unseen": f"{r.unseen:.6f}",
            f"seed_{r.seed}_cpu_seconds_to_found": "none" if r.seconds_to_found is None else f"{r.seconds_to_found:.1f}",
            f"seed_{r.seed}_evaluations": r.evaluations}


def summary(results: list[SeedResult]) -> dict:
    found = [r.seconds_to_found for r in results if r.seconds_to_found is not None]
    return {
        "found": f"{len(found)}/{len(results)}",
        "median_cpu_seconds_to_found": f"{statistics.median(found):.1f}" if found else "none",
        "best_unseen_median": f"{statistics.median(r.unseen for r in results):.6f}",
        "evals_per_cpu_second": f"{sum(r.evaluations for r in results) / sum(r.search_seconds for r in results):.0f}",
    }


def report(lines: dict) -> None:
    for name, value in lines.items():
        print(f"{name}={value}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
