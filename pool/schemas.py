"""Request bodies (pool.md §1.5). Unknown fields are ignored; scores accept null and non-finite tokens."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Every integer is stored or compared as a signed 64-bit database integer; a larger one is a 422, not a 500.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]


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
    algorithm_id: Int64
    score: Any = None

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any) -> float | None:
        return parse_score(value)


class TaskRequest(Body):
    task_type: Any = None


class ParentRef(Body):
    id: Int64


class EvolutionSubmission(Body):
    evolved_function: str
    parent_functions: list[ParentRef] = Field(default_factory=list)


class EvaluationSubmission(Body):
    evaluations: list[ScoreReport]


class ReleaseRequest(Body):
    batch_id: str | None = None


class LeaseRequest(Body):
    task_type: str | None = None
    eval_batch_size: int = Field(8, ge=2, le=INT64_MAX)
    seed_batch_size: int = Field(8, ge=2, le=INT64_MAX)
    gossip_limit: Int64 = 0
    sim_window_number: Int64 | None = None


class LeaseEvolution(Body):
    parent_algorithm_ids: list[Int64] = Field(default_factory=list)
    algorithm_dsl: str


class LeaseSubmission(Body):
    evaluations: list[ScoreReport] = Field(default_factory=list)
    evolutions: list[LeaseEvolution] = Field(default_factory=list)
    iterations: int | None = Field(None, ge=0, le=INT64_MAX)
