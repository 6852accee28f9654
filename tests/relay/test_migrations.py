"""Alembic migrations (§9.3): empty databases and adopting a database created by the public relay."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from sqlalchemy import inspect, text

from relay.db import Database
from relay.migrate import ensure_global_sota, schema_revision, upgrade_to_head
from relay.settings import normalize_database_url
from tests.relay.conftest import admin_execute, relay_settings, with_database

# The public relay's tables as an older deployment created them: no signature columns on mining_results,
# no seen_block on sota_votes, no test_submissions table, no uniqueness on results or blacklist pairs.
PUBLIC_RELAY_DDL = [
    "CREATE TABLE mining_results (id VARCHAR(64) PRIMARY KEY, miner_hotkey VARCHAR(48) NOT NULL, task_id TEXT NOT NULL,"
    " algorithm_result TEXT NOT NULL, score FLOAT, timestamp TIMESTAMP, validator_verified VARCHAR(48))",
    "CREATE TABLE blacklist_votes (id INTEGER PRIMARY KEY, miner_hotkey VARCHAR(48) NOT NULL,"
    " validator_hotkey VARCHAR(48) NOT NULL, timestamp TIMESTAMP)",
    "CREATE TABLE invitation_codes (id VARCHAR(8) PRIMARY KEY, miner_hotkey VARCHAR(48) UNIQUE,"
    " coldkey_address VARCHAR(48), timestamp TIMESTAMP NOT NULL)",
    "CREATE TABLE sota_cache (id INTEGER PRIMARY KEY, task_type VARCHAR(64) NOT NULL UNIQUE, sota_value FLOAT NOT NULL,"
    " updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE sota_votes (id INTEGER PRIMARY KEY, validator_hotkey VARCHAR(48) NOT NULL UNIQUE,"
    " miner_hotkey VARCHAR(48) NOT NULL, score_int INTEGER NOT NULL, score FLOAT NOT NULL, result_id VARCHAR(64),"
    " timestamp TIMESTAMP NOT NULL)",
    "CREATE TABLE sota_events (id INTEGER PRIMARY KEY, miner_hotkey VARCHAR(48) NOT NULL, score_int INTEGER NOT NULL,"
    " score FLOAT NOT NULL, result_id VARCHAR(64), decision_block INTEGER NOT NULL, start_block INTEGER NOT NULL,"
    " end_block INTEGER NOT NULL, alignment_mod INTEGER NOT NULL, t2_blocks INTEGER NOT NULL,"
    " created_at TIMESTAMP NOT NULL)",
    "INSERT INTO mining_results VALUES ('old', 'M1', 't', '{}', 0.1, '2025-01-01 00:00:00', NULL)",
    "INSERT INTO mining_results VALUES ('new', 'M1', 't', '{}', 0.2, '2025-02-01 00:00:00', NULL)",
    "INSERT INTO mining_results VALUES ('undated', 'M2', 't', '{}', 0.3, NULL, NULL)",
    "INSERT INTO blacklist_votes VALUES (1, 'M1', 'V1', '2025-01-01 00:00:00')",
    "INSERT INTO blacklist_votes VALUES (2, 'M1', 'V1', '2025-01-02 00:00:00')",
    "INSERT INTO blacklist_votes VALUES (3, 'M1', 'V2', '2025-01-03 00:00:00')",
    "INSERT INTO sota_cache VALUES (1, 'global', 0.75, '2025-01-01 00:00:00')",
]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """The URL of a brand-new, empty database."""
    if request.param == "sqlite":
        yield normalize_database_url(f"sqlite:///{tmp_path / 'fresh.db'}")
        return
    server = request.getfixturevalue("postgres_url")
    name = f"bitsota_mig_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_execute(server, f'CREATE DATABASE "{name}"'))
    yield normalize_database_url(with_database(server, name))
    asyncio.run(admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _run(url: str, before: Sequence[str] = ()) -> dict:
    database = Database(relay_settings(url))
    try:
        async with database.engine.begin() as connection:
            for statement in before:
                await connection.execute(text(statement))
        await upgrade_to_head(database.engine)
        await upgrade_to_head(database.engine)  # idempotent
        await ensure_global_sota(database.engine, 0.0)
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            columns = await connection.run_sync(
                lambda sync: {t: {c["name"] for c in inspect(sync).get_columns(t)} for t in ("mining_results", "sota_votes")}
            )
            results = (await connection.execute(text("SELECT id, timestamp FROM mining_results ORDER BY id"))).all()
            pairs = (await connection.execute(text("SELECT id FROM blacklist_votes ORDER BY id"))).scalars().all()
            sota = (await connection.execute(text("SELECT sota_value FROM sota_cache"))).scalars().all()
        insert = "INSERT INTO blacklist_votes (id, miner_hotkey, validator_hotkey, timestamp) VALUES ({}, 'M1', '{}', '2025-05-05')"
        async with database.engine.begin() as connection:
            await connection.execute(text(insert.format(10, "V3")))  # a new pair is fine
        duplicate_rejected = False
        try:
            async with database.engine.begin() as connection:
                await connection.execute(text(insert.format(11, "V2")))
        except Exception:  # the IntegrityError of the new unique pair constraint
            duplicate_rejected = True
        return {
            "revision": await schema_revision(database.engine), "tables": tables, "columns": columns,
            "results": results, "pairs": pairs, "sota": sota, "duplicate_rejected": duplicate_rejected,
        }
    finally:
        await database.close()


def test_empty_database_reaches_head(empty_database):
    outcome = asyncio.run(_run(empty_database))
    assert outcome["revision"] == "0004"
    assert outcome["tables"] >= {
        "mining_results", "test_submissions", "blacklist_votes", "invitation_codes", "sota_cache", "sota_votes",
        "sota_events", "alembic_version",
    }
    assert outcome["sota"] == [0.0]


def test_public_relay_database_is_adopted(empty_database):
    outcome = asyncio.run(_run(empty_database, PUBLIC_RELAY_DDL))
    assert outcome["revision"] == "0004"
    assert "test_submissions" in outcome["tables"]
    assert {"signature", "timestamp_message"} <= outcome["columns"]["mining_results"]
    assert "seen_block" in outcome["columns"]["sota_votes"]
    ids = [row[0] for row in outcome["results"]]
    assert ids == ["new", "undated"]  # the newest row per miner is kept
    assert all(row[1] is not None for row in outcome["results"])  # NULL timestamps filled
    assert outcome["pairs"] == [1, 3]
    assert outcome["duplicate_rejected"]
    assert outcome["sota"] == [0.75]  # the existing SOTA is kept


async def _schema_differences(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from relay.models import Base

    database = Database(relay_settings(url))
    try:
        await upgrade_to_head(database.engine)
        # SQLite has no column widths and one 64-bit INTEGER, so 0002 leaves its declared types as they were; the
        # types are compared on PostgreSQL, where they are real.
        async with database.engine.connect() as connection:
            return await connection.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": sync.dialect.name != "sqlite"}), Base.metadata))
    finally:
        await database.close()


def test_the_migrated_schema_equals_the_models(empty_database):
    assert asyncio.run(_schema_differences(empty_database)) == []
