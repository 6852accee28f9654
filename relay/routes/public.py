"""Public endpoints (§5.1): health, version manifest, SOTA threshold and the public event list."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import func, select

from relay.models import SotaEvent
from relay.schemas import PublicSotaEvent, SotaEventsPage, SotaThreshold
from relay.sota import global_sota_row
from relay.state import get_state

router = APIRouter()
MAX_PAGE = 2**31  # keeps the SQL offset within range; pages that far out are empty anyway


@router.get("/health")
async def health() -> dict:
    return {"status": "healthy", "timestamp": datetime.now(UTC).isoformat()}


@router.get("/version.json")
async def version_manifest(request: Request) -> dict:
    try:
        manifest = json.loads(get_state(request).settings.version_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        raise HTTPException(404, "Version info not found")
    return manifest


@router.get("/sota_threshold", response_model=SotaThreshold)
async def sota_threshold(request: Request) -> SotaThreshold:
    async with get_state(request).db.read() as session:
        row = await global_sota_row(session)
    return SotaThreshold(sota_threshold=row.sota_value, updated_at=row.updated_at)


@router.get("/sota-events", response_model=SotaEventsPage)
async def public_sota_events(request: Request, page: int = 1, page_size: int = 50) -> SotaEventsPage:
    page = min(max(page, 1), MAX_PAGE)
    page_size = min(max(page_size, 1), 100)
    async with get_state(request).db.read() as session:
        total = (await session.execute(select(func.count()).select_from(SotaEvent))).scalar_one()
        rows = (
            await session.execute(
                select(SotaEvent)
                .order_by(SotaEvent.created_at.desc(), SotaEvent.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        ).scalars()
        results = [PublicSotaEvent.model_validate(row) for row in rows]
    return SotaEventsPage(
        results=results, total=total, page=page, page_size=page_size, total_pages=math.ceil(total / page_size)
    )
