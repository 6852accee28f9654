"""Verified algorithms and the pool SOTA (pool.md §1.5 results, results/sota)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pool import queries
from pool.auth import MinerHotkey
from pool.state import get_state

router = APIRouter(prefix="/api/v1/results")


@router.get("/")
@router.get("", include_in_schema=False)
async def results(request: Request, _hotkey: MinerHotkey, limit: int = 50, task_type: str | None = None,
                  min_score: float | None = None) -> dict:
    state = get_state(request)
    async with state.db.read() as connection:
        items = await queries.results(connection, queries.clamp(limit, 1, 500), task_type, min_score)
    return {"results": items, "count": len(items)}


@router.get("/sota")
async def sota(request: Request, task_type: str = "cifar10_binary") -> dict:
    state = get_state(request)
    async with state.db.read() as connection:
        return await queries.sota_payload(connection, task_type, state.window(), state.settings.task_types)
