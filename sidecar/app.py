"""The sidecar's HTTP API (sidecar.md §3-§6): `create_app(config)` builds a fresh FastAPI app."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from core.infra.asgi import RequestGuard, install_handlers
from sidecar import __version__
from sidecar.caps import MAX_BODY_BYTES
from sidecar.config import SidecarConfig
from sidecar.errors import PAYLOAD_TOO_LARGE
from sidecar.journal import Journal
from sidecar.loopback import LoopbackOnly
from sidecar.replay import replay
from sidecar.routes import router
from sidecar.routes.runs import parse_batch
from sidecar.run import Run
from sidecar.state import SidecarState

__all__ = ["create_app", "parse_batch"]

APP_TITLE = "BitSota Local Sidecar"


def create_app(config: SidecarConfig | None = None) -> FastAPI:
    config = config or SidecarConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        journal: Journal | None = None
        runs: dict[str, Run] = {}
        current: str | None = None
        if config.journal_dir is not None:
            runs, current = replay(config.journal_dir, config.journal_keep_runs)
            journal = Journal(config.journal_dir, config.journal_max_bytes)
            journal.start()
        app.state.sidecar = state = SidecarState(journal, runs, current)
        try:
            yield
        finally:
            if journal is not None:
                state.journal_pending_progress()
                journal.close()

    app = FastAPI(title=APP_TITLE, version=__version__, lifespan=lifespan)
    app.state.config = config
    install_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=MAX_BODY_BYTES, refuse_nul=False,
                       too_large_detail=PAYLOAD_TOO_LARGE)
    app.add_middleware(LoopbackOnly, check_host=not config.allow_remote)
    app.include_router(router)
    return app
