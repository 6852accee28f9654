"""Wire formats for times (pool.md §1.2): ISO-8601 UTC in whole seconds with a `Z` suffix."""

from __future__ import annotations

import datetime as dt


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
