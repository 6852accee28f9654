"""Pool fixtures: real sr25519 keys, pool settings on SQLite or PostgreSQL, in-process apps with an injected
clock, and a uvicorn pool in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn

from core import signing
from miner.pool_client import pool_headers
from pool.app import create_app
from pool.settings import PoolSettings, normalize_database_url
from tests.helpers import free_port, wait_for

NAMES = ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")
KEYS = {name: signing.keypair_from_uri(f"//{name}") for name in NAMES}
T0 = 1_772_366_400.0


class FakeClock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def hotkey(name: str) -> str:
    return KEYS[name].ss58_address


def headers(name: str, now: float) -> dict[str, str]:
    return pool_headers(KEYS[name], now)


def sqlite_settings(tmp_path: Path, **overrides) -> PoolSettings:
    base = PoolSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/pool.db", data_dir=tmp_path, random_seed=7)
    return dataclasses.replace(base, **overrides)


class PoolHarness:
    """An in-process pool (lifespan entered) with a fake clock and signed-call helpers."""

    def __init__(self, app, client: httpx.AsyncClient, clock: FakeClock):
        self.app, self.client, self.clock = app, client, clock

    @property
    def state(self):
        return self.app.state.pool

    async def call(self, name: str | None, method: str, path: str, **kwargs) -> httpx.Response:
        extra = headers(name, self.clock.now) if name else {}
        return await self.client.request(method, path, headers={**extra, **kwargs.pop("headers", {})}, **kwargs)

    async def request(self, name: str, kind: str | None = None) -> httpx.Response:
        return await self.call(name, "POST", "/api/v1/tasks/request", json={"task_type": kind} if kind else {})

    async def evaluate(self, name: str, batch_id: str, scores: dict[int, float | None]) -> httpx.Response:
        body = {"evaluations": [{"algorithm_id": i, "score": s} for i, s in scores.items()]}
        return await self.call(name, "POST", f"/api/v1/tasks/{batch_id}/submit_evaluation", json=body)

    async def evolve(self, name: str, batch_id: str, dsl: str, parents=()) -> httpx.Response:
        body = {"evolved_function": dsl, "parent_functions": [{"id": p} for p in parents]}
        return await self.call(name, "POST", f"/api/v1/tasks/{batch_id}/submit_evolution", json=body)


@contextlib.asynccontextmanager
async def open_pool(settings: PoolSettings, clock: FakeClock | None = None,
                    background: bool = False) -> AsyncIterator[PoolHarness]:
    clock = clock or FakeClock()
    app = create_app(settings, clock=clock, background=background)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool") as client:
            yield PoolHarness(app, client, clock)


@pytest.fixture
async def pool(tmp_path) -> AsyncIterator[PoolHarness]:
    async with open_pool(sqlite_settings(tmp_path)) as harness:
        yield harness


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run_in_thread(coroutine) -> None:
    """asyncio.run in a thread of its own, so async tests (with a running loop) can use the fixture too."""
    errors: list[BaseException] = []
    thread = threading.Thread(target=lambda: _capture(errors, coroutine))
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _capture(errors: list, coroutine) -> None:
    try:
        asyncio.run(coroutine)
    except Exception as exc:  # re-raised in the calling thread
        errors.append(exc)


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A fresh database of its own on the shared server (no collision with the relay's tests)."""
    name = f"bitsota_pool_{uuid.uuid4().hex[:12]}"
    _run_in_thread(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    parts = urlsplit(postgres_url)
    yield normalize_database_url(urlunsplit(parts._replace(path=f"/{name}")))
    _run_in_thread(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def serve_in_thread(app, port: int | None = None, health: str = "/health") -> Iterator[str]:
    """A real server for `app` on a loopback port (free unless given), run by uvicorn in a thread; yields its URL
    once `health` answers 200."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(f"{url}{health}", timeout=1).status_code == 200, timeout=20, what=f"{url}{health}")
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def uvicorn_pool(settings: PoolSettings, clock=None):
    """A real pool on a free loopback port, served by uvicorn in a thread; yields its URL."""
    return serve_in_thread(create_app(settings, clock=clock) if clock is not None else create_app(settings))
