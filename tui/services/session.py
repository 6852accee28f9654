"""The mining session (tui.md §5-§8): start sequence, sidecar polling, submissions, stop, re-attach, quit.

Headless and blocking: the app calls these methods from thread workers, one at a time, and reads what
changed through `drain_lines()`, `drain_rows()` and `snapshot()`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from bittensor_wallet import Keypair

from core.hyperparams import validator_hyperparams
from sidecar.client import SidecarClient, SidecarError
from tui.logic import clock, problem_config
from tui.logic import population_state as populations
from tui.logic.files import bitsota_home, logs_dir, read_json_object, write_json_atomic
from tui.logic.history import SeriesHistory
from tui.logic.log_lines import page_lines
from tui.logic.settings import GuiSettings
from tui.logic.state_file import ServiceRecord, TuiState, clear_state, load_state, pid_alive, save_state
from tui.logic.submission import (
    BETTER_PENDING,
    REPLACED_PENDING,
    Decision,
    SubmissionBook,
    SuiteSettings,
    format_threshold,
    submission_body,
    threshold,
    verified_score,
)
from tui.logic.wallets import WalletEntry
from tui.services import processes, relay_calls
from tui.services.local_stack import LOCAL_COOLDOWN_S, LOCAL_SOTA_REFRESH_S, LocalServices, apply_local_environment
from tui.services.pool_mode import PoolMode, pool_problem, pool_sota
from tui.services.processes import Child
from tui.services.sidecar_service import SidecarStartError, ensure_sidecar

TASK_TYPES = ("cifar10_binary", "mnist_binary", "scalar_linear", "pool")
DATASET_OF = {"cifar10_binary": "cifar10", "mnist_binary": "mnist"}
CANDIDATE_ROWS = 2000
LOG_PAGES, LOG_PAGE = 5, 200
QUICK_PROFILE = ("--feature-dim", "4", "--train-examples", "100", "--val-examples", "100",
                 "--miner-task-count", "4", "--setup-max-ops", "2", "--predict-max-ops", "2",
                 "--learn-max-ops", "2", "--scalar-regs", "2", "--vector-regs", "2", "--matrix-regs", "2",
                 "--pop-size", "100", "--fec-cache-size", "100000", "--validate-every", "1000",
                 "--log-every", "1000")
STATE_TIMEOUT_S, CONTROL_TIMEOUT_S = 0.5, 1.0


@dataclass
class SessionConfig:
    settings: GuiSettings
    relay_url: str
    pool_url: str
    sidecar_host: str = "127.0.0.1"
    sidecar_port: int = 8123
    problem_config: Path | None = None
    local: bool = False
    keep_running: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cooldown_s: float = 60.0
    local_cooldown_s: float = LOCAL_COOLDOWN_S  # the cooldown a re-attached `--local` run goes back to
    sota_refresh_s: float = 30.0
    pool_worker_mode: str = "real"  # `--mode` of the pool worker (tests use `mock`)
    update_manifest_url: str | None = None  # None: the relay's /version.json

    def manifest_url(self) -> str:
        return self.update_manifest_url or f"{self.relay_url}/version.json"

    @property
    def sidecar_url(self) -> str:
        return f"http://{self.sidecar_host}:{self.sidecar_port}"

    @property
    def test_mode(self) -> bool:
        return self.local or self.settings.test_mode


@dataclass
class CandidateRow:
    seq: int
    ts: float
    worker: int
    iteration: int
    task: str
    verified: float | None
    eval_score: float | None
    suite: str
    status: str = "new"
    reason: str = ""
    candidate: dict = field(default_factory=dict)
    response: dict | None = None


class StartOutcome:
    STARTED, ALREADY, NEED_WALLET, NEED_COLDKEY, NEED_INVITE, DATASET, FAILED = (
        "started", "already_running", "need_wallet", "need_coldkey", "need_invite", "dataset", "failed")


@dataclass
class Snapshot:
    """What the panes show; copied under the lock for the UI thread."""

    running: bool
    connected: bool
    run_id: str | None
    task_type: str | None
    workers: int | None
    started_at: float | None
    state: dict
    global_sota: float | None
    local_sota: float | None
    best_verified: float | None
    engine_best: float | None
    cooldown_left: float
    pending: dict | None
    history: dict[str, list]
    relay_reachable: bool | None = None  # None until the first relay call of this session


def suite_settings() -> SuiteSettings:
    hp = validator_hyperparams()
    return SuiteSettings(hp.task_count, hp.task_seed, hp.scalar_linear_large_suite)


def _suite_label(candidate: dict) -> str:
    count, seed = candidate.get("verify_task_count"), candidate.get("verify_task_seed")
    return "?" if count is None else f"{count}@{seed}"


class MiningSession:
    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.wallet: WalletEntry | None = None
        self.keypair: Keypair | None = None
        self.coldkey: str | None = None
        self.local_services: LocalServices | None = None
        self.sidecar_child: Child | None = None
        self.miner_child: Child | None = None
        self.run_id: str | None = None
        self.task_type: str | None = None
        self.workers: int | None = None
        self.started_at: float | None = None
        self.running = False
        self.connected = False
        self.state: dict = {}
        self.selected_task_type: str | None = None  # the controls' choice, for the SOTA shown while idle
        self.global_sota: float | None = None
        self.relay_reachable: bool | None = None
        self.pool_sota: float | None = None
        self.pool_mode_name = "task"  # Task or Lease coordinator of the pool run
        self.pool_mode: PoolMode | None = None
        self.cursors = {"logs": 0, "candidates": 0, "populations": 0}
        self.book = SubmissionBook(config.cooldown_s, config.settings.verify_before_submit)
        self.rows: OrderedDict[int, CandidateRow] = OrderedDict()
        self.history = {name: SeriesHistory() for name in ("global", "local", "verified", "engine")}
        self._lines: deque[str] = deque(maxlen=20000)
        self._changed: deque[int] = deque()
        self._lock = threading.RLock()
        self._clock_checked = False
        self._sidecar_restarts = 0
        self._last_sota_refresh = 0.0
        self._last_sota_error = 0.0

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
        now = clock.now()
        workers = (self.state.get("workers") or {}).values()
        engine = [w.get("engine_best") for w in workers if w.get("engine_best") is not None]
        shown_global = self.pool_sota if self.shows_pool else self.global_sota
        return Snapshot(
            self.running, self.connected, self.run_id, self.task_type, self.workers, self.started_at,
            dict(self.state), shown_global, self.book.local_sota(self.state.get("local_sota")),
            self.state.get("best_candidate_score"), max(engine) if engine else None,
            self.book.cooldown_left(now), self.book.pending,
            {name: series.values() for name, series in self.history.items()}, self.relay_reachable)

    @property
    def shows_pool(self) -> bool:
        """Whether the SOTA panel shows the pool SOTA (the run's task type, else the controls')."""
        return (self.task_type if self.running else self.selected_task_type) == "pool"

    # ------------------------------------------------------------------ wallet
    def use_wallet(self, entry: WalletEntry, keypair: Keypair) -> None:
        self.wallet, self.keypair = entry, keypair
        self.coldkey = entry.coldkey or self.coldkey
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
            if self.keypair is None:
                self.log("ERROR: No wallet loaded. Please load a wallet first.")
                return StartOutcome.NEED_WALLET, ""
            if task_type not in TASK_TYPES:
                self.log(f"ERROR: Unknown task type {task_type!r}.")
                return StartOutcome.FAILED, task_type
            if task_type != "pool":
                outcome = self._direct_checks(task_type)
                if outcome is not None:
                    return outcome
            self.selected_task_type, self.pool_mode_name = task_type, pool_mode
            try:
                self._launch(task_type, workers)
            except Exception as exc:  # any failure: log it and stop what was spawned
                self.log(f"ERROR: Failed to start mining processes: {exc}")
                self._stop_miner()
                return StartOutcome.FAILED, str(exc)
            self.log(f"Starting mining for task: {task_type} (workers={workers})")
            self.save()
            return StartOutcome.STARTED, ""

    def _direct_checks(self, task_type: str) -> tuple[str, str] | None:
        if not self.coldkey:
            return StartOutcome.NEED_COLDKEY, ""
        url = self.config.relay_url
        self.log(f"Relay endpoint: {url}")
        self._check_clock()
        if self.config.test_mode:
            self.log("Test mode enabled: skipping invite code requirement.")
        else:
            try:
                if not relay_calls.invite_linked(url, self.keypair):
                    return StartOutcome.NEED_INVITE, ""
            except Exception as exc:
                self.log(f"ERROR: Invite check failed: {exc}")
                return StartOutcome.FAILED, str(exc)
        error = relay_calls.update_coldkey(url, self.keypair, self.coldkey)
        if error:
            self.log(f"ERROR: Coldkey address update failed: {error}")
            return StartOutcome.FAILED, error
        self.log("Coldkey address sent to relay successfully")
        return self._dataset_preflight(task_type)

    def _check_clock(self) -> None:
        if self._clock_checked:
            return
        self._clock_checked = True
        skew = relay_calls.clock_skew(self.config.relay_url, clock.now())
        if skew is not None and skew > relay_calls.MAX_CLOCK_SKEW_S:
            self.log(f"[warning] local clock is {skew:.0f} s off the relay's; relays reject requests 300 s off")

    def _dataset_preflight(self, task_type: str) -> tuple[str, str] | None:
        name = DATASET_OF.get(task_type)
        if name is None:
            return None
        from core.datasets import dataset_present

        if dataset_present(name):
            return None
        self.log(f"Data set {name} missing; fetching it")
        argv = processes.python_module("core.datasets", "fetch", name)
        result = subprocess.run(argv, capture_output=True, text=True, env=self.config.env, stdin=subprocess.DEVNULL)
        for text in (result.stdout + result.stderr).splitlines()[-20:]:
            self.log(f"[data] {text}")
        if result.returncode != 0:
            return StartOutcome.DATASET, (result.stderr.strip() or result.stdout.strip() or f"exit {result.returncode}")
        return None

    def _launch(self, task_type: str, workers: int) -> None:
        if task_type != "pool" and not self.config.local:
            problem_config.write_default_if_missing(self.config.problem_config)
        self._ensure_sidecar()
        self.run_id = str(uuid.uuid4())
        meta = {"task_type": task_type, "workers": workers, "client": "bitsota-tui",
                "test_mode": self.config.test_mode, "local": self.config.local}
        with SidecarClient(self.config.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
            sidecar.start_run(self.run_id, replace=True, meta=meta)
            self._reset_run(task_type, workers)
            self._refresh_global_sota(sidecar, force=True)
            if task_type == "pool":
                self._launch_pool_worker()
            else:
                self.miner_child = processes.spawn("miner", self._miner_argv(),
                                                   logs_dir() / f"miner-{self.run_id}.log", self._miner_env())
                self.log(f"Miner started (pid={self.miner_child.pid}).")
        self.running, self.connected, self.started_at = True, True, clock.now()

    def _launch_pool_worker(self) -> None:
        """§9: the pool compute worker leases the sidecar's jobs; the coordinator is ticked from `poll`."""
        argv = processes.python_module(
            "miner.pool_worker", "--sidecar-url", self.config.sidecar_url, "--run-id", self.run_id,
            "--workers", str(self.workers), "--mode", self.config.pool_worker_mode, "--lease-evolve-generations",
            str(self.config.settings.pool_lease_evolve_generations), "--exit-with-parent", str(os.getpid()))
        self.miner_child = processes.spawn("pool_worker", argv, logs_dir() / f"pool_worker-{self.run_id}.log",
                                           self.config.env)
        self.log(f"Pool worker started (pid={self.miner_child.pid}, mode {self.pool_mode_name}).")
        self.pool_mode = self._new_pool_mode()

    def _new_pool_mode(self) -> PoolMode:
        return PoolMode(self.keypair, self.config.pool_url, self.config.sidecar_url, self.run_id or "",
                        self.pool_mode_name, self.log)

    def _close_pool_mode(self) -> None:
        if self.pool_mode is not None:
            self.pool_mode.close()
            self.pool_mode = None

    def _reset_run(self, task_type: str, workers: int) -> None:
        self.task_type, self.workers = task_type, workers
        self.cursors = dict.fromkeys(self.cursors, 0)
        self.book = SubmissionBook(self.config.cooldown_s, self.config.settings.verify_before_submit)
        self.state = {}

    def _ensure_sidecar(self) -> None:
        if self.sidecar_child is not None and self.sidecar_child.alive():
            return
        self.sidecar_child = ensure_sidecar(self.config.sidecar_host, self.config.sidecar_port, "tui",
                                            self.config.env) or None
        if self.sidecar_child is None:
            self.log(f"Attached to the sidecar at {self.config.sidecar_url}")
        else:
            self.log(f"Sidecar started (pid={self.sidecar_child.pid}) at {self.config.sidecar_url}")

    def _problem_config(self) -> dict:
        path = self.config.problem_config
        return read_json_object(path) if path and path.is_file() else {}

    def _miner_argv(self) -> list[str]:
        settings, problem = self.config.settings, self._problem_config()
        mining, args = problem.get("mining") or {}, problem.get("args") or {}
        argv = ["--sidecar-url", self.config.sidecar_url, "--run-id", self.run_id, "--task-type", self.task_type,
                "--workers", str(self.workers), "--iterations", "0"]
        if self.global_sota is not None:
            argv += ["--sota-threshold", repr(self.global_sota)]
        if problem:
            argv += ["--config", str(self.config.problem_config)]
        elif self.config.local:
            argv += list(QUICK_PROFILE)
        every = mining.get("checkpoint_generations") or settings.miner_validate_every_n_generations
        argv += ["--population-snapshot-every", str(every)]
        optional = {"--miner-task-count": ("miner_task_count", settings.miner_task_count),
                    "--validator-task-count": ("validator_task_count", settings.validator_task_count),
                    "--seed": ("seed", settings.miner_seed),
                    "--migration-iters": ("migration_iters", settings.miner_migration_generations or None)}
        for flag, (key, value) in optional.items():
            if value is not None and mining.get(key) is None and args.get(key) is None:
                argv += [flag, str(value)]
        saved = self._population_path()
        state = read_json_object(saved)
        engine = args.get("engine") or mining.get("engine") or "baseline"
        if populations.matches(state, self.task_type, engine):
            argv += ["--initial-population-path", str(saved)]
        return processes.python_module("miner.sidecar_miner", *argv, "--exit-with-parent", str(os.getpid()))

    def _miner_env(self) -> dict[str, str]:
        env = dict(self.config.env)
        problem = self._problem_config()
        for section in (problem.get("env") or {}, (problem.get("mining") or {}).get("env") or {}):
            for name, value in section.items():
                if value not in (None, ""):
                    env.setdefault(str(name), "1" if value is True else "0" if value is False else str(value))
        return env

    def _population_path(self) -> Path:
        configured = self.config.settings.population_state_path
        return Path(configured).expanduser() if configured else bitsota_home() / "population_state.json"

    # ------------------------------------------------------------------ SOTA (§6)
    def refresh_sota(self, force: bool = False) -> None:
        with self._lock, SidecarClient(self.config.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
            self._refresh_global_sota(sidecar, force)

    def _refresh_global_sota(self, sidecar: SidecarClient | None, force: bool = False) -> None:
        now = clock.now()
        if not force and now - self._last_sota_refresh < self.config.sota_refresh_s:
            return
        self._last_sota_refresh = now
        pool = self.shows_pool
        try:
            if pool:
                self.pool_sota = pool_sota(self.config.pool_url, pool_problem(self.task_type))
            else:
                self.global_sota = relay_calls.sota_threshold(self.config.relay_url)
                self._relay_seen(True)
        except Exception as exc:
            if not pool:
                self._relay_seen(False, str(exc))
            if now - self._last_sota_error >= 60:
                self._last_sota_error = now
                self.log(f"[warning] {'pool ' if pool else ''}SOTA refresh failed: {exc}")
            return
        if sidecar is not None and self.run_id and not pool:
            try:
                sidecar.set_global_sota(self.global_sota, run_id=self.run_id)
            except (httpx.HTTPError, SidecarError):
                pass

    def _relay_seen(self, reachable: bool, error: str = "") -> None:
        """Log when the relay goes away or comes back; mining and candidates carry on either way."""
        if reachable and self.relay_reachable is False:
            self.log(f"Relay reachable again at {self.config.relay_url}")
        elif not reachable and self.relay_reachable is not False:
            self.log(f"[warning] relay unreachable at {self.config.relay_url} ({error or 'no answer'}); "
                     "mining goes on, candidates stay in the table")
        self.relay_reachable = reachable

    # ------------------------------------------------------------------ poll (§6)
    def poll(self) -> None:
        """One poll of the sidecar; each step fails independently."""
        with self._lock:
            if not self.running:
                return
            if self._miner_gone():
                return
            with SidecarClient(self.config.sidecar_url, timeout=STATE_TIMEOUT_S) as sidecar:
                try:
                    self.state = sidecar.state(run_id=self.run_id)
                    self.connected = True
                except (httpx.HTTPError, SidecarError, ValueError):
                    self.connected = False
                    self._check_sidecar_alive()
                    return
                self._record_history()
                for step in (self._poll_logs, self._poll_candidates, self._poll_populations):
                    try:
                        step(sidecar)
                    except (httpx.HTTPError, SidecarError, ValueError) as exc:
                        self.log(f"[warning] sidecar poll step failed: {exc}")
                self._release_pending(sidecar)
                self._refresh_global_sota(sidecar)
            if self.task_type == "pool":
                self._tick_pool()

    def _tick_pool(self) -> None:
        """§6 step 6; a re-attached pool run gets a fresh coordinator once a wallet is loaded."""
        if self.pool_mode is None and self.keypair is not None:
            self.pool_mode = self._new_pool_mode()
        if self.pool_mode is not None:
            self.pool_mode.tick()

    def _miner_gone(self) -> bool:
        if self.miner_child is None or self.miner_child.alive():
            return False
        code = self.miner_child.exit_code()
        self.log(f"Miner process exited (code {code if code is not None else 'unknown'}).")
        for text in processes.tail(self.miner_child.log_path, 20):
            self.log(f"  {text}")
        self.stop_mining()
        return True

    def _check_sidecar_alive(self) -> None:
        """An owned sidecar that died is restarted once (its journal restores the run)."""
        child = self.sidecar_child
        if child is None or child.alive():
            return
        if self._sidecar_restarts >= 1:
            self.log("ERROR: the sidecar died again; stopping mining")
            self.stop_mining()
            return
        self._sidecar_restarts += 1
        self.log("[warning] the sidecar died; restarting it")
        try:
            self.sidecar_child = None
            self._ensure_sidecar()
        except SidecarStartError as exc:
            self.log(f"ERROR: {exc}")
            self.stop_mining()

    def _record_history(self) -> None:
        snap_engine = [w.get("engine_best") for w in (self.state.get("workers") or {}).values()
                       if w.get("engine_best") is not None]
        self.history["global"].add(self.pool_sota if self.task_type == "pool" else self.global_sota)
        self.history["local"].add(self.book.local_sota(self.state.get("local_sota")))
        self.history["verified"].add(self.state.get("best_candidate_score"))
        self.history["engine"].add(max(snap_engine) if snap_engine else None)

    def _poll_logs(self, sidecar: SidecarClient) -> None:
        for _ in range(LOG_PAGES):
            page = sidecar.logs(self.cursors["logs"], LOG_PAGE, run_id=self.run_id)
            self.cursors["logs"] = page.cursor
            self._lines.extend(page_lines(page.items, page.skipped))
            if len(page.items) < LOG_PAGE:
                break

    def _poll_candidates(self, sidecar: SidecarClient) -> None:
        page = sidecar.candidates(self.cursors["candidates"], 50, run_id=self.run_id)
        self.cursors["candidates"] = page.cursor
        for item in sorted(page.items, key=lambda c: c.get("seq", 0)):
            self._add_row(item)
            self._apply_rule(self.rows[item["seq"]], sidecar)

    def _add_row(self, item: dict) -> None:
        row = CandidateRow(int(item.get("seq", 0)), float(item.get("ts") or clock.now()),
                           int(item.get("worker_id") or 0), int(item.get("iteration") or 0),
                           str(item.get("task_type") or self.task_type), item.get("validator_score"),
                           item.get("eval_score"), _suite_label(item), candidate=dict(item))
        self.rows[row.seq] = row
        while len(self.rows) > CANDIDATE_ROWS:
            self.rows.popitem(last=False)
        self._changed.append(row.seq)

    def _set_status(self, row: CandidateRow, status: str, reason: str = "") -> None:
        row.status, row.reason = status, reason
        self._changed.append(row.seq)

    def _apply_rule(self, row: CandidateRow, sidecar: SidecarClient) -> None:
        """§7.1 for one new candidate."""
        candidate = row.candidate
        decision = self._decide(candidate)
        if decision.action == "verify":
            self._set_status(row, "verifying")
            self._reverify(row)
            decision = self._decide(candidate)
        if decision.action in ("pending", "submit"):
            self.log(f"[submit] Candidate verified_score={verified_score(candidate):.6f} "
                     f"threshold={format_threshold(self._threshold())}")
        if decision.action == "skip":
            self._set_status(row, "skipped", decision.reason)
        elif decision.action == "pending":
            self._park(row)
        elif decision.action == "submit":
            self._submit(row, sidecar)

    def _decide(self, candidate: dict) -> Decision:
        return self.book.decide(candidate, self.global_sota, self.state.get("local_sota"), clock.now(),
                                suite_settings())

    def _threshold(self) -> float | None:
        return threshold(self.global_sota, self.book.local_sota(self.state.get("local_sota")))

    def _park(self, row: CandidateRow) -> None:
        self._set_status(row, "pending", "submission cooldown")
        loser = self.book.park(row.candidate)
        if loser is not None:
            loser_row = self.rows.get(loser.get("seq"))
            if loser_row is not None:
                self._set_status(loser_row, "skipped", BETTER_PENDING if loser is row.candidate else REPLACED_PENDING)

    def _release_pending(self, sidecar: SidecarClient) -> None:
        released = self.book.release_pending(self.global_sota, self.state.get("local_sota"), clock.now())
        if released is None:
            return
        candidate, decision = released
        row = self.rows.get(candidate.get("seq"))
        if row is None:
            return
        if decision.action == "submit":
            self._submit(row, sidecar)
        else:
            self._set_status(row, "skipped", decision.reason)

    def _reverify(self, row: CandidateRow) -> None:
        """Re-score with the validator settings of this environment (`python -m validator.score`)."""
        candidate = row.candidate
        with tempfile.NamedTemporaryFile("w", suffix=".dsl", delete=False) as handle:
            handle.write(candidate.get("algorithm_dsl") or "")
        try:
            argv = processes.python_module("validator.score", handle.name, "--task-type", row.task,
                                           "--input-dim", str(candidate.get("input_dim")), "--json")
            result = subprocess.run(argv, capture_output=True, text=True, env=self.config.env,
                                    stdin=subprocess.DEVNULL, timeout=3600)
            score = json.loads(result.stdout.strip().splitlines()[-1]).get("score") if result.stdout.strip() else None
        except (subprocess.TimeoutExpired, ValueError, IndexError) as exc:
            self.log(f"[error] re-verification of candidate {row.seq} failed: {exc}")
            score = None
        finally:
            Path(handle.name).unlink(missing_ok=True)
        candidate["verified"] = score
        row.verified = score
        self.log(f"[verify] candidate {row.seq} re-scored: {'-inf' if score is None else f'{score:.6f}'}")

    def reverify(self, seq: int) -> float | None:
        """The detail modal's and palette's re-verify action (no submission follows)."""
        with self._lock:
            row = self.rows[seq]
            row.candidate.pop("verified", None)
            self._reverify(row)
            self._changed.append(seq)
            return row.verified

    def _submit(self, row: CandidateRow, sidecar: SidecarClient) -> None:
        body = submission_body(row.candidate, self.run_id or "")
        result = relay_calls.submit(self.config.relay_url, self.keypair, body)
        score = verified_score(row.candidate)
        row.response = result._asdict()
        extra = (f" result_id={result.result_id}" if result.result_id else "") + \
                (f" detail={result.detail}" if result.detail else "")
        self.log(f"[submit] status={result.status} score={score:.6f}{extra}")
        self._set_status(row, result.status, result.detail or "")
        self._relay_seen(result.status != "failed", result.detail or "")
        if result.status == "submitted":
            self.book.record_success(row.candidate, clock.now())
        try:
            sidecar.submission_result(score, result.status, run_id=self.run_id)
        except (httpx.HTTPError, SidecarError) as exc:
            self.log(f"[warning] could not report the submission to the sidecar: {exc}")
        self._write_mining_stats()

    def _poll_populations(self, sidecar: SidecarClient) -> None:
        page = sidecar.populations(self.cursors["populations"], 10, run_id=self.run_id)
        self.cursors["populations"] = page.cursor
        if not page.items:
            return
        path = self._population_path()
        state = read_json_object(path)
        for event in page.items:
            state = populations.merge_snapshot(state, event, self.run_id or "", clock.now())
        write_json_atomic(path, state)

    def _write_mining_stats(self) -> None:
        write_json_atomic(bitsota_home() / "mining_stats.json", {
            "tasks_completed": self.state.get("tasks_completed", 0),
            "successful_submissions": self.state.get("successful_submissions", 0) if self.state else 0,
            "best_score": self.book.best_submitted})

    # ------------------------------------------------------------------ stop and quit (§8)
    def _stop_miner(self) -> None:
        if self.miner_child is not None:
            processes.stop(self.miner_child)
            self.miner_child = None

    def stop_mining(self) -> None:
        with self._lock:
            self._stop_miner()
            self._close_pool_mode()
            if self.run_id:
                try:
                    with SidecarClient(self.config.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
                        sidecar.stop_run(self.run_id)
                except (httpx.HTTPError, SidecarError):
                    pass
            was_running = self.running
            self.running, self.connected = False, False
            self.cursors = dict.fromkeys(self.cursors, 0)
            if was_running:
                self.log("Mining stopped.")
            self.save()

    def children(self) -> list[Child]:
        services = [self.local_services.relay, self.local_services.validator] if self.local_services else []
        return [c for c in [self.miner_child, self.sidecar_child, *services] if c is not None]

    def has_live_children(self) -> bool:
        return any(child.alive() for child in self.children())

    def shutdown(self, keep_running: bool) -> str | None:
        """The quit path: leave children running (detached, state saved) or stop them all."""
        with self._lock:
            if keep_running and self.has_live_children():
                for child in (self.sidecar_child, self.miner_child):
                    if child is not None:
                        processes.detach(child)
                self.save()
                if self.running:
                    return (f"Mining continues in the background (run {self.run_id}). "
                            "Re-attach with bitsota-tui, stop with bitsota-tui --stop.")
                return "Services continue in the background; stop them with bitsota-tui --stop."
            self._stop_miner()
            self._close_pool_mode()
            if self.running and self.run_id and self.sidecar_child is None:
                try:
                    with SidecarClient(self.config.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
                        sidecar.stop_run(self.run_id)
                except (httpx.HTTPError, SidecarError):
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
            for child in (self.sidecar_child, self.miner_child):
                if child is not None:
                    processes.detach(child, wait_s=0)
            return
        for child in self.children():
            processes.signal_group(child.pgid, signal.SIGTERM)

    # ------------------------------------------------------------------ state file (§8.3)
    def save(self) -> None:
        services = []
        if self.local_services:
            ls = self.local_services
            services = [ServiceRecord("relay", ls.relay.pid, ls.relay.pgid, ls.relay_port, str(ls.relay.log_path)),
                        ServiceRecord("validator", ls.validator.pid, ls.validator.pgid, None,
                                      str(ls.validator.log_path))]
        miner = self.miner_child if self.running else None
        save_state(TuiState(
            sidecar_url=self.config.sidecar_url,
            sidecar_pid=self.sidecar_child.pid if self.sidecar_child else None,
            sidecar_owned=self.sidecar_child is not None,
            miner_pid=miner.pid if miner else None, miner_pgid=miner.pgid if miner else None,
            miner_log=str(miner.log_path) if miner else None,
            run_id=self.run_id, task_type=self.task_type, workers=self.workers, started_at_s=self.started_at,
            cursors=dict(self.cursors), submitted_hashes=sorted(self.book.submitted_hashes),
            best_submitted=self.book.best_submitted, pending_candidate=self.book.pending,
            cooldown_started_at_s=self.book.last_success_at, relay_url=self.config.relay_url,
            pool_mode=self.pool_mode_name, test_mode=self.config.test_mode, local=self.config.local,
            services=services))

    def reattach(self, saved: TuiState | None = None) -> bool:
        """Resume a run recorded in the state file when its miner is alive and the sidecar knows it."""
        saved = saved or load_state()
        if saved is None:
            return False
        with self._lock:
            self._reattach_services(saved)
            if saved.sidecar_owned and pid_alive(saved.sidecar_pid):
                self.sidecar_child = Child("sidecar", saved.sidecar_pid, saved.sidecar_pid)
            run = self._sidecar_run(saved)
            if run is not None:
                self._restore_mode(saved, run.get("meta") or {})
            if run is not None and pid_alive(saved.miner_pid):
                self._resume(saved)
                self.log(f"Re-attached to run {saved.run_id} (miner pid {saved.miner_pid})")
                return True
            if run is not None:
                self.run_id = saved.run_id
                self.log(f"Run {saved.run_id} is stopped (its miner is gone).")
            if not self.children():
                clear_state()
            else:
                self.save()
            return False

    def _restore_mode(self, saved: TuiState, meta: dict) -> None:
        """A re-attached run keeps its task type, workers and mode (a `--local` run re-attached without the
        flag is still a TEST run on the local relay), from the state file, else the sidecar's run meta."""
        self.task_type = saved.task_type or meta.get("task_type")
        self.workers = saved.workers or meta.get("workers")
        self.selected_task_type = self.task_type or self.selected_task_type
        if (saved.local or meta.get("local")) and not self.config.local:
            self._use_local_mode()
        if (saved.test_mode or meta.get("test_mode")) and not self.config.settings.test_mode:
            self.config.settings = replace(self.config.settings, test_mode=True)

    def _use_local_mode(self) -> None:
        """The `--local` environment, cooldown and SOTA refresh for a `--local` run re-attached without the flag."""
        self.config.local = True
        for env in (self.config.env, os.environ):
            apply_local_environment(env)
        self.config.cooldown_s = self.book.cooldown_s = self.config.local_cooldown_s
        self.config.sota_refresh_s = LOCAL_SOTA_REFRESH_S

    def _reattach_services(self, saved: TuiState) -> None:
        records = {s.name: s for s in saved.services if pid_alive(s.pid)}
        if "relay" in records and "validator" in records:
            relay, validator = records["relay"], records["validator"]
            self.local_services = LocalServices(
                Child("relay", relay.pid, relay.pgid or relay.pid, Path(relay.log_path) if relay.log_path else None),
                relay.port or 0,
                Child("validator", validator.pid, validator.pgid or validator.pid,
                      Path(validator.log_path) if validator.log_path else None))
            self.log(f"Re-attached to local relay (pid {relay.pid}) and validator (pid {validator.pid})")

    def _sidecar_run(self, saved: TuiState) -> dict | None:
        """The sidecar's state of the saved run, None when the sidecar is gone or does not know the run."""
        if not saved.run_id or not saved.sidecar_url:
            return None
        try:
            with SidecarClient(saved.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
                state = sidecar.state(run_id=saved.run_id)
        except (httpx.HTTPError, SidecarError, ValueError):
            return None
        return state if state.get("created_at_s") is not None else None

    def _resume(self, saved: TuiState) -> None:
        self.run_id = saved.run_id
        self.pool_mode_name = saved.pool_mode or "task"
        self.started_at = saved.started_at_s
        self.cursors.update({k: int(v) for k, v in saved.cursors.items() if k in self.cursors})
        self.book.submitted_hashes = set(saved.submitted_hashes)
        self.book.best_submitted = saved.best_submitted
        self.book.pending = saved.pending_candidate
        self.book.last_success_at = saved.cooldown_started_at_s
        log_path = Path(saved.miner_log) if saved.miner_log else None
        self.miner_child = Child("miner", saved.miner_pid, saved.miner_pgid or saved.miner_pid, log_path)
        self.running, self.connected = True, True


def stop_recorded(saved: TuiState, report: Callable[[str], None] = print) -> int:
    """`bitsota-tui --stop`: stop every live process in the state file (miner first), then remove it."""
    children = []
    if saved.miner_pid:
        children.append(Child("miner", saved.miner_pid, saved.miner_pgid or saved.miner_pid))
    if saved.sidecar_owned and saved.sidecar_pid:
        children.append(Child("sidecar", saved.sidecar_pid, saved.sidecar_pid))
    children += [Child(s.name, s.pid, s.pgid or s.pid) for s in saved.services]
    stopped = 0
    for child in children:
        if child.alive():
            processes.stop(child)
            report(f"stopped {child.name} (pid {child.pid})")
            stopped += 1
    clear_state()
    return stopped

