"""`bitsota-tui --status [--json]`: what the state file records, whether each recorded process is really alive,
the sidecar's state of the run and what the submitter did."""

from __future__ import annotations

import json
import time

import httpx

from miner.submitter.status import read_status, status_path
from tui.logic.state_file import TuiState, load_state, pid_alive

RECENT_SUBMISSIONS = 5


def processes(saved: TuiState) -> list[dict]:
    """Each recorded process with its pid and whether it is alive now (a dead pid is never shown running)."""
    named = [("miner", saved.miner_pid), ("submitter", saved.submitter_pid),
             ("sidecar", saved.sidecar_pid), *((s.name, s.pid) for s in saved.services)]
    return [{"name": name, "pid": pid, "alive": pid_alive(pid)} for name, pid in named if pid]


def _sidecar_state(saved: TuiState) -> dict | None:
    from sidecar.client import SidecarClient, SidecarError

    if not saved.sidecar_url:
        return None
    try:
        with SidecarClient(saved.sidecar_url, timeout=1.0) as sidecar:
            return sidecar.state(run_id=saved.run_id)
    except (httpx.HTTPError, SidecarError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _score(value) -> str:
    return "-" if value is None else f"{value:.6f}"


def _print_submitter(status: dict) -> None:
    counters = status.get("counters") or {}
    print(f"submitter: {status.get('state')}  hotkey {status.get('hotkey')}  relay "
          f"{'reachable' if status.get('relay_reachable') else 'unreachable' if status.get('relay_reachable') is False else '?'}"
          f"  global SOTA {_score(status.get('global_sota'))}  local SOTA {_score(status.get('local_sota'))}")
    print("  " + "  ".join(f"{name} {counters.get(name, 0)}" for name in
                           ("seen", "verified", "submitted", "rejected", "failed", "skipped")))
    for entry in (status.get("submissions") or [])[-RECENT_SUBMISSIONS:]:
        when = time.strftime("%H:%M:%S", time.localtime(entry.get("ts") or 0))
        extra = entry.get("result_id") or entry.get("detail") or ""
        print(f"  {when} candidate {entry.get('seq')} {entry.get('status')} score {_score(entry.get('score'))} {extra}")
    if status.get("last_error"):
        print(f"  last error: {status['last_error'].get('message')}")


def print_status(as_json: bool) -> int:
    saved = load_state()
    report: dict = {"state_file": saved.to_json() if saved else None, "processes": [], "sidecar": None,
                    "submitter": None}
    if saved is not None:
        report["processes"] = processes(saved)
        report["sidecar"] = _sidecar_state(saved)
        if saved.run_id:
            report["submitter"] = read_status(saved.submitter_status or status_path(saved.run_id))
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    if saved is None:
        print("No bitsota-tui state file: nothing is running.")
        return 0
    print(f"run {saved.run_id} task {saved.task_type} workers {saved.workers}  sidecar {saved.sidecar_url}"
          f" (owned={saved.sidecar_owned})")
    for proc in report["processes"]:
        print(f"  {proc['name']:<10} pid {proc['pid']:<8} {'running' if proc['alive'] else 'DEAD (not running)'}")
    if report["sidecar"]:
        print(f"sidecar state: {json.dumps(report['sidecar'])}")
    if report["submitter"]:
        _print_submitter(report["submitter"])
    return 0
