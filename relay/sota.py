"""SOTA voting (§6): candidate identity, rounds, the vote algorithm and the reward window."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relay.models import SotaCache, SotaEvent, SotaVote, utcnow
from relay.schemas import SotaEventItem, SotaVoteRequest, SotaVoteResponse
from relay.settings import Settings

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class VoteRejected(ValueError):
    """A vote the relay refuses; the message is the 400 detail."""


def ceil_to_mod(block: int, mod: int) -> int:
    """`block` rounded up to a multiple of `mod`."""
    return -(-block // mod) * mod


def score_to_int(score: float) -> int:
    """`round(score × 10^18)`, half-to-even; VoteRejected when it does not fit in a signed 64-bit integer."""
    try:
        value = int(round(score * 10**18))
    except OverflowError:
        raise VoteRejected("score out of range") from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise VoteRejected("score out of range")
    return value


@dataclass(frozen=True)
class RewardWindow:
    decision_block: int
    start_block: int
    end_block: int
    alignment_mod: int
    t2_blocks: int


def reward_window(decision_block: int, settings: Settings) -> RewardWindow:
    """The window of §6.4 for a candidate decided at `decision_block`."""
    mod = settings.alignment_mod
    intervals = settings.t2_intervals if settings.t2_intervals is not None else -(-settings.t2_blocks // mod)
    intervals = max(settings.min_t2_intervals, intervals)
    start = ceil_to_mod(decision_block, mod) + settings.activation_delay_intervals * mod
    return RewardWindow(decision_block, start, start + intervals * mod, mod, intervals * mod)


def check_vote_request(vote: SotaVoteRequest) -> int:
    """Steps 3 and 4 of §6.3 (the hotkey check is the router's); returns the score_int."""
    if vote.seen_block <= 0:
        raise VoteRejected("seen_block must be > 0")
    if not math.isfinite(vote.score):
        raise VoteRejected("score must be a finite number")
    return score_to_int(vote.score)


async def global_sota_row(session: AsyncSession, lock: bool = False) -> SotaCache:
    query = select(SotaCache).where(SotaCache.task_type == "global")
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one()


async def _candidate_votes(session: AsyncSession, miner: str, score_int: int) -> int:
    query = select(func.count()).where(SotaVote.miner_hotkey == miner, SotaVote.score_int == score_int)
    return (await session.execute(query)).scalar_one()


async def cast_vote(session: AsyncSession, settings: Settings, validator: str, vote: SotaVoteRequest) -> SotaVoteResponse:
    """Steps 6 to 11 of §6.3 inside the caller's serialised write transaction."""
    score_int = check_vote_request(vote)
    sota = await global_sota_row(session, lock=True)
    current = sota.sota_value
    if vote.score <= current:
        raise VoteRejected(f"Score {vote.score} is not above current SOTA {current}")
    mod, needed = settings.alignment_mod, settings.consensus_votes
    status = await _record_vote(session, validator, vote, score_int, ceil_to_mod(vote.seen_block, mod), mod)
    count = await _candidate_votes(session, vote.miner_hotkey, score_int)
    if status == "already_voted" or count < needed:
        return SotaVoteResponse(status=status, votes_for_candidate=count, votes_needed=needed, current_sota=current)
    event = await _finalize(session, settings, sota, vote, score_int)
    return SotaVoteResponse(
        status="finalized",
        votes_for_candidate=count,
        votes_needed=needed,
        current_sota=sota.sota_value,
        finalized_event=SotaEventItem.model_validate(event),
    )


async def _record_vote(
    session: AsyncSession, validator: str, vote: SotaVoteRequest, score_int: int, round_: int, mod: int
) -> str:
    """Step 8: insert, update or keep this validator's single outstanding vote; returns the status."""
    existing = (await session.execute(select(SotaVote).where(SotaVote.validator_hotkey == validator))).scalar_one_or_none()
    if existing is not None and ceil_to_mod(existing.seen_block, mod) != round_:
        await session.delete(existing)
        await session.flush()
        existing = None
    if existing is None:
        session.add(
            SotaVote(
                validator_hotkey=validator,
                miner_hotkey=vote.miner_hotkey,
                score_int=score_int,
                score=vote.score,
                result_id=vote.result_id,
                seen_block=vote.seen_block,
                timestamp=utcnow(),
            )
        )
        await session.flush()
        return "vote_recorded"
    if existing.miner_hotkey == vote.miner_hotkey and existing.score_int == score_int:
        return "already_voted"
    if score_int >= existing.score_int:  # equal score_int here means a different miner
        existing.miner_hotkey = vote.miner_hotkey
        existing.score_int = score_int
        existing.score = vote.score
        existing.result_id = vote.result_id
        existing.seen_block = vote.seen_block
        existing.timestamp = utcnow()
        await session.flush()
        return "vote_updated"
    raise VoteRejected("Validator has already voted this round (existing vote is better or equal)")


async def _finalize(
    session: AsyncSession, settings: Settings, sota: SotaCache, vote: SotaVoteRequest, score_int: int
) -> SotaEvent:
    """Step 10: reuse or create the candidate's event, raise the SOTA, and wipe every vote."""
    candidate = (SotaEvent.miner_hotkey == vote.miner_hotkey, SotaEvent.score_int == score_int)
    event = (await session.execute(select(SotaEvent).where(*candidate))).scalar_one_or_none()
    if event is None:
        decision_block = (
            await session.execute(
                select(func.max(SotaVote.seen_block)).where(
                    SotaVote.miner_hotkey == vote.miner_hotkey, SotaVote.score_int == score_int
                )
            )
        ).scalar_one()
        window = reward_window(decision_block, settings)
        now = utcnow()
        event = SotaEvent(
            miner_hotkey=vote.miner_hotkey,
            score_int=score_int,
            score=vote.score,
            result_id=vote.result_id,
            decision_block=window.decision_block,
            start_block=window.start_block,
            end_block=window.end_block,
            alignment_mod=window.alignment_mod,
            t2_blocks=window.t2_blocks,
            created_at=now,
        )
        session.add(event)
        sota.sota_value = vote.score
        sota.updated_at = now
    await session.execute(delete(SotaVote))
    await session.flush()
    return event
