"""Pydantic models: the relay's wire schema (request bodies and response items)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

# Naive UTC ISO-8601 as Python's isoformat writes it (microseconds omitted when zero).
IsoTime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]


# Far beyond any block number or unix time, and small enough that the reward window stays within BIGINT.
MAX_SEEN_BLOCK = 2**62


def _without_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot store NUL; reject it the same way on every database
        raise ValueError("must not contain NUL characters")
    return value


# Client-supplied strings that are stored or compared in SQL.
Text = Annotated[str, AfterValidator(_without_nul)]


def _not_boolean(value: Any) -> Any:
    if isinstance(value, bool):  # JSON true is not a score, though pydantic's lax mode would read it as 1.0
        raise ValueError("must be a number, not a boolean")
    return value


# A float with the public relay's lax parsing ("0.5" and 1 are accepted), except that booleans are refused.
Score = Annotated[float, BeforeValidator(_not_boolean)]


class FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SolutionSubmission(BaseModel):
    task_id: Text
    algorithm_result: dict[str, Any]
    score: Score | None = None


class SubmissionAccepted(BaseModel):
    result_id: str
    status: str = "accepted"


class TestSubmissionAccepted(BaseModel):
    test_submission_id: str
    status: str = "accepted"


class MiningResultItem(FromRow):
    id: str
    miner_hotkey: str
    task_id: str
    algorithm_result: str
    score: float | None
    timestamp: IsoTime
    validator_verified: str | None
    signature: str | None
    timestamp_message: str | None
    coldkey_address: str | None = None


class TestSubmissionItem(FromRow):
    id: str
    submitter_hotkey: str
    task_id: str
    algorithm_result: str
    score: float | None
    created_at: IsoTime
    claimed_at: IsoTime | None
    claimed_by: str | None
    signature: str | None
    timestamp_message: str | None


class InviteLink(BaseModel):
    code: Text
    coldkey_address: Text | None = None


class ColdkeyUpdate(BaseModel):
    coldkey_address: Text


class InvitationCodeItem(FromRow):
    id: str
    miner_hotkey: str | None
    coldkey_address: str | None
    timestamp: IsoTime


class SotaVoteRequest(BaseModel):
    miner_hotkey: Text
    score: Score
    seen_block: Annotated[int, Field(le=MAX_SEEN_BLOCK)]
    result_id: Annotated[Text, Field(max_length=64)] | None = None


class SotaEventItem(FromRow):
    id: int
    miner_hotkey: str
    score: float
    score_int: int
    result_id: str | None
    decision_block: int
    start_block: int
    end_block: int
    alignment_mod: int
    t2_blocks: int
    created_at: IsoTime


class SotaVoteResponse(BaseModel):
    status: str
    votes_for_candidate: int
    votes_needed: int
    current_sota: float
    finalized_event: SotaEventItem | None = None


class PublicSotaEvent(FromRow):
    miner_hotkey: str
    score: float
    created_at: IsoTime


class SotaEventsPage(BaseModel):
    results: list[PublicSotaEvent]
    total: int
    page: int
    page_size: int
    total_pages: int


class SotaThreshold(BaseModel):
    task_type: str = "global"
    sota_threshold: float
    updated_at: IsoTime
    cached: bool = True


def is_hotkey_format(value: str) -> bool:
    """The public relay's "valid hotkey" rule: exactly 48 ASCII letters or digits (not a full SS58 decode)."""
    return len(value) == 48 and value.isascii() and value.isalnum()
