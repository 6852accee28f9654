"""The claim checks of `/submit_solution` (§5.2 steps 5 to 7) in the database, so that every relay process and host
sharing it applies them alike: the 5-minute duplicate memory (any miner) and the optional hourly rate limit."""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from relay.models import RecentClaim, SubmissionTime

DUPLICATE_WINDOW_S = 300.0
RATE_WINDOW_S = 3600.0
PURGE_INTERVAL_S = 60.0


class ClaimChecks:
    def __init__(self) -> None:
        self._last_purge = float("-inf")

    async def check_and_record(self, session: AsyncSession, hotkey: str, solution_hash: str, now: float,
                               hourly_limit: int) -> None:
        """Refuse a miner over its hourly limit (429) or a solution seen in the last 5 minutes (400); otherwise
        record the attempt, inside the caller's write transaction."""
        if now - self._last_purge >= PURGE_INTERVAL_S:
            self._last_purge = now
            await session.execute(delete(RecentClaim).where(RecentClaim.seen_at <= now - DUPLICATE_WINDOW_S))
            await session.execute(delete(SubmissionTime).where(SubmissionTime.at <= now - RATE_WINDOW_S))
        if hourly_limit > 0:
            recent = select(func.count()).where(SubmissionTime.miner_hotkey == hotkey,
                                                SubmissionTime.at > now - RATE_WINDOW_S)
            if (await session.execute(recent)).scalar_one() >= hourly_limit:
                raise HTTPException(429, f"Rate limit exceeded. Max {hourly_limit} submissions per hour")
        if not await self._claim(session, solution_hash, now):
            raise HTTPException(400, "Duplicate solution submitted within 5 minutes")
        if hourly_limit > 0:
            session.add(SubmissionTime(miner_hotkey=hotkey, at=now))

    @staticmethod
    async def _claim(session: AsyncSession, solution_hash: str, now: float) -> bool:
        """Insert the hash, or refresh it when its last sighting is older than the window; one statement, so two
        processes claiming the same solution at once cannot both succeed. False for a duplicate."""
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(RecentClaim).values(solution_hash=solution_hash, seen_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[RecentClaim.solution_hash],
            set_={"seen_at": statement.excluded.seen_at},
            where=RecentClaim.seen_at <= now - DUPLICATE_WINDOW_S,
        ).returning(RecentClaim.solution_hash)
        return (await session.execute(statement)).first() is not None
