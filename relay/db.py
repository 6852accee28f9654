"""Database access: the async engine with its SQLite or PostgreSQL settings (§9.2) and transactions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.infra.database import create_engine as create_service_engine
from core.infra.errors import Conflict
from relay.settings import Settings

READONLY_HINT = "attempt to write a readonly database"


def create_engine(settings: Settings) -> AsyncEngine:
    """The engine for `settings.database_url`, with the pragmas or pool sizes of §9.2."""
    pragmas = ("journal_mode=WAL", "synchronous=NORMAL", f"busy_timeout={settings.sqlite_busy_timeout_ms}",
               "foreign_keys=ON")
    return create_service_engine(settings.database_url, pragmas, pool_size=25, max_overflow=40, pool_timeout=120,
                                 pool_pre_ping=True, pool_recycle=1800)


class Database:
    """The engine plus the two kinds of transaction the handlers use."""

    def __init__(self, settings: Settings):
        self.is_sqlite = settings.is_sqlite
        self.engine = create_engine(settings)
        self._write_engine = self.engine.execution_options(sqlite_immediate=True)
        # SQLite allows one writer; queueing writers here keeps them off the busy-timeout path.
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A deferred (read-only) transaction."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def write(self, conflict: str = "Conflict: concurrent write, retry") -> AsyncIterator[AsyncSession]:
        """A read-then-write transaction (BEGIN IMMEDIATE on SQLite); an IntegrityError becomes Conflict."""
        async with self._sqlite_writer or contextlib.nullcontext():
            try:
                async with AsyncSession(self._write_engine, expire_on_commit=False) as session, session.begin():
                    yield session
            except IntegrityError as exc:
                raise Conflict(conflict, str(exc.orig)) from exc

    async def ping(self) -> str | None:
        """None when `SELECT 1` works, else `<ExceptionClass>: <message>`."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error is reported, not raised
            return f"{type(exc).__name__}: {exc}"
        return None

    async def close(self) -> None:
        await self.engine.dispose()
