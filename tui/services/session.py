"""The mining session (tui.md §5-§8): a small command API -- start, stop, poll, quit, re-attach -- over the
run's child processes. Submission is not done here: the headless submitter (`miner.submitter`) that `start`
spawns beside the miner does it, and the session reads what it did from its status file.

Blocking: the app calls these methods from thread workers and reads what changed through `drain_lines()`,
`drain_rows()` and `snapshot()`.
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections import OrderedDict, deque

from bittensor_wallet import Keypair

from core.config import ConfigError
from core.errors import BitsotaError
from miner.submitter.status import read_status, status_path
from sidecar.client import SidecarClient
from tui.logic import clock
from tui.logic import problem_config as default_problem_config
from tui.logic.files import bitsota_home, logs_dir, read_json_object, write_json_atomic
from tui.logic.history import SeriesHistory
from tui.logic.state_file import clear_state
from tui.logic.wallets import WalletEntry
from tui.services import launch, processes, run_view
from tui.services.local_stack import LocalServices
from tui.services.processes import Child
from tui.services.child_watch import ChildWatchMixin
from tui.services.run_record import RunRecordMixin, stop_recorded
from tui.services.session_types import (TASK_TYPES, CandidateRow, SessionConfig, Snapshot, StartOutcome,
                                        suite_label)
from tui.services.sidecar_service import ensure_sidecar
from tui.services.start_checks import StartChecksMixin
from tui.services.ui_commands import UiCommandsMixin

# Re-exported for the app and the tests, which import them from here.
__all__ = ["CandidateRow", "MiningSession", "SessionConfig", "Snapshot", "StartOutcome", "WalletLocked",
           "stop_recorded"]

CANDIDATE_ROWS = 2000
STATE_TIMEOUT_S, CONTROL_TIMEOUT_S = 0.5, 1.0
SIDECAR_ERRORS = run_view.SIDECAR_ERRORS


class WalletLocked(BitsotaError):
    """A wallet switch while a run is mining: the run's hotkey is fixed until it stops."""


class MiningSession(StartChecksMixin, RunRecordMixin, ChildWatchMixin, UiCommandsMixin):
    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.wallet: WalletEntry | None = None
        self.keypair: Keypair | None = None
        self.coldkey: str | None = None
        self._password: str | None = None  # an encrypted hotkey's, kept in memory for the submitter only
        self.run_wallet: WalletEntry | None = None  # the identity the running run signs with
        self.local_services: LocalServices | None = None
        self.sidecar_child: Child | None = None
        self.miner_child: Child | None = None
        self.submitter_child: Child | None = None
        self.submitter_status: dict | None = None
        self.run_id: str | None = None
        self.task_type: str | None = None
        self.workers: int | None = None
        self.started_at: float | None = None
        self.running = False
        self.connected = False
        self.state: dict = {}
        self.selected_task_type: str | None = None  # the controls' choice, for the SOTA shown while idle
        self.idle_sota: float | None = None  # the SOTA fetched while no submitter runs
        self.relay_reachable: bool | None = None
        self.pool_mode_name = "task"  # Task or Lease coordinator of the pool run
        self.cursors = {"logs": 0, "candidates": 0, "populations": 0}
        self.rows: OrderedDict[int, CandidateRow] = OrderedDict()
        self.history = {name: SeriesHistory() for name in ("global", "local", "verified", "engine")}
        self._lines: deque[str] = deque(maxlen=20000)
        self._changed: deque[int] = deque()
        self._lock = threading.RLock()
        self._clock_checked = False
        self._sidecar_restarts = 0
        self._submitter_restarts, self._submitter_given_up = 0, False  # given up: it finished, or died twice
        self._unanswered_polls = 0  # polls in a row an attached (not owned) sidecar did not answer

    # ------------------------------------------------------------------ output for the UI
    def log(self, text: str) -> None:
        self._lines.append(text)

    def drain_lines(self) -> list[str]:
        lines = []
        while self._lines:
            lines.append(self._lines.popleft())
        return lines

    def drain_rows(self) -> list[CandidateRow]:
        changed = set()
        while self._changed:
            changed.add(self._changed.popleft())
        return [self.rows[seq] for seq in sorted(changed) if seq in self.rows]

    def snapshot(self) -> Snapshot:
        """Lock-free, so the UI thread never waits for a worker."""
        status = self.submitter_status if self.running else None
        workers = (self.state.get("workers") or {}).values()
        engine = [w.get("engine_best") for w in workers if w.get("engine_best") is not None]
        return Snapshot(
            self.running, self.connected, self.run_id, self.task_type, self.workers, self.started_at,
            dict(self.state), self.global_sota, self.local_sota, self.state.get("best_candidate_score"),
            max(engine) if engine else None, run_view.cooldown_left(status, clock.now()),
            (status or {}).get("pending"), {name: series.values() for name, series in self.history.items()},
            self.shown_relay_reachable, status)

    @property
    def global_sota(self) -> float | None:
        """The relay's (or, in pool mode, the pool's) SOTA: the submitter's while it runs, else fetched here."""
        status = self.submitter_status if self.running else None
        if status is not None and status.get("mode") == ("pool" if self.shows_pool else "direct"):
            return status.get("global_sota")
        return self.idle_sota

    @property
    def local_sota(self) -> float | None:
        known = [v for v in (self.state.get("local_sota"), (self.submitter_status or {}).get("local_sota")
                             if self.running else None) if v is not None]
        return max(known) if known else None

    @property
    def shown_relay_reachable(self) -> bool | None:
        status = self.submitter_status if self.running else None
        return status.get("relay_reachable") if status and status.get("mode") == "direct" else self.relay_reachable

    @property
    def shows_pool(self) -> bool:
        """Whether the SOTA panel shows the pool SOTA (the run's task type, else the controls')."""
        return (self.task_type if self.running else self.selected_task_type) == "pool"

    # ------------------------------------------------------------------ wallet
    def use_wallet(self, entry: WalletEntry, keypair: Keypair, password: str | None = None) -> None:
        """Select the wallet whose hotkey signs the next run. Refused while mining (WalletLocked): a run signs
        with the hotkey it started with. The coldkey is the wallet's own, or the one given earlier for this
        very wallet and hotkey; never another wallet's."""
        if self.running and self.run_wallet is not None and entry.key != self.run_wallet.key:
            raise WalletLocked(f"Stop mining before switching wallets: this run signs with "
                               f"{self.run_wallet.wallet}/{self.run_wallet.hotkey}.")
        saved = read_json_object(bitsota_home() / "wallet_settings.json")
        same = (saved.get("last_wallet"), saved.get("last_hotkey")) == (entry.wallet, entry.hotkey)
        self.wallet, self.keypair, self._password = entry, keypair, password
        self.coldkey = entry.coldkey or (saved.get("coldkey_address") if same else None) or None
        self.save_wallet_settings()

    def save_wallet_settings(self) -> None:
        if self.wallet is None:
            return
        write_json_atomic(bitsota_home() / "wallet_settings.json", {
            "last_wallet": self.wallet.wallet, "last_hotkey": self.wallet.hotkey,
            "coldkey_address": self.coldkey, "wallet_path": str(self.wallet.root)}, mode=0o600)

    # ------------------------------------------------------------------ start (§5)
    def start(self, task_type: str, workers: int, pool_mode: str = "task") -> tuple[str, str]:
        """Run the start sequence; returns an outcome (StartOutcome) and a detail text."""
        with self._lock:
            if self.running:
                self.log("ERROR: Mining is already running.")
                return StartOutcome.ALREADY, ""
            if self.keypair is None or self.wallet is None:
                self.log("ERROR: No wallet loaded. Please load a wallet first.")
                return StartOutcome.NEED_WALLET, ""
            if task_type not in TASK_TYPES:
                self.log(f"ERROR: Unknown task type {task_type!r}.")
                return StartOutcome.FAILED, task_type
            if task_type == "pool" and not self.config.pool_url:
                self.log("ERROR: No pool in --local mode; pass --pool-url URL to mine in pool mode.")
                return StartOutcome.FAILED, "no pool URL"
            if task_type != "pool":
                if not self.config.local:
                    default_problem_config.write_default_if_missing(self.config.problem_config)
                try:
                    launch.problem_config(self.config)
                except ConfigError as exc:
                    self.log(f"ERROR: problem config {exc}; fix it (or remove it for the defaults) and start again")
                    return StartOutcome.FAILED, str(exc)
                outcome = self._direct_checks(task_type)
                if outcome is not None:
                    return outcome
            self.selected_task_type, self.pool_mode_name = task_type, pool_mode
            try:
                self._launch(task_type, workers)
            except Exception as exc:  # any failure: log it and stop what was spawned
                self.log(f"ERROR: Failed to start mining processes: {exc}")
                self._stop_run_children()
                return StartOutcome.FAILED, str(exc)
            self.log(f"Starting mining for task: {task_type} (workers={workers})")
            self.save()
            return StartOutcome.STARTED, ""

    def _launch(self, task_type: str, workers: int) -> None:
        self._ensure_sidecar()
        self.run_id = str(uuid.uuid4())
        meta = {"task_type": task_type, "workers": workers, "client": "bitsota-tui",
                "test_mode": self.config.test_mode, "local": self.config.local}
        with SidecarClient(self.config.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
            sidecar.start_run(self.run_id, replace=True, meta=meta)
        self._reset_run(task_type, workers)
        self.refresh_sota()
        self.run_wallet = self.wallet
        if task_type == "pool":
            argv = launch.pool_worker_argv(self.config, self.run_id, workers)
            self.miner_child = processes.spawn("pool_worker", argv, logs_dir() / f"pool_worker-{self.run_id}.log",
                                               self.config.env)
            self.log(f"Pool worker started (pid={self.miner_child.pid}, mode {self.pool_mode_name}).")
        else:
            argv = launch.miner_argv(self.config, self.run_id, task_type, workers, self.idle_sota)
            self.miner_child = processes.spawn("miner", argv, logs_dir() / f"miner-{self.run_id}.log",
                                               launch.miner_env(self.config))
            self.log(f"Miner started (pid={self.miner_child.pid}).")
        self._spawn_submitter()
        self.running, self.connected, self.started_at = True, True, clock.now()

    def _spawn_submitter(self) -> None:
        wallet = self.run_wallet
        argv = launch.submitter_argv(self.config, self.run_id or "", self.task_type or "", wallet, self.pool_mode_name)
        self.submitter_child = processes.spawn("submitter", argv, logs_dir() / f"submitter-{self.run_id}.log",
                                               self.config.env, self._password if wallet.encrypted else None)
        self.log(f"Submitter started (pid={self.submitter_child.pid}), signing as {wallet.wallet}/{wallet.hotkey}.")

    def _reset_run(self, task_type: str, workers: int) -> None:
        self.task_type, self.workers = task_type, workers
        self.cursors = dict.fromkeys(self.cursors, 0)
        self.rows.clear()
        self._changed.clear()
        self.history = {name: SeriesHistory() for name in self.history}
        self.state, self.submitter_status = {}, None
        self._submitter_restarts, self._submitter_given_up = 0, False

    def _ensure_sidecar(self) -> None:
        if self.sidecar_child is not None and self.sidecar_child.alive():
            return
        self.sidecar_child = ensure_sidecar(self.config.sidecar_host, self.config.sidecar_port, "tui",
                                            self.config.env) or None
        if self.sidecar_child is None:
            self.log(f"Attached to the sidecar at {self.config.sidecar_url}")
        else:
            self.log(f"Sidecar started (pid={self.sidecar_child.pid}) at {self.config.sidecar_url}")

    # ------------------------------------------------------------------ poll (§6)
    def poll(self) -> None:
        """One poll of the sidecar and the submitter's status; each step fails independently."""
        with self._lock:
            if not self.running or self._miner_gone():
                return
            self._check_submitter()
            self.submitter_status = read_status(status_path(self.run_id or "")) or self.submitter_status
            with SidecarClient(self.config.sidecar_url, timeout=STATE_TIMEOUT_S) as sidecar:
                try:
                    self.state = sidecar.state(run_id=self.run_id)
                    self.connected, self._unanswered_polls = True, 0
                except SIDECAR_ERRORS:
                    self.connected = False
                    self._check_sidecar_alive()
                    return
                self._record_history()
                for step in (self._poll_logs, self._poll_candidates, self._poll_populations):
                    try:
                        step(sidecar)
                    except SIDECAR_ERRORS as exc:
                        self.log(f"[warning] sidecar poll step failed: {exc}")
            self._apply_decisions()

    def _poll_logs(self, sidecar: SidecarClient) -> None:
        self.cursors["logs"] = run_view.read_logs(sidecar, self.cursors["logs"], self.run_id, self._lines)

    def _poll_candidates(self, sidecar: SidecarClient) -> None:
        page = sidecar.candidates(self.cursors["candidates"], 50, run_id=self.run_id)
        self.cursors["candidates"] = page.cursor
        for item in sorted(page.items, key=lambda c: c.get("seq", 0)):
            self._add_row(item)

    def _poll_populations(self, sidecar: SidecarClient) -> None:
        self.cursors["populations"] = run_view.merge_populations(
            sidecar, self.cursors["populations"], self.run_id or "", launch.population_path(self.config))

    def _add_row(self, item: dict) -> None:
        row = CandidateRow(int(item.get("seq", 0)), float(item.get("ts") or clock.now()),
                           int(item.get("worker_id") or 0), int(item.get("iteration") or 0),
                           str(item.get("task_type") or self.task_type), item.get("validator_score"),
                           item.get("eval_score"), suite_label(item), candidate=dict(item))
        self.rows[row.seq] = row
        while len(self.rows) > CANDIDATE_ROWS:
            self.rows.popitem(last=False)
        self._changed.append(row.seq)

    def _apply_decisions(self) -> None:
        """The submitter's decisions become the rows' status, reason and (its own) verified score."""
        for seq, row, decision in run_view.changed_decisions(self.rows, self.submitter_status):
            row.status, row.reason = decision.get("status") or row.status, decision.get("reason") or ""
            if decision.get("verified") is not None:
                row.verified = decision["verified"]
            if row.status in ("submitted", "rejected", "failed"):
                row.response = run_view.submission_of(self.submitter_status, seq)
            self._changed.append(seq)

    def _record_history(self) -> None:
        workers = (self.state.get("workers") or {}).values()
        engine = [w.get("engine_best") for w in workers if w.get("engine_best") is not None]
        self.history["global"].add(self.global_sota)
        self.history["local"].add(self.local_sota)
        self.history["verified"].add(self.state.get("best_candidate_score"))
        self.history["engine"].add(max(engine) if engine else None)

    # ------------------------------------------------------------------ re-verify (detail modal, palette)
    def reverify(self, seq: int) -> float | None:
        """Re-score one candidate for display, outside the session lock and bounded in time; nothing is
        submitted (the submitter decides on its own score)."""
        from miner.submitter.rescore import rescore

        row = self.rows[seq]
        result = rescore(row.candidate, self.config.verify_timeout_s, self.config.env)
        row.verified = result.score if result.finite else None
        shown = f"{result.score:.6f}" if result.finite else f"-inf ({result.reason})"
        self.log(f"[verify] candidate {seq} re-scored: {shown}")
        self._changed.append(seq)
        return row.verified

    # ------------------------------------------------------------------ stop and quit (§8)
    def _stop_run_children(self) -> None:
        for name in ("miner_child", "submitter_child"):
            child = getattr(self, name)
            if child is not None:
                processes.stop(child)
                setattr(self, name, None)

    def stop_mining(self) -> None:
        with self._lock:
            self._stop_run_children()
            if self.run_id:
                try:
                    with SidecarClient(self.config.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
                        sidecar.stop_run(self.run_id)
                except SIDECAR_ERRORS:
                    pass
            was_running = self.running
            self.running, self.connected, self.run_wallet = False, False, None
            self.cursors = dict.fromkeys(self.cursors, 0)
            if was_running:
                self.log("Mining stopped.")
            self.save()

    def children(self) -> list[Child]:
        services = [self.local_services.relay, self.local_services.validator] if self.local_services else []
        run = [self.miner_child, self.submitter_child, self.sidecar_child]
        return [c for c in [*run, *services] if c is not None]

    def has_live_children(self) -> bool:
        return any(child.alive() for child in self.children())

    def mining_alive(self) -> bool:
        """Whether a run is really mining now (its miner process is alive), for the quit dialog."""
        return self.running and self.miner_child is not None and self.miner_child.alive()

    def _detachable(self) -> list[Child]:
        return [c for c in (self.sidecar_child, self.miner_child, self.submitter_child) if c is not None]

    def shutdown(self, keep_running: bool) -> str | None:
        """The quit path: leave children running (detached, state saved) or stop them all."""
        with self._lock:
            if keep_running and self.has_live_children():
                for child in self._detachable():
                    processes.detach(child)
                self.save()
                if self.running:
                    return (f"Mining continues in the background (run {self.run_id}); the submitter keeps "
                            "submitting. Re-attach with bitsota-tui, stop with bitsota-tui --stop.")
                return "Services continue in the background; stop them with bitsota-tui --stop."
            self._stop_run_children()
            if self.running and self.run_id and self.sidecar_child is None:
                try:
                    with SidecarClient(self.config.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
                        sidecar.stop_run(self.run_id)
                except SIDECAR_ERRORS:
                    pass
            self.running = False
            for child in self.children():
                processes.stop(child)
            self.sidecar_child, self.local_services = None, None
            clear_state()
            return None

    def abandon(self, keep_running: bool) -> None:
        """The exit that cannot wait (a SIGTERM during the quit path): signal the children without waiting for
        them or for the session lock; the state file stays for re-attach and `--stop`."""
        if keep_running:
            for child in self._detachable():
                processes.detach(child, wait_s=0)
            return
        for child in self.children():
            processes.signal_group(child.pgid, signal.SIGTERM)

