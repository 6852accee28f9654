"""Service routes: liveness and version (sidecar.md §3)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from sidecar import SERVICE_NAME, __version__
from sidecar.caps import caps_summary

router = APIRouter()


@router.get("/health")
async def health():
    return {"status": "ok", "ts": time.time(), "service": SERVICE_NAME, "version": __version__}


@router.get("/version")
async def version(request: Request):
    journal = request.app.state.config.journal_dir is not None
    return {"service": SERVICE_NAME, "version": __version__, "journal": journal, "caps": caps_summary()}
