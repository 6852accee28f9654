"""Search throughput of the evolution engines with the real miner fitness (algorithm.md §11-12).

    python -m benchmarks.bench_search [--engine NAME] --config automl-zero-demo [--seconds N] [--seed S]
    python -m benchmarks.bench_search [--engine NAME] --config quick [--report-at 30,120,600] [--seed S]

Prints one `name=value` per line. `--engine` defaults to the miners' default (`evolve`). `automl-zero-demo`
(the AutoML-Zero demo search: 4 features, 10 scalar_linear tasks of 100/100 examples, ops 10/2/8, registers
4/3/1, population 1000, tournament 10, mutation 0.9, FEC on 10/10 probe examples with 100k entries; `evolve`
draws only the demo's six ops there) builds the population, then runs generations for `--seconds` and
reports algorithms_per_second (programs evaluated per second, FEC hits included). `quick` runs on
scalar_linear dim 4, 100/100, D 4 with the demo's program shape, population 100, tournament 10, mutation 0.9
and the miner's default FEC (32/32 probe examples, 100k entries), and prints the best fitness and programs/s
at each `--report-at` second mark. For whether a search finds a learning rule, see
`benchmarks.search_quality`.
Seconds are CPU seconds of this single-threaded process (wall seconds on an idle core), so other load on a
shared machine does not distort the rates; `wall_seconds` is printed alongside.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import TypedDict

from core.engines import DEFAULT_ENGINE, ENGINE_NAMES, Engine, EngineParams, make_engine
from core.engines.fitness import miner_fitness
from core.evaluate import selected_evaluator


class DemoShape(TypedDict):
    """The AutoML-Zero demo's memory and phase sizes, as `EngineParams` keywords."""

    scalar_count: int
    vector_count: int
    matrix_count: int
    setup_max_ops: int
    predict_max_ops: int
    learn_max_ops: int


DEMO_SHAPE = DemoShape(scalar_count=4, vector_count=3, matrix_count=1,
                       setup_max_ops=10, predict_max_ops=2, learn_max_ops=8)
DEMO_INPUT_DIM = 4


@dataclass(frozen=True)
class SearchConfig:
    task_count: int
    pop_size: int
    fec_cache_size: int
    fec_examples: int = 32
    op_space: str = "all"  # what `evolve` draws from


CONFIGS = {
    "automl-zero-demo": SearchConfig(task_count=10, pop_size=1000, fec_cache_size=100_000, fec_examples=10,
                                     op_space="automl-zero-demo"),
    "quick": SearchConfig(task_count=4, pop_size=100, fec_cache_size=100_000),
}


def build_engine(engine: str, config: SearchConfig, seed: int) -> Engine:
    fitness_fn = miner_fitness("scalar_linear", DEMO_INPUT_DIM, config.task_count, 0,
                               train_examples=100, val_examples=100, fec_cache_size=config.fec_cache_size,
                               fec_train_examples=config.fec_examples, fec_valid_examples=config.fec_examples)
    params = EngineParams(input_dim=DEMO_INPUT_DIM, pop_size=config.pop_size, tournament_size=10, mutation_prob=0.9,
                          op_space=config.op_space, **DEMO_SHAPE)
    return make_engine(engine, params, fitness_fn, seed=seed)


clock = time.process_time


def report(name: str, value: object) -> None:
    print(f"{name}={value}", flush=True)


def run_demo(engine: Engine, seconds: float) -> None:
    started = clock()
    engine.evolve_generation()  # builds and evaluates the population
    built, wall_built = clock(), time.perf_counter()
    evaluated = engine.evaluations
    while clock() - built < seconds:
        for _ in range(10):
            engine.evolve_generation()
    elapsed = clock() - built
    report("algorithms_per_second", (engine.evaluations - evaluated) / elapsed)
    report("wall_seconds", time.perf_counter() - wall_built)
    report("population_build_seconds", built - started)
    report("generations", engine.generation)
    report("best_fitness", engine.best_fitness)
    report("fec_hit_rate", (engine.fec_stats() or {}).get("hit_rate", 0.0))


def run_quick(engine: Engine, report_at: list[float]) -> None:
    started, wall_started = clock(), time.perf_counter()
    for mark in sorted(report_at):
        while clock() - started < mark:
            engine.evolve_generation()
        elapsed = clock() - started
        report(f"best_fitness_at_{mark:g}s", engine.best_fitness)
        report(f"programs_per_second_at_{mark:g}s", engine.evaluations / elapsed)
    report("programs_per_second", engine.evaluations / (clock() - started))
    report("generations", engine.generation)
    report("wall_seconds", time.perf_counter() - wall_started)


def parse_marks(text: str) -> list[float]:
    try:
        marks = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--report-at takes comma-separated seconds, not {text!r}") from None
    if not marks or min(marks) <= 0:
        raise argparse.ArgumentTypeError("--report-at needs positive seconds")
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_search", description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=ENGINE_NAMES, default=DEFAULT_ENGINE, help="default: the miners' default")
    parser.add_argument("--config", choices=sorted(CONFIGS), default="automl-zero-demo")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed search seconds (automl-zero-demo)")
    parser.add_argument("--report-at", type=parse_marks, default=[30.0, 120.0, 600.0],
                        help="second marks for best-fitness reports (quick)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    engine = build_engine(args.engine, CONFIGS[args.config], args.seed)
    report("engine", args.engine)
    report("config", args.config)
    report("evaluator", selected_evaluator())
    if args.config == "automl-zero-demo":
        run_demo(engine, args.seconds)
    else:
        run_quick(engine, args.report_at)
    return 0


if __name__ == "__main__":
    sys.exit(main())
