"""The FastAPI app factory: `create_app(settings)` is shared by `python -m relay`, tests and the TUI."""

from __future__ import annotations

import contextlib
import logging
import math
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import chain
from relay import __version__
from relay.allowlist import Allowlist, MetagraphLoader
from relay.db import READONLY_HINT, Conflict, Database
from relay.metrics import RequestMetrics
from relay.migrate import ensure_global_sota, upgrade_to_head
from relay.replay import ReplayCache
from relay.routers import admin, blacklist, invites, public, submissions, test_queue, votes
from relay.settings import Settings
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
                replay=ReplayCache(settings.replay_cache_size),
                metrics=RequestMetrics(),
            )
            yield
        finally:
            await database.close()

    app = FastAPI(title="AutoML Validator Proxy", version=__version__, lifespan=lifespan, exception_handlers={
        Conflict: _conflict, RequestValidationError: _validation_error, Exception: _internal_error})
    for module in (public, submissions, invites, votes, blacklist, test_queue, admin):
        app.include_router(module.router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    return app


async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


def _finite(value: Any) -> Any:
    """JSON-safe copy: non-finite floats (possible in echoed invalid input) become their repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": _finite(jsonable_encoder(exc.errors()))}, status_code=422)


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


class RequestContext:
    """Outermost middleware: request id, body size limit, per-request log line and metrics."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # what an exception escaping the app turns into

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            body = await self._read_body(receive)
            if body is None:
                response = JSONResponse({"detail": "Request body too large"}, status_code=413)
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, _replay(body, receive), send_with_id)
        finally:
            self._account(scope, request, status, started, request_id)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body, or None once it exceeds the limit."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    @staticmethod
    def _account(scope: Scope, request: Request, status: int, started: float, request_id: str) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        x_key = request.headers.get("x-key")
        log.info(
            "HTTP %s %s status=%d ms=%.1f request_id=%s x_key=%s",
            request.method, request.url, status, elapsed_ms, request_id, x_key[:8] if x_key else None,
        )
        state: RelayState | None = getattr(scope["app"].state, "relay", None)
        if state is not None:
            state.metrics.record(scope["path"], status)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that yields the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
