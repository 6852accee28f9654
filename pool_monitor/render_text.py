"""The `--once` frame (pool.md §7.6): pure Snapshot → plain text, one `key=value` section per line."""

from __future__ import annotations

import datetime as dt

from pool_monitor.client import Snapshot
from pool_monitor.model import dig, events, fmt, leaderboard_rows, mmss, short_hotkey, sota_fields, sparkline

TITLE, SHORT_TITLE = "BITSOTA POOL MONITOR", "BITSOTA"
MIN_URL = 12


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rate(value) -> str:
    return fmt(value, ".2f")


def header_line(snapshot: Snapshot, width: int) -> str:
    """The first line, compacted to fit `width` with the time kept whole: single spaces, then the short title,
    then a URL shortened in the middle."""
    fields = [f"url={snapshot.url}", f"task={snapshot.task_type}", f"at={_iso(snapshot.taken_at)}"]
    for title, separator in ((TITLE, "  "), (TITLE, " "), (SHORT_TITLE, " ")):
        line = separator.join([title, *fields])
        if len(line) <= width:
            return line
    url_length = len(snapshot.url) - (len(line) - width)
    if url_length < MIN_URL:
        return line  # too narrow for the fields; _fit cuts the line's end
    fields[0] = f"url={_shorten_middle(snapshot.url, url_length)}"
    return " ".join([SHORT_TITLE, *fields])


def _shorten_middle(text: str, length: int) -> str:
    head = (length - 1) // 2
    return text[:head] + "…" + text[len(text) - (length - 1 - head):]


def render_frame(snapshot: Snapshot, width: int = 80, ascii_only: bool = False) -> str:
    lines = [header_line(snapshot, width)]
    if not snapshot.reachable:
        lines.append(f"health status=unreachable error={snapshot.errors.get('health', 'unknown')}")
        return _fit(lines, width)
    health, summary = snapshot.health, snapshot.summary
    lines.append(f"health status={dig(health, 'status', kind=str) or '—'} window={fmt(dig(health, 'window_number'))} "
                 f"remaining={mmss(dig(health, 'time_remaining_s'))} block={fmt(dig(health, 'current_block'))}")
    if summary is None:
        lines.append(f"summary n/a ({snapshot.errors.get('summary', 'unavailable')})")
    else:
        lines += _summary_lines(summary, ascii_only)
    sota = sota_fields(snapshot)
    history = sparkline(sota["history"], ascii_only)
    lines.append(f"sota score={fmt(sota['score'], '.6f')} algorithm={fmt(sota['algorithm_id'])} "
                 f"miner={short_hotkey(sota['miner_hotkey'])}" + (f" history={history}" if history else ""))
    if summary is not None:
        lines.append(f"relay enabled={str(bool(dig(summary, 'relay', 'enabled', kind=bool))).lower()}")
    rows = leaderboard_rows(snapshot)
    lines.append("leaderboard" if rows is not None else f"leaderboard n/a ({snapshot.errors.get('leaderboard', '')})")
    for row in rows or []:
        lines.append(f"  {fmt(dig(row, 'rank', kind=int))} {short_hotkey(row.get('hotkey'))} "
                     f"rep={fmt(dig(row, 'reputation'), '.1f')} window={fmt(dig(row, 'window_reputation'), '.1f')} "
                     f"eval={fmt(dig(row, 'evaluations', kind=int))} evo={fmt(dig(row, 'evolutions', kind=int))}")
    if summary is not None:
        lines.append("events")
        for event in events(snapshot):
            ts = dig(event, "ts", kind=str) or ""
            lines.append(f"  {ts[11:19] or '—'} {dig(event, 'kind', kind=str) or '—'} {dig(event, 'message', kind=str) or ''}")
    return _fit(lines, width)


def _summary_lines(summary: dict, ascii_only: bool) -> list[str]:
    c = dig(summary, "consensus", kind=dict) or {}
    agreements, disagreements = dig(c, "agreements_window", kind=int), dig(c, "disagreements_window", kind=int)
    decided = (agreements or 0) + (disagreements or 0)
    agreement = agreements / decided if agreements is not None and decided else None
    return [
        f"miners online={fmt(dig(summary, 'miners', 'online', kind=int))} total={fmt(dig(summary, 'miners', 'total', kind=int))} "
        f"active={fmt(dig(summary, 'miners', 'with_active_assignment', kind=int))}",
        f"tasks issued_per_min={fmt(dig(summary, 'tasks', 'issued_1m', kind=int))} "
        f"completed_per_min={fmt(dig(summary, 'tasks', 'completed_1m', kind=int))} "
        f"expired_15m={fmt(dig(summary, 'tasks', 'expired_15m', kind=int))} overdue={fmt(dig(summary, 'tasks', 'overdue', kind=int))}",
        f"consensus rate={_rate(dig(c, 'rate_window'))} pending={fmt(dig(c, 'pending', kind=int))} "
        f"reached={fmt(dig(c, 'reached_window', kind=int))} no_consensus={fmt(dig(c, 'no_consensus_window', kind=int))} "
        f"agreement={_rate(agreement)}",
    ]


def _fit(lines: list[str], width: int) -> str:
    return "\n".join(line if len(line) <= width else line[: max(1, width - 1)] + "…" for line in lines)


def exit_code(snapshot: Snapshot) -> int:
    if not snapshot.reachable:
        return 2
    return 0 if snapshot.healthy and snapshot.summary is not None else 1
