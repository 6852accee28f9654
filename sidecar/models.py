"""Request bodies of the JSON endpoints (all but `/ingest_batch`, which is parsed by hand for speed)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


def blank_to_none(text: str | None) -> str | None:
    """Trimmed `text`, or None when it is absent or blank."""
    if text is None:
        return None
    return text.strip() or None


class RunStart(BaseModel):
    run_id: str | None = None
    replace: bool = True
    meta: dict[str, Any] | None = None


class RunRef(BaseModel):
    run_id: str | None = None


class GlobalSota(BaseModel):
    run_id: str | None = None
    value: float = Field(allow_inf_nan=False)


class SubmissionResult(BaseModel):
    run_id: str | None = None
    score: float = Field(allow_inf_nan=False)
    status: str
    kind: str | None = None


class JobEnqueue(BaseModel):
    run_id: str | None = None
    job_id: str | None = None
    kind: str = ""
    payload: dict[str, Any] | None = None


class JobResult(BaseModel):
    run_id: str | None = None
    status: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
