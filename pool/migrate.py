"""Alembic migrations at start-up (pool.md §4.3), with the guard against foreign schemas."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BitsotaError
from core.infra import migrations
from core.infra.migrations import head_revision, known_revisions

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
ADVISORY_LOCK_KEY = 7_394_211_434  # any fixed key shared by every pool process


class ForeignSchema(BitsotaError):
    def __init__(self, url: str, revision: str | None = None):
        found = (f"is at revision {revision!r}, which this pool does not know (another app's database?)" if revision
                 else "holds a schema not created by this pool")
        super().__init__(f"database at {url} {found}; use an empty database")


class NotMigrated(BitsotaError):
    def __init__(self, url: str, revision: str | None, head: str | None):
        super().__init__(f"database at {url} is at revision {revision or 'none'}, not {head}; "
                         "start without --no-migrate (or run --migrate-only first)")


def _our_revision(connection: Connection, url: str) -> str | None:
    """The database's Alembic revision (None when empty); ForeignSchema when it is not one of ours. Plain SQL,
    so that a refused database is refused before Alembic logs anything."""
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return None
    if "alembic_version" not in tables:  # a reference schema with `components` or `alpha_balances`, say
        raise ForeignSchema(url)
    current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if current is not None and current not in known_revisions(MIGRATIONS_DIR):  # the relay's database, say
        raise ForeignSchema(url, current)
    return current


def _require_head(connection: Connection, url: str) -> None:
    current = _our_revision(connection, url)
    head = head_revision(MIGRATIONS_DIR)
    if current != head:
        raise NotMigrated(url, current, head)


async def upgrade_to_head(engine: AsyncEngine, display_url: str) -> None:
    """`alembic upgrade head`, refusing a database this pool did not create (ForeignSchema)."""
    await migrations.upgrade_to_head(engine, MIGRATIONS_DIR, ADVISORY_LOCK_KEY,
                                     lambda connection: _our_revision(connection, display_url))


async def require_head(engine: AsyncEngine, display_url: str) -> None:
    """For --no-migrate: the database must already be at this pool's head (NotMigrated, ForeignSchema)."""
    async with engine.connect() as connection:
        await connection.run_sync(_require_head, display_url)
