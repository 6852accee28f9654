"""Apply the Alembic migrations (§9.3) on the relay's async engine and seed the global SOTA row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BitsotaError
from core.infra import migrations
from core.infra.migrations import current_revision, known_revisions
from relay.models import SotaCache, utcnow

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed 64-bit key; it only has to be the same for every relay process.
ADVISORY_LOCK_KEY = 7_394_211_001


class SchemaTooNew(BitsotaError):
    """The database is at a revision this relay does not know: a newer relay's, or another app's."""

    def __init__(self, revision: str) -> None:
        super().__init__("database schema is newer than this relay")
        self.revision = revision


def _refuse_unknown_revision(connection: Connection) -> None:
    current = current_revision(connection)
    if current is not None and current not in known_revisions(MIGRATIONS_DIR):
        raise SchemaTooNew(current)


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """`alembic upgrade head`; a database created by the public relay (tables, no revision) is adopted by 0001."""
    await migrations.upgrade_to_head(engine, MIGRATIONS_DIR, ADVISORY_LOCK_KEY, _refuse_unknown_revision)


async def schema_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(current_revision)


async def ensure_global_sota(engine: AsyncEngine, default_threshold: float) -> None:
    """Create the `sota_cache` row `global` with the default threshold if it is missing (§2.2 step 6)."""
    async with engine.begin() as connection:
        found = await connection.scalar(select(SotaCache.id).where(SotaCache.task_type == "global"))
        if found is None:
            await connection.execute(
                insert(SotaCache).values(task_type="global", sota_value=default_threshold, updated_at=utcnow())
            )
