"""`PoolMonitor`: the retro pool monitor widget (pool.md §7.2-§7.5), embedded by the TUI's Pool tab.

Polls never overlap: one exclusive worker runs a poll, and only when it has finished is the next one armed
with `set_timer`, max(0.1 s, interval − elapsed) later. A poll that falls due while the widget is hidden (the
TUI's Pool tab not selected) waits until it is shown again.

Layout (§7.3): a one-line header, the banner when the pool is unreachable, two rows of fixed-height panels, then
the leaderboard and the events ticker: side by side from 110 columns up, stacked below that (80×24 fits).
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
from textual.app import ComposeResult
from textual.containers import Container, Grid, Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Digits, Static

from core.tls import client_context
from pool_monitor.client import Snapshot, fetch_snapshot, request_timeout
from pool_monitor.model import (
    dig,
    events,
    fmt,
    iso_age,
    leaderboard_rows,
    mmss,
    short_hotkey,
    sota_fields,
    sparkline,
)

MIN_DELAY_S = 0.1
MAX_BACKOFF_S = 10.0
FAILURES_BEFORE_BACKOFF = 3
TICKER_LINES = 200
HISTORY = 30
WIDE = 110
HEALTH_BAR = 8

CSS = """
PoolMonitor { height: 1fr; layout: vertical; }
PoolMonitor #header { height: 1; background: $panel; color: $text; }
PoolMonitor #title { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
PoolMonitor #lamp { width: auto; }
PoolMonitor #banner { height: 1; display: none; background: $error; color: $background; text-style: bold;
                      text-wrap: nowrap; text-overflow: ellipsis; }
PoolMonitor #banner.shown { display: block; }
PoolMonitor #panels { height: 10; grid-size: 3 2; grid-columns: 1fr 1fr 1fr; grid-rows: 5; grid-gutter: 0; }
PoolMonitor .panel { height: 5; border: heavy $success; border-title-style: reverse; padding: 0 1;
                     text-wrap: nowrap; text-overflow: ellipsis; }
PoolMonitor #sota { column-span: 2; }
PoolMonitor #sota-score { width: auto; }
PoolMonitor #sota-info { width: 1fr; margin-left: 2; text-wrap: nowrap; text-overflow: ellipsis; }
PoolMonitor .stale { opacity: 0.6; }
PoolMonitor #lower { height: 1fr; layout: vertical; }
PoolMonitor #leaderboard { height: auto; max-height: 8; border: heavy $success; border-title-style: reverse; }
PoolMonitor #events { height: 1fr; min-height: 3; border: heavy $success; border-title-style: reverse; padding: 0 1;
                      text-wrap: nowrap; text-overflow: ellipsis; }
PoolMonitor.wide #lower { layout: horizontal; }
PoolMonitor.wide #leaderboard { width: 48; height: 1fr; max-height: 100%; }
PoolMonitor.wide #events { width: 1fr; }
PoolMonitor.retro { background: #000000; color: #33ff33; }
PoolMonitor.retro .panel, PoolMonitor.retro #leaderboard, PoolMonitor.retro #events { border: heavy #33ff33; }
PoolMonitor.retro #header { background: #000000; color: #66ff66; }
PoolMonitor.retro #banner { background: #ff4040; color: #000000; }
"""

TEXT_PANELS = ("health", "miners", "throughput", "consensus")
TITLES = {"health": "POOL HEALTH", "miners": "MINERS ONLINE", "throughput": "THROUGHPUT", "consensus": "CONSENSUS",
          "sota": "POOL SOTA"}


def _clock(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%H:%M:%S")


class PoolMonitor(Widget):
    DEFAULT_CSS = CSS

    def __init__(self, pool_url: str, task_type: str = "cifar10_binary", *, interval_s: float = 2.0,
                 top: int = 10, monitor_token: str | None = None, retro: bool = True, autostart: bool = True,
                 clock=time.time, **kwargs):
        super().__init__(**kwargs)
        self.pool_url, self.task_type = pool_url.rstrip("/"), task_type
        self.base_interval = max(0.5, interval_s)
        self.interval = self.base_interval
        self.top, self.token, self.clock = top, monitor_token, clock
        self.last_good: Snapshot | None = None
        self.last_ok_ts: float | None = None
        self.failures = 0
        self.polling = False
        self.paused = False
        self.shown = False
        self.poll_due = autostart  # a poll waiting for the widget to be shown; the first one starts on show
        self.polls_started = 0
        self.completions: list = []
        self.seen_events: set = set()
        self.ticker: list[str] = []
        if retro:
            self.add_class("retro")

    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Static(f"BITSOTA POOL MONITOR  {self.pool_url}  {self.task_type}", id="title")
            yield Static(self._lamp_text(None), id="lamp")
        yield Static("", id="banner")
        with Grid(id="panels"):
            for name in TEXT_PANELS:
                yield self._titled(Static("—", id=name, classes="panel"), name)
            with self._titled(Horizontal(id="sota", classes="panel"), "sota"):
                yield Digits("-", id="sota-score")
                yield Static("—", id="sota-info")
        with Container(id="lower"):
            table: DataTable = DataTable(id="leaderboard", cursor_type="none", show_cursor=False)
            table.border_title = "LEADERBOARD"
            yield table
            ticker = Static("", id="events")
            ticker.border_title = "EVENTS"
            yield ticker

    @staticmethod
    def _titled(widget: Widget, name: str) -> Widget:
        widget.border_title = TITLES[name]
        return widget

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("rank", "#"), ("hotkey", "miner"), ("rep", "rep"), ("window", "window"), ("work", "eval/evo")):
            table.add_column(label, key=key)
        self._apply_width()

    def on_resize(self) -> None:
        self._apply_width()

    def on_show(self) -> None:
        self.shown = True
        if self.poll_due:
            self.poll_now()

    def on_hide(self) -> None:
        self.shown = False

    def _apply_width(self) -> None:
        self.set_class(self.size.width >= WIDE, "wide")

    # -------------------------------------------------------------- polling

    def poll_now(self) -> None:
        """Start a poll unless one is in flight (the `r` key)."""
        if not self.polling:
            self.polling, self.poll_due = True, False
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
            async with httpx.AsyncClient(base_url=self.pool_url, timeout=timeout, verify=client_context()) as http:
                snapshot = await fetch_snapshot(http, self.pool_url, self.task_type, self.top, self.token, self.clock())
            if self.is_attached and self.app.is_running:  # the app may be shutting down around the poll
                self.apply(snapshot)
        finally:
            self.polling = False
            if not self.paused and self.is_mounted:
                self.set_timer(max(MIN_DELAY_S, self.interval - (time.monotonic() - started)), self._poll_when_shown)

    def _poll_when_shown(self) -> None:
        if self.shown and not self.paused:
            self.poll_now()
        else:
            self.poll_due = not self.paused

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
        self.query_one("#lamp", Static).update(self._lamp_text(True))

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
        self.query_one("#lamp", Static).update(self._lamp_text(False))
        if self.last_good is not None:
            self._render_panels(self.last_good, stale=snapshot.taken_at - self.last_good.taken_at)

    def _lamp_text(self, online: bool | None) -> str:
        """Status lamp, UTC clock and the blinking cursor, kept whole at the header's right end."""
        lamp = "● ONLINE" if online else "○ OFFLINE"
        cursor = "[blink]█[/]" if self.app.animation_level != "none" and online else " "
        return f" {lamp} {_clock(self.clock())}Z {cursor}"

    def _render_panels(self, snapshot: Snapshot, stale: float | None) -> None:
        texts = {"health": self._health_text(snapshot), "miners": self._miners_text(snapshot),
                 "throughput": self._throughput_text(snapshot), "consensus": self._consensus_text(snapshot)}
        for name, text in texts.items():
            self.query_one(f"#{name}", Static).update(text)
        self._render_sota(snapshot)
        stale_mark = f"stale {stale:.0f}s" if stale is not None else ""
        subtitles = dict.fromkeys(TEXT_PANELS, stale_mark)
        subtitles["sota"] = "  ".join(filter(None, (self._relay_text(snapshot), stale_mark)))
        subtitles["leaderboard"] = stale_mark
        for name, subtitle in subtitles.items():
            panel = self.query_one(f"#{name}")
            panel.set_class(stale is not None, "stale")
            panel.border_subtitle = subtitle
        self._render_leaderboard(snapshot)

    def _health_text(self, s: Snapshot) -> str:
        h = s.health or {}
        length, remaining = dig(h, "window_length_s"), dig(h, "time_remaining_s")
        bar = ""
        if length and remaining is not None:
            done = min(HEALTH_BAR, max(0, int(HEALTH_BAR * (1 - remaining / length))))
            bar = " [" + "#" * done + "." * (HEALTH_BAR - done) + "]"
        server = dig(h, "server_time")
        skew = f"{server - s.taken_at:+.0f}s" if server is not None else "—"
        return (f"{dig(h, 'status', kind=str) or '—'}  window {fmt(dig(h, 'window_number'))}\n"
                f"ends {mmss(remaining)}{bar}\nblock {fmt(dig(h, 'current_block'))}  skew {skew}")

    @staticmethod
    def _no_summary(s: Snapshot) -> str:
        return f"n/a\nsummary: {s.errors.get('summary', '')}"

    def _miners_text(self, s: Snapshot) -> str:
        if s.summary is None:
            return self._no_summary(s)
        kinds = dig(s.summary, "tasks", "by_kind", kind=dict) or {}
        active = {k: fmt(dig(kinds, k, "active", kind=int)) for k in ("evolve", "evaluate", "lease")}
        return (f"{fmt(dig(s.summary, 'miners', 'online', kind=int))} / {fmt(dig(s.summary, 'miners', 'total', kind=int))}"
                f" online\nactive {fmt(dig(s.summary, 'miners', 'with_active_assignment', kind=int))}  "
                f"lease {active['lease']}\nevolve {active['evolve']}  evaluate {active['evaluate']}")

    def _throughput_text(self, s: Snapshot) -> str:
        if s.summary is None:
            return self._no_summary(s)
        t = dig(s.summary, "tasks", kind=dict) or {}
        return (f"issued {fmt(dig(t, 'issued_1m', kind=int))}/m  done {fmt(dig(t, 'completed_1m', kind=int))}/m\n"
                f"expired {fmt(dig(t, 'expired_15m', kind=int))}  overdue {fmt(dig(t, 'overdue', kind=int))}\n"
                f"{sparkline(self.completions, width=20) or '—'}")

    def _consensus_text(self, s: Snapshot) -> str:
        if s.summary is None:
            return self._no_summary(s)
        c = dig(s.summary, "consensus", kind=dict) or {}
        rate = dig(c, "rate_window")
        rate_text = "—" if rate is None else (f"{rate * 100:.0f}%" if rate >= 0.5 else f"[#ffb000]{rate * 100:.0f}%[/]")
        agree, disagree = dig(c, "agreements_window", kind=int) or 0, dig(c, "disagreements_window", kind=int) or 0
        ratio = f"{agree / (agree + disagree):.2f}" if agree + disagree else "—"
        return (f"rate {rate_text}  agree {ratio}\npending {fmt(dig(c, 'pending', kind=int))}  reached "
                f"{fmt(dig(c, 'reached_window', kind=int))}\nno consensus {fmt(dig(c, 'no_consensus_window', kind=int))}")

    def _render_sota(self, s: Snapshot) -> None:
        sota = sota_fields(s)
        self.query_one("#sota-score", Digits).update(fmt(sota["score"], ".6f") if sota["score"] is not None else "-")
        info = self.query_one("#sota-info", Static)
        if s.summary is None and s.sota is None:
            info.update(f"n/a\n{s.errors.get('sota', '')}")
        else:
            info.update(f"algorithm {fmt(sota['algorithm_id'])}  {iso_age(sota['updated_at'], s.taken_at)}\n"
                        f"by {short_hotkey(sota['miner_hotkey'])}\n{sparkline(sota['history'], width=24) or '—'}")

    def _relay_text(self, s: Snapshot) -> str:
        relay = dig(s.summary, "relay", kind=dict) if s.summary is not None else None
        if not relay or not relay.get("enabled"):
            return "relay: off"
        outcome = dig(relay, "last_outcome", kind=str)
        if outcome is None:
            return "relay: waiting"
        return f"relay: {outcome} {iso_age(dig(relay, 'last_attempt_at', kind=str), s.taken_at)} ago"

    def _render_leaderboard(self, s: Snapshot) -> None:
        table = self.query_one(DataTable)
        rows = leaderboard_rows(s) or []
        wanted = {}
        for row in rows:
            key = str(row.get("hotkey"))
            wanted[key] = (fmt(dig(row, "rank", kind=int)), short_hotkey(row.get("hotkey")),
                           fmt(dig(row, "reputation"), ".1f"), fmt(dig(row, "window_reputation"), ".1f"),
                           f"{fmt(dig(row, 'evaluations', kind=int))}/{fmt(dig(row, 'evolutions', kind=int))}")
        for key in [k.value for k in list(table.rows) if k.value is not None]:
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
