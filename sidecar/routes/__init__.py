"""The sidecar's routes (sidecar.md §3-§6), one module per group; `router` holds them in the documented order."""

from __future__ import annotations

from fastapi import APIRouter

from sidecar.routes import jobs, runs, service, stores

router = APIRouter()
for group in (service, runs, stores, jobs):
    router.include_router(group.router)
