"""The async SQLite engine that the relay and the pool share: the file's folder is created, every connection
gets the caller's pragmas, and transactions are begun by us, so that a write transaction (an engine with the
`sqlite_immediate` execution option) takes the write lock up front with BEGIN IMMEDIATE."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other databases and in-memory SQLite."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split("://", 1)[1][1:]
    return Path(path) if path and path != ":memory:" else None


def create_sqlite_engine(database_url: str, pragmas: Sequence[str]) -> AsyncEngine:
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(database_url)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take over transaction control from the driver so that BEGIN IMMEDIATE is emitted exactly once.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
