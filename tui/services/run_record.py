"""The state file of a run (tui.md §8.3): save it, re-attach from it, and `bitsota-tui --stop`.
`RunRecordMixin` is mixed into `MiningSession`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from miner.submitter.status import read_status, status_path
from sidecar.client import SidecarClient
from tui.logic.state_file import ServiceRecord, TuiState, clear_state, load_state, pid_alive, save_state
from tui.logic.wallets import read_entry
from tui.services import processes
from tui.services.local_stack import LOCAL_SOTA_REFRESH_S, LocalServices, apply_local_environment
from tui.services.processes import Child
from tui.services.run_view import SIDECAR_ERRORS
from tui.services.session_state import SessionState

CONTROL_TIMEOUT_S = 1.0
SUMMARY_SUBMISSIONS = 5


def _child(name: str, pid: int | None, pgid: int | None, log: str | None) -> Child | None:
    return Child(name, pid, pgid or pid, Path(log) if log else None) if pid else None


class RunRecordMixin(SessionState):
    def save(self) -> None:
        services = []
        if self.local_services:
            ls = self.local_services
            services = [ServiceRecord("relay", ls.relay.pid, ls.relay.pgid, ls.relay_port, str(ls.relay.log_path)),
                        ServiceRecord("validator", ls.validator.pid, ls.validator.pgid, None,
                                      str(ls.validator.log_path))]
        miner = self.miner_child if self.running else None
        submitter = self.submitter_child if self.running else None
        wallet = self.run_wallet if self.running else None
        save_state(TuiState(
            sidecar_url=self.config.sidecar_url,
            sidecar_pid=self.sidecar_child.pid if self.sidecar_child else None,
            sidecar_owned=self.sidecar_child is not None,
            miner_pid=miner.pid if miner else None, miner_pgid=miner.pgid if miner else None,
            miner_log=str(miner.log_path) if miner else None,
            run_id=self.run_id, task_type=self.task_type, workers=self.workers, started_at_s=self.started_at,
            cursors=dict(self.cursors), relay_url=self.config.relay_url,
            pool_mode=self.pool_mode_name, test_mode=self.config.test_mode, local=self.config.local,
            submitter_pid=submitter.pid if submitter else None, submitter_pgid=submitter.pgid if submitter else None,
            submitter_log=str(submitter.log_path) if submitter else None,
            submitter_status=str(status_path(self.run_id)) if submitter and self.run_id else None,
            run_wallet=wallet.wallet if wallet else None, run_hotkey=wallet.hotkey if wallet else None,
            run_wallet_path=str(wallet.root) if wallet else None,
            services=services))

    def reattach(self, saved: TuiState | None = None) -> bool:
        """Resume a run recorded in the state file when its miner is alive and the sidecar knows it."""
        saved = saved or load_state()
        if saved is None:
            return False
        with self._lock:
            self._reattach_services(saved)
            if saved.sidecar_owned and saved.sidecar_pid is not None and pid_alive(saved.sidecar_pid):
                self.sidecar_child = Child("sidecar", saved.sidecar_pid, saved.sidecar_pid)
            run = self._sidecar_run(saved)
            if run is not None:
                self._restore_mode(saved, run.get("meta") or {})
            if run is not None and pid_alive(saved.miner_pid):
                self._resume(saved)
                self.log(f"Re-attached to run {saved.run_id} (miner pid {saved.miner_pid})")
                self._log_submitter_summary()
                return True
            if run is not None:
                self.run_id = saved.run_id
                self.log(f"Run {saved.run_id} is stopped (its miner is gone).")
            submitter = _child("submitter", saved.submitter_pid, saved.submitter_pgid, saved.submitter_log)
            if submitter is not None and submitter.alive():
                processes.stop(submitter)  # its miner is gone: nothing left to submit
            if not self.children():
                clear_state()
            else:
                self.save()
            return False

    def _log_submitter_summary(self) -> None:
        """What the submitter did while no TUI was attached: its state and its latest submissions."""
        status = self.submitter_status
        if status is None:
            self.log("[submitter] no status file yet")
            return
        counters = status.get("counters") or {}
        self.log(f"[submitter] {status.get('state')}: submitted {counters.get('submitted', 0)}, "
                 f"rejected {counters.get('rejected', 0)}, failed {counters.get('failed', 0)} in this run")
        for entry in (status.get("submissions") or [])[-SUMMARY_SUBMISSIONS:]:
            when = time.strftime("%H:%M:%S", time.localtime(entry.get("ts") or 0))
            score = entry.get("score")
            extra = f" result_id={entry['result_id']}" if entry.get("result_id") else f" ({entry.get('detail')})"
            self.log(f"[submitter] {when} candidate {entry.get('seq')} {entry.get('status')} "
                     f"score={'-' if score is None else f'{score:.6f}'}{extra}")

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
        self.config.cooldown_s = self.config.local_cooldown_s
        self.config.sota_refresh_s = LOCAL_SOTA_REFRESH_S

    def _reattach_services(self, saved: TuiState) -> None:
        records = {s.name: s for s in saved.services if pid_alive(s.pid)}
        if "relay" in records and "validator" in records:
            relay, validator = records["relay"], records["validator"]
            relay_child = _child("relay", relay.pid, relay.pgid, relay.log_path)
            validator_child = _child("validator", validator.pid, validator.pgid, validator.log_path)
            if relay_child is None or validator_child is None:  # pid_alive already ruled out a missing pid
                return
            self.local_services = LocalServices(relay_child, relay.port or 0, validator_child)
            self.log(f"Re-attached to local relay (pid {relay.pid}) and validator (pid {validator.pid})")

    def _sidecar_run(self, saved: TuiState) -> dict | None:
        """The sidecar's state of the saved run, None when the sidecar is gone or does not know the run."""
        if not saved.run_id or not saved.sidecar_url:
            return None
        try:
            with SidecarClient(saved.sidecar_url, timeout=CONTROL_TIMEOUT_S) as sidecar:
                state = sidecar.state(run_id=saved.run_id)
        except SIDECAR_ERRORS:
            return None
        return state if state.get("created_at_s") is not None else None

    def _resume(self, saved: TuiState) -> None:
        self.run_id = saved.run_id
        self.pool_mode_name = saved.pool_mode or "task"
        self.started_at = saved.started_at_s
        self.cursors.update({k: int(v) for k, v in saved.cursors.items() if k in self.cursors})
        self.miner_child = _child("miner", saved.miner_pid, saved.miner_pgid, saved.miner_log)
        self.submitter_child = _child("submitter", saved.submitter_pid, saved.submitter_pgid, saved.submitter_log)
        if saved.run_wallet and saved.run_hotkey and saved.run_wallet_path:
            self.run_wallet = read_entry(Path(saved.run_wallet_path), saved.run_wallet, saved.run_hotkey)
        self.submitter_status = read_status(saved.submitter_status or status_path(saved.run_id or ""))
        self.cursors["candidates"] = 0  # the table is rebuilt; statuses come from the submitter's file
        self.running, self.connected = True, True


def stop_recorded(saved: TuiState, report: Callable[[str], None] = print) -> int:
    """`bitsota-tui --stop`: stop every live process in the state file (miner first), then remove it."""
    children = [_child("miner", saved.miner_pid, saved.miner_pgid, None),
                _child("submitter", saved.submitter_pid, saved.submitter_pgid, None)]
    if saved.sidecar_owned:
        children.append(_child("sidecar", saved.sidecar_pid, saved.sidecar_pid, None))
    children += [_child(s.name, s.pid, s.pgid, None) for s in saved.services]
    stopped = 0
    for child in children:
        if child is not None and child.alive():
            processes.stop(child)
            report(f"stopped {child.name} (pid {child.pid})")
            stopped += 1
    clear_state()
    return stopped
