"""`bitsota-tui --status [--json]`: the state file and the sidecar's state of the recorded run."""

from __future__ import annotations

import json

from tui.logic.state_file import load_state


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
