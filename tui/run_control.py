"""Start-up, start and stop, the poll loop and the SOTA refresh (tui.md §5, §6, §8.2): the session's
blocking calls run in thread workers, one per group at a time, and report back through the App's messages."""

from __future__ import annotations

from tui.messages import PollDone, StartDone, StartupDone
from tui.services.session import StartOutcome
from tui.widgets.controls import MiningControls
from tui.widgets.modals import ColdkeyModal, DatasetModal, InviteModal

POLL_INTERVAL_S = 1.0


class RunControl:
    def __init__(self, app, session, auto_start: bool, runs_startup: bool = True) -> None:
        self.app, self.session = app, session
        self.auto_start = auto_start
        self.started_up = False
        self.starting_up = runs_startup  # False for an app that runs no start-up (tests, benchmarks)
        self.poll_armed = False

    def _in_thread(self, work, group: str, exclusive: bool = True, exit_on_error: bool = False) -> None:
        self.app.run_worker(work, thread=True, group=group, exclusive=exclusive, exit_on_error=exit_on_error)

    # ------------------------------------------------------------------ start-up
    def startup(self) -> None:
        self._in_thread(self._startup, "startup", exit_on_error=True)

    def _startup(self) -> None:
        session = self.session
        session.reattach()
        if session.config.local and session.local_services is None:
            session.start_local_services()
        self.app.call_from_thread(lambda: self.app.wallet_pane.load_initial())
        self.app.post_message(StartupDone())
        if session.config.settings.check_updates:
            self.app.check_updates(quiet=True)

    def startup_done(self) -> None:
        self.started_up, self.starting_up = True, False
        session, main = self.session, self.app.main
        if session.use_local_relay():
            main.show_services_tab()
        if session.task_type:
            main.show_run_controls()
        self.app.refresh_panels()
        if session.running:
            self.auto_start = False  # a re-attached run is already mining
            self.arm_poll()
        else:
            self.refresh_sota()
        self.maybe_auto_start()

    def maybe_auto_start(self) -> None:
        """`--auto-start`: start mining once, as soon as start-up is done and a wallet is loaded."""
        if self.auto_start and self.started_up and self.session.keypair is not None and not self.session.running:
            self.auto_start = False
            self.session.log("Auto-start: starting mining")
            self.start()

    # ------------------------------------------------------------------ poll loop (§6)
    def arm_poll(self) -> None:
        if not self.poll_armed:
            self.poll_armed = True
            self.app.set_timer(POLL_INTERVAL_S, self._poll)

    def _poll(self) -> None:
        self.poll_armed = False
        self._in_thread(self._poll_once, "poll")

    def _poll_once(self) -> None:
        try:
            self.session.poll()
        finally:
            self.app.post_message(PollDone())

    def poll_done(self) -> None:
        self.app.refresh_panels()
        if self.session.running and not self.app.quitting:
            self.arm_poll()

    def refresh_sota(self) -> None:
        def refresh() -> None:
            self.session.refresh_sota(force=True)
            self.app.call_from_thread(self.app.refresh_panels)

        self._in_thread(refresh, "sota", exclusive=False)

    # ------------------------------------------------------------------ start / stop (§5, §8.2)
    def toggle(self) -> None:
        if self.session.running:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        if self.starting_up:  # the wallet and --local services are not there yet
            self.auto_start = True
            self.session.log("Start-up is still running: mining starts as soon as it is done.")
            self.app.refresh_panels()
            return
        controls = self.app.main.query_one(MiningControls)
        task_type, workers, pool_mode = controls.task_type, controls.worker_count, controls.pool_mode

        def start() -> None:
            outcome, detail = self.session.start(task_type, workers, pool_mode)
            self.app.post_message(StartDone(outcome, detail))

        self._in_thread(start, "control")

    def start_done(self, message: StartDone) -> None:
        app = self.app
        app.refresh_panels()
        outcome = message.outcome
        if outcome == StartOutcome.STARTED:
            self.arm_poll()
        elif outcome == StartOutcome.NEED_WALLET:
            app.action_tab("wallet")
        elif outcome == StartOutcome.NEED_COLDKEY:
            app.push_screen(ColdkeyModal(), self._coldkey_answer)
        elif outcome == StartOutcome.NEED_INVITE:
            app.push_screen(InviteModal(self._link_invite), self._start_if)
        elif outcome == StartOutcome.DATASET:
            from core.datasets import data_dir

            app.push_screen(DatasetModal(message.detail, str(data_dir())), self._start_if)

    def _start_if(self, answer: object) -> None:
        """A modal's answer: an invite code (linked) or "retry" starts again; None or False does not."""
        if answer:
            self.start()

    def _coldkey_answer(self, address: str | None) -> None:
        if address:
            self.session.set_coldkey(address)
            self.start()

    def _link_invite(self, code: str) -> str | None:
        return self.session.link_invite(code)

    def stop(self) -> None:
        def stop() -> None:
            self.session.stop_mining()
            self.app.call_from_thread(self.app.refresh_panels)

        self._in_thread(stop, "control")

    def restart_sidecar(self) -> None:
        def restart() -> None:
            self.session.restart_sidecar()
            self.app.call_from_thread(self.app.refresh_panels)

        self._in_thread(restart, "control")
