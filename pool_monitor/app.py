"""The standalone monitor app (pool.md §7.1, §7.3 keys, §7.4 themes)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.theme import Theme

from pool_monitor.widget import PoolMonitor

RETRO_THEME = Theme(
    name="bitsota-retro", primary="#33ff33", secondary="#1a9c1a", accent="#66ff66", foreground="#33ff33",
    background="#000000", surface="#000000", panel="#001a00", success="#33ff33", warning="#ffb000",
    error="#ff4040", dark=True,
)
THEMES = {"retro": "bitsota-retro", "ansi": "ansi-dark"}


class PoolMonitorApp(App):
    TITLE = "BitSota pool monitor"
    BINDINGS = [("q", "quit", "Quit"), ("ctrl+q", "quit", "Quit"), ("ctrl+c", "quit", "Quit"),
                ("r", "refresh", "Poll now"), ("p", "pause", "Pause"), ("t", "toggle_theme", "Theme")]

    def __init__(self, pool_url: str, task_type: str = "cifar10_binary", *, interval_s: float = 2.0, top: int = 10,
                 monitor_token: str | None = None, theme: str = "retro", autostart: bool = True, clock=None):
        super().__init__()
        self.register_theme(RETRO_THEME)
        self.theme_choice = theme if theme in THEMES else "retro"
        extra = {"clock": clock} if clock is not None else {}
        self.monitor = PoolMonitor(pool_url, task_type, interval_s=interval_s, top=top, monitor_token=monitor_token,
                                   retro=self.theme_choice == "retro", autostart=autostart, **extra)

    def compose(self) -> ComposeResult:
        yield self.monitor

    def on_mount(self) -> None:
        self.theme = THEMES[self.theme_choice]

    def action_refresh(self) -> None:
        self.monitor.poll_now()

    def action_pause(self) -> None:
        self.monitor.toggle_pause()

    def action_toggle_theme(self) -> None:
        self.theme_choice = "ansi" if self.theme_choice == "retro" else "retro"
        self.theme = THEMES[self.theme_choice]
        self.monitor.set_class(self.theme_choice == "retro", "retro")
