"""In-process request metrics (§8.1): per-minute and per-hour buckets by category, and lifetime totals."""

from __future__ import annotations

import time
from collections import Counter

CATEGORIES = ("miner", "validator", "admin", "public", "other")
MINUTE_BUCKETS_KEPT = 24 * 60
HOUR_BUCKETS_KEPT = 7 * 24

MINER_PREFIXES = ("/submit_solution", "/coldkey_address/update", "/invitation_code/link")
VALIDATOR_PREFIXES = ("/results", "/sota/vote", "/sota/events", "/blacklist/", "/test/")
PUBLIC_PATHS = ("/health", "/version.json", "/sota_threshold", "/sota-events")
PUBLIC_PREFIXES = ("/docs", "/openapi", "/redoc")


def category(path: str) -> str:
    """The metrics category of a request path (§5.0), first match wins."""
    if path.startswith("/admin"):
        return "admin"
    if path.startswith(MINER_PREFIXES):
        return "miner"
    if path.startswith(VALIDATOR_PREFIXES):
        return "validator"
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return "public"
    return "other"


class RequestMetrics:
    def __init__(self) -> None:
        self.started_at = time.time()
        self.last_request_ts: float | None = None
        self.totals: Counter[str] = Counter()
        self.errors_5xx_total = 0
        self._minutes: dict[int, Counter[str]] = {}
        self._hours: dict[int, Counter[str]] = {}

    def record(self, path: str, status: int, now: float | None = None) -> None:
        now = time.time() if now is None else now
        kind = category(path)
        self.last_request_ts = now
        self.totals[kind] += 1
        self.totals["total"] += 1
        if status >= 500:
            self.errors_5xx_total += 1
        for buckets, key, kept in ((self._minutes, int(now // 60), MINUTE_BUCKETS_KEPT),
                                   (self._hours, int(now // 3600), HOUR_BUCKETS_KEPT)):
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = Counter()
                for old in [k for k in buckets if k <= key - kept]:
                    del buckets[old]
            bucket[kind] += 1
            bucket["total"] += 1
            bucket["errors_5xx"] += status >= 500

    def _window(self, buckets: dict[int, Counter[str]], newest: int, count: int) -> dict[str, int]:
        summed: Counter[str] = Counter()
        for key in range(newest - count + 1, newest + 1):
            summed.update(buckets.get(key, Counter()))
        return {name: summed[name] for name in ("total", *CATEGORIES, "errors_5xx")}

    def snapshot(self, now: float | None = None) -> dict:
        now = time.time() if now is None else now
        minute, hour = int(now // 60), int(now // 3600)
        return {
            "uptime_seconds": round(now - self.started_at, 1),
            "last_request_ts": self.last_request_ts,
            "totals": dict(self.totals),
            "last_1m": self._window(self._minutes, minute, 1),
            "last_1h": self._window(self._minutes, minute, 60),
            "last_24h": self._window(self._hours, hour, 24),
            "errors_5xx_total": self.errors_5xx_total,
        }
