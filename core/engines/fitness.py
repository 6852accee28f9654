"""Miner fitness (algorithm.md §11): the median of finite task scores over the miner suite, optionally
through the functional equivalence cache. A `SuiteFitness` is the `fitness_fn` the engines call."""

from __future__ import annotations

from collections.abc import Sequence

from core.evaluate import TaskSet
from core.fec import FecCache
from core.program import Program
from core.scoring import fitness
from core.tasks import miner_suite, suite_seed
from core.tasks.base import TaskData


class SuiteFitness:
    """fitness(program) on fixed tasks and eval seeds; `fec` (optional) caches equivalent programs."""

    def __init__(self, tasks: Sequence[TaskData], eval_seeds: Sequence[int], *, fec: FecCache | None = None,
                 evaluator: str | None = None, specs: Sequence | None = None, suite_seed: int = 0) -> None:
        if len(tasks) != len(eval_seeds) or not tasks:
            raise ValueError("SuiteFitness needs one eval seed per task and at least one task")
        self.suite = TaskSet(tasks, eval_seeds, evaluator)
        self.tasks = self.suite.tasks
        self.eval_seeds = self.suite.eval_seeds
        self.fec = fec
        self.evaluator = evaluator
        self.specs = list(specs) if specs is not None else None  # the tasks' specs, when known
        self.suite_seed = int(suite_seed)

    def __call__(self, program: Program) -> float:
        if self.fec is None:
            return self.uncached(program)
        return self.fec.fitness(program, self.uncached)

    def uncached(self, program: Program) -> float:
        return fitness(self.suite.scores(program))

    def fec_stats(self) -> dict | None:
        return None if self.fec is None else self.fec.stats()


def miner_fitness(task_type: str, input_dim: int, task_count: int, miner_task_seed: int = 0, *,
                  train_examples: int | None = None, val_examples: int | None = None, fec_cache_size: int = 0,
                  fec_train_examples: int = 32, fec_valid_examples: int = 32, fec_forget_every: int = 0,
                  evaluator: str | None = None) -> SuiteFitness:
    """The fitness function of a miner worker: its suite loaded once, FEC on when fec_cache_size > 0."""
    suite = miner_suite(task_type, input_dim, task_count, miner_task_seed,
                        train_examples=train_examples, val_examples=val_examples)
    tasks = [entry.load() for entry in suite]
    fec = None
    if fec_cache_size > 0:
        fec = FecCache(tasks[0], suite[0].spec.descriptor, input_dim=input_dim, task_count=task_count,
                       miner_task_seed=miner_task_seed, capacity=fec_cache_size,
                       train_examples=fec_train_examples, valid_examples=fec_valid_examples,
                       forget_every=fec_forget_every, evaluator=evaluator)
    return SuiteFitness(tasks, [entry.eval_seed for entry in suite], fec=fec, evaluator=evaluator,
                        specs=[entry.spec for entry in suite], suite_seed=suite_seed(miner_task_seed, input_dim))
