"""Health (public) and the monitor summary (token-guarded when MONITOR_TOKEN is set)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pool import __version__
from pool.auth import MonitorAccess
from pool.queries import clamp
from pool.state import get_state
from pool.summary import monitor_summary
from pool.timefmt import iso

router = APIRouter()


@router.get("/health")
async def health(request: Request):
    state = get_state(request)
    if not await state.db.ping():
        return JSONResponse({"status": "unhealthy", "detail": "database unavailable"}, status_code=503)
    now = state.now()
    window = state.window(now)
    return {"status": "healthy", "window_number": window, "current_block": 0,
            "time_remaining_s": state.windows.remaining_s(now), "window_length_s": state.windows.length_display,
            "window_ends_at": iso(state.windows.end(window)), "server_time": int(now), "version": __version__}


@router.get("/api/v1/monitor/summary", dependencies=[MonitorAccess])
async def summary(request: Request, task_type: str = "cifar10_binary", limit: int = 10) -> dict:
    state = get_state(request)
    async with state.db.read() as connection:
        return await monitor_summary(state, connection, task_type, clamp(limit, 1, 50))
