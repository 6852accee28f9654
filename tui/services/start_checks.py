"""The relay side of the start sequence (tui.md §5 step 3): coldkey, clock, invite, coldkey update, the data
set pre-flight, and the SOTA shown while no submitter runs. Mixed into `MiningSession`."""

from __future__ import annotations

import subprocess
from datetime import datetime

import httpx

from miner.relay_client import RelayClient, RelayError
from miner.submitter.pool import pool_problem, pool_sota
from tui.logic import clock
from tui.services import processes
from tui.services.session_types import StartOutcome

DATASET_OF = {"cifar10_binary": "cifar10", "mnist_binary": "mnist"}
RELAY_TIMEOUT_S = 10.0
MAX_CLOCK_SKEW_S = 60.0


def clock_skew(relay: RelayClient, now: float) -> float | None:
    """Seconds between the relay's /health timestamp and `now` (None when unknown)."""
    try:
        return abs(datetime.fromisoformat(str(relay.health()["timestamp"])).timestamp() - now)
    except (RelayError, KeyError, TypeError, ValueError):
        return None


class StartChecksMixin:
    # ------------------------------------------------------------------ SOTA shown while idle (§6)
    def refresh_sota(self, force: bool = False) -> None:
        """Fetch the SOTA for the panel (task-type change, start). While mining the submitter keeps it fresh."""
        pool = self.shows_pool
        if pool and not self.config.pool_url:
            self.idle_sota = None  # --local has no pool
            return
        try:
            if pool:
                self.idle_sota = pool_sota(self.config.pool_url, pool_problem(self.task_type or self.selected_task_type))
                return
            with RelayClient(self.config.relay_url, None, timeout=RELAY_TIMEOUT_S) as relay:
                self.idle_sota = relay.sota_threshold()
            self.relay_reachable = True
        except (RelayError, httpx.HTTPError, ValueError) as exc:  # the relay's, or pool_sota's
            if not pool:
                self.relay_reachable = False
            self.log(f"[warning] {'pool ' if pool else ''}SOTA refresh failed: {exc}")

    def _relay(self) -> RelayClient:
        return RelayClient(self.config.relay_url, self.keypair, "miner", timeout=RELAY_TIMEOUT_S)

    def _direct_checks(self, task_type: str) -> tuple[str, str] | None:
        if not self.coldkey:
            return StartOutcome.NEED_COLDKEY, ""
        self.log(f"Relay endpoint: {self.config.relay_url}")
        with self._relay() as relay:
            self._check_clock(relay)
            if self.config.test_mode:
                self.log("Test mode enabled: skipping invite code requirement.")
            else:
                try:
                    if not relay.invite_linked():
                        return StartOutcome.NEED_INVITE, ""
                except RelayError as exc:
                    self.log(f"ERROR: Invite check failed: {exc}")
                    return StartOutcome.FAILED, str(exc)
            try:
                answer = relay.update_coldkey(self.coldkey)
                error = None if answer.get("status") == "success" else f"unexpected answer {answer!r}"
            except RelayError as exc:
                error = str(exc)
        if error:
            self.log(f"ERROR: Coldkey address update failed: {error}")
            return StartOutcome.FAILED, error
        self.log("Coldkey address sent to relay successfully")
        return self._dataset_preflight(task_type)

    def link_invite(self, code: str) -> str | None:
        """None when the relay linked the invite code to this hotkey, else the message the modal shows."""
        try:
            with self._relay() as relay:
                return None if relay.link_invite(code, self.coldkey) else INVITE_ERRORS["invalid"]
        except RelayError as exc:
            return invite_error(exc)

    def _check_clock(self, relay: RelayClient) -> None:
        if self._clock_checked:
            return
        self._clock_checked = True
        skew = clock_skew(relay, clock.now())
        if skew is not None and skew > MAX_CLOCK_SKEW_S:
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


INVITE_ERRORS = {
    "invalid": "Invalid or already used code.",
    "timeout": "Request timed out. Please check your connection.",
    "connect": "Cannot connect to server. Please try again later.",
    "other": "Verification failed, please try again.",
}


def invite_error(exc: RelayError) -> str:
    """The invite modal's message for a failed `POST /invitation_code/link` (tui.md §7.3)."""
    if exc.status == 403:
        return INVITE_ERRORS["invalid"]
    if exc.status is not None:
        return f"Server error: {exc.status}"
    cause = exc.__cause__
    if isinstance(cause, httpx.TimeoutException):
        return INVITE_ERRORS["timeout"]
    if isinstance(cause, httpx.TransportError):
        return INVITE_ERRORS["connect"]
    return INVITE_ERRORS["other"]
