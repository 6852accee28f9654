"""Evaluator throughput: the compiled evaluator against the canonical interpreter (algorithm.md §17).

    python -m benchmarks.bench_evaluator --config cifar-default [--repeat N] [--tasks D] [--canonical-tasks K]

Prints one `name=value` per line. Each config is a fixed DSL program (benchmarks/programs/<config>.dsl) run on
D tasks. scalar_linear tasks come from the real task recipe; cifar-default uses synthetic fixture-like
features (standard normal float32, 0/1 labels), so nothing is downloaded. The canonical interpreter is timed
once on the first K tasks (it is slow) and both evaluators are compared per task, so
speedup = canonical seconds per task / fast seconds per task, on the same program, tasks and seeds. Times are
CPU seconds of this process (both evaluators are single-threaded), so other load on a shared machine does not
inflate them.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="cifar-default")
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats of the compiled evaluator")
    parser.add_argument("--tasks", type=int, help="number of tasks D (default: the config's)")
    parser.add_argument("--canonical-tasks", type=int, help="tasks timed on the canonical interpreter (0 = skip)")
    args = parser.parse_args(argv)
    if not fast.available():
        print("error: the compiled evaluator core._fastexec is not built (pip install -e .)", file=sys.stderr)
        return 1
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
