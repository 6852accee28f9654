"""Cursor reads of the four stores (sidecar.md §4)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sidecar.models import blank_to_none
from sidecar.routes.deps import State, clamp

router = APIRouter()


def _cursor_reader(store: str, default_limit: int, max_limit: int):
    async def read(state: State, cursor: int = 0, limit: int = default_limit, run_id: str | None = None):
        page = state.read(store, blank_to_none(run_id), max(cursor, 0), clamp(limit, 1, max_limit))
        return JSONResponse({"cursor": page.cursor, "items": page.items, "skipped": page.skipped})

    read.__name__ = f"read_{store}"
    return read


for path, store, default_limit, max_limit in (
    ("/logs", "logs", 200, 500),
    ("/candidates", "candidates", 200, 500),
    ("/populations", "populations", 50, 50),
    ("/jobs/results", "job_results", 200, 500),
):
    router.add_api_route(path, _cursor_reader(store, default_limit, max_limit), methods=["GET"])
