"""The Services tab (tui.md §3.2, `--local`): the relay's and the validator's pid, port and health, the
validator's latest stats line, the latest SOTA events, and the tails of both services' logs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Log, Static

from tui.logic.dashboard import Event, clock_text
from tui.logic.file_tail import FileTail
from tui.logic.log_lines import line_level
from tui.widgets.text import show

SERVICES_LOG_LINES = 2000
STATS_MARK = "polls="  # what the validator's stats line starts with (validator.stats)


class ServicesPane(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._tails: dict[str, FileTail] = {}
        self._validator_stats = "-"

    def compose(self) -> ComposeResult:
        yield Static("", id="services-status")
        yield Log(max_lines=SERVICES_LOG_LINES, id="services-log")

    def on_mount(self) -> None:
        self.query_one("#services-log", Log).border_title = "Relay and validator logs"

    def show(self, services, sota_events: list[Event]) -> list[str]:
        """Show the services' state and new log lines; returns the new warning and error lines, which the
        Mining tab's logs pane shows too."""
        if services is None:
            return []
        lines = self._new_log_lines(services)
        if lines:
            self.query_one("#services-log", Log).write_lines(lines)
        status = [f"relay      pid {services.relay.pid}  port {services.relay_port}  "
                  f"{'up' if services.relay.alive() else 'down'}",
                  f"validator  pid {services.validator.pid}  {'up' if services.validator.alive() else 'down'}",
                  f"validator stats: {self._validator_stats}",
                  "SOTA events: " + ("; ".join(f"{clock_text(e.ts)} {e.text}" for e in sota_events) or "none yet")]
        show(self.query_one("#services-status", Static), "\n".join(status))
        return [line for line in lines if line_level(line) in ("warning", "error")]

    def _new_log_lines(self, services) -> list[str]:
        lines = []
        for name, child in (("relay", services.relay), ("validator", services.validator)):
            tail = self._tails.get(name)
            if tail is None or tail.path != child.log_path:
                tail = self._tails[name] = FileTail(child.log_path)
            for line in tail.read_lines():
                if name == "validator" and STATS_MARK in line:
                    self._validator_stats = line[line.index(STATS_MARK):]
                lines.append(f"[{name}] {line}")
        return lines
