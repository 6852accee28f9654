"""The FastAPI app factory: `create_app(settings)` is shared by `python -m relay`, tests and the TUI."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import chain
from core.infra.asgi import RequestGuard, RequestId, install_handlers
from core.infra.replay import ReplayLedger
from relay import __version__
from relay.allowlist import Allowlist, MetagraphLoader
from relay.db import READONLY_HINT, Database
from relay.logs import configure_logging
from relay.metrics import RequestMetrics
from relay.migrate import ensure_global_sota, upgrade_to_head
from relay.models import ReplayLedgerTable
from relay.routes import admin, blacklist, invites, public, submissions, uid0_test_queue, votes
from relay.settings import Settings, load_settings
from relay.state import RelayState

log = logging.getLogger("relay")
SQLITE_HINT = "use a writable database, e.g. --database-url sqlite:///./bitsota_relay_test.db"


async def prepare_database(database: Database, settings: Settings) -> None:
    """Start-up steps 5 and 6 (§2.2): migrate to head, then make sure the global SOTA row exists."""
    await upgrade_to_head(database.engine)
    await ensure_global_sota(database.engine, settings.default_sota_threshold)


def create_app(settings: Settings, *, load_metagraph: MetagraphLoader = chain.load_metagraph) -> FastAPI:
    """The relay app. Its lifespan opens the database (migrating it) and closes it again."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        database = Database(settings)
        try:
            await prepare_database(database, settings)
            app.state.relay = RelayState(
                settings=settings,
                db=database,
                allowlist=Allowlist(settings, load_metagraph),
                replay=ReplayLedger(ReplayLedgerTable, database.write, database.engine.dialect.name),
                metrics=RequestMetrics(),
            )
            yield
        finally:
            await database.close()

    app = FastAPI(title="AutoML Validator Proxy", version=__version__, lifespan=lifespan)
    for module in (public, submissions, invites, votes, blacklist, uid0_test_queue, admin):
        app.include_router(module.router)
    install_handlers(app)
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes, body_timeout_s=settings.body_timeout_s)
    app.add_middleware(RequestLog)
    app.add_middleware(RequestId)
    return app


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("state", {}).get("request_id") or str(uuid.uuid4())
    log.error("unhandled error request_id=%s: %s: %s", request_id, type(exc).__name__, exc)
    if READONLY_HINT in str(exc):
        log.error("the database file is read-only: %s", SQLITE_HINT)
    return JSONResponse(
        {"detail": "Internal Server Error", "request_id": request_id},
        status_code=500,
        headers={"X-Request-ID": request_id},
    )


class RequestLog:
    """One log line and one metrics count per request (§2.3, §8.1), whatever answered it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what an exception escaping the app turns into

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self._account(scope, status, started)

    @staticmethod
    def _account(scope: Scope, status: int, started: float) -> None:
        request = Request(scope)
        elapsed_ms = (time.perf_counter() - started) * 1000
        x_key = request.headers.get("x-key")
        log.info(
            "HTTP %s %s status=%d ms=%.1f request_id=%s x_key=%s",
            request.method, request.url, status, elapsed_ms, scope["state"].get("request_id"),
            x_key[:8] if x_key else None,
        )
        state: RelayState | None = getattr(scope["app"].state, "relay", None)
        if state is not None:
            state.metrics.record(scope["path"], status)


def app_from_environment() -> FastAPI:
    """The app of one `python -m relay --workers N` worker process: the settings come from the environment, which
    the parent process filled from its flags and validated (and migrated the database) before starting workers."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
