"""`PoolMonitor`: the retro pool monitor widget (pool.md §7.2-§7.5), embedded by the TUI's Pool tab.

Polls never overlap: one exclusive worker runs a poll, and only when it has finished is the next one armed
with `set_timer`, max(0.1 s, interval − elapsed) later.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from pool_monitor.client import Snapshot, fetch_snapshot, request_timeout
from pool_monitor.model import dig, events, fmt, leaderboard_rows, mmss, short_hotkey, sota_fields, sparkline

MIN_DELAY_S = 0.1
MAX_BACKOFF_S = 10.0
FAILURES_BEFORE_BACKOFF = 3
TICKER_LINES = 200
HISTORY = 30
WIDE = 110

CSS = """
PoolMonitor { height: 1fr; layout: vertical; }
PoolMonitor #header { height: 1; background: $panel; color: $text; }
PoolMonitor #banner { height: 1; display: none; background: $error; color: $background; text-style: reverse; }
PoolMonitor #banner.shown { display: block; }
PoolMonitor #panels { height: auto; grid-size: 2; grid-rows: auto; grid-gutter: 0; }
PoolMonitor.wide #panels { grid-size: 3; }
PoolMonitor .panel { height: auto; min-height: 4; border: heavy $success; border-title-style: reverse; padding: 0 1; }
PoolMonitor .stale { opacity: 0.6; }
PoolMonitor #leaderboard { height: auto; max-height: 12; border: heavy $success; border-title-style: reverse; }
PoolMonitor #events { height: 1fr; min-height: 3; border: heavy $success; border-title-style: reverse; padding: 0 1; }
PoolMonitor.retro { background: #000000; color: #33ff33; }
PoolMonitor.retro .panel, PoolMonitor.retro #leaderboard, PoolMonitor.retro #events { border: heavy #33ff33; }
PoolMonitor.retro #header { background: #000000; color: #66ff66; }
PoolMonitor.retro #banner { background: #ff4040; color: #000000; }
"""

PANELS = ("health", "miners", "throughput", "consensus", "sota")
TITLES = {"health": "POOL HEALTH", "miners": "MINERS ONLINE", "throughput": "THROUGHPUT", "consensus": "CONSENSUS",
          "sota": "POOL SOTA"}


def _clock(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%H:%M:%S")


class PoolMonitor(Widget):
    DEFAULT_CSS = CSS

    def __init__(self, pool_url: str, task_type: str = "cifar10_binary", *, interval_s: float = 2.0,
                 top: int = 10, monitor_token: str | None = None, retro: bool = True, autostart: bool = True,
                 clock=time.time, **kwargs):
        super().__init__(**kwargs)
        self.pool_url, self.task_type = pool_url.rstrip("/"), task_type
        self.base_interval = max(0.5, interval_s)
        self.interval = self.base_interval
        self.top, self.token, self.autostart, self.clock = top, monitor_token, autostart, clock
        self.last_good: Snapshot | None = None
        self.last_ok_ts: float | None = None
        self.failures = 0
        self.polling = False
        self.paused = False
        self.polls_started = 0
        self.completions: list = []
        self.seen_events: set = set()
        self.ticker: list[str] = []
        if retro:
            self.add_class("retro")

    def compose(self) -> ComposeResult:
        yield Static(self._header_text(None), id="header")
        yield Static("", id="banner")
        with Grid(id="panels"):
            for name in PANELS:
                panel = Static("—", id=name, classes="panel")
                panel.border_title = TITLES[name]
                yield panel
        with Vertical():
            table = DataTable(id="leaderboard", cursor_type="none", show_cursor=False)
            table.border_title = "LEADERBOARD"
            yield table
            ticker = Static("", id="events")
            ticker.border_title = "EVENTS"
            yield ticker

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("rank", "#"), ("hotkey", "miner"), ("rep", "rep"), ("window", "window"), ("work", "eval/evo")):
            table.add_column(label, key=key)
        self._apply_width()
        if self.autostart:
            self.poll_now()

    def on_resize(self) -> None:
        self._apply_width()

    def _apply_width(self) -> None:
        self.set_class(self.size.width >= WIDE, "wide")

    # -------------------------------------------------------------- polling

    def poll_now(self) -> None:
        """Start a poll unless one is in flight (the `r` key)."""
        if not self.polling:
            self.polling = True
            self.polls_started += 1
            self.run_worker(self._poll(), exclusive=True, group="pool-poll")

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            self.poll_now()

    async def _poll(self) -> None:
        started = time.monotonic()
        try:
            timeout = request_timeout(self.interval)
            async with httpx.AsyncClient(base_url=self.pool_url, timeout=timeout) as http:
                snapshot = await fetch_snapshot(http, self.pool_url, self.task_type, self.top, self.token, self.clock())
            self.apply(snapshot)
        finally:
            self.polling = False
            if not self.paused and self.is_mounted:
                self.set_timer(max(MIN_DELAY_S, self.interval - (time.monotonic() - started)), self.poll_now)

    # -------------------------------------------------------------- rendering

    def apply(self, snapshot: Snapshot) -> None:
        """Apply one poll's results in one UI update."""
        with self.app.batch_update():
            if snapshot.reachable:
                self._on_success(snapshot)
            else:
                self._on_failure(snapshot)
            self._render_ticker()

    def _on_success(self, snapshot: Snapshot) -> None:
        if self.failures:
            self._local_event("pool back online")
        self.failures, self.interval = 0, self.base_interval
        self.last_good, self.last_ok_ts = snapshot, snapshot.taken_at
        completed = dig(snapshot.summary, "tasks", "completed_1m", kind=int)
        if completed is not None:
            self.completions = (self.completions + [completed])[-HISTORY:]
        for event in reversed(events(snapshot)):
            seq = event.get("seq")
            if seq not in self.seen_events:
                self.seen_events.add(seq)
                ts = dig(event, "ts", kind=str) or ""
                self._push(f"{ts[11:19]} {dig(event, 'kind', kind=str) or '—'} {dig(event, 'message', kind=str) or ''}")
        self.query_one("#banner").remove_class("shown")
        self._render_panels(snapshot, stale=None)
        self.query_one("#header", Static).update(self._header_text(True))

    def _on_failure(self, snapshot: Snapshot) -> None:
        if self.failures == 0:
            self._local_event("pool unreachable")
        self.failures += 1
        if self.failures >= FAILURES_BEFORE_BACKOFF:
            self.interval = min(MAX_BACKOFF_S, self.interval * 2)
        last_ok = _clock(self.last_ok_ts) if self.last_ok_ts else "never"
        banner = self.query_one("#banner", Static)
        banner.update(f"POOL UNREACHABLE  {snapshot.errors.get('health', 'error')}  retry in {self.interval:.0f}s  "
                      f"attempt {self.failures}  last ok {last_ok}")
        banner.add_class("shown")
        self.query_one("#header", Static).update(self._header_text(False))
        if self.last_good is not None:
            self._render_panels(self.last_good, stale=snapshot.taken_at - self.last_good.taken_at)

    def _header_text(self, online: bool | None) -> str:
        lamp = "● ONLINE" if online else "○ OFFLINE"
        cursor = "█" if self.app.animation_level != "none" and online else " "
        return f"BITSOTA POOL MONITOR  {self.pool_url}  {self.task_type}  {lamp}  {_clock(self.clock())} UTC {cursor}"

    def _render_panels(self, snapshot: Snapshot, stale: float | None) -> None:
        texts = {
            "health": self._health_text(snapshot), "miners": self._miners_text(snapshot),
            "throughput": self._throughput_text(snapshot), "consensus": self._consensus_text(snapshot),
            "sota": self._sota_text(snapshot),
        }
        for name, text in texts.items():
            panel = self.query_one(f"#{name}", Static)
            panel.update(text + (f"\nstale {stale:.0f}s" if stale is not None else ""))
            panel.set_class(stale is not None, "stale")
        self._render_leaderboard(snapshot)

    def _health_text(self, s: Snapshot) -> str:
        h = s.health or {}
        length, remaining = dig(h, "window_length_s"), dig(h, "time_remaining_s")
        bar = ""
        if length and remaining is not None:
            done = int(20 * (1 - remaining / length))
            bar = "\n[" + "#" * done + "." * (20 - done) + "]"
        server = dig(h, "server_time")
        skew = f"{server - s.taken_at:+.0f}s" if server is not None else "—"
        return (f"status {dig(h, 'status', kind=str) or '—'}  window {fmt(dig(h, 'window_number'))}\n"
                f"ends in {mmss(remaining)}{bar}\nblock {fmt(dig(h, 'current_block'))}  skew {skew}")

    def _miners_text(self, s: Snapshot) -> str:
        if s.summary is None:
            return f"n/a  summary: {s.errors.get('summary', '')}"
        kinds = dig(s.summary, "tasks", "by_kind", kind=dict) or {}
        per_kind = "  ".join(f"{k} {fmt(dig(kinds, k, 'active', kind=int))}" for k in ("evolve", "evaluate", "lease"))
        return (f"{fmt(dig(s.summary, 'miners', 'online', kind=int))} / {fmt(dig(s.summary, 'miners', 'total', kind=int))}"
                f" online\nactive {fmt(dig(s.summary, 'miners', 'with_active_assignment', kind=int))}\n{per_kind}")

    def _throughput_text(self, s: Snapshot) -> str:
        if s.summary is None:
            return f"n/a  summary: {s.errors.get('summary', '')}"
        t = dig(s.summary, "tasks", kind=dict) or {}
        return (f"issued {fmt(dig(t, 'issued_1m', kind=int))}/min  done {fmt(dig(t, 'completed_1m', kind=int))}/min\n"
                f"expired {fmt(dig(t, 'expired_15m', kind=int))}  overdue {fmt(dig(t, 'overdue', kind=int))} (15m)\n"
                f"{sparkline(self.completions) or '—'}")

    def _consensus_text(self, s: Snapshot) -> str:
        if s.summary is None:
            return f"n/a  summary: {s.errors.get('summary', '')}"
        c = dig(s.summary, "consensus", kind=dict) or {}
        rate = dig(c, "rate_window")
        rate_text = "—" if rate is None else (f"{rate * 100:.0f}%" if rate >= 0.5 else f"[#ffb000]{rate * 100:.0f}%[/]")
        agree, disagree = dig(c, "agreements_window", kind=int) or 0, dig(c, "disagreements_window", kind=int) or 0
        ratio = f"{agree / (agree + disagree):.2f}" if agree + disagree else "—"
        return (f"rate {rate_text}\npending {fmt(dig(c, 'pending', kind=int))}  reached "
                f"{fmt(dig(c, 'reached_window', kind=int))}  none {fmt(dig(c, 'no_consensus_window', kind=int))}\n"
                f"agreement {ratio}")

    def _sota_text(self, s: Snapshot) -> str:
        sota = sota_fields(s)
        if s.summary is None and s.sota is None:
            return f"n/a  {s.errors.get('sota', '')}"
        relay = dig(s.summary, "relay", kind=dict) if s.summary is not None else None
        relay_line = "relay: off" if not relay or not relay.get("enabled") else \
            f"relay: {relay.get('last_outcome') or 'waiting'}"
        return (f"{fmt(sota['score'], '.6f')}\nalgorithm {fmt(sota['algorithm_id'])}  by "
                f"{short_hotkey(sota['miner_hotkey'])}\n{sparkline(sota['history']) or '—'}\n{relay_line}")

    def _render_leaderboard(self, s: Snapshot) -> None:
        table = self.query_one(DataTable)
        rows = leaderboard_rows(s) or []
        wanted = {}
        for row in rows:
            key = str(row.get("hotkey"))
            wanted[key] = (fmt(dig(row, "rank", kind=int)), short_hotkey(row.get("hotkey")),
                           fmt(dig(row, "reputation"), ".1f"), fmt(dig(row, "window_reputation"), ".1f"),
                           f"{fmt(dig(row, 'evaluations', kind=int))}/{fmt(dig(row, 'evolutions', kind=int))}")
        for key in [k.value for k in list(table.rows)]:
            if key not in wanted:
                table.remove_row(key)
        for key, cells in wanted.items():
            if key in [k.value for k in table.rows]:
                for column, value in zip(("rank", "hotkey", "rep", "window", "work"), cells):
                    table.update_cell(key, column, value)
            else:
                table.add_row(*cells, key=key)
        table.sort("rank", key=lambda rank: int(rank) if rank.isdigit() else 10**9)

    def _local_event(self, message: str) -> None:
        self._push(f"{_clock(self.clock())} local {message}")

    def _push(self, line: str) -> None:
        self.ticker = ([line] + self.ticker)[:TICKER_LINES]

    def _render_ticker(self) -> None:
        self.query_one("#events", Static).update("\n".join(self.ticker) or "—")
