"""Database access: the async engine with its SQLite or PostgreSQL settings (§9.2) and transactions."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from relay.settings import Settings, sqlite_path

READONLY_HINT = "attempt to write a readonly database"


class Conflict(Exception):
    """A unique or primary-key violation; the message is the 409 detail."""


def create_engine(settings: Settings) -> AsyncEngine:
    """The engine for `settings.database_url`, with the pragmas or pool sizes of §9.2."""
    if not settings.is_sqlite:
        return create_async_engine(
            settings.database_url,
            pool_size=25,
            max_overflow=40,
            pool_timeout=120,
            pool_pre_ping=True,
            pool_recycle=1800,
        )
    path = sqlite_path(settings.database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(settings.database_url)
    _install_sqlite_hooks(engine, settings.sqlite_busy_timeout_ms)
    return engine


def _install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take over transaction control from the driver so that BEGIN IMMEDIATE is emitted exactly once.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", f"busy_timeout={busy_timeout_ms}", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
                raise Conflict(conflict) from exc

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
