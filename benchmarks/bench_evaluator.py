"""Evaluator throughput: the compiled evaluator against the canonical interpreter (algorithm.md §17).

    python -m benchmarks.bench_evaluator --config cifar-default [--repeat N] [--tasks D] [--canonical-tasks K]

Prints one `name=value` per line. Each config is a fixed DSL program (benchmarks/programs/<config>.dsl) run on
D tasks. scalar_linear tasks come from the real task recipe; cifar-default uses synthetic fixture-like
features (standard normal float32, 0/1 labels), so nothing is downloaded. The canonical interpreter is timed
once on the first K tasks (it is slow) and both evaluators are compared per task, so
speedup = canonical seconds per task / fast seconds per task, on the same program, tasks and seeds. Times are
CPU seconds of this process (both evaluators are single-threaded), so other load on a shared machine does not
inflate them.

    python -m benchmarks.bench_evaluator --search-children N [--seeds 1,2,3] [--paths single,batch]

measures the evaluation a search does per child on the AutoML-Zero demo suite (10 scalar_linear tasks of
100/100 examples, 4 features, program shape ops 10/2/8 and registers 4/3/1, FEC on 10/10 probe rows): N
programs per seed made by 1-20 of `baseline`'s mutations from the empty program, each given its fitness
through the functional equivalence cache (a fresh one per path). `single` is the one-program path the
engines used (`FecCache.fitness` with `TaskSet.scores`), `batch` the batch API (`FecCache.fitness_many` with
`TaskSet.scores_many`, 32 programs per call). Prints us_per_child per seed and path, and whether the two
paths gave identical fitness values.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import fast, interpreter
from core.dsl import from_dsl
from core.program import Program
from core.tasks import verification_suite
from core.tasks.base import BINARY, TaskData

PROGRAMS = Path(__file__).resolve().parent / "programs"
TASK_SEED = 1337


@dataclass(frozen=True)
class BenchConfig:
    task_type: str
    input_dim: int
    n_train: int
    n_val: int
    tasks: int
    canonical_tasks: int


CONFIGS = {
    "scalar-small": BenchConfig("scalar_linear", 4, 100, 100, 4, 4),
    "scalar-demo": BenchConfig("scalar_linear", 4, 100, 100, 10, 10),
    "cifar-default": BenchConfig("cifar10_binary", 16, 1000, 1000, 10, 2),
    "full-default": BenchConfig("scalar_linear", 16, 1000, 1000, 10, 1),
}


def synthetic_binary_task(n_train: int, n_val: int, input_dim: int, seed: int) -> TaskData:
    """Fixture-like projected CIFAR features: standardised float32 columns and balanced 0/1 labels."""
    g = np.random.default_rng(seed)
    x = g.standard_normal((n_train + n_val, input_dim), dtype=np.float32)
    y = (g.random(n_train + n_val) < 0.5).astype(np.float32)
    return TaskData.from_arrays(x[:n_train], y[:n_train], x[n_train:], y[n_train:], BINARY)


def load_suite(config: BenchConfig, task_count: int) -> tuple[list[TaskData], list[int]]:
    """The tasks and eval seeds of the config's verification suite (seeds from the real suite recipe)."""
    if config.task_type == "scalar_linear":
        sizes = {"train_samples": config.n_train, "val_samples": config.n_val}
        entries = verification_suite("scalar_linear", config.input_dim, task_count, TASK_SEED, overrides=sizes)
        return [entry.load() for entry in entries], [entry.eval_seed for entry in entries]
    entries = verification_suite(config.task_type, config.input_dim, task_count, TASK_SEED)
    tasks = [synthetic_binary_task(config.n_train, config.n_val, config.input_dim, seed=i) for i in range(task_count)]
    return tasks, [entry.eval_seed for entry in entries]


def load_program(name: str, input_dim: int) -> Program:
    return from_dsl((PROGRAMS / f"{name}.dsl").read_text(), input_dim)


def instruction_examples(program: Program, tasks: list[TaskData]) -> int:
    """Instructions executed (as written, skipped ones included) over all examples of all tasks."""
    predict, learn = len(program.predict), len(program.learn)
    return sum(len(program.setup) + len(t.X_train) * (predict + learn) + len(t.X_val) * predict for t in tasks)


def time_fast(program: Program, tasks, seeds, repeat: int) -> tuple[float, list]:
    """Median wall time of one whole-suite call (the program is compiled once, before timing)."""
    preds = fast.run_tasks(program, tasks, seeds)
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fast.run_tasks(program, tasks, seeds)
        times.append(time.process_time() - start)
    return statistics.median(times), preds


def time_canonical(program: Program, tasks, seeds) -> tuple[float, list]:
    start = time.process_time()
    preds = [interpreter.run_task(program, task, seed) for task, seed in zip(tasks, seeds)]
    return time.process_time() - start, preds


def same_bits(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


SEARCH_SHAPE = dict(scalar_count=4, vector_count=3, matrix_count=1, setup_max_ops=10, predict_max_ops=2,
                    learn_max_ops=8)
SEARCH_BATCH = 32


def search_children(seed: int, count: int) -> list[Program]:
    """`count` programs of the demo shape, each 1-20 of baseline's mutations away from the empty program."""
    from core.engines.baseline import regularized_mutation
    from core.program import empty_program

    rng = np.random.Generator(np.random.PCG64(seed))
    children = []
    for _ in range(count):
        program = empty_program(4, **SEARCH_SHAPE)
        for _ in range(int(rng.integers(1, 21))):
            regularized_mutation(rng, program)
        children.append(program)
    return children


def search_fitness_paths(seed: int, count: int, paths: list[str]) -> dict[str, tuple[float, list[float]]]:
    """CPU seconds per child and the fitness values of each path on the same children."""
    from core.evaluate import TaskSet
    from core.fec import FecCache
    from core.scoring import fitness
    from core.tasks import miner_suite

    suite = miner_suite("scalar_linear", 4, 10, 0, train_examples=100, val_examples=100)
    tasks = [entry.load() for entry in suite]
    task_set = TaskSet(tasks, [entry.eval_seed for entry in suite])
    children = search_children(seed, count)
    results = {}
    for path in paths:
        fec = FecCache(tasks[0], suite[0].spec.descriptor, input_dim=4, task_count=10, miner_task_seed=0,
                       capacity=100_000, train_examples=10, valid_examples=10)
        start = time.process_time()
        if path == "single":
            values = [fec.fitness(child, lambda p: fitness(task_set.scores(p))) for child in children]
        else:
            values = []
            for i in range(0, len(children), SEARCH_BATCH):
                values += fec.fitness_many(children[i:i + SEARCH_BATCH],
                                           lambda ps: [fitness(row) for row in task_set.scores_many(ps)])
        results[path] = ((time.process_time() - start) / count, values)
    return results


def run_search_benchmark(count: int, seeds: list[int], paths: list[str]) -> int:
    print(f"search_children={count}")
    per_path: dict[str, list[float]] = {path: [] for path in paths}
    identical = True
    for seed in seeds:
        results = search_fitness_paths(seed, count, paths)
        for path, (seconds, _values) in results.items():
            per_path[path].append(seconds)
            print(f"seed_{seed}_{path}_us_per_child={seconds * 1e6:.2f}")
        identical &= len({repr(values) for _, values in results.values()}) == 1
    for path, times in per_path.items():
        print(f"{path}_us_per_child_median={statistics.median(times) * 1e6:.2f}")
        print(f"{path}_children_per_cpu_second={1 / statistics.median(times):.0f}")
    if len(paths) > 1:
        print(f"paths_identical={identical}".lower())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="cifar-default")
    parser.add_argument("--search-children", type=int, metavar="N",
                        help="instead of a config: per-child search evaluation of N programs per seed")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds of --search-children")
    parser.add_argument("--paths", default="single,batch", help="--search-children paths: single, batch or both")
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats of the compiled evaluator")
    parser.add_argument("--tasks", type=int, help="number of tasks D (default: the config's)")
    parser.add_argument("--canonical-tasks", type=int, help="tasks timed on the canonical interpreter (0 = skip)")
    args = parser.parse_args(argv)
    if not fast.available():
        print("error: the compiled evaluator core._fastexec is not built (pip install -e .)", file=sys.stderr)
        return 1
    if args.search_children is not None:
        paths = [p for p in args.paths.split(",") if p]
        if args.search_children < 1 or not paths or set(paths) - {"single", "batch"}:
            parser.error("--search-children needs N >= 1 and --paths from single,batch")
        try:
            seeds = [int(seed) for seed in args.seeds.split(",") if seed]
        except ValueError:
            parser.error(f"--seeds takes comma-separated integers, not {args.seeds!r}")
        return run_search_benchmark(args.search_children, seeds, paths)
    config = CONFIGS[args.config]
    task_count = args.tasks or config.tasks
    tasks, seeds = load_suite(config, task_count)
    program = load_program(args.config, config.input_dim)

    fast_seconds, fast_preds = time_fast(program, tasks, seeds, max(1, args.repeat))
    work = instruction_examples(program, tasks)
    print(f"config={args.config}")
    print(f"tasks={task_count}")
    print(f"fast_seconds={fast_seconds:.6f}")
    print(f"evals_per_second={task_count / fast_seconds:.1f}")
    print(f"ns_per_instruction_example={fast_seconds / work * 1e9:.2f}")

    k = min(task_count, config.canonical_tasks if args.canonical_tasks is None else args.canonical_tasks)
    if k > 0:
        canonical_seconds, canonical_preds = time_canonical(program, tasks[:k], seeds[:k])
        fast_per_task = fast_seconds / task_count
        print(f"canonical_seconds_per_task={canonical_seconds / k:.4f}")
        print(f"speedup={canonical_seconds / k / fast_per_task:.1f}")
        print(f"bit_identical={all(same_bits(a, b) for a, b in zip(fast_preds, canonical_preds))}".lower())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
