"""`python -m sidecar` as a real process: start-up line, signals, busy port, flags, parent watch."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sidecar.cli import is_loopback
from sidecar.config import parse_config
from tests.helpers import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]


def test_startup_line_and_sigterm_exit(spawn_sidecar):
    sidecar = spawn_sidecar()
    assert sidecar.stderr().strip() == f"sidecar listening on {sidecar.url} journal=off"
    assert httpx.get(sidecar.url + "/health").json()["status"] == "ok"
    sidecar.signal(signal.SIGTERM)
    assert sidecar.wait() == -signal.SIGTERM  # uvicorn re-raises SIGTERM after a clean shutdown


def test_sigint_exits_without_a_traceback(spawn_sidecar):
    sidecar = spawn_sidecar()
    sidecar.signal(signal.SIGINT)
    assert sidecar.wait() == 128 + signal.SIGINT
    assert "Traceback" not in sidecar.stderr()


def test_busy_port_exits_1_with_one_clear_line(spawn_sidecar):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        sidecar = spawn_sidecar(port=port, wait=False)
        assert sidecar.wait() == 1
    assert sidecar.stderr() == (f"port {port} is in use (another sidecar? "
                                f"try GET http://127.0.0.1:{port}/health)\n")


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sidecar", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env=env)


def test_cli_errors_are_one_line(tmp_path):
    refused = run_cli("--host", "0.0.0.0", "--port", str(free_port()))
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "sidecar: refusing to bind non-loopback address 0.0.0.0 without --allow-remote "
        "(the API has no authentication)"]
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    unusable = run_cli("--port", str(free_port()), "--journal-dir", str(not_a_directory / "journal"))
    assert unusable.returncode == 1
    assert unusable.stderr == f"sidecar: cannot use journal directory {not_a_directory / 'journal'}: Not a directory\n"
    bad_port = run_cli("--port", "eighty")
    assert bad_port.returncode == 2 and len(bad_port.stderr.splitlines()) == 1
    assert "--port" in bad_port.stderr


def test_flags_fall_back_to_the_environment(tmp_path):
    env = {"BITSOTA_SIDECAR_HOST": "127.0.0.2", "BITSOTA_SIDECAR_PORT": "9000", "BITSOTA_SIDECAR_LOG_LEVEL": "INFO",
           "BITSOTA_SIDECAR_JOURNAL_DIR": str(tmp_path), "BITSOTA_SIDECAR_JOURNAL_MAX_MB": "0.5",
           "BITSOTA_SIDECAR_ALLOW_REMOTE": "1"}
    config = parse_config([], env)
    assert (config.host, config.port, config.log_level) == ("127.0.0.2", 9000, "info")
    assert config.journal_dir == tmp_path and config.journal_max_bytes == 512 * 1024 and config.allow_remote
    config = parse_config(["--port", "1234", "--journal-keep-runs", "3", "--exit-with-parent", "77"], env)
    assert (config.port, config.journal_keep_runs, config.exit_with_parent) == (1234, 3, 77)
    defaults = parse_config([], {})
    assert (defaults.host, defaults.port, defaults.journal_dir, defaults.allow_remote) == (
        "127.0.0.1", 8123, None, False)
    assert defaults.journal_max_mb == 64 and defaults.journal_keep_runs == 10
    for argv, environment in ((["--journal-max-mb", "0"], {}), ([], {"BITSOTA_SIDECAR_LOG_LEVEL": "loud"}),
                              (["--port", "70000"], {})):
        with pytest.raises(SystemExit) as usage:
            parse_config(argv, environment)
        assert usage.value.code == 2


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("no-such-host.invalid")


@pytest.fixture
def parent():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_exit_with_parent(spawn_sidecar, parent):
    sidecar = spawn_sidecar("--exit-with-parent", str(parent.pid))
    parent.kill()
    parent.wait()
    assert sidecar.wait(timeout=15) == 0
    assert f"parent process {parent.pid} is gone" in sidecar.stderr()


def test_sigusr1_detaches_from_the_parent(spawn_sidecar, parent):
    sidecar = spawn_sidecar("--exit-with-parent", str(parent.pid))
    sidecar.signal(signal.SIGUSR1)
    wait_for(lambda: "detached from parent" in sidecar.stderr(), timeout=10, what="the detach notice")
    parent.kill()
    parent.wait()
    with pytest.raises(subprocess.TimeoutExpired):
        sidecar.wait(timeout=2.5)  # longer than one 2 s check: it no longer watches
    assert httpx.get(sidecar.url + "/health").json()["status"] == "ok"


def test_uvicorn_can_serve_sidecar_main(tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "sidecar.main:app", "--port", str(port),
                                "--log-level", "warning"], cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(url + "/health", timeout=1).status_code == 200, timeout=30, what="uvicorn")
        assert httpx.get(url + "/version").json()["service"] == "bitsota-sidecar"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def test_importing_sidecar_never_imports_textual():
    code = ("import sys, sidecar, sidecar.app, sidecar.cli, sidecar.client, sidecar.main; "
            "assert 'textual' not in sys.modules, 'textual imported'")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
