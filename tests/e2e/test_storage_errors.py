"""A read-only or full relay database gives a clear error (relay.md §2.2 step 4, §9.2), with the real process.

Read-only needs permission bits to bite: as root the relay runs without the DAC-override capabilities
(`setpriv`), so a 0444 file or a 0555 directory is as unwritable to it as to a normal user. "Disk full" is a
file-size limit (RLIMIT_FSIZE) lowered on the running relay with prlimit: SQLite's writes then fail exactly as on
a full disk, and raising the limit again plays the part of freeing space. (A tiny tmpfs would need a mount.)
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys

import httpx
import pytest

from core import signing
from tests.e2e.services import base_env

DROP_OVERRIDES = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def as_normal_user() -> list[str]:
    """The command prefix that makes file permission bits apply to the relay."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permission bits cannot be made to apply")
    return DROP_OVERRIDES


def run_relay(workdir, database_url: str) -> subprocess.CompletedProcess:
    argv = [*as_normal_user(), sys.executable, "-m", "relay", "--test", "--database-url", database_url,
            "--host", "127.0.0.1", "--port", "9"]  # never reached: start-up must stop first
    return subprocess.run(argv, cwd=workdir, env=base_env(RELAY_LOG_FILE=""), capture_output=True, text=True,
                          timeout=60)


def migrate(workdir, database_url: str) -> None:
    argv = [sys.executable, "-m", "relay", "--test", "--migrate-only", "--database-url", database_url]
    done = subprocess.run(argv, cwd=workdir, env=base_env(RELAY_LOG_FILE=""), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_read_only_database_file_stops_start_up_with_one_line_naming_it(workdir):
    migrate(workdir, "sqlite:///./bitsota_relay_test.db")
    database = workdir / "bitsota_relay_test.db"
    database.chmod(0o444)
    done = run_relay(workdir, "sqlite:///./bitsota_relay_test.db")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"relay: database file {database} is not writable")
    assert "--database-url sqlite:///./bitsota_relay_test.db" in line  # the guide's fix, named


def test_read_only_directory_stops_start_up_with_one_line_naming_it(workdir):
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    done = run_relay(workdir, "sqlite:///./locked/relay.db")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"relay: database directory {locked} is not writable")
    assert "--database-url sqlite:///./bitsota_relay_test.db" in line


def test_writable_file_in_a_read_only_directory_is_one_line_too(workdir):
    """SQLite must create its -wal and -shm files beside the database."""
    locked = workdir / "locked"
    locked.mkdir()
    migrate(workdir, "sqlite:///./locked/relay.db")
    for side_file in locked.glob("relay.db-*"):
        side_file.unlink()
    locked.chmod(0o555)
    done = run_relay(workdir, "sqlite:///./locked/relay.db")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("relay: cannot prepare the database sqlite+aiosqlite:///") and "locked/relay.db: " in line
    assert "OperationalError" in line


def submit(relay_url: str, name: str, size: int = 0) -> httpx.Response:
    body = {"task_id": name, "algorithm_result": {"algorithm_dsl": f"# {name}\n" + "#" * size}, "score": 0.5}
    miner = signing.keypair_from_uri(f"//{name}")
    return httpx.post(f"{relay_url}/submit_solution", json=body, headers=signing.signed_headers(miner, "miner"),
                      timeout=30)


def results(relay_url: str) -> set[str]:
    validator = signing.keypair_from_uri("//disk-validator")
    rows = httpx.get(f"{relay_url}/results", headers=signing.signed_headers(validator, "validator"), timeout=30).json()
    return {row["task_id"] for row in rows}


def test_full_disk_fails_the_write_clearly_keeps_what_was_committed_and_recovers(stack, workdir):
    relay = stack.relay().start()
    assert submit(relay.url, "committed").status_code == 200
    largest = max(path.stat().st_size for path in workdir.glob("bitsota_relay_test.db*"))
    limit = largest + 256 * 1024
    resource.prlimit(relay.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    accepted, failure = [], None
    for index in range(40):  # 60 KB each: the write-ahead log reaches the limit within a few
        response = submit(relay.url, f"big{index}", size=60_000)
        if response.status_code != 200:
            failure = response
            break
        accepted.append(f"big{index}")
    assert failure is not None, "the size limit never bit"
    assert failure.status_code == 500
    body = failure.json()
    assert body["detail"] == "Internal Server Error" and body["request_id"] == failure.headers["X-Request-ID"]
    cause = next(line for line in relay.log().splitlines() if f"unhandled error request_id={body['request_id']}" in line)
    assert "disk I/O error" in cause or "database or disk is full" in cause  # the log names the cause

    # Reads keep working, nothing committed is lost, the failed write left nothing behind.
    assert httpx.get(f"{relay.url}/health", timeout=5).status_code == 200
    assert httpx.get(f"{relay.url}/sota_threshold", timeout=5).status_code == 200
    assert results(relay.url) == {"committed", *accepted}

    resource.prlimit(relay.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert submit(relay.url, "after").status_code == 200  # space is back: writes work again, no restart
    assert results(relay.url) == {"committed", "after", *accepted}
