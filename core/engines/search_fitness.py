"""The `evolve` engine's evaluator: a search fitness that agrees with the validator, a hurdle, and a
functional equivalence cache.

Per program, `fitness_many` does:
1. run the program on the FEC probe (a few rows of the first suite task, algorithm.md §11 steps 1-2);
2. hurdle: a probe that fails, or a regression probe with a non-finite prediction, gives -inf at once;
3. look the probe's rounded errors up in an LRU cache of earlier programs (§11 step 3's trace);
4. otherwise score the whole suite and combine the task scores with failed tasks counted, never dropped:
   `median` is the validator's median with -inf included (§7), `mean` averages with a failed task as 0.

The miner fitness of §11 drops failed tasks, so a program that makes most tasks fail scores higher there;
searching on it climbs on programs a validator scores -inf. This evaluator does not.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence

from core.engines.held_out import held_out_seeds, held_out_specs
from core.evaluate import TaskSet
from core.fec import PROBE_EVAL_SEED, probe_task, probe_traces
from core.program import Program
from core.scoring import median_score
from core.tasks.base import REGRESSION, TaskData

log = logging.getLogger(__name__)

COMBINE_MODES = ("median", "mean")
DEFAULT_CACHE_SIZE = 100_000
DEFAULT_PROBE_EXAMPLES = 32


def combine_scores(scores: Sequence[float], mode: str) -> float:
    """One fitness from task scores, a failed task (-inf) counted against the program."""
    if mode == "median":
        return median_score(scores)
    return sum(s if math.isfinite(s) else 0.0 for s in scores) / len(scores)


class SuiteEvaluator:
    """Search fitness of programs on a fixed suite (tasks and eval seeds)."""

    def __init__(self, tasks: Sequence[TaskData], eval_seeds: Sequence[int], *, probe: TaskData | None = None,
                 cache_size: int = DEFAULT_CACHE_SIZE, combine: str = "median", evaluator: str | None = None) -> None:
        if combine not in COMBINE_MODES:
            raise ValueError(f"search fitness must be one of {', '.join(COMBINE_MODES)}, not {combine!r}")
        if not tasks:
            raise ValueError("the search fitness needs at least one task")
        self.suite = TaskSet(tasks, eval_seeds, evaluator)
        self.probe = probe or probe_task(tasks[0], DEFAULT_PROBE_EXAMPLES, DEFAULT_PROBE_EXAMPLES)
        self._probe_set = TaskSet([self.probe], [PROBE_EVAL_SEED], evaluator)
        self._regression = self.probe.kind == REGRESSION
        self.combine = combine
        self.cache_size = max(0, int(cache_size))
        self._cache: OrderedDict[bytes, float] = OrderedDict()
        self.evaluations = self.hurdle_failures = self.cache_hits = self.suite_runs = 0

    def fitness_many(self, programs: Sequence[Program]) -> list[float]:
        """The search fitness of each program, in order; the probe runs for all of them in one evaluator
        call and the suite for the cache misses in another. A program equal on the probe to an earlier one
        of the same list shares its value, as it would one call after the other."""
        self.evaluations += len(programs)
        values: list[float] = [-math.inf] * len(programs)
        waiting: dict[bytes, list[int]] = {}
        for i, key in enumerate(probe_traces(self._probe_set, programs, finite_only=self._regression)):
            if key is None:
                self.hurdle_failures += 1
            elif key in waiting:
                self.cache_hits += 1
                waiting[key].append(i)
            elif (cached := self._cache.get(key)) is not None:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                values[i] = cached
            else:
                waiting[key] = [i]
        firsts = [indices[0] for indices in waiting.values()]
        self.suite_runs += len(firsts)
        scores = self.suite.scores_many([programs[i] for i in firsts]) if firsts else []
        for key, task_scores in zip(waiting, scores):
            value = combine_scores(task_scores, self.combine)
            for i in waiting[key]:
                values[i] = value
            self._remember(key, value)
        return values

    def fitness(self, program: Program) -> float:
        return self.fitness_many([program])[0]

    def _remember(self, key: bytes, value: float) -> None:
        if self.cache_size:
            self._cache[key] = value
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def stats(self) -> dict[str, int | float]:
        lookups = self.evaluations - self.hurdle_failures
        return {
            "lookups": lookups, "hits": self.cache_hits, "misses": self.suite_runs,
            "key_failures": self.hurdle_failures, "size": len(self._cache), "capacity": self.cache_size,
            "hit_rate": self.cache_hits / lookups if lookups else 0.0,
        }


class CallableEvaluator:
    """Any fitness function as an evaluator (engine tests, stand-in fitness functions)."""

    def __init__(self, fitness_fn: Callable[[Program], float]) -> None:
        self.fitness_fn = fitness_fn

    def fitness_many(self, programs: Sequence[Program]) -> list[float]:
        return [safe_fitness(self.fitness_fn, program) for program in programs]

    def stats(self) -> dict | None:
        stats = getattr(self.fitness_fn, "fec_stats", None)
        return stats() if callable(stats) else None


def safe_fitness(fitness_fn: Callable[[Program], float], program: Program) -> float:
    """fitness_fn(program); an exception or NaN counts as -inf."""
    try:
        value = float(fitness_fn(program))
    except Exception:  # one bad candidate must not stop the search
        log.debug("evaluation failed", exc_info=True)
        return -math.inf
    return -math.inf if math.isnan(value) else value


def evaluator_for(fitness_fn, *, combine: str = "median", held_out_tasks: int = 0, cache_size: int | None = None):
    """The search evaluator of a miner fitness function (`core.engines.fitness.SuiteFitness`): its tasks and
    eval seeds plus `held_out_tasks` more of the same family (`core.engines.held_out`), its evaluator and
    FEC probe; any other callable is wrapped as it is."""
    tasks = getattr(fitness_fn, "tasks", None)
    if not tasks:
        return CallableEvaluator(fitness_fn)
    tasks, seeds = list(tasks), list(fitness_fn.eval_seeds)
    if held_out_tasks and fitness_fn.specs:
        extra = held_out_specs(fitness_fn.specs, held_out_tasks, fitness_fn.suite_seed)
        tasks += [spec.load() for spec in extra]
        seeds += held_out_seeds(extra, fitness_fn.suite_seed)
    fec = getattr(fitness_fn, "fec", None)
    if cache_size is None:
        cache_size = fec.capacity if fec is not None else DEFAULT_CACHE_SIZE
    return SuiteEvaluator(tasks, seeds, probe=None if fec is None else fec.probe, cache_size=cache_size,
                          combine=combine, evaluator=fitness_fn.evaluator)
