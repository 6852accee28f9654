"""Apply the Alembic migrations (§9.3) on the relay's async engine and seed the global SOTA row."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from relay.models import SotaCache, utcnow

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed 64-bit key; it only has to be the same for every relay process.
ADVISORY_LOCK_KEY = 7_394_211_001


class SchemaTooNew(RuntimeError):
    """The database is at a revision this relay does not know: a newer relay's, or another app's."""

    def __init__(self, revision: str) -> None:
        super().__init__("database schema is newer than this relay")
        self.revision = revision


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> None:
    config = _alembic_config(connection)
    current = _current_revision(connection)
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaTooNew(current)
    command.upgrade(config, "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """`alembic upgrade head`, serialised across processes on PostgreSQL by an advisory lock."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})"))
        await connection.run_sync(_upgrade)


async def schema_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision)


async def ensure_global_sota(engine: AsyncEngine, default_threshold: float) -> None:
    """Create the `sota_cache` row `global` with the default threshold if it is missing (§2.2 step 6)."""
    async with engine.begin() as connection:
        found = await connection.scalar(select(SotaCache.id).where(SotaCache.task_type == "global"))
        if found is None:
            await connection.execute(
                insert(SotaCache).values(task_type="global", sota_value=default_threshold, updated_at=utcnow())
            )
