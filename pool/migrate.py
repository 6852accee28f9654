"""Alembic migrations at start-up (pool.md §4.3), with the guard against foreign schemas."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
ADVISORY_LOCK_KEY = 7_394_211_434  # any fixed key shared by every pool process


class ForeignSchema(RuntimeError):
    def __init__(self, url: str):
        super().__init__(f"database at {url} holds a schema not created by this pool; use an empty database")


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _has_foreign_schema(connection: Connection) -> bool:
    tables = set(inspect(connection).get_table_names())
    return bool(tables) and "alembic_version" not in tables


def _upgrade(connection: Connection, url: str) -> None:
    if _has_foreign_schema(connection):
        raise ForeignSchema(url)
    command.upgrade(alembic_config(connection), "head")


async def upgrade_to_head(engine: AsyncEngine, display_url: str) -> None:
    """`alembic upgrade head`; on PostgreSQL serialised across processes by an advisory lock."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})"))
        await connection.run_sync(_upgrade, display_url)
