"""The pool's async engine (pool.md §4.1) and its two kinds of transaction."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.infra.database import create_engine as create_service_engine
from core.infra.errors import Conflict

SQLITE_PRAGMAS = ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON")


def create_engine(database_url: str) -> AsyncEngine:
    return create_service_engine(database_url, SQLITE_PRAGMAS, pool_size=5, max_overflow=5, pool_pre_ping=True)


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
            raise Conflict("Conflict", str(exc.orig)) from exc

    async def ping(self, timeout_s: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(timeout_s), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # any driver error or the timeout means unavailable
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()
