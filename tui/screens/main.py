"""The main screen (tui.md §3): header, the five tabs, the too-small overlay and the footer; the layout
classes for the terminal size; and the panes' refresh from one session snapshot."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from pool_monitor.widget import PoolMonitor
from tui.logic import clock, tui_log
from tui.logic.dashboard import SotaChanges, activity_line, newest, row_events, submitter_events
from tui.logic.files import read_json_object, write_json_atomic
from tui.logic.stats import stats_from_state
from tui.logic.wallets import short_address
from tui.services.pool_mode import job_counts, pool_problem, status_lines
from tui.widgets.candidates_pane import CandidatesPane
from tui.widgets.candidates_table import CandidatesTable
from tui.widgets.controls import SCALAR_NOTICE, TASK_LABELS, MiningControls
from tui.widgets.events_list import EventsList
from tui.widgets.fitness_chart import FitnessChart
from tui.widgets.footer import KeysFooter
from tui.widgets.log_pane import LogPane
from tui.widgets.services_pane import ServicesPane
from tui.widgets.sota_panel import RunStatus, SotaPanel
from tui.widgets.stats import StatsPane
from tui.widgets.text import show
from tui.widgets.wallet_pane import WalletPane

EVENTS_SHOWN = 20  # the list's height shows the newest few of these


def runtime_text(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}h {seconds % 3600 // 60}m {seconds % 60}s"


def connection_text(snap, shows_pool: bool) -> str:
    """Which connection is meant: the local sidecar, and the relay (or the pool API) once it was called."""
    text = "sidecar connected" if snap.connected else "sidecar disconnected"
    if snap.relay_reachable is not None:
        other = "pool" if shows_pool else "relay"
        text += f" · {other} {'reachable' if snap.relay_reachable else '[b]unreachable[/b]'}"
    return text


def run_text(snap) -> str:
    return f"Running {runtime_text(clock.now() - snap.started_at)}" if snap.running and snap.started_at else "Idle"


def workers_text(count) -> str:
    return f"{count} worker{'' if count == 1 else 's'}"


def layout_classes(width: int, height: int) -> dict[str, bool]:
    """The screen classes app.tcss switches on (tui.md §3.4)."""
    return {"-wide": width >= 120, "-medium": 80 <= width < 120, "-narrow": width < 80, "-short": height < 24,
            "-low": height < 34, "-tiny": width < 60 or height < 16}


NO_POOL = ("No pool in --local mode: the public pool is not used for local tests. Start one (python -m pool) "
           "and pass --pool-url URL to try pool mode.")


class MainScreen(Screen):
    def __init__(self, session, args, initial_task: str, initial_workers: int, start_services: bool) -> None:
        super().__init__()
        self.session, self.args = session, args
        self.initial_task, self.initial_workers = initial_task, initial_workers
        self.start_services = start_services
        self._sota_changes = SotaChanges()

    # ------------------------------------------------------------------ layout
    def compose_panes(self) -> ComposeResult:
        """The App composes these into this screen, its default screen, so they are mounted before the App's
        on_mount runs (a screen's own compose would run later, after start-up has begun)."""
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
                    with Vertical(id="center"):
                        yield RunStatus("", id="run-status")
                        yield FitnessChart("", id="chart")
                        yield EventsList("", id="events-center", classes="events")
                        yield LogPane(settings.log_max_lines, id="logs")
                    with Vertical(id="right"):
                        yield SotaPanel(id="sota-panel")
                        yield EventsList("", id="events-right", classes="events")  # wide terminals
            with TabPane("2 Candidates", id="candidates"):
                yield CandidatesPane(self.session, id="candidates-pane")
            with TabPane("3 Pool", id="pool"):
                yield Static("", id="pool-status")
                if self.session.config.pool_url:
                    yield PoolMonitor(self.session.config.pool_url, pool_problem(self.initial_task),
                                      autostart=self.start_services, clock=clock.now, id="pool-monitor")
                else:
                    yield Static(NO_POOL, id="no-pool")
            with TabPane("4 Wallet", id="wallet"):
                yield WalletPane(self.session, self.args, id="wallet-pane")
            with TabPane("5 Services", id="services"):
                yield ServicesPane(id="services-pane")
        yield Static("Please enlarge the terminal to at least 60×16.", id="too-small")
        yield KeysFooter()

    def hide_services_tab_unless_local(self) -> None:
        if not (self.session.config.local or self.session.local_services):
            self.query_one("#tabs", TabbedContent).hide_tab("services")

    def apply_layout(self, width: int, height: int) -> None:
        for name, on in layout_classes(width, height).items():
            self.set_class(on, name)

    def show_services_tab(self) -> None:
        self.query_one("#tabs", TabbedContent).show_tab("services")

    def show_tab(self, tab: str) -> None:
        """Switch tabs; a tab holding a table gives it the focus, so arrows and Enter work at once."""
        self.query_one("#tabs", TabbedContent).active = tab
        table = {"candidates": "#candidates-table", "wallet": "#wallet-table"}.get(tab)
        if table:
            self.query_one(table).focus()

    @property
    def active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active

    # ------------------------------------------------------------------ controls
    def show_run_controls(self) -> None:
        """The controls of a re-attached run show its task type, workers and pool mode."""
        controls = self.query_one(MiningControls)
        controls.set_task_type(self.session.task_type)
        if self.session.workers:
            controls.set_workers(int(self.session.workers))
        controls.set_pool_mode(self.session.pool_mode_name)

    def task_changed(self, task_type: str) -> None:
        self.session.select_task_type(task_type)
        remote = not self.session.config.local and not self.session.config.settings.test_mode
        notice = task_type == "scalar_linear" and remote
        self.query_one(MiningControls).show_scalar_notice(notice)
        if notice:
            self.session.log(f"[warning] {SCALAR_NOTICE}")

    def save_default(self, path) -> None:
        """The controls' gui config keys (§11.1): the Workers default and the Pool radio default."""
        controls = self.query_one(MiningControls)
        saved = {"task_type": controls.task_type, "miner_workers": controls.worker_count,
                 "pool_mode": controls.pool_mode}
        write_json_atomic(path, {**read_json_object(path), **saved})
        self.notify(f"Saved task type={saved['task_type']}, workers={saved['miner_workers']}, "
                    f"pool mode={saved['pool_mode']} to {path}")

    def _locked_while_running(self, what: str) -> bool:
        if self.session.running:
            self.notify(f"Stop mining first to change the {what}.", severity="warning")
        return self.session.running

    def next_task_type(self) -> None:
        if self._locked_while_running("task type"):
            return
        controls = self.query_one(MiningControls)
        order = list(TASK_LABELS)
        controls.set_task_type(order[(order.index(controls.task_type) + 1) % len(order)])

    def next_workers(self) -> None:
        if self._locked_while_running("worker count"):
            return
        controls = self.query_one(MiningControls)
        controls.set_workers({1: 2, 2: 4, 4: 8}.get(controls.worker_count, 1))

    # ------------------------------------------------------------------ panels
    def tick(self) -> None:
        """Once a second: the header's runtime, and the cooldown countdown while one runs."""
        try:
            self._update_header()
            self._update_services()
            snapshot = self.session.snapshot()
            if snapshot.cooldown_left > 0 or snapshot.pending:
                self._update_sota(snapshot)
        except NoMatches:  # the screen is being torn down
            pass

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
        stats = stats_from_state(snap.state)
        self.query_one(StatsPane).show(stats, snap.running)
        self._update_sota(snap)
        self.query_one(FitnessChart).show(snap.history)
        self._sota_changes.record(snap.global_sota, clock.now())
        events = submitter_events(snap.submitter) or \
            [*row_events(session.rows.values()), *self._sota_changes.events]
        for events_list in self.query(EventsList):
            events_list.show(newest(events, EVENTS_SHOWN))
        controls = self.query_one(MiningControls)
        controls.set_running(snap.running)
        task = snap.task_type if snap.running else controls.task_type
        workers = workers_text(snap.workers if snap.running else controls.worker_count)
        show(self.query_one("#control-summary", Static),
             f"{TASK_LABELS.get(task, task)} · {workers} · {'Running' if snap.running else 'Idle'} (s)", fixed_size=True)
        self._update_header()
        self._update_services()
        self._update_pool_status(snap)

    def _update_header(self) -> None:
        snap = self.session.snapshot()
        address = self.session.wallet.address if self.session.wallet else None
        mode = "TEST" if self.session.config.test_mode else "LIVE"
        show(self.query_one("#header-bar", Static),
             f" [b]bitsota[/b] │ wallet {short_address(address)} │ [reverse] {mode} [/reverse] │ "
             f"{connection_text(snap, self.session.shows_pool)} │ {run_text(snap)}", fixed_size=True)

    def _update_sota(self, snap) -> None:
        activity = activity_line(snap.running, snap.connected, stats_from_state(snap.state), snap.task_type)
        values = {"global": snap.global_sota, "local": snap.local_sota, "verified": snap.best_verified,
                  "engine": snap.engine_best}
        self.query_one(SotaPanel).show(values, "Pool SOTA" if snap.task_type == "pool" else "Global SOTA")
        self.query_one(RunStatus).show(activity, values, snap.cooldown_left, snap.pending)

    def _update_pool_status(self, snap) -> None:
        if snap.running and snap.task_type == "pool":
            lines = status_lines((snap.submitter or {}).get("pool"), snap.state)
        else:
            lines = ["Coordinator: idle (choose Task Type \"Pool\" and start mining)",
                     job_counts(snap.state) if snap.running else "Sidecar jobs: -"]
        url = self.session.config.pool_url or "none (--local; pass --pool-url)"
        show(self.query_one("#pool-status", Static), "\n".join([f"Pool API:    {url}", *lines]))

    def _update_services(self) -> None:
        seen = submitter_events(self.session.snapshot().submitter) or self._sota_changes.events
        sota_events = sorted((e for e in seen if e.kind == "sota"), key=lambda e: e.ts)[-3:]
        problems = self.query_one(ServicesPane).show(self.session.local_services, sota_events)
        if problems:
            self.query_one(LogPane).add_lines(problems)
