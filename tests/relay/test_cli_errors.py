"""`python -m relay` at the edges, as real processes: an unreachable database, another app's database and a
busy port are each one clear line (password masked), without a traceback or a misleading "listening" line."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from relay.settings import normalize_database_url
from tests.helpers import free_port
from tests.relay.conftest import admin_execute, with_database
from tests.relay.test_settings import run_relay

ROOT = Path(__file__).resolve().parents[2]


def one_line(done: subprocess.CompletedProcess) -> str:
    [line] = done.stderr.strip().splitlines()
    return line


def migrate_pool_database(database_url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pool", "--database-url", database_url, "--migrate-only",
                           "--log-level", "warning"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_unreachable_database_is_one_line_with_the_password_masked(tmp_path):
    url = f"postgresql+asyncpg://nobody:s3cret@127.0.0.1:{free_port()}/x"
    done = run_relay("--test", "--database-url", url, "--migrate-only", cwd=tmp_path)
    assert done.returncode == 2
    line = one_line(done)
    assert line.startswith("relay: cannot prepare the database postgresql+asyncpg://nobody:***@127.0.0.1:")
    assert "ConnectionRefusedError" in line and "s3cret" not in done.stderr


def test_the_pools_sqlite_database_is_refused_naming_it_and_its_revision(tmp_path):
    path = tmp_path / "pool.db"
    migrate_pool_database(f"sqlite:///{path}")
    done = run_relay("--test", "--database-url", f"sqlite:///{path}", "--migrate-only", cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done) == (f"relay: database schema is newer than this relay: sqlite+aiosqlite:///{path} "
                              "is at revision '0002_replay_ledger' (or is it another app's database?)")


@pytest.fixture
def own_postgres_database(postgres_url: str) -> Iterator[str]:
    """A database of this test's own: the relay's `postgres_database` is shared by the whole session."""
    name = f"bitsota_relay_cli_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_execute(postgres_url, f'CREATE DATABASE "{name}"'))
    yield normalize_database_url(with_database(postgres_url, name))
    asyncio.run(admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.postgres
def test_the_pools_postgres_database_is_refused_with_the_password_masked(own_postgres_database, tmp_path):
    migrate_pool_database(own_postgres_database)
    url = own_postgres_database.replace("postgresql+asyncpg://postgres@", "postgresql+asyncpg://postgres:pw@")
    done = run_relay("--test", "--database-url", url, "--migrate-only", cwd=tmp_path)
    assert done.returncode == 2
    line = one_line(done)
    assert line.startswith("relay: database schema is newer than this relay: postgresql+asyncpg://postgres:***@")
    assert "is at revision '0002_replay_ledger'" in line and ":pw@" not in line


def test_busy_port_exits_1_with_one_line_and_no_listening_line(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = run_relay("--test", "--host", "127.0.0.1", "--port", str(port), "--database-url",
                         "sqlite:///./relay.db", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"port {port} is in use (another relay? try GET http://127.0.0.1:{port}/health)\n"


def test_a_port_out_of_range_is_a_usage_error(tmp_path):
    done = run_relay("--test", "--port", "99999", "--migrate-only", cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done) == "python -m relay: error: argument --port: port must be 0-65535, got 99999"
