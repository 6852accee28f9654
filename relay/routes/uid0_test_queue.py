"""The UID0 test queue (§5.5): logging-only test submissions that UID0 validators claim on read, each once."""

from __future__ import annotations

import hashlib
import time

from fastapi import APIRouter, Request
from sqlalchemy import select

from relay.auth import Uid0Hotkey
from relay.models import TestSubmission, utcnow
from relay.routes.submissions import signed_headers_of, stored_result
from relay.schemas import SolutionSubmission, TestSubmissionAccepted, TestSubmissionItem
from relay.state import get_state

router = APIRouter()


@router.post("/test/submit_solution", response_model=TestSubmissionAccepted)
async def test_submit(request: Request, solution: SolutionSubmission, hotkey: Uid0Hotkey) -> TestSubmissionAccepted:
    algorithm_result = stored_result(solution, get_state(request).settings)
    stamp = f"test:{hotkey}:{solution.task_id}:{int(time.time() * 1000)}"
    submission_id = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    conflict = "Conflict: test submission id already exists, retry"
    async with get_state(request).db.write(conflict=conflict) as session:
        session.add(
            TestSubmission(
                id=submission_id,
                submitter_hotkey=hotkey,
                task_id=solution.task_id,
                algorithm_result=algorithm_result,
                score=solution.score,
                created_at=utcnow(),
                **signed_headers_of(request),
            )
        )
    return TestSubmissionAccepted(test_submission_id=submission_id)


@router.get("/test/submissions", response_model=list[TestSubmissionItem])
async def claim_test_submissions(request: Request, hotkey: Uid0Hotkey, limit: int = 50) -> list[TestSubmissionItem]:
    limit = min(max(limit, 1), 200)
    query = (
        select(TestSubmission)
        .where(TestSubmission.claimed_at.is_(None))
        .order_by(TestSubmission.created_at, TestSubmission.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: concurrent claimers never get the same row
    )
    async with get_state(request).db.write() as session:
        rows = list((await session.execute(query)).scalars())
        now = utcnow()
        for row in rows:
            row.claimed_at, row.claimed_by = now, hotkey
        await session.flush()
        return [TestSubmissionItem.model_validate(row) for row in rows]
