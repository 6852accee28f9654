"""Monitor widget (pool.md §7.2-§7.5): snapshots at 80×24 and 120×40 with the theme pinned, and polls that never
overlap against a slow server."""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from fastapi import FastAPI

from pool_monitor.app import PoolMonitorApp
from tests.helpers import free_port, wait_for
from tests.pool.monitor_data import NOW, URL, healthy, no_summary, unreachable


def _app(theme: str = "retro") -> PoolMonitorApp:
    return PoolMonitorApp(URL, "cifar10_binary", theme=theme, autostart=False, clock=lambda: NOW)


def _applying(*snapshots):
    async def run_before(pilot) -> None:
        for snapshot in snapshots:
            pilot.app.monitor.apply(snapshot)
        await pilot.pause()

    return run_before


def test_snapshot_healthy_wide(snap_compare):
    assert snap_compare(_app(), terminal_size=(120, 40), run_before=_applying(healthy()))


def test_snapshot_healthy_narrow(snap_compare):
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_applying(healthy()))


def test_snapshot_unreachable_keeps_stale_data(snap_compare):
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_applying(healthy(), unreachable()))


def test_snapshot_no_summary_ansi(snap_compare):
    assert snap_compare(_app("ansi"), terminal_size=(120, 40), run_before=_applying(no_summary()))


def _slow_pool(delay_s: float) -> tuple[FastAPI, list]:
    app = FastAPI()
    spans: list[tuple[float, float]] = []

    @app.get("/health")
    async def health():
        start = time.monotonic()
        await asyncio.sleep(delay_s)
        spans.append((start, time.monotonic()))
        return {"status": "healthy", "window_number": 0, "time_remaining_s": 10, "window_length_s": 60}

    return app, spans


async def test_polls_never_overlap_with_a_slow_server():
    app, spans = _slow_pool(delay_s=0.3)  # slow, yet inside the 0.375 s request timeout of a 0.5 s interval
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await asyncio.to_thread(wait_for, lambda: server.started, timeout=10, what="slow server")
    monitor_app = PoolMonitorApp(f"http://127.0.0.1:{port}", interval_s=0.5, theme="ansi")
    try:
        async with monitor_app.run_test() as pilot:
            deadline = time.monotonic() + 10
            while len(spans) < 3 and time.monotonic() < deadline:
                monitor_app.monitor.poll_now()  # the `r` key while a poll is in flight must not start another
                await pilot.pause(0.05)
            assert len(spans) >= 3
            assert monitor_app.monitor.polls_started <= len(spans) + 1
            ordered = sorted(spans)
            assert all(later[0] >= earlier[1] for earlier, later in zip(ordered, ordered[1:]))
            assert "○ OFFLINE" not in str(monitor_app.monitor.query_one("#header").render())
    finally:
        server.should_exit = True
        thread.join(timeout=10)
