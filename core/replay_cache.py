"""The in-process replay cache of verified signatures, shared by the relay (relay.md §3.3) and the pool
(pool.md §2 step 6)."""

from __future__ import annotations

import heapq
import logging
import time

WARN_INTERVAL_S = 60.0


class ReplayCache:
    """Remembers `(hotkey, signature)` pairs until their signed time plus the freshness window."""

    def __init__(self, capacity: int, logger_name: str = "relay"):
        self.capacity = capacity
        self._log = logging.getLogger(logger_name)
        self._expiry: dict[tuple[str, str], float] = {}
        self._by_expiry: list[tuple[float, tuple[str, str]]] = []  # heap; may hold superseded entries
        self._last_warning = float("-inf")

    def __len__(self) -> int:
        return len(self._expiry)

    def check_and_add(self, hotkey: str, signature_hex: str, expires_at: float, now: float | None = None) -> bool:
        """False if the pair is already cached and unexpired (a replay); otherwise record it and return True."""
        now = time.time() if now is None else now
        key = (hotkey, signature_hex.lower())
        known = self._expiry.get(key)
        if known is not None and known >= now:
            return False
        if len(self._expiry) >= self.capacity:
            self._make_room(now)
        self._expiry[key] = expires_at
        heapq.heappush(self._by_expiry, (expires_at, key))
        return True

    def _make_room(self, now: float) -> None:
        """Purge expired entries, then evict the earliest-expiring until one slot is free."""
        while self._by_expiry and (self._by_expiry[0][0] < now or len(self._expiry) >= self.capacity):
            expires_at, key = heapq.heappop(self._by_expiry)
            if self._expiry.get(key) == expires_at:
                if expires_at >= now:
                    self._warn_eviction(now)
                del self._expiry[key]

    def _warn_eviction(self, now: float) -> None:
        if now - self._last_warning >= WARN_INTERVAL_S:
            self._last_warning = now
            self._log.warning("replay cache full (%d entries): evicting unexpired signatures", self.capacity)
