"""The fields a mining session reads and writes, shared by `MiningSession` and the parts mixed into it
(start checks, run record, child watch, UI commands), so each part is type-checked against one declaration.
The methods below that raise are implemented by `MiningSession` or another part; they are declared here
only so a part can call them."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

from bittensor_wallet import Keypair

from tui.logic.history import SeriesHistory
from tui.logic.wallets import WalletEntry
from tui.services.local_stack import LocalServices
from tui.services.processes import Child
from tui.services.session_types import CandidateRow, SessionConfig


class SessionState:
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
        self._submitter_restarts = 0
        self._submitter_given_up = False  # given up: it finished, or died twice
        self._unanswered_polls = 0  # polls in a row an attached (not owned) sidecar did not answer

    def log(self, text: str) -> None:
        self._lines.append(text)

    @property
    def shows_pool(self) -> bool:
        """Whether the SOTA panel shows the pool SOTA (the run's task type, else the controls')."""
        return (self.task_type if self.running else self.selected_task_type) == "pool"

    # Implemented by MiningSession (the first five) and RunRecordMixin (save).
    def stop_mining(self) -> None:
        raise NotImplementedError

    def children(self) -> list[Child]:
        raise NotImplementedError

    def save_wallet_settings(self) -> None:
        raise NotImplementedError

    def _spawn_submitter(self) -> None:
        raise NotImplementedError

    def _ensure_sidecar(self) -> None:
        raise NotImplementedError

    def save(self) -> None:
        raise NotImplementedError
