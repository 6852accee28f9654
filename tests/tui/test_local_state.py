"""`--local` keeps its own state and config: it never picks up the problem config of a non-local run, keeps its
population beside its relay database, resets both on request, and runs its relay on a port you choose."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tui import cli
from tui.logic.state_file import TuiState, save_state
from tui.services import launch
from tui.services.configure import session_config
from tui.services.local_stack import LocalStackError, choose_relay_port, local_dir


def bitsota_tui(home, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", *flags], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HOME": str(home)})


def test_local_never_picks_up_the_problem_config_of_a_non_local_run(home):
    slow = home / ".bitsota" / "problem_config.json"  # written by an earlier non-local run
    slow.parent.mkdir(parents=True)
    slow.write_text(json.dumps({"args": {"feature_dim": 16}}))
    local, _ = session_config(cli.parse_args(["--local"]))
    assert local.problem_config is None
    assert "--feature-dim" in launch.miner_argv(local, "r", "scalar_linear", 1, None)  # the quick profile
    assert launch.population_path(local) == home / ".bitsota" / "local" / "population_state.json"
    remote, _ = session_config(cli.parse_args([]))
    assert remote.problem_config == slow and launch.population_path(remote) == home / ".bitsota" / "population_state.json"
    own = local_dir() / "problem_config.json"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text("{}")
    assert session_config(cli.parse_args(["--local"]))[0].problem_config == own


def test_reset_local_empties_the_relay_database_and_population_but_keeps_its_config(home):
    directory = local_dir()
    directory.mkdir(parents=True)
    for name in ("relay.db", "population_state.json", "problem_config.json"):
        (directory / name).write_text("{}")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        save_state(TuiState(miner_pid=sleeper.pid))
        refused = bitsota_tui(home, "--local", "--reset-local")
        assert refused.returncode == 1 and f"pids {sleeper.pid}" in refused.stderr
        assert (directory / "relay.db").exists()
    finally:
        sleeper.kill()
        sleeper.wait(10)
    assert bitsota_tui(home, "--reset-local").returncode == 2  # only with --local
    # the recorded process is gone now: the reset goes ahead
    result = subprocess.run([sys.executable, "-c", "from tui.main import reset_local; print(reset_local())"],
                            capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(home)})
    assert "removed population_state.json, relay.db" in result.stdout, result.stderr
    assert sorted(p.name for p in directory.iterdir()) == ["problem_config.json"]


def test_the_local_relay_port_can_be_chosen(home):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        with pytest.raises(LocalStackError, match=f"--local-relay-port {busy}"):
            choose_relay_port(busy)
    assert choose_relay_port(busy) == busy  # free again
    config, _ = session_config(cli.parse_args(["--local", "--local-relay-port", str(busy)]))
    assert config.local_relay_port == busy


async def test_the_pool_tab_of_local_never_points_at_the_public_pool(home):
    from textual.widgets import Static

    from pool_monitor.widget import PoolMonitor
    from tests.tui.support import make_app, until
    from tui.screens.main import NO_POOL

    app = make_app(["--local"], start_services=False)
    assert app.session.config.pool_url == ""
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.press("3")
        await until(pilot, lambda: app.query("#no-pool"), what="the Pool tab")
        assert not app.query(PoolMonitor)
        assert str(app.query_one("#no-pool", Static).render()) == NO_POOL
    named, _ = session_config(cli.parse_args(["--local", "--pool-url", "http://127.0.0.1:8111"]))
    assert named.pool_url == "http://127.0.0.1:8111"
    assert session_config(cli.parse_args([]))[0].pool_url == "https://api.bitsota.com"
