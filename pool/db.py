"""The pool's async engine (pool.md §4.1) and its two kinds of transaction."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE_PRAGMAS = ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON")


class Conflict(Exception):
    """A unique-constraint violation the handlers did not foresee; answered 409 `Conflict`."""


def create_engine(database_url: str) -> AsyncEngine:
    if not database_url.startswith("sqlite"):
        return create_async_engine(database_url, pool_size=5, max_overflow=5, pool_pre_ping=True)
    path = database_url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(database_url)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    def __init__(self, database_url: str):
        self.url = database_url
        self.engine = create_engine(database_url)
        self._write_engine = self.engine.execution_options(sqlite_immediate=True)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            yield connection

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction (BEGIN IMMEDIATE on SQLite); an IntegrityError becomes Conflict."""
        try:
            async with self._write_engine.begin() as connection:
                yield connection
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    async def ping(self, timeout_s: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(timeout_s), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # any driver error or the timeout means unavailable
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()
