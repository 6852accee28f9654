"""Tolerant reading of a Snapshot into display values (pool.md §7.5: a missing or mistyped key renders `—`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

DASH = "—"
SPARK = "▁▂▃▄▅▆▇█"
ASCII_SPARK = "_.-=+*#@"


def dig(data: Any, *path: str, kind: type | tuple = (int, float)) -> Any:
    """data[path...] when present and of `kind` (bools never count as numbers), else None."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    if isinstance(data, bool) and kind is not bool:
        return None
    return data if isinstance(data, kind) else None


def fmt(value: Any, spec: str = "") -> str:
    return DASH if value is None else format(value, spec)


def short_hotkey(hotkey: Any) -> str:
    if not isinstance(hotkey, str) or not hotkey:
        return DASH
    return hotkey if len(hotkey) <= 12 else f"{hotkey[:6]}…{hotkey[-4:]}"


def mmss(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return DASH
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def sparkline(values: list, ascii_only: bool = False, width: int = 30) -> str:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)][-width:]
    if not numbers:
        return ""
    glyphs = ASCII_SPARK if ascii_only else SPARK
    low, high = min(numbers), max(numbers)
    span = high - low
    return "".join(glyphs[0 if span == 0 else int((v - low) / span * (len(glyphs) - 1))] for v in numbers)


def sota_fields(snapshot) -> dict:
    """score, algorithm_id, miner_hotkey, updated_at and history scores, from the summary or the fallback."""
    if snapshot.summary is not None:
        sota = dig(snapshot.summary, "sota", kind=dict) or {}
        history = [dig(item, "score") for item in (dig(sota, "history", kind=list) or [])]
        return {"score": dig(sota, "score"), "algorithm_id": dig(sota, "algorithm_id", kind=int),
                "miner_hotkey": dig(sota, "miner_hotkey", kind=str), "updated_at": dig(sota, "updated_at", kind=str),
                "history": history}
    sota = snapshot.sota or {}
    return {"score": dig(sota, "sota_score"), "algorithm_id": dig(sota, "algorithm_id", kind=int),
            "miner_hotkey": dig(sota, "miner_hotkey", kind=str), "updated_at": dig(sota, "updated_at", kind=str),
            "history": []}


def leaderboard_rows(snapshot) -> list[dict] | None:
    rows = dig(snapshot.summary, "leaderboard", kind=list) if snapshot.summary is not None else snapshot.leaderboard
    return [row for row in rows if isinstance(row, dict)] if rows is not None else None


def events(snapshot) -> list[dict]:
    return [e for e in (dig(snapshot.summary, "events", kind=list) or []) if isinstance(e, dict)]


def iso_age(iso_time: Any, now: float) -> str:
    """How long ago an ISO-8601 UTC time was, as `45s`, `12m`, `3h` or `2d`; `—` when unreadable."""
    if not isinstance(iso_time, str):
        return DASH
    try:
        then = dt.datetime.fromisoformat(iso_time.replace("Z", "+00:00"))
    except ValueError:
        return DASH
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.UTC)
    seconds = max(0, int(now - then.timestamp()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
