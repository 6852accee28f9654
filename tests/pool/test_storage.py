"""§4 and acceptance check 7: migrations on SQLite and PostgreSQL, no autogenerate drift, foreign-schema guard,
and the API flow on both databases."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from pool.migrate import ForeignSchema, upgrade_to_head
from pool.models import metadata
from tests.pool.conftest import open_pool, sqlite_settings


async def _migrate_and_diff(url: str) -> list:
    engine = create_async_engine(url)
    try:
        await upgrade_to_head(engine, url)
        await upgrade_to_head(engine, url)  # a second run is a no-op
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    finally:
        await engine.dispose()


async def test_sqlite_migrations_match_models(tmp_path):
    assert await _migrate_and_diff(f"sqlite+aiosqlite:///{tmp_path}/m.db") == []


async def test_postgres_migrations_match_models(postgres_database):
    assert await _migrate_and_diff(postgres_database) == []


def test_foreign_schema_stops_startup_with_one_line(tmp_path):
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE components (id INTEGER PRIMARY KEY)")
    with pytest.raises(ForeignSchema, match="holds a schema not created by this pool; use an empty database"):
        asyncio.run(_migrate_and_diff(f"sqlite+aiosqlite:///{path}"))
    cli = subprocess.run([sys.executable, "-m", "pool", "--database-url", f"sqlite:///{path}", "--migrate-only"],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2
    assert cli.stderr.strip().splitlines()[-1].startswith("error: database at ")


def test_migrate_only_creates_an_empty_database(tmp_path):
    cli = subprocess.run([sys.executable, "-m", "pool", "--data-dir", str(tmp_path), "--migrate-only"],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    with sqlite3.connect(tmp_path / "pool.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002_replay_ledger",)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_api_flow_on_both_databases(backend, tmp_path, request):
    settings = sqlite_settings(tmp_path)
    if backend == "postgres":
        settings = dataclasses.replace(settings, database_url=request.getfixturevalue("postgres_database"))
    async with open_pool(settings) as pool:
        health = (await pool.client.get("/health")).json()
        assert health["status"] == "healthy" and health["window_length_s"] == 3600
        for name in ("Alice", "Bob", "Charlie"):
            batch = (await pool.request(name, "evaluate")).json()
            reply = await pool.evaluate(name, batch["batch_id"], {a["id"]: 0.25 for a in batch["algorithms"]})
        assert reply.json()["consensus_reached"] == [1, 2, 3, 4]
        twice = await pool.request("Alice", "evolve")
        assert (await pool.request("Alice", "evolve")).json()["detail"] == "Miner already has active task"
        assert twice.status_code == 200
        sota = (await pool.client.get("/api/v1/results/sota")).json()
        assert sota["sota_score"] == 0.25 and sota["algorithm_id"] == 1
    async with open_pool(settings) as reopened:  # genesis is not inserted twice
        summary = (await reopened.client.get("/api/v1/monitor/summary")).json()
        assert summary["consensus"]["pending"] == 0 and summary["miners"]["total"] == 3
