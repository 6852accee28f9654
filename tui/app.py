"""The bitsota-tui App (tui.md): bindings, signals, quit, and routing of keys, palette actions and worker
messages to the main screen, its panes and the run control.

Blocking work (HTTP, processes) runs in thread workers (`tui.run_control`) that call the headless
`MiningSession`; results come back as messages (`tui.messages`) and the main screen applies them in one batch.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Sequence

import httpx
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.theme import Theme

from tui import cli
from tui.commands import BitsotaCommands
from tui.driver import HangupSafeDriver, TerminalLost
from tui.lock import release_lock
from tui.logic import auto_start
from tui.logic.files import bitsota_home, logs_dir
from tui.logic.themes import RETRO_THEME, pick_theme
from tui.logic.updates import CHECK_INTERVAL_S, announcement, fetch_manifest, newer_version
from tui.messages import PollDone, StartDone, StartupDone, WalletSelected
from tui.run_control import RunControl
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.services.quit_signals import QuitSignals
from tui.services.session import MiningSession
from tui.widgets.candidates_pane import CandidatesPane
from tui.widgets.controls import MiningControls
from tui.widgets.log_pane import LogPane
from tui.widgets.modals import MessageModal, QuitModal, WelcomeModal
from tui.widgets.wallet_pane import WalletPane

RETRO = Theme(name=RETRO_THEME, primary="#33ff33", secondary="#22aa22", accent="#66ff66", foreground="#33ff33",
              background="#000000", surface="#001100", panel="#002200", dark=True)


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
        Binding("e", "log_level", "Log level", show=False, id="app.log_level",
                tooltip="Cycle the log level shown: all, info+, warning+, error"),
        Binding("o", "log_source", "Log source", show=False, id="app.log_source",
                tooltip="Cycle the log source shown: all, miner, submitter, sidecar, relay, validator, tui"),
        Binding("c", "copy", "Copy", id="app.copy", tooltip="Copy the address or DSL (OSC 52)"),
        # The Wallet tab's keys work whatever has focus on that tab (check_action limits them to it).
        Binding("n", "wallet_key('new_hotkey')", "New test hotkey", show=False, id="wallet.new",
                tooltip="Create an unencrypted TEST hotkey"),
        Binding("i", "wallet_key('import_hotkey')", "Import", show=False, id="wallet.import",
                tooltip="Import a hotkey from its mnemonic"),
        Binding("k", "wallet_key('set_coldkey')", "Coldkey", show=False, id="wallet.coldkey",
                tooltip="Set the coldkey address"),
        Binding("r", "wallet_key('rescan')", "Rescan", show=False, id="wallet.rescan",
                tooltip="Look for wallets again"),
    ]

    def __init__(self, session: MiningSession, args, warnings: Sequence[str] = (), *, start_services: bool = True,
                 welcome: bool | None = None) -> None:
        super().__init__(driver_class=None if args.web_tab else HangupSafeDriver)  # a tab: textual-serve's driver
        self.session = session
        self.args = args
        self.warnings = list(warnings)
        self.start_services = start_services
        self.welcome = welcome
        self.exit_message: str | None = None
        self.quitting = False
        self._signals: QuitSignals | None = None
        settings = session.config.settings
        auto, auto_warnings = auto_start.from_environment(args.auto_start, session.config.env)
        self.warnings += auto_warnings
        self.initial_task = (args.task_type or auto.task_type or settings.task_type
                             or ("scalar_linear" if session.config.local else "cifar10_binary"))
        self.initial_workers = args.workers or auto.workers or settings.miner_workers
        session.select_task_type(self.initial_task)
        self.run_control = RunControl(self, session, auto.enabled, runs_startup=start_services)
        self.main = MainScreen(session, args, self.initial_task, self.initial_workers, start_services)
        self.register_theme(RETRO)
        self.theme = self._known_theme(pick_theme(args.theme or settings.theme))

    def _known_theme(self, name: str) -> str:
        """`--theme` is checked when parsed; a gui config theme that does not exist is named and ignored."""
        if name in self.available_themes:
            return name
        self.warnings.append(f"{self._gui_config_path()}: ignoring unknown theme={name!r}; "
                             f"themes: {', '.join(sorted(self.available_themes))}")
        return "textual-dark"

    def get_default_screen(self) -> MainScreen:
        return self.main

    def compose(self) -> ComposeResult:
        return self.main.compose_panes()

    def on_mount(self) -> None:
        self._install_signal_handlers()
        self.main.hide_services_tab_unless_local()
        self.main.apply_layout(*self.size)
        self.set_interval(1.0, self._tick)
        self.refresh_panels()
        for warning in self.warnings:
            self.session.log(f"[warning] {warning}")
        self._maybe_welcome()
        if self.start_services:
            self.run_control.startup()
            if self.session.config.settings.check_updates:
                self.set_interval(CHECK_INTERVAL_S, lambda: self._update_worker(True))

    def on_resize(self, event: events.Resize) -> None:
        self.main.apply_layout(*event.size)  # self.size still holds the old size here

    def _maybe_welcome(self) -> None:
        marker = bitsota_home() / ".welcomed"
        show = self.welcome if self.welcome is not None else not marker.exists()
        if show:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            self.push_screen(WelcomeModal())

    def _tick(self) -> None:
        if isinstance(self._driver, HangupSafeDriver):
            self._driver.check_terminal()
        self.main.tick()

    def refresh_panels(self) -> None:
        self.main.refresh_panels()

    # ------------------------------------------------------------------ signals (§8.4)
    def _install_signal_handlers(self) -> None:
        signals = QuitSignals(asyncio.get_running_loop(), self.action_quit_now, lambda: self.quitting,
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

    # ------------------------------------------------------------------ messages from workers and panes
    def on_startup_done(self, _message: StartupDone) -> None:
        self.run_control.startup_done()

    def on_poll_done(self, _message: PollDone) -> None:
        self.run_control.poll_done()

    def on_start_done(self, message: StartDone) -> None:
        self.run_control.start_done(message)

    def on_wallet_selected(self, _message: WalletSelected) -> None:
        self.refresh_panels()
        self.run_control.maybe_auto_start()

    @on(MiningControls.StartStop)
    def _start_stop_pressed(self) -> None:
        self.action_toggle_mining()

    @on(MiningControls.SaveDefault)
    def _save_default(self) -> None:
        self.main.save_default(self._gui_config_path())

    @on(MiningControls.TaskChanged)
    def _task_changed(self, message: MiningControls.TaskChanged) -> None:
        self.main.task_changed(message.task_type)
        if self.run_control.started_up:
            self.run_control.refresh_sota()
        self.refresh_panels()

    # ------------------------------------------------------------------ quit (§8.4)
    def action_request_quit(self) -> None:
        if self.session.has_live_children() and not self.session.config.keep_running:
            self.push_screen(QuitModal(self.session.mining_alive()), self._quit_answer)
        else:
            self._quit(self.session.config.keep_running)

    def _quit_answer(self, answer: str | None) -> None:
        if answer is not None:
            self._quit(answer == "leave")

    def action_quit_now(self) -> None:
        self._quit(self.session.config.keep_running)

    def _quit(self, keep_running: bool) -> None:
        if self.quitting:
            return
        self.quitting = True
        self.run_worker(self._shutdown_session(keep_running), group="quit")

    async def _shutdown_session(self, keep_running: bool) -> None:
        self.exit_message = await asyncio.to_thread(self.session.shutdown, keep_running)
        self.exit(return_code=0)

    # ------------------------------------------------------------------ mining actions
    def action_toggle_mining(self) -> None:
        self.run_control.toggle()

    def action_start_mining(self) -> None:
        self.run_control.start()

    def action_stop_mining(self) -> None:
        self.run_control.stop()

    def action_restart_sidecar(self) -> None:
        self.run_control.restart_sidecar()

    def action_reset_local_state(self) -> None:
        def reset() -> None:
            self.session.reset_local_state()
            self.call_from_thread(self.refresh_panels)

        self.run_worker(reset, thread=True, exclusive=True, group="control", exit_on_error=False)

    def action_next_task_type(self) -> None:
        self.main.next_task_type()

    def action_next_workers(self) -> None:
        self.main.next_workers()

    # ------------------------------------------------------------------ tabs, logs, copy
    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_user_guide(self) -> None:
        self.push_screen(WelcomeModal())

    def action_tab(self, tab: str) -> None:
        if tab == "services" and not self.session.local_services:
            return
        self.main.show_tab(tab)

    def action_toggle_follow(self) -> None:
        following = self.main.query_one(LogPane).toggle_follow()
        self.notify("Following logs" if following else "Log follow paused")

    def action_clear_logs(self) -> None:
        self.main.query_one(LogPane).clear_lines()

    def action_log_level(self) -> None:
        pane = self.main.query_one(LogPane)
        pane.set_filter(pane.log_filter.next_level())

    def action_log_source(self) -> None:
        pane = self.main.query_one(LogPane)
        pane.set_filter(pane.log_filter.next_source())

    def action_copy(self) -> None:
        if self.main.active_tab == "candidates":
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

    # ------------------------------------------------------------------ candidates and wallets
    @property
    def candidates(self) -> CandidatesPane:
        return self.main.query_one(CandidatesPane)

    @property
    def wallet_pane(self) -> WalletPane:
        return self.main.query_one(WalletPane)

    def action_copy_dsl(self) -> None:
        self.candidates.copy_dsl()

    def action_reverify(self) -> None:
        self.candidates.reverify()

    def action_export_candidates(self) -> None:
        self.candidates.export()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "wallet_key":
            return True
        try:
            return len(self.screen_stack) == 1 and self.main.active_tab == "wallet"
        except NoMatches:
            return False

    def action_wallet_key(self, method: str) -> None:
        getattr(self.wallet_pane, method)()

    def action_new_hotkey(self) -> None:
        self.wallet_pane.new_hotkey()

    def action_import_hotkey(self) -> None:
        self.wallet_pane.import_hotkey()

    def action_set_coldkey(self) -> None:
        self.wallet_pane.set_coldkey()

    # ------------------------------------------------------------------ files, updates, screenshots
    def _gui_config_path(self) -> Path:
        from core.config import find_gui_config

        return find_gui_config(self.args.config) or bitsota_home() / "gui_config.json"

    def action_show_paths(self) -> None:
        config = self.session.config
        self.push_screen(MessageModal("Config paths", f"gui config: {self._gui_config_path()}\n"
                                                      f"problem config: {config.problem_config or '(built-in)'}\n"
                                                      f"state: {bitsota_home()}"))

    def action_show_log_dir(self) -> None:
        self.push_screen(MessageModal("Log files", str(logs_dir())))

    def action_check_updates(self) -> None:
        self._update_worker(False)

    def _update_worker(self, quiet: bool) -> None:
        self.run_worker(lambda: self.check_updates(quiet), thread=True, group="updates", exit_on_error=False)

    def check_updates(self, quiet: bool) -> None:
        """At start and every 24 h a newer version shows a toast; from the palette the answer is always shown.
        Runs in a thread worker."""
        url = self.session.config.manifest_url()
        try:
            manifest = fetch_manifest(url)
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

    def get_system_commands(self, screen):
        """Textual's entries, less its Screenshot: the palette's own one saves into the logs directory."""
        return (command for command in super().get_system_commands(screen) if command.title != "Screenshot")

    def action_screenshot(self) -> None:
        """Saved under the logs directory; with --web the browser downloads it."""
        logs_dir().mkdir(parents=True, exist_ok=True)
        self.deliver_screenshot(path=str(logs_dir()))

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        if event.name == "screenshot":
            self.notify(f"Screenshot saved to {event.path}" if event.path else "Screenshot downloaded")

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        self.notify(f"Screenshot failed: {event.exception}", severity="error")

