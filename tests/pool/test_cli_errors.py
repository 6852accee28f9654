"""`python -m pool` at the edges, as real processes: an unreachable database (exit 1), another app's database
(exit 2), a database not migrated under --no-migrate (exit 2), a busy port (exit 1) and bad values (exit 2) are
each one clear line naming the database URL with its password masked, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_pool(*args: str) -> subprocess.CompletedProcess:
    """At the default log level (info), so that any log line before the error would show."""
    return subprocess.run([sys.executable, "-m", "pool", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def one_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    return line


def migrate_relay_database(database_url: str, workdir: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "RELAY_LOG_FILE": "", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "relay", "--test", "--migrate-only", "--database-url", database_url],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_unreachable_database_exits_1_with_one_line_and_the_password_masked():
    url = f"postgresql+asyncpg://nobody:s3cret@127.0.0.1:{free_port()}/x"
    done = run_pool("--database-url", url, "--migrate-only")
    assert done.returncode == 1
    line = one_line(done)
    assert line.startswith("error: cannot open the database postgresql+asyncpg://nobody:***@127.0.0.1:")
    assert "ConnectionRefusedError" in line and "s3cret" not in done.stderr


@pytest.mark.parametrize("flag", ["--migrate-only", "--no-migrate"])
def test_the_relays_sqlite_database_is_refused_naming_its_revision(tmp_path, flag):
    path = tmp_path / "relay.db"
    migrate_relay_database(f"sqlite:///{path}", tmp_path)
    done = run_pool("--database-url", f"sqlite:///{path}", "--port", str(free_port()), flag)
    assert done.returncode == 2
    assert one_line(done) == (f"error: database at sqlite+aiosqlite:///{path} is at revision '0004', which this pool "
                              "does not know (another app's database?); use an empty database")


@pytest.mark.postgres
def test_the_relays_postgres_database_is_refused_with_the_password_masked(postgres_database, tmp_path):
    migrate_relay_database(postgres_database, tmp_path)
    url = postgres_database.replace("postgresql+asyncpg://postgres@", "postgresql+asyncpg://postgres:pw@")
    done = run_pool("--database-url", url, "--migrate-only")
    assert done.returncode == 2
    line = one_line(done)
    assert line.startswith("error: database at postgresql+asyncpg://postgres:***@") and ":pw@" not in line
    assert "is at revision '0004', which this pool does not know" in line


def test_no_migrate_on_an_empty_database_says_how_to_migrate(tmp_path):
    done = run_pool("--data-dir", str(tmp_path), "--port", str(free_port()), "--no-migrate")
    assert done.returncode == 2
    assert one_line(done) == (f"error: database at sqlite+aiosqlite:///{tmp_path / 'pool.db'} is at revision none, "
                              "not 0002_replay_ledger; start without --no-migrate (or run --migrate-only first)")


def test_busy_port_exits_1_with_one_line_and_no_listening_line(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = run_pool("--data-dir", str(tmp_path), "--host", "127.0.0.1", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr == f"port {port} is in use (another pool? try GET http://127.0.0.1:{port}/health)\n"


@pytest.mark.parametrize(("args", "message"), [
    (("--port", "70000"), "error: the port (--port, API_PORT or POOL_PORT) must be 0-65535, got 70000"),
    (("--port", "x"), "python -m pool: error: argument --port: invalid int value: 'x'"),
    (("--relay-url", "127.0.0.1:8002"),
     "error: POOL_RELAY_URL (--relay-url) must be an http(s) URL, got '127.0.0.1:8002'"),
    (("--database-url", "postgresql://u:pw@h:port/db"),
     "error: invalid database URL: invalid literal for int() with base 10: 'port'"),
])
def test_bad_values_are_one_line_with_status_2(args, message):
    done = run_pool(*args, "--migrate-only")
    assert done.returncode == 2 and one_line(done) == message
