"""Alembic migrations at start-up, shared by the relay and the pool.

Each service keeps its scripts (`<service>/migrations/`) and its guard, the check that refuses a database it must
not touch (another app's schema, a newer revision); the kit runs the guard and `upgrade head` in one transaction,
serialised across processes on PostgreSQL by an advisory lock, so concurrent starts cannot race.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

Guard = Callable[[Connection], object]  # raises to refuse the upgrade; what it returns is ignored


def alembic_config(connection: Connection, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["connection"] = connection
    return config


def known_revisions(migrations_dir: Path) -> set[str]:
    return {script.revision for script in ScriptDirectory(str(migrations_dir)).walk_revisions()}


def head_revision(migrations_dir: Path) -> str | None:
    return ScriptDirectory(str(migrations_dir)).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade_to_head(engine: AsyncEngine, migrations_dir: Path, lock_key: int, guard: Guard) -> None:
    """Run `guard`, then `alembic upgrade head`, in one transaction; on PostgreSQL under `pg_advisory_xact_lock`."""

    def upgrade(connection: Connection) -> None:
        guard(connection)
        command.upgrade(alembic_config(connection, migrations_dir), "head")

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({lock_key})"))
        await connection.run_sync(upgrade)
