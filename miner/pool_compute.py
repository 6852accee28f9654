"""What a pool compute worker computes (pool.md §6.1-§6.2): scores and evolved programs, real or mock.

Mock mode depends only on the algorithm text, so every honest mock worker reports the same score for the same
algorithm and consensus forms in local simulations.
"""

from __future__ import annotations

import hashlib
import math
from typing import Protocol, Sequence

from core.dsl_text import normalize_dsl
from core.errors import BitsotaError
from core.genesis import genesis_dsls


class Compute(Protocol):
    def score(self, dsl: str, input_dim: int, problem: str) -> float | None: ...

    def evolve(self, parents: Sequence[dict], input_dim: int, problem: str, generations: int,
               counter: int) -> tuple[str, float | None]: ...


def mock_score(dsl: str, problem: str, skew: float = 0.0) -> float:
    """(0.1 + 0.8·u)·(1 + skew), u from SHA-256 of `mock-score|<problem>|<normalised dsl>`."""
    digest = hashlib.sha256(f"mock-score|{problem}|{normalize_dsl(dsl)}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return (0.1 + 0.8 * u) * (1 + skew)


class MockCompute:
    def __init__(self, run_id: str, worker_id: str, seed: int, skew: float = 0.0):
        self.run_id, self.worker_id, self.seed, self.skew = run_id, worker_id, seed, skew

    def score(self, dsl: str, input_dim: int, problem: str) -> float | None:
        return mock_score(dsl, problem, self.skew)

    def evolve(self, parents: Sequence[dict], input_dim: int, problem: str, generations: int,
               counter: int) -> tuple[str, float | None]:
        ids = [int(p["id"]) for p in parents if "id" in p]
        pick = hashlib.sha256(f"{ids}|{self.seed}|{counter}".encode()).digest()[0]
        templates = genesis_dsls(input_dim)
        origin = f"# origin: mock parents={ids} run={self.run_id} w={self.worker_id} n={counter}"
        child = f"{templates[pick % len(templates)]}\n{origin}"
        return child, mock_score(child, problem)


class NoParseableParent(BitsotaError, ValueError):
    def __init__(self) -> None:
        super().__init__("no parseable parent")


class RealCompute:
    """Validator-suite scores and archive-engine evolution seeded with the parents (population 8)."""

    POPULATION = 8

    def __init__(self, seed: int):
        self.seed = seed

    def score(self, dsl: str, input_dim: int, problem: str) -> float | None:
        from core.verify import score_on_eval_suite

        score = score_on_eval_suite(dsl, input_dim, problem)
        return score if math.isfinite(score) else None

    def evolve(self, parents: Sequence[dict], input_dim: int, problem: str, generations: int,
               counter: int) -> tuple[str, float | None]:
        from core.dsl import from_dsl, to_dsl
        from core.engines import EngineParams, make_engine
        from core.engines.fitness import miner_fitness
        from core.hyperparams import miner_hyperparams

        seeds = []
        for parent in parents:
            try:
                program = from_dsl(str(parent.get("algorithm_dsl", "")), input_dim)
            except ValueError:  # an unparseable parent (DslError) is skipped, not fatal
                continue
            if program.instruction_count():
                seeds.append(program)
        if not seeds:
            raise NoParseableParent()
        hyper = miner_hyperparams()
        fitness_fn = miner_fitness(problem, input_dim, hyper.miner_task_count, hyper.miner_task_seed)
        shape = seeds[0]
        params = EngineParams(
            input_dim=input_dim, pop_size=self.POPULATION, scalar_count=shape.scalar_count,
            vector_count=shape.vector_count, matrix_count=shape.matrix_count, vector_dim=shape.vector_dim,
            setup_max_ops=shape.setup_max_ops, predict_max_ops=shape.predict_max_ops,
            learn_max_ops=shape.learn_max_ops)
        engine = make_engine("archive", params, fitness_fn, seed=self.seed + counter)
        best, fitness = engine.evolve(max(1, generations), seeds)
        best = best if best is not None else seeds[0]
        return to_dsl(best), fitness if fitness is not None and math.isfinite(fitness) else None
