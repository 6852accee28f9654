"""The relay calls a validator makes (relay.md §5.4, §6, §7): the one relay client, wrapped so each call
logs its failure and answers None instead of raising, because a validator's loop goes on after a bad poll.

Failures are logged on `validator.relay_client` (the logger `--relay-client-log-level` sets, validator.md §3).
"""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

from bittensor_wallet import Keypair

from miner.relay_client import RelayClient, RelayError

logger = logging.getLogger("validator.relay_client")

VOTE_TIMEOUT_S = 15.0

T = TypeVar("T")


class ValidatorRelay:
    """Validator-signed relay calls; every method answers None (logged) where the call failed."""

    def __init__(self, base_url: str, hotkey: Keypair) -> None:
        self.client = RelayClient(base_url, hotkey, "validator")

    def close(self) -> None:
        self.client.close()

    def _quietly(self, what: str, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except RelayError as exc:
            logger.error("Relay request %s failed: %s", what, exc)
            return None

    def fetch_results(self, limit: int, task_id: str | None = None) -> list | None:
        """The `/results` rows, None on failure."""
        return self._quietly("GET /results", lambda: self.client.results(limit, task_id))

    def fetch_sota_threshold(self) -> float | None:
        """The global SOTA, unauthenticated; None on any failure or a null value."""
        try:
            return self.client.sota_threshold()
        except RelayError as exc:
            logger.warning("Could not fetch SOTA threshold: %s", exc)
            return None

    def blacklist(self, miner_hotkey: str) -> bool:
        return self._quietly(f"POST /blacklist/{miner_hotkey}", lambda: self.client.blacklist(miner_hotkey)) is not None

    def vote_sota(self, miner_hotkey: str, score: float, seen_block: int, result_id: str | None) -> dict | None:
        """The vote response object, or None when the vote was not accepted (logged)."""
        try:
            return self.client.vote(miner_hotkey, score, seen_block, result_id, timeout=VOTE_TIMEOUT_S)
        except RelayError as exc:
            logger.error("Failed to submit SOTA vote: %s", exc)
            return None

    def fetch_sota_events(self, limit: int) -> list | None:
        return self._quietly("GET /sota/events", lambda: self.client.sota_events(limit))

    def claim_test_submissions(self, limit: int = 50) -> list | None:
        """UID0 test queue (claim-on-read); None on failure."""
        return self._quietly("GET /test/submissions", lambda: self.client.claim_test_submissions(limit))
