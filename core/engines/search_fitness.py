"""The `evolve` engine's evaluator: a search fitness that counts failed tasks as the validator does, a
hurdle, and a functional equivalence cache.

Per program, `fitness_many` does:
1. run the program on the FEC probe (a few rows of the first suite task, algorithm.md §11 steps 1-2);
2. hurdle: a probe that fails, or a regression probe with a non-finite prediction, gives -inf at once;
3. look the probe's rounded errors up in an LRU cache of earlier programs (§11 step 3's trace);
4. otherwise score the whole suite and combine the task scores with failed tasks counted, never dropped:
   `median` is the validator's median with -inf included (§7), `mean` averages with a failed task as 0;
   each task is scored as the validator scores it, or (`task_score="calibrated"`, the engine's default) with
   the calibrated score of `core.engines.task_score`, which gives credit to a prediction right up to a scale;
5. generalisation check: a program whose suite fitness beats `check_above` (the engine passes its
   population's best) is scored on held-out tasks of the same family as well, and its fitness is the
   combination over suite and held-out tasks together. With `rising_bar` (a first population, which has
   no best yet) the bar rises to each checked fitness in turn, so only the running best is checked.
   A few suite tasks can be fitted by memorised constants or seeded random draws; the validator scores on
   tasks the miner never saw, and a program only becomes the population's best by doing well on tasks it
   was not selected on.

The miner fitness of §11 drops failed tasks, so a program that makes most tasks fail scores higher there;
searching on it climbs on programs a validator scores -inf. This evaluator does not.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from core.engines.held_out import held_out_seeds, held_out_specs
from core.engines.task_score import DEFAULT_CALIBRATION, TASK_SCORES, calibrated_scores
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
                 cache_size: int = DEFAULT_CACHE_SIZE, combine: str = "median", evaluator: str | None = None,
                 held_out: Sequence[TaskData] = (), held_out_seeds: Sequence[int] = (),
                 task_score: str = "validator", calibration: float = DEFAULT_CALIBRATION) -> None:
        if combine not in COMBINE_MODES:
            raise ValueError(f"search fitness must be one of {', '.join(COMBINE_MODES)}, not {combine!r}")
        if task_score not in TASK_SCORES:
            raise ValueError(f"task score must be one of {', '.join(TASK_SCORES)}, not {task_score!r}")
        if not tasks:
            raise ValueError("the search fitness needs at least one task")
        if len(held_out) != len(held_out_seeds):
            raise ValueError("every held-out task needs its eval seed")
        # one task set, suite first: the held-out tasks are a slice of it
        self.suite = TaskSet([*tasks, *held_out], [*eval_seeds, *held_out_seeds], evaluator)
        self._suite_tasks = slice(0, len(tasks))
        self._held_out_tasks = slice(len(tasks), len(tasks) + len(held_out)) if held_out else None
        self.probe = probe or probe_task(tasks[0], DEFAULT_PROBE_EXAMPLES, DEFAULT_PROBE_EXAMPLES)
        self._probe_set = TaskSet([self.probe], [PROBE_EVAL_SEED], evaluator)
        self._regression = self.probe.kind == REGRESSION
        self.combine = combine
        # the calibrated score needs one label array for the whole suite (equal-size regression tasks)
        labels = self.suite.regression_labels if task_score == "calibrated" else None
        self._calibrated = None if labels is None else (labels, float(calibration))
        self.cache_size = max(0, int(cache_size))
        self._cache: OrderedDict[bytes, float] = OrderedDict()
        self.evaluations = self.hurdle_failures = self.cache_hits = self.suite_runs = self.checks = 0

    def fitness_many(self, programs: Sequence[Program], check_above: float = math.inf, *,
                     rising_bar: bool = False) -> list[float]:
        """The search fitness of each program, in order; the probe runs for all of them in one evaluator
        call and the suite for the cache misses in another. A program equal on the probe to an earlier one
        of the same list shares its value, as it would one call after the other. Misses whose suite fitness
        is above `check_above` are scored on the held-out tasks too (step 5)."""
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
        scores = self.task_scores([programs[i] for i in firsts], self._suite_tasks) if firsts else []
        suite_values = [combine_scores(row, self.combine) for row in scores]
        if self._held_out_tasks is not None:
            self._check([programs[i] for i in firsts], scores, suite_values, check_above, rising_bar)
        for key, value in zip(waiting, suite_values):
            for i in waiting[key]:
                values[i] = value
            self._remember(key, value)
        return values

    def _check(self, programs: list[Program], scores: list[list[float]], values: list[float], above: float,
               rising: bool) -> None:
        """Replace, in place, the fitness of each program that beats the bar by the one over suite and
        held-out tasks; with `rising`, the bar rises to each checked fitness, as if the programs arrived one
        after the other."""
        if self._held_out_tasks is None:
            return
        bar = above
        chosen = []
        for i, value in enumerate(values):
            if value > bar and math.isfinite(value):  # a tie is no new best: not checked
                if not rising:
                    chosen.append(i)
                    continue
                values[i] = self._with_held_out(programs[i:i + 1], scores[i:i + 1])[0]
                bar = max(bar, values[i])
        if chosen:
            for i, value in zip(chosen, self._with_held_out([programs[i] for i in chosen], [scores[i] for i in chosen])):
                values[i] = value

    def _with_held_out(self, programs: list[Program], scores: list[list[float]]) -> list[float]:
        self.checks += len(programs)
        held_out = self.task_scores(programs, self._held_out_tasks or slice(0))
        return [combine_scores(suite + extra, self.combine) for suite, extra in zip(scores, held_out)]

    def task_scores(self, programs: list[Program], tasks: slice) -> list[list[float]]:
        """Each program's score on each task of `tasks` (a slice of the suite): the validator's (§7) or the
        calibrated one."""
        if self._calibrated is None:
            return self.suite.scores_many(programs, tasks=tasks)
        labels, weight = self._calibrated
        begin, end, _ = tasks.indices(len(labels))
        if end <= begin:
            return [[] for _ in programs]
        preds, ran = self.suite.run_many(programs, tasks=slice(begin, end))
        scores = calibrated_scores(preds.reshape(len(programs), len(labels), -1)[:, begin:end], labels[begin:end], weight)
        return np.where(ran[:, begin:end], scores, -np.inf).tolist()

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
            "hit_rate": self.cache_hits / lookups if lookups else 0.0, "held_out_checks": self.checks,
        }


class CallableEvaluator:
    """Any fitness function as an evaluator (engine tests, stand-in fitness functions)."""

    def __init__(self, fitness_fn: Callable[[Program], float]) -> None:
        self.fitness_fn = fitness_fn

    def fitness_many(self, programs: Sequence[Program], check_above: float = math.inf, *,
                     rising_bar: bool = False) -> list[float]:
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


def evaluator_for(fitness_fn, *, combine: str = "median", held_out_tasks: int = 0, cache_size: int | None = None,
                  evaluator_class: type[SuiteEvaluator] = SuiteEvaluator, **options):
    """The search evaluator of a miner fitness function (`core.engines.fitness.SuiteFitness`): its tasks,
    eval seeds, evaluator and FEC probe, and `held_out_tasks` more of the same family for the
    generalisation check (`core.engines.held_out`), as an `evaluator_class` (given `options` as well); any
    other callable is wrapped as it is."""
    tasks = getattr(fitness_fn, "tasks", None)
    if not tasks:
        return CallableEvaluator(fitness_fn)
    extra = held_out_specs(fitness_fn.specs, held_out_tasks, fitness_fn.suite_seed) if held_out_tasks else []
    fec = getattr(fitness_fn, "fec", None)
    if cache_size is None:
        cache_size = fec.capacity if fec is not None else DEFAULT_CACHE_SIZE
    return evaluator_class(list(tasks), list(fitness_fn.eval_seeds), probe=None if fec is None else fec.probe,
                           cache_size=cache_size, combine=combine, evaluator=fitness_fn.evaluator,
                           held_out=[spec.load() for spec in extra],
                           held_out_seeds=held_out_seeds(extra, fitness_fn.suite_seed), **options)
