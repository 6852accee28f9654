"""The production validator allowlist (§3.4): a static list plus staked, permitted metagraph hotkeys."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from core import chain
from relay.settings import Settings

log = logging.getLogger("relay")
RETRY_AFTER_FAILURE_S = 30.0

MetagraphLoader = Callable[[int, str], chain.MetagraphView]


class AllowlistUnavailable(Exception):
    """No usable allowlist; the message is the 503 detail (the last sync error)."""


class Allowlist:
    def __init__(self, settings: Settings, load_metagraph: MetagraphLoader = chain.load_metagraph):
        self.settings = settings
        self.static = frozenset(settings.validator_allowlist)
        self._load_metagraph = load_metagraph
        self.synced: frozenset[str] = frozenset()
        self.synced_uid0: str | None = None
        self.last_sync_ts = 0.0
        self.last_error: str | None = None
        self._retry_after = 0.0
        self._lock = asyncio.Lock()

    @property
    def uid0_hotkey(self) -> str | None:
        return self.settings.uid0_hotkey or self.synced_uid0

    async def allows(self, hotkey: str) -> bool:
        """Whether `hotkey` may act as a validator; raises AllowlistUnavailable when no set can be served."""
        if self.settings.allowlist_mode == "static":
            return hotkey in self.static
        await self._refresh_if_needed()
        return hotkey in self.static or hotkey in self.synced

    def _fresh(self, now: float) -> bool:
        return self.last_sync_ts > 0 and now - self.last_sync_ts < self.settings.auth_sync_interval_s

    def _stale_usable(self, now: float) -> bool:
        return self.last_sync_ts > 0 and now - self.last_sync_ts < self.settings.auth_stale_max_s

    async def _refresh_if_needed(self) -> None:
        if self._fresh(time.time()):
            return
        async with self._lock:
            now = time.time()
            if self._fresh(now):
                return
            if now < self._retry_after and self._stale_usable(now):
                return
            await self._sync(now)

    async def _sync(self, now: float) -> None:
        try:
            view = await asyncio.wait_for(
                asyncio.to_thread(self._load_metagraph, self.settings.netuid, self.settings.network),
                timeout=self.settings.auth_sync_timeout_s,
            )
        except Exception as exc:  # the chain is remote; every failure is reported, never raised as a 500
            self.last_error = _describe_failure(exc, self.settings.auth_sync_timeout_s)
            log.warning("validator allowlist sync failed: %s", self.last_error)
            if self._stale_usable(now):
                self._retry_after = now + RETRY_AFTER_FAILURE_S
                return
            raise AllowlistUnavailable(self.last_error) from exc
        self.synced = frozenset(
            hotkey
            for hotkey, stake, permit in zip(view.hotkeys, view.stake, view.validator_permit)
            if stake > self.settings.min_validator_stake and permit
        )
        self.synced_uid0 = view.hotkeys[0] if view.hotkeys else None
        self.last_sync_ts = time.time()
        self.last_error = None


def _describe_failure(exc: Exception, timeout: float) -> str:
    if isinstance(exc, chain.ChainUnavailable) and exc.__cause__ is not None:
        return f"{type(exc.__cause__).__name__}: {exc.__cause__}"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"validator sync timeout after {float(timeout)}s"
    return f"validator sync failed: {type(exc).__name__}"
