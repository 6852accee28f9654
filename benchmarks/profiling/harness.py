"""What the profiling tools share: profiling a callable into a `.pstats` file, counting the work the
evaluators did, and printing `name=value` summary lines."""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable, Iterable
from typing import Any

from core.engines import Engine
from core.engines.fitness import SuiteFitness
from core.program import Program
from core.tasks.base import TaskData


def instruction_examples(program: Program, tasks: Iterable[TaskData]) -> int:
    """Instructions executed by one evaluation: setup once, then predict + learn per training example and
    predict per validation example, on every task."""
    setup, predict, learn = len(program.setup), len(program.predict), len(program.learn)
    return sum(setup + (predict + learn) * len(t.y_train) + predict * len(t.y_val) for t in tasks)


class WorkCounter:
    """Wraps the engine's uncached suite evaluation to count full evaluations and instruction-examples
    (FEC hits cost no suite evaluation and count nothing)."""

    def __init__(self, engine: Engine) -> None:
        self.evaluations = 0
        self.instruction_examples = 0
        fitness_fn = engine.fitness_fn
        if not isinstance(fitness_fn, SuiteFitness):
            raise TypeError(f"profiling counts the work of a SuiteFitness, not {type(fitness_fn).__name__}")
        self._tasks = fitness_fn.tasks
        evaluate = fitness_fn.uncached

        def counted(program: Program) -> float:
            self.evaluations += 1
            self.instruction_examples += instruction_examples(program, self._tasks)
            return evaluate(program)

        fitness_fn.uncached = counted  # type: ignore[method-assign]  # SuiteFitness looks it up on each call


def profile_call(run: Callable[[], Any], out: str) -> tuple[float, pstats.Stats]:
    """Run `run` under cProfile, write `out`, return (wall seconds, the stats)."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        run()
    finally:
        profiler.disable()
    wall = time.perf_counter() - started
    profiler.dump_stats(out)
    return wall, pstats.Stats(profiler)


def evaluation_summary(engine: Engine, counter: WorkCounter, wall: float, generations: int,
                       evaluations_before: int, stats: pstats.Stats, evaluator: str, out: str) -> dict[str, Any]:
    evaluations = engine.evaluations - evaluations_before
    fec = engine.fec_stats() or {}
    return {
        "out": out,
        "evaluator": evaluator,
        "profiled_generations": generations,
        "wall_seconds": round(wall, 6),
        "seconds_per_generation": round(wall / generations, 6) if generations else None,
        "evaluations": evaluations,
        "evaluations_per_second": round(evaluations / wall, 3) if wall > 0 else None,
        "suite_evaluations": counter.evaluations,
        "ns_per_instruction_example": (round(wall * 1e9 / counter.instruction_examples, 3)
                                       if counter.instruction_examples else None),
        "fec_hits": fec.get("hits"),
        "fec_misses": fec.get("misses"),
        "fec_hit_rate": fec.get("hit_rate"),
        "total_calls": stats.total_calls,  # type: ignore[attr-defined]  # set by pstats, missing in its stubs
    }


def print_summary(values: dict[str, Any]) -> None:
    for name, value in values.items():
        print(f"{name}={value}")
