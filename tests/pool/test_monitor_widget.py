"""Monitor widget (pool.md §7.2-§7.5): snapshots at 80×24 and 120×40 with the theme pinned, and polls that never
overlap against a slow server."""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from fastapi import FastAPI
from textual.app import App, ComposeResult
from textual.widgets import Static, TabbedContent, TabPane

from pool_monitor.app import PoolMonitorApp
from pool_monitor.widget import PoolMonitor
from tests.helpers import free_port, wait_for
from tests.pool.conftest import serve_in_thread
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


async def test_narrow_layout_fits_80x24_with_the_banner_and_ten_leaders():
    ten = healthy()
    row = ten.summary["leaderboard"][0]
    ten.summary["leaderboard"] = [{**row, "rank": i, "hotkey": f"{row['hotkey'][:-2]}{i:02d}"} for i in range(1, 11)]
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _applying(ten, unreachable())(pilot)
        monitor = app.monitor
        for widget in monitor.query("#header, #banner, #panels, .panel, #leaderboard, #events"):
            assert widget.region.bottom <= 24 and widget.region.right <= 80, widget
        assert monitor.query_one("#events").region.height >= 3
        assert monitor.query_one("#banner").region.height == 1
        assert str(monitor.query_one("#lamp").render()).strip() == "○ OFFLINE 12:00:05Z"


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
    app, spans = _slow_pool(delay_s=0.3)  # slower than the 0.05 s `r` presses, well inside the 1.5 s request timeout
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await asyncio.to_thread(wait_for, lambda: server.started, timeout=10, what="slow server")
    monitor_app = PoolMonitorApp(f"http://127.0.0.1:{port}", interval_s=2.0, theme="ansi")
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
            assert "● ONLINE" in str(monitor_app.monitor.query_one("#lamp").render())
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class TabbedMonitor(App):
    """The monitor on the second tab, as the TUI embeds it."""

    def __init__(self, pool_url: str):
        super().__init__()
        self.monitor = PoolMonitor(pool_url, interval_s=0.5)

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="other"):
            with TabPane("Other", id="other"):
                yield Static("mining")
            with TabPane("Pool", id="pool"):
                yield self.monitor


async def test_the_monitor_polls_only_while_its_pane_is_visible():
    app, spans = _slow_pool(delay_s=0.0)
    with serve_in_thread(app) as url:
        probes = len(spans)  # serve_in_thread's readiness checks
        tabbed = TabbedMonitor(url)
        async with tabbed.run_test() as pilot:
            await pilot.pause()
            monitor = tabbed.monitor
            assert monitor.polls_started == 0 and monitor.poll_due  # hidden since mount: the first poll waits
            tabbed.query_one(TabbedContent).active = "pool"
            await _until(pilot, lambda: len(spans) >= probes + 2)
            tabbed.query_one(TabbedContent).active = "other"
            await _until(pilot, lambda: monitor.poll_due and not monitor.polling)
            hidden_polls = monitor.polls_started
            tabbed.query_one(TabbedContent).active = "pool"
            await _until(pilot, lambda: monitor.polls_started > hidden_polls)
            assert not monitor.poll_due


async def _until(pilot, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)
