"""The pool app factory: `create_app(settings)` for `python -m pool`, tests and local runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

import httpx
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.replay_cache import ReplayCache
from pool import __version__
from pool.db import Conflict, Database
from pool.errors import ACTIVE_TASK, PoolError
from pool.forwarder import Forwarder, run_forwarder
from pool.hotkey import pool_keypair
from pool.migrate import upgrade_to_head
from pool.population import ensure_meta, seed_genesis
from pool.routes import miners, results, status, tasks
from pool.settings import PoolSettings, masked_url
from pool.state import Clock, PoolState
from pool.sweeper import run_sweeper
from pool.windows import WindowClock

log = logging.getLogger("pool")
ACTIVE_INDEX = "uq_assignments_one_active"


async def open_state(settings: PoolSettings, clock: Clock, migrate: bool = True) -> PoolState:
    """Open the database, migrate it, fix the window origin and seed genesis programs."""
    database = Database(settings.database_url)
    try:
        if migrate:
            await upgrade_to_head(database.engine, masked_url(settings.database_url))
        now = clock()
        async with database.write() as connection:
            origin = float(await ensure_meta(connection, "window_origin_ts", repr(float(int(now)))))
        state = PoolState(settings=settings, db=database, windows=WindowClock(origin, settings.window_seconds),
                          clock=clock, replay=ReplayCache(settings.replay_cache_size, "pool"),
                          rng=random.Random(settings.random_seed))
        async with state.write() as connection:
            await seed_genesis(connection, settings.task_types, settings.genesis_input_dim, settings.consensus_k,
                               now, state.window(now))
    except BaseException:
        await database.close()
        raise
    return state


def create_app(settings: PoolSettings, *, clock: Clock = time.time, migrate: bool = True,
               background: bool = True) -> FastAPI:
    """The pool app. Its lifespan opens (and migrates) the database and runs the background tasks."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        state = await open_state(settings, clock, migrate)
        app.state.pool = state
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(state.db.close)
            if background:
                _start(stack, run_sweeper(state))
                if settings.relay_url:
                    http = await stack.enter_async_context(httpx.AsyncClient(base_url=settings.relay_url, timeout=30))
                    _start(stack, run_forwarder(Forwarder(state, pool_keypair(settings), http)))
            yield

    app = FastAPI(title="BitSota Pool API", version=__version__, lifespan=lifespan, exception_handlers={
        PoolError: _pool_error, Conflict: _conflict, RequestValidationError: _validation_error})
    for module in (status, miners, tasks, results):
        app.include_router(module.router)
    return app


def _start(stack: contextlib.AsyncExitStack, coroutine) -> None:
    task = asyncio.create_task(coroutine)

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)


async def _pool_error(_request: Request, exc: PoolError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
    if ACTIVE_INDEX in str(exc) or "assignments.miner_hotkey" in str(exc):
        return JSONResponse({"detail": ACTIVE_TASK}, status_code=400)
    return JSONResponse({"detail": "Conflict"}, status_code=409)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's standard 422 list, without the echoed input (which may hold non-finite numbers)."""
    errors = [{"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
              for error in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
