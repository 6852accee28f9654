"""`~/.bitsota/tui_state.json` (tui.md §8.3): what a later TUI needs to re-attach or `--stop`."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tui.logic.files import bitsota_home, read_json_object, write_json_atomic

STATE_VERSION = 1


@dataclass
class ServiceRecord:
    name: str
    pid: int
    pgid: int | None = None
    port: int | None = None
    log_path: str | None = None


@dataclass
class TuiState:
    version: int = STATE_VERSION
    sidecar_url: str | None = None
    sidecar_pid: int | None = None
    sidecar_owned: bool = False
    miner_pid: int | None = None
    miner_pgid: int | None = None
    miner_log: str | None = None
    run_id: str | None = None
    task_type: str | None = None
    workers: int | None = None
    started_at_s: float | None = None
    cursors: dict[str, int] = field(default_factory=dict)
    relay_url: str | None = None
    pool_mode: str | None = None  # task or lease, for a re-attached pool run
    test_mode: bool = False  # the run's mode, so a re-attach without the flags shows and behaves the same
    local: bool = False
    submitter_pid: int | None = None  # the run's headless submitter (miner.submitter)
    submitter_pgid: int | None = None
    submitter_log: str | None = None
    submitter_status: str | None = None  # its status file
    run_wallet: str | None = None  # the identity the run signs with, fixed when it started
    run_hotkey: str | None = None
    run_wallet_path: str | None = None
    services: list[ServiceRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TuiState:
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        services = [ServiceRecord(**{k: v for k, v in item.items() if k in ServiceRecord.__dataclass_fields__})
                    for item in known.pop("services", None) or [] if isinstance(item, dict) and "pid" in item]
        return cls(**known, services=services)

    def recorded_pids(self) -> list[int]:
        pids = [self.miner_pid, self.submitter_pid] + ([self.sidecar_pid] if self.sidecar_owned else [])
        return [pid for pid in pids + [s.pid for s in self.services] if pid]


def state_path() -> Path:
    return bitsota_home() / "tui_state.json"


def load_state(path: Path | None = None) -> TuiState | None:
    data = read_json_object(path or state_path())
    if not data:
        return None
    try:
        return TuiState.from_json(data)
    except TypeError:
        return None


def save_state(state: TuiState, path: Path | None = None) -> None:
    write_json_atomic(path or state_path(), state.to_json())


def clear_state(path: Path | None = None) -> None:
    (path or state_path()).unlink(missing_ok=True)


def pid_alive(pid: int | None) -> bool:
    """True when a process with this pid exists and is not a zombie."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
