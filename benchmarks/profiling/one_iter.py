"""Profile steady-state generations of one miner worker (miner.md §7.1):

    python -m benchmarks.profiling.one_iter [--config FILE] [miner flags] [--warmup-generations N]
        [--generations N] [--evaluator auto|fast|canonical] [--out miner_local_one_iter.pstats]

Worker 0 is built exactly as the miners build it; the warm-up generations (the first builds the
population) run unprofiled, the requested generations run under cProfile.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from benchmarks.profiling.harness import WorkCounter, evaluation_summary, print_summary, profile_call
from core.cli import run_main
from core.evaluate import EVALUATORS, selected_evaluator
from miner.options import OneLineParser, UsageError, miner_parser, prepare_run
from miner.worker import build_engine


def build_parser() -> OneLineParser:
    parser = miner_parser("python -m benchmarks.profiling.one_iter", "Profile steady-state miner generations.")
    parser.set_defaults(seed=0)  # comparable profiles
    add = parser.add_argument_group("profiling").add_argument
    add("--warmup-generations", type=int, default=1, help="unprofiled generations first")
    add("--generations", type=int, default=1, help="profiled generations")
    add("--evaluator", choices=EVALUATORS, default="auto", help="sets BITSOTA_EVALUATOR")
    add("--out", default="miner_local_one_iter.pstats", help="output .pstats file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = prepare_run(build_parser(), argv)
        if args.generations < 1 or args.warmup_generations < 0:
            raise UsageError("--generations must be at least 1 and --warmup-generations at least 0")
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    os.environ["BITSOTA_EVALUATOR"] = args.evaluator
    engine = build_engine(args, 0)
    for _ in range(args.warmup_generations):
        engine.evolve_generation()
    counter = WorkCounter(engine)
    evaluations_before = engine.evaluations

    def generations() -> None:
        for _ in range(args.generations):
            engine.evolve_generation()

    wall, stats = profile_call(generations, args.out)
    print_summary(evaluation_summary(engine, counter, wall, args.generations, evaluations_before, stats,
                                     selected_evaluator(), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
