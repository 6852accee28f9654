"""Validation and candidate emission (miner.md §4.3): when to verify the engine's best program on the
validator suite, and when a verified program becomes a candidate."""

from __future__ import annotations

import math
from collections.abc import Callable

from core.dsl import check_dsl, from_dsl, program_hash, to_dsl
from core.program import Program
from core.verify import Verification, verify_detailed
from miner.events import error_event, json_number, log_event

Verifier = Callable[..., Verification]


def submitted_form(program: Program, input_dim: int) -> Program:
    """The program as validators will read it: printed and parsed back leniently.

    Printing keeps lines that never affect a run but do not parse (a CONST_VEC whose index truncates below
    0 prints as `vK[-1] = …`, algorithm.md §5.4); the lenient parser drops them. Submitting the re-printed
    text keeps the strict check for real printer bugs."""
    return from_dsl(to_dsl(program), input_dim)


class CandidateGate:
    """One worker's validation state: the fitness and iteration of the last validation and the best
    verified score so far (each starts at −inf / 0)."""

    def __init__(self, *, worker_id: int, task_type: str, engine: str, input_dim: int, validate_every: int,
                 task_count: int | None, task_seed: int | None, verify: Verifier = verify_detailed) -> None:
        self.worker_id = worker_id
        self.task_type = task_type
        self.engine = engine
        self.input_dim = input_dim
        self.validate_every = validate_every
        self.task_count = task_count
        self.task_seed = task_seed
        self._verify = verify
        self.last_fitness = -math.inf
        self.last_iteration = 0
        self.best_verified = -math.inf

    def due(self, iteration: int, best: Program | None, best_fitness: float) -> bool:
        return (self.validate_every > 0 and best is not None and math.isfinite(best_fitness)
                and best_fitness > self.last_fitness
                and iteration - self.last_iteration >= self.validate_every)

    def validate(self, iteration: int, best: Program, best_fitness: float, threshold: float) -> list[dict]:
        """Verify `best` and return the events: the `[verify]` line and perhaps a candidate, or an error
        when the printed DSL fails the strict check (a bug)."""
        self.last_fitness, self.last_iteration = best_fitness, iteration
        program = submitted_form(best, self.input_dim)
        dsl = to_dsl(program)
        errors = [issue for issue in check_dsl(dsl, self.input_dim) if issue.severity == "error"]
        if errors:
            detail = "; ".join(f"line {i.line_no} {i.code}: {i.message}" for i in errors)
            return [error_event(message=f"[verify] w{self.worker_id} iter {iteration}: the best program's DSL "
                                        f"fails the strict check: {detail}", worker_id=self.worker_id)]
        result = self._verify({"algorithm_dsl": dsl, "input_dim": self.input_dim, "task_type": self.task_type},
                              threshold, task_count=self.task_count, task_seed=self.task_seed,
                              scalar_large_suite="extended")
        score = result.score
        passed = score >= threshold
        events = [log_event(f"[verify] w{self.worker_id} iter {iteration}: verified_score={score:.6f} "
                            f"threshold={threshold:.6f} passed={passed}", worker_id=self.worker_id)]
        if passed and score > self.best_verified:
            self.best_verified = score
            events.append(self._candidate(iteration, program, dsl, best_fitness, result))
        return events

    def _candidate(self, iteration: int, program: Program, dsl: str, fitness: float, result: Verification) -> dict:
        return {
            "type": "candidate",
            "worker_id": self.worker_id,
            "iteration": iteration,
            "eval_score": json_number(fitness),
            "validator_score": json_number(result.score),
            "input_dim": self.input_dim,
            "algorithm_dsl": dsl,
            "task_type": self.task_type,
            "engine": self.engine,
            "program_hash": program_hash(program),
            "verify_task_count": result.task_count,
            "verify_task_seed": result.task_seed,
        }
