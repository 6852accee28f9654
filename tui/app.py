"""The bitsota-tui App (tui.md): tabs, bindings, palette, the start sequence and the non-overlapping poll loop.

Blocking work (HTTP, processes) runs in thread workers that call the headless `MiningSession`; results come
back as Messages and are applied to the panes in one batch.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import httpx
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Container, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.theme import Theme
from textual.widgets import DataTable, Footer, Log, Static, TabbedContent, TabPane

from pool_monitor.widget import PoolMonitor
from tui import cli
from tui.driver import HangupSafeDriver, TerminalLost
from tui.logic import auto_start, clock, tui_log
from tui.logic.files import bitsota_home, logs_dir, read_json_object, write_json_atomic
from tui.logic.state_file import load_state
from tui.logic.stats import stats_from_state
from tui.logic.themes import RETRO_THEME, pick_theme
from tui.logic.updates import CHECK_INTERVAL_S, announcement, newer_version
from tui.logic.wallets import (
    WalletEntry,
    create_test_keys,
    discover,
    ensure_local_keys,
    find,
    import_hotkey,
    load_keypair,
    search_roots,
    short_address,
)
from tui.screens.help import HelpScreen
from tui.services import processes, relay_calls
from tui.services.pool_mode import job_counts, pool_problem
from tui.services.quit_signals import QuitSignals
from tui.services.session import MiningSession, StartOutcome
from tui.widgets.candidates_table import CandidatesTable, CandidateStrip
from tui.widgets.controls import SCALAR_NOTICE, TASK_LABELS, MiningControls
from tui.widgets.log_pane import LogPane
from tui.widgets.modals import (
    CandidateModal,
    ColdkeyModal,
    DatasetModal,
    ImportModal,
    InviteModal,
    MessageModal,
    NewHotkeyModal,
    PasswordModal,
    QuitModal,
    WelcomeModal,
)
from tui.widgets.sota_panel import SotaPanel
from tui.widgets.stats import StatsPane

POLL_INTERVAL_S = 1.0
TABS = ("mining", "candidates", "pool", "wallet", "services")
SERVICES_LOG_LINES = 2000
RETRO = Theme(name=RETRO_THEME, primary="#33ff33", secondary="#22aa22", accent="#66ff66", foreground="#33ff33",
              background="#000000", surface="#001100", panel="#002200", dark=True)


def runtime_text(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}h {seconds % 3600 // 60}m {seconds % 60}s"


class PollDone(Message):
    pass


class StartDone(Message):
    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__()
        self.outcome, self.detail = outcome, detail


class StartupDone(Message):
    pass


class BitsotaCommands(Provider):
    """Palette entries of tui.md §12.2 next to Textual's built-ins."""

    def _commands(self) -> list[tuple[str, str, str]]:
        return [
            ("Start mining", "start_mining", "Run the start sequence"),
            ("Stop mining", "stop_mining", "Stop the miner"),
            ("Restart sidecar", "restart_sidecar", "Stop mining and start a fresh sidecar"),
            ("Switch task type", "next_task_type", "Cycle the task type"),
            ("Set workers", "next_workers", "Cycle the worker count"),
            ("Select wallet", "tab('wallet')", "Open the Wallet tab"),
            ("Create test hotkey", "new_hotkey", "A fresh unencrypted TEST hotkey"),
            ("Import hotkey", "import_hotkey", "Import a hotkey from its mnemonic"),
            ("Set coldkey address", "set_coldkey", "Where rewards go"),
            ("Copy hotkey address", "copy_address", "OSC 52 copy"),
            ("Copy candidate DSL", "copy_dsl", "The selected candidate's DSL"),
            ("Re-verify candidate", "reverify", "Re-score the selected candidate"),
            ("Export candidates", "export_candidates", "Write candidates as JSON lines"),
            ("Clear logs", "clear_logs", "Empty the logs pane"),
            ("Toggle log follow", "toggle_follow", "Pause or resume following the logs"),
            ("Open pool monitor", "tab('pool')", "The Pool tab"),
            ("Show config paths", "show_paths", "Which config files are in use"),
            ("Open log file location", "show_log_dir", "Where the logs are written"),
            ("Check for updates", "check_updates", "Compare with the update manifest"),
            ("User guide", "user_guide", "The welcome guide"),
            ("Change theme", "change_theme", "Pick a theme"),
            ("Screenshot", "screenshot", "Save an SVG screenshot"),
        ]

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.run_action, action), help=help_text)


class BitsotaApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "bitsota"
    COMMANDS = App.COMMANDS | {BitsotaCommands}
    BINDINGS = [
        Binding("q", "request_quit", "Quit", id="app.quit", tooltip="Quit (asks when mining processes run)"),
        Binding("ctrl+q", "quit_now", "Quit now", priority=True, show=False, id="app.quit_now",
                tooltip="Quit at once with the default policy"),
        Binding("ctrl+c", "quit_now", "Quit now", priority=True, show=False, id="app.interrupt",
                tooltip="Quit at once with the default policy"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="All key bindings"),
        Binding("s", "toggle_mining", "Start/Stop", id="app.toggle_mining", tooltip="Start or stop mining"),
        Binding("1", "tab('mining')", "Mining", show=False, id="app.tab1", tooltip="Mining tab"),
        Binding("2", "tab('candidates')", "Candidates", show=False, id="app.tab2", tooltip="Candidates tab"),
        Binding("3", "tab('pool')", "Pool", show=False, id="app.tab3", tooltip="Pool tab"),
        Binding("4", "tab('wallet')", "Wallet", show=False, id="app.tab4", tooltip="Wallet tab"),
        Binding("5", "tab('services')", "Services", show=False, id="app.tab5", tooltip="Services tab"),
        Binding("space", "toggle_follow", "Follow", id="app.follow", tooltip="Pause/resume log follow"),
        Binding("ctrl+l", "clear_logs", "Clear logs", id="app.clear_logs", tooltip="Clear the logs pane"),
        Binding("c", "copy", "Copy", id="app.copy", tooltip="Copy the address or DSL (OSC 52)"),
        # The Wallet tab's keys work whatever has focus on that tab (check_action limits them to it).
        Binding("n", "wallet_key('action_new_hotkey')", "New test hotkey", show=False, id="wallet.new",
                tooltip="Create an unencrypted TEST hotkey"),
        Binding("i", "wallet_key('action_import_hotkey')", "Import", show=False, id="wallet.import",
                tooltip="Import a hotkey from its mnemonic"),
        Binding("k", "wallet_key('action_set_coldkey')", "Coldkey", show=False, id="wallet.coldkey",
                tooltip="Set the coldkey address"),
        Binding("r", "wallet_key('rescan_wallets')", "Rescan", show=False, id="wallet.rescan",
                tooltip="Look for wallets again"),
    ]

    def __init__(self, session: MiningSession, args, warnings: Sequence[str] = (), *, start_services: bool = True,
                 welcome: bool | None = None) -> None:
        super().__init__(driver_class=HangupSafeDriver)
        self.session = session
        self.args = args
        self.warnings = list(warnings)
        self.start_services = start_services
        self.welcome = welcome
        self.wallets: list[WalletEntry] = []
        self.exit_message: str | None = None
        self._quitting = False
        self._signals: QuitSignals | None = None
        self._poll_armed = False
        self._started_up = False
        settings = session.config.settings
        auto, auto_warnings = auto_start.from_environment(args.auto_start, session.config.env)
        self.warnings += auto_warnings
        self._auto_start = auto.enabled
        self.initial_task = (args.task_type or auto.task_type
                             or ("scalar_linear" if session.config.local else "cifar10_binary"))
        self.initial_workers = args.workers or auto.workers or settings.miner_workers
        session.selected_task_type = self.initial_task
        self.register_theme(RETRO)
        self.theme = pick_theme(args.theme or settings.theme)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        settings = self.session.config.settings
        yield Static("", id="header-bar")
        with TabbedContent(initial="mining", id="tabs"):
            with TabPane("1 Mining", id="mining"):
                yield Static("", id="control-summary")
                with Container(id="mining-main"):
                    with Vertical(id="left"):
                        yield MiningControls(self.initial_task, self.initial_workers, settings.miner_workers,
                                             settings.pool_mode, id="controls")
                        yield StatsPane("", id="stats")
                    yield LogPane(settings.log_max_lines, id="logs")
                    yield SotaPanel(id="sota-panel")
                yield CandidateStrip("No candidates yet.", id="strip")
            with TabPane("2 Candidates", id="candidates"):
                yield CandidatesTable(id="candidates-table")
            with TabPane("3 Pool", id="pool"):
                yield Static("", id="pool-status")
                yield PoolMonitor(self.session.config.pool_url, pool_problem(self.initial_task),
                                  autostart=self.start_services, clock=clock.now, id="pool-monitor")
            with TabPane("4 Wallet", id="wallet"):
                yield Static("Enter select · n new test hotkey · i import · k set coldkey · c copy address · "
                             "r rescan", id="wallet-help")
                yield DataTable(id="wallet-table", cursor_type="row", zebra_stripes=True)
            with TabPane("5 Services", id="services"):
                yield Static("", id="services-status")
                yield Log(max_lines=SERVICES_LOG_LINES, id="services-log")
        yield Static("Please enlarge the terminal to at least 60×16.", id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#wallet-table", DataTable)
        for column in ("wallet", "hotkey", "address", "coldkey", "source", "encrypted"):
            table.add_column(column, key=column)
        if not (self.session.config.local or self.session.local_services):
            self.query_one("#tabs", TabbedContent).hide_tab("services")
        self._install_signal_handlers()
        self._apply_layout()
        self.set_interval(1.0, self._tick)
        self.refresh_panels()
        for warning in self.warnings:
            self.session.log(f"[warning] {warning}")
        self._maybe_welcome()
        if self.start_services:
            self._startup()
            if self.session.config.settings.check_updates:
                self.set_interval(CHECK_INTERVAL_S, partial(self._update_worker, True))

    def _install_signal_handlers(self) -> None:
        signals = QuitSignals(asyncio.get_running_loop(), self.action_quit_now, lambda: self._quitting,
                              self._exit_at_once)
        if signals.install():
            self._signals = signals

    def on_unmount(self) -> None:
        if self._signals is not None:
            self._signals.restore()

    def on_terminal_lost(self, _message: TerminalLost) -> None:
        """Like SIGHUP: an SSH drop without the signal still ends the app (§8.4)."""
        if self._signals is not None:
            self._signals.trigger(signal.SIGHUP)
        else:
            self.action_quit_now()

    def _exit_at_once(self, signum: int) -> None:
        """A SIGTERM during the quit path, or a quit past its deadline: no waiting for anything."""
        self.session.abandon(self.session.config.keep_running)
        if isinstance(self._driver, HangupSafeDriver):
            self._driver.restore_now()
        release_lock()
        os._exit(128 + signum)

    def _maybe_welcome(self) -> None:
        marker = bitsota_home() / ".welcomed"
        show = self.welcome if self.welcome is not None else not marker.exists()
        if show:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            self.push_screen(WelcomeModal())

    def on_resize(self) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        width, height = self.size
        self.screen.set_class(width >= 120, "-wide")
        self.screen.set_class(80 <= width < 120, "-medium")
        self.screen.set_class(width < 80, "-narrow")
        self.screen.set_class(height < 24, "-short")
        self.screen.set_class(height < 34, "-low")
        self.screen.set_class(width < 60 or height < 16, "-tiny")

    # ------------------------------------------------------------------ start-up
    @work(thread=True, exclusive=True, group="startup")
    def _startup(self) -> None:
        session = self.session
        session.reattach()
        if session.config.local and session.local_services is None:
            self._start_local_services()
        self.call_from_thread(self._load_wallets)
        self.post_message(StartupDone())
        if session.config.settings.check_updates:
            self._check_updates(quiet=True)

    def _start_local_services(self) -> None:
        from tui.services.local_stack import LocalStackError, start_local_services

        session = self.session
        try:
            services = start_local_services(session.config.env)
        except (LocalStackError, OSError) as exc:
            session.log(f"ERROR: {exc}")
            return
        session.local_services = services
        session.config.relay_url = services.relay_url
        session.log(f"Local relay on {services.relay_url} (pid {services.relay.pid}); "
                    f"validator pid {services.validator.pid}")
        session.save()

    def on_startup_done(self, _message: StartupDone) -> None:
        self._started_up = True
        session = self.session
        if session.local_services:
            session.config.relay_url = session.local_services.relay_url
            self.query_one("#tabs", TabbedContent).show_tab("services")
        if session.task_type:
            self._show_run_controls()
        self.refresh_panels()
        if session.running:
            self._auto_start = False  # a re-attached run is already mining
            self._arm_poll()
        else:
            self._refresh_sota()
        self._maybe_auto_start()

    def _show_run_controls(self) -> None:
        """The controls of a re-attached run show its task type, workers and pool mode."""
        controls = self.query_one(MiningControls)
        controls.set_task_type(self.session.task_type)
        if self.session.workers:
            controls.set_workers(int(self.session.workers))
        controls.set_pool_mode(self.session.pool_mode_name)

    def _maybe_auto_start(self) -> None:
        """`--auto-start`: start mining once, as soon as start-up is done and a wallet is loaded."""
        if self._auto_start and self._started_up and self.session.keypair is not None and not self.session.running:
            self._auto_start = False
            self.session.log("Auto-start: starting mining")
            self.action_start_mining()

    def _load_wallets(self) -> None:
        self.rescan_wallets()
        if self.session.keypair is not None:
            return
        if self.session.config.local and not self.args.wallet:
            self._select(ensure_local_keys())
            return
        saved = read_json_object(bitsota_home() / "wallet_settings.json")
        wallet = self.args.wallet or saved.get("last_wallet")
        hotkey = self.args.hotkey or (saved.get("last_hotkey") if not self.args.wallet else None)
        entry = find(self.wallets, wallet, hotkey) if wallet else None
        if saved.get("coldkey_address"):
            self.session.coldkey = saved["coldkey_address"]
        if entry is not None:
            self._select(entry)

    def rescan_wallets(self) -> None:
        self.wallets = discover(search_roots(self.args.wallet_path))
        table = self.query_one("#wallet-table", DataTable)
        table.clear()
        home = str(Path.home())
        for entry in self.wallets:
            source = str(entry.root).replace(home, "~", 1)
            label = f"{entry.wallet} (TEST)" if entry.is_test else entry.wallet
            table.add_row(label, entry.hotkey, entry.address or "-", entry.coldkey or "-", source,
                          "yes" if entry.encrypted else "no", key=entry.key)

    def _select(self, entry: WalletEntry, password: str | None = None) -> None:
        if entry.encrypted and password is None:
            self.push_screen(PasswordModal(f"{entry.wallet}/{entry.hotkey}"),
                             lambda answer: answer is not None and self._select(entry, answer))
            return
        try:
            keypair = load_keypair(entry, password)
        except Exception as exc:
            self.session.log(f"ERROR: {exc}")
            self.notify(str(exc), severity="error")
            return
        self.session.use_wallet(entry, keypair)
        self.session.log(f"Wallet loaded: {entry.wallet}/{entry.hotkey} ({short_address(entry.address)})")
        self.refresh_panels()
        self._maybe_auto_start()

    # ------------------------------------------------------------------ panels
    def _tick(self) -> None:
        if isinstance(self._driver, HangupSafeDriver):
            self._driver.check_terminal()
        self._update_header()
        snapshot = self.session.snapshot()
        if snapshot.cooldown_left > 0 or snapshot.pending:
            self._update_sota(snapshot)

    def _update_header(self) -> None:
        snap = self.session.snapshot()
        address = self.session.wallet.address if self.session.wallet else None
        mode = "TEST" if self.session.config.test_mode else "LIVE"
        connection = "Connected" if snap.connected else "Disconnected"
        if snap.relay_reachable is False and not self.session.shows_pool:
            connection += " │ [b]Relay unreachable[/b]"
        run = f"Running {runtime_text(clock.now() - snap.started_at)}" if snap.running and snap.started_at else "Idle"
        self.query_one("#header-bar", Static).update(
            f" [b]bitsota[/b] │ wallet {short_address(address)} │ [reverse] {mode} [/reverse] │ {connection} │ {run}")

    def _update_sota(self, snap) -> None:
        values = {"global": snap.global_sota, "local": snap.local_sota, "verified": snap.best_verified,
                  "engine": snap.engine_best}
        title = "Pool SOTA" if snap.task_type == "pool" else "Global SOTA"
        self.query_one(SotaPanel).show(values, snap.history, snap.cooldown_left, snap.pending, title)

    def refresh_panels(self) -> None:
        """Apply everything the session produced since the last call, in one batch."""
        try:
            self._refresh_panels()
        except NoMatches:  # a worker finished while the app was tearing its screen down
            pass

    def _refresh_panels(self) -> None:
        session = self.session
        snap = session.snapshot()
        lines = session.drain_lines()
        tui_log.tee(lines)
        self.query_one(LogPane).add_lines(lines)
        rows = session.drain_rows()
        if rows:
            self.query_one(CandidatesTable).upsert(rows)
        self.query_one(CandidateStrip).show(list(session.rows.values())[-5:])
        self.query_one(StatsPane).show(stats_from_state(snap.state), snap.local_sota)
        self._update_sota(snap)
        controls = self.query_one(MiningControls)
        controls.set_running(snap.running)
        task = snap.task_type if snap.running else controls.task_type
        self.query_one("#control-summary", Static).update(
            f"{TASK_LABELS.get(task, task)} · {snap.workers if snap.running else controls.worker_count} workers · "
            f"{'Running' if snap.running else 'Idle'} (s)")
        self._update_header()
        self._update_services()
        self._update_pool_status(snap)

    def _update_pool_status(self, snap) -> None:
        pool_mode = self.session.pool_mode
        if pool_mode is not None:
            lines = pool_mode.status_lines(snap.state)
        else:
            lines = ["Coordinator: idle (choose Task Type \"Pool\" and start mining)",
                     job_counts(snap.state) if snap.running else "Sidecar jobs: -"]
        self.query_one("#pool-status", Static).update("\n".join([f"Pool API:    {self.session.config.pool_url}", *lines]))

    def _update_services(self) -> None:
        services = self.session.local_services
        if services is None:
            return
        lines = [f"relay      pid {services.relay.pid}  port {services.relay_port}  "
                 f"{'up' if services.relay.alive() else 'down'}",
                 f"validator  pid {services.validator.pid}  {'up' if services.validator.alive() else 'down'}"]
        self.query_one("#services-status", Static).update("\n".join(lines))

    # ------------------------------------------------------------------ poll loop (§6)
    def _arm_poll(self) -> None:
        if not self._poll_armed:
            self._poll_armed = True
            self.set_timer(POLL_INTERVAL_S, self._poll)

    def _poll(self) -> None:
        self._poll_armed = False
        self._poll_worker()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _poll_worker(self) -> None:
        try:
            self.session.poll()
        finally:
            self.post_message(PollDone())

    def on_poll_done(self, _message: PollDone) -> None:
        self.refresh_panels()
        if self.session.running and not self._quitting:
            self._arm_poll()

    @work(thread=True, group="sota", exit_on_error=False)
    def _refresh_sota(self) -> None:
        self.session.refresh_sota(force=True)
        self.call_from_thread(self.refresh_panels)

    # ------------------------------------------------------------------ start / stop (§5, §8.2)
    def action_toggle_mining(self) -> None:
        if self.session.running:
            self.action_stop_mining()
        else:
            self.action_start_mining()

    def action_start_mining(self) -> None:
        controls = self.query_one(MiningControls)
        self._start_worker(controls.task_type, controls.worker_count, controls.pool_mode)

    @work(thread=True, exclusive=True, group="control", exit_on_error=False)
    def _start_worker(self, task_type: str, workers: int, pool_mode: str) -> None:
        outcome, detail = self.session.start(task_type, workers, pool_mode)
        self.post_message(StartDone(outcome, detail))

    def on_start_done(self, message: StartDone) -> None:
        self.refresh_panels()
        outcome = message.outcome
        if outcome == StartOutcome.STARTED:
            self._arm_poll()
        elif outcome == StartOutcome.NEED_WALLET:
            self.action_tab("wallet")
        elif outcome == StartOutcome.NEED_COLDKEY:
            self.push_screen(ColdkeyModal(), self._coldkey_answer)
        elif outcome == StartOutcome.NEED_INVITE:
            self.push_screen(InviteModal(self._link_invite), lambda code: code and self.action_start_mining())
        elif outcome == StartOutcome.DATASET:
            from core.datasets import data_dir

            self.push_screen(DatasetModal(message.detail, str(data_dir())),
                             lambda retry: retry and self.action_start_mining())

    def _coldkey_answer(self, address: str | None, restart: bool = True) -> None:
        if not address:
            return
        self.session.coldkey = address
        self.session.save_wallet_settings()
        if restart:
            self.action_start_mining()

    def _link_invite(self, code: str) -> str | None:
        return relay_calls.link_invite(self.session.config.relay_url, self.session.keypair, code, self.session.coldkey)

    def action_stop_mining(self) -> None:
        self._stop_worker()

    @work(thread=True, exclusive=True, group="control", exit_on_error=False)
    def _stop_worker(self) -> None:
        self.session.stop_mining()
        self.call_from_thread(self.refresh_panels)

    def action_restart_sidecar(self) -> None:
        self._restart_sidecar()

    @work(thread=True, exclusive=True, group="control", exit_on_error=False)
    def _restart_sidecar(self) -> None:
        session = self.session
        session.stop_mining()
        if session.sidecar_child is not None:
            processes.stop(session.sidecar_child)
            session.sidecar_child = None
        session.log("Sidecar stopped; the next start spawns a fresh one.")
        self.call_from_thread(self.refresh_panels)

    @on(MiningControls.StartStop)
    def _start_stop_pressed(self) -> None:
        self.action_toggle_mining()

    @on(MiningControls.SaveDefault)
    def _save_default(self) -> None:
        """The controls' gui config keys (§11.1): the Workers default and the Pool radio default."""
        controls = self.query_one(MiningControls)
        path = self._gui_config_path()
        saved = {"miner_workers": controls.worker_count, "pool_mode": controls.pool_mode}
        write_json_atomic(path, {**read_json_object(path), **saved})
        self.notify(f"Saved workers={saved['miner_workers']}, pool mode={saved['pool_mode']} to {path}")

    @on(MiningControls.TaskChanged)
    def _task_changed(self, message: MiningControls.TaskChanged) -> None:
        self.session.selected_task_type = message.task_type
        remote = not self.session.config.local and not self.session.config.settings.test_mode
        notice = message.task_type == "scalar_linear" and remote
        self.query_one(MiningControls).show_scalar_notice(notice)
        if notice:
            self.session.log(f"[warning] {SCALAR_NOTICE}")
        if self._started_up:
            self._refresh_sota()
        self.refresh_panels()

    def _gui_config_path(self) -> Path:
        from core.config import find_gui_config

        return find_gui_config(self.args.config) or bitsota_home() / "gui_config.json"

    # ------------------------------------------------------------------ quit (§8.4)
    def action_request_quit(self) -> None:
        if self.session.has_live_children() and not self.session.config.keep_running:
            self.push_screen(QuitModal(), self._quit_answer)
        else:
            self._quit(self.session.config.keep_running)

    def _quit_answer(self, answer: str | None) -> None:
        if answer is not None:
            self._quit(answer == "leave")

    def action_quit_now(self) -> None:
        self._quit(self.session.config.keep_running)

    def _quit(self, keep_running: bool) -> None:
        if self._quitting:
            return
        self._quitting = True
        self.run_worker(self._shutdown_session(keep_running), group="quit")

    async def _shutdown_session(self, keep_running: bool) -> None:
        self.exit_message = await asyncio.to_thread(self.session.shutdown, keep_running)
        self.exit(return_code=0)

    # ------------------------------------------------------------------ other actions
    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_user_guide(self) -> None:
        self.push_screen(WelcomeModal())

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        if tab == "services" and not self.session.local_services:
            return
        tabs.active = tab

    def action_toggle_follow(self) -> None:
        following = self.query_one(LogPane).toggle_follow()
        self.notify("Following logs" if following else "Log follow paused")

    def action_clear_logs(self) -> None:
        self.query_one(LogPane).clear_lines()

    def action_copy(self) -> None:
        if self.query_one("#tabs", TabbedContent).active == "candidates":
            self.action_copy_dsl()
        else:
            self.action_copy_address()

    def action_copy_address(self) -> None:
        address = self.session.wallet.address if self.session.wallet else None
        if not address:
            self.notify("No wallet loaded", severity="warning")
            return
        self.copy_to_clipboard(address)
        self.push_screen(MessageModal("Hotkey address (copied via OSC 52)", address))

    def _selected_row(self):
        seq = self.query_one(CandidatesTable).selected_seq()
        return self.session.rows.get(seq) if seq is not None else None

    def action_copy_dsl(self) -> None:
        row = self._selected_row()
        if row is None:
            self.notify("No candidate selected", severity="warning")
            return
        dsl = row.candidate.get("algorithm_dsl") or ""
        self.copy_to_clipboard(dsl)
        self.push_screen(MessageModal(f"Candidate #{row.seq} DSL (copied via OSC 52)", dsl))

    def action_reverify(self, seq: int | None = None) -> None:
        row = self.session.rows.get(seq) if seq is not None else self._selected_row()
        if row is not None:
            self._reverify_worker(row.seq)

    @work(thread=True, group="reverify", exit_on_error=False)
    def _reverify_worker(self, seq: int) -> None:
        self.session.reverify(seq)
        self.call_from_thread(self.refresh_panels)

    def action_export_candidates(self) -> None:
        path = logs_dir() / f"candidates-{self.session.run_id or 'none'}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for row in self.session.rows.values():
                handle.write(json.dumps({**row.candidate, "status": row.status, "reason": row.reason}) + "\n")
        self.notify(f"Exported {len(self.session.rows)} candidates to {path}")

    @on(DataTable.RowSelected, "#candidates-table")
    def _open_candidate(self, event: DataTable.RowSelected) -> None:
        row = self.session.rows.get(int(event.row_key.value))
        if row is not None:
            self.push_screen(CandidateModal(row, candidate_issues(row.candidate)),
                             partial(self._candidate_action, row))

    def _candidate_action(self, row, action: str | None) -> None:
        if action == "reverify":
            self.action_reverify(row.seq)
        elif action == "save":
            path = logs_dir() / f"candidate-{row.seq}.dsl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(row.candidate.get("algorithm_dsl") or "", encoding="utf-8")
            self.notify(f"Saved to {path}")

    @on(DataTable.RowSelected, "#wallet-table")
    def _wallet_selected(self, event: DataTable.RowSelected) -> None:
        entry = next((e for e in self.wallets if e.key == event.row_key.value), None)
        if entry is not None:
            self._select(entry)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "wallet_key":
            return True
        try:
            return len(self.screen_stack) == 1 and self.query_one("#tabs", TabbedContent).active == "wallet"
        except NoMatches:
            return False

    def action_wallet_key(self, method: str) -> None:
        getattr(self, method)()

    def action_new_hotkey(self) -> None:
        def create(name: str | None) -> None:
            if not name:
                return
            keys = create_test_keys(name)
            self.rescan_wallets()
            self._select(keys.entry)
            self.push_screen(MessageModal(
                "TEST keys created: write these mnemonics down now, they are shown once",
                f"coldkey: {keys.coldkey_mnemonic}\nhotkey:  {keys.hotkey_mnemonic}"))

        self.push_screen(NewHotkeyModal(), create)

    def action_import_hotkey(self) -> None:
        def imported(answer) -> None:
            if not answer:
                return
            entry = import_hotkey(*answer)
            self.rescan_wallets()
            self._select(entry)
            self.notify(f"Imported {entry.wallet}/{entry.hotkey}")

        self.push_screen(ImportModal(), imported)

    def action_set_coldkey(self) -> None:
        self.push_screen(ColdkeyModal(), partial(self._coldkey_answer, restart=False))

    def action_next_task_type(self) -> None:
        controls = self.query_one(MiningControls)
        order = list(TASK_LABELS)
        controls.set_task_type(order[(order.index(controls.task_type) + 1) % len(order)])

    def action_next_workers(self) -> None:
        controls = self.query_one(MiningControls)
        controls.set_workers({1: 2, 2: 4, 4: 8}.get(controls.worker_count, 1))

    def action_show_paths(self) -> None:
        config = self.session.config
        self.push_screen(MessageModal("Config paths", f"gui config: {self._gui_config_path()}\n"
                                                      f"problem config: {config.problem_config or '(built-in)'}\n"
                                                      f"state: {bitsota_home()}"))

    def action_show_log_dir(self) -> None:
        self.push_screen(MessageModal("Log files", str(logs_dir())))

    def action_check_updates(self) -> None:
        self._update_worker(False)

    @work(thread=True, group="updates", exit_on_error=False)
    def _update_worker(self, quiet: bool) -> None:
        self._check_updates(quiet)

    def _check_updates(self, quiet: bool) -> None:
        """At start and every 24 h a newer version shows a toast; from the palette the answer is always shown."""
        url = self.session.config.manifest_url()
        try:
            manifest = relay_calls.version_manifest(url)
        except (httpx.HTTPError, ValueError) as exc:
            if not quiet:
                self.call_from_thread(self.notify, f"Update check failed ({url}): {exc}", severity="warning")
            return
        if newer_version(manifest, cli.VERSION) is None:
            if not quiet:
                self.call_from_thread(self.notify, f"bitsota-tui {cli.VERSION} is up to date.")
            return
        text = announcement(manifest, cli.VERSION)
        self.session.log(f"[update] {text.splitlines()[0]}")
        if quiet:
            self.call_from_thread(self.notify, text, title="Update available", timeout=30)
        else:
            self.call_from_thread(self.push_screen, MessageModal("Update available", text))

    def action_screenshot(self) -> None:
        path = self.save_screenshot(path=str(logs_dir()))
        self.notify(f"Screenshot saved to {path}")


def candidate_issues(candidate: dict) -> list[str]:
    """Strict-check issues of a candidate's DSL (algorithm.md §5.3)."""
    try:
        from core.dsl import check_dsl

        return [f"line {i.line_no}: {i.message}" for i in check_dsl(candidate.get("algorithm_dsl") or "",
                                                                   int(candidate.get("input_dim") or 1))]
    except Exception as exc:
        return [str(exc)]


def print_status(as_json: bool) -> int:
    from sidecar.client import SidecarClient

    saved = load_state()
    report: dict = {"state_file": saved.to_json() if saved else None, "sidecar": None}
    if saved and saved.sidecar_url:
        try:
            with SidecarClient(saved.sidecar_url, timeout=1.0) as sidecar:
                report["sidecar"] = sidecar.state(run_id=saved.run_id)
        except Exception as exc:
            report["sidecar"] = {"error": str(exc)}
    if as_json:
        print(json.dumps(report, indent=2))
    elif saved is None:
        print("No bitsota-tui state file: nothing is running.")
    else:
        print(f"run {saved.run_id} task {saved.task_type} workers {saved.workers}")
        print(f"sidecar {saved.sidecar_url} pid {saved.sidecar_pid} owned={saved.sidecar_owned}")
        print(f"miner pid {saved.miner_pid}; services " + ", ".join(f"{s.name} pid {s.pid}" for s in saved.services))
        if report["sidecar"]:
            print(f"sidecar state: {json.dumps(report['sidecar'])}")
    return 0


def acquire_lock(enforced: bool) -> str | None:
    """Write our pid to ~/.bitsota/tui.lock; the error text when another live instance holds it."""
    from tui.logic.state_file import pid_alive

    path = bitsota_home() / "tui.lock"
    try:
        other = int(path.read_text().strip())
    except (OSError, ValueError):
        other = None
    if enforced and other and other != os.getpid() and pid_alive(other):
        return f"another bitsota-tui is running (pid {other})"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
    return None


def release_lock() -> None:
    path = bitsota_home() / "tui.lock"
    try:
        if path.read_text().strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parse_args(argv)
    if args.stop:
        from tui.services.session import stop_recorded

        saved = load_state()
        if saved is None:
            print("Nothing to stop (no state file).")
            return 0
        stopped = stop_recorded(saved)
        print(f"Stopped {stopped} process(es).")
        return 0
    if args.status:
        return print_status(args.json)
    from tui.services.configure import session_config

    try:
        config, warnings = session_config(args)
    except Exception as exc:
        print(f"bitsota-tui: error: {exc}", file=sys.stderr)
        return 1
    lock_error = acquire_lock(enforced=not config.test_mode)
    if lock_error:
        print(f"bitsota-tui: error: {lock_error}", file=sys.stderr)
        return 1
    log_handler = tui_log.start(args.log_file, clock.now())
    session = MiningSession(config)
    app = BitsotaApp(session, args, warnings)
    try:
        app.run(mouse=not args.no_mouse and config.settings.mouse)
    finally:
        if not app._quitting:
            app.exit_message = session.shutdown(config.keep_running)
        release_lock()
        tui_log.stop(log_handler)
    if app.exit_message:
        say(app.exit_message)
    return app.return_code or 0


def say(text: str) -> None:
    """Print after the app has ended; a terminal that went away meanwhile (EIO, EPIPE) is no error."""
    try:
        print(text, flush=True)
    except OSError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit-time flush goes nowhere
