"""One monitor poll (pool.md §7.2): health and summary concurrently, public fallbacks, per-source errors."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

MAX_TIMEOUT_S = 1.5


@dataclass
class Snapshot:
    url: str
    task_type: str
    taken_at: float
    health: dict | None = None
    summary: dict | None = None
    sota: dict | None = None  # /results/sota fallback
    leaderboard: list | None = None  # /miners/leaderboard fallback
    errors: dict[str, str] = field(default_factory=dict)  # source → short reason

    @property
    def reachable(self) -> bool:
        return self.health is not None

    @property
    def healthy(self) -> bool:
        return self.health is not None and self.health.get("status") == "healthy"


def request_timeout(interval_s: float) -> float:
    return min(MAX_TIMEOUT_S, 0.75 * interval_s)


def _short(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    return (str(exc) or type(exc).__name__).splitlines()[0][:60]


async def _get_json(http: httpx.AsyncClient, path: str, **kwargs) -> tuple[int, Any]:
    response = await http.get(path, **kwargs)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


async def fetch_snapshot(http: httpx.AsyncClient, url: str, task_type: str, top: int, token: str | None = None,
                         now: float | None = None) -> Snapshot:
    """Never raises: every failure lands in `errors`."""
    snapshot = Snapshot(url, task_type, time.time() if now is None else now)
    headers = {"X-Monitor-Token": token} if token else {}
    answers = await asyncio.gather(
        _get_json(http, "/health"),
        _get_json(http, "/api/v1/monitor/summary", params={"task_type": task_type, "limit": top}, headers=headers),
        return_exceptions=True)
    health, summary = answers[0], answers[1]
    if isinstance(health, BaseException):
        snapshot.errors["health"] = _short(health)
    elif health[0] >= 500 or not isinstance(health[1], dict):
        snapshot.errors["health"] = f"HTTP {health[0]}"
    else:
        snapshot.health = health[1]
    if not snapshot.reachable:
        return snapshot
    if isinstance(summary, BaseException):
        snapshot.errors["summary"] = _short(summary)
    elif summary[0] == 200 and isinstance(summary[1], dict):
        snapshot.summary = summary[1]
        return snapshot
    else:
        reason = "token required" if summary[0] == 401 else "not available"
        snapshot.errors["summary"] = f"{summary[0]} {reason}"
    await _fallbacks(http, snapshot, task_type, top)
    return snapshot


async def _fallbacks(http: httpx.AsyncClient, snapshot: Snapshot, task_type: str, top: int) -> None:
    answers = await asyncio.gather(
        _get_json(http, "/api/v1/results/sota", params={"task_type": task_type}),
        _get_json(http, "/api/v1/miners/leaderboard", params={"limit": top}), return_exceptions=True)
    sota, board = answers[0], answers[1]
    if not isinstance(sota, BaseException) and sota[0] == 200 and isinstance(sota[1], dict):
        snapshot.sota = sota[1]
    else:
        snapshot.errors["sota"] = _short(sota) if isinstance(sota, BaseException) else f"HTTP {sota[0]}"
    if not isinstance(board, BaseException) and board[0] == 200 and isinstance(board[1], dict):
        miners = board[1].get("miners")
        snapshot.leaderboard = miners if isinstance(miners, list) else None
    else:
        snapshot.errors["leaderboard"] = _short(board) if isinstance(board, BaseException) else f"HTTP {board[0]}"
