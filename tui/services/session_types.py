"""The session's value types: its configuration, one candidate row, start outcomes and the UI snapshot."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tui.logic.settings import GuiSettings
from tui.services.local_stack import LOCAL_COOLDOWN_S

TASK_TYPES = ("cifar10_binary", "mnist_binary", "scalar_linear", "pool")


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
    verify_timeout_s: float = 60.0  # the submitter's bound on re-scoring one candidate
    local_relay_port: int | None = None  # `--local-relay-port`; None: 8002 if free, else any free port

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
    """What the panes show; copied for the UI thread."""

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
    submitter: dict | None = None  # the submitter's status file (docs/mining.md), None before it wrote one


def suite_label(candidate: dict) -> str:
    count, seed = candidate.get("verify_task_count"), candidate.get("verify_task_seed")
    return "?" if count is None else f"{count}@{seed}"
