"""Admin status JSON and HTML dashboard (§8), behind dashboard auth."""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from relay import __version__
from relay.auth import DashboardAuth
from relay.migrate import schema_revision
from relay.sota import global_sota_row
from relay.state import RelayState, get_state

router = APIRouter(dependencies=[DashboardAuth])


async def status_report(state: RelayState) -> dict:
    db_error = await state.db.ping()
    revision = None if db_error else await schema_revision(state.db.engine)
    return {
        "status": "unhealthy" if db_error else "healthy",
        "db_ok": db_error is None,
        "db_error": db_error,
        "uid0_hotkey": state.allowlist.uid0_hotkey,
        "auth": {
            "validator_cache_count": len(state.allowlist.synced),
            "validator_cache_last_sync_ts": state.allowlist.last_sync_ts,
            "validator_cache_last_error": state.allowlist.last_error,
        },
        "metrics": state.metrics.snapshot(),
        "version": __version__,
        "test_mode": state.settings.test_mode,
        "schema_revision": revision,
        "replay_cache_entries": await state.replay.entries(time.time()),
    }


@router.get("/admin/status")
async def admin_status(request: Request) -> dict:
    return await status_report(get_state(request))


def _row(label: str, value: object) -> str:
    return f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>"


def _card(title: str, rows: list[str]) -> str:
    return f'<div class="card"><h2>{html.escape(title)}</h2><table>{"".join(rows)}</table></div>'


@router.get("/admin/dashboard", response_class=HTMLResponse)
async def admin_dashboard(request: Request) -> HTMLResponse:
    state = get_state(request)
    report = await status_report(state)
    sota = "-"
    if report["db_ok"]:
        async with state.db.read() as session:
            sota = f"{(await global_sota_row(session)).sota_value:.6f}"
    metrics = report["metrics"]
    last = metrics["last_request_ts"]
    status_rows = [
        _row("Service", report["status"]),
        _row("DB", "ok" if report["db_ok"] else f"error: {report['db_error']}"),
        _row("UID0 hotkey", report["uid0_hotkey"] or "-"),
        _row("Uptime", f"{metrics['uptime_seconds'] / 60:.1f} minutes"),
        _row("Last request", datetime.fromtimestamp(last, UTC).isoformat() if last else "-"),
        _row("Test mode", "yes" if report["test_mode"] else "no"),
        _row("Current SOTA", sota),
    ]
    request_rows = [
        _row(f"{label} last {window}", metrics[f"last_{window}"][key])
        for window in ("1m", "1h", "24h")
        for label, key in (("Miner", "miner"), ("Validator", "validator"), ("5xx", "errors_5xx"))
    ]
    refresh = state.settings.dashboard_refresh_s
    page = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="refresh" content="{refresh}"><title>Relay Admin Dashboard</title></head>'
        f"<body><h1>Relay Admin Dashboard</h1><p>Auto-refresh: {refresh}s</p>"
        f"{_card('Status', status_rows)}{_card('Requests', request_rows)}</body></html>"
    )
    return HTMLResponse(page)
