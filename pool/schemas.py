"""Request bodies (pool.md §1.5). Unknown fields are ignored; scores accept null and non-finite tokens."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


def parse_score(value: Any) -> float | None:
    """A finite float, or None for a failure report (null, -Infinity, Infinity, NaN)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("score must be a number or null")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError("score must be a number, null, or -Infinity/Infinity/NaN") from None
    if not isinstance(value, (int, float)):
        raise ValueError("score must be a number or null")
    return float(value) if math.isfinite(value) else None


class ScoreReport(Body):
    algorithm_id: int
    score: Any = None

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any) -> float | None:
        return parse_score(value)


class TaskRequest(Body):
    task_type: Any = None


class ParentRef(Body):
    id: int


class EvolutionSubmission(Body):
    evolved_function: str
    parent_functions: list[ParentRef] = Field(default_factory=list)


class EvaluationSubmission(Body):
    evaluations: list[ScoreReport]


class ReleaseRequest(Body):
    batch_id: str | None = None


class LeaseRequest(Body):
    task_type: str | None = None
    eval_batch_size: int = Field(8, ge=2)
    seed_batch_size: int = Field(8, ge=2)
    gossip_limit: int = 0
    sim_window_number: int | None = None


class LeaseEvolution(Body):
    parent_algorithm_ids: list[int] = Field(default_factory=list)
    algorithm_dsl: str


class LeaseSubmission(Body):
    evaluations: list[ScoreReport] = Field(default_factory=list)
    evolutions: list[LeaseEvolution] = Field(default_factory=list)
    iterations: int | None = Field(None, ge=0)
