"""§1.1 settings and the import rule: pool and the miner's pool modules never import Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pool.settings import SettingsError, load_settings


def test_environment_and_flags():
    env = {"POOL_CONSENSUS_K": "4", "POOL_TASK_TYPES": "mnist_binary, scalar_linear", "POSTGRES_HOST": "db",
           "POSTGRES_PASSWORD": "pw", "RELAY_MAX_CLOCK_SKEW_S": "60", "ENVIRONMENT": "development"}
    settings = load_settings(env, port=9000)
    assert settings.consensus_k == 4 and settings.task_types == ("mnist_binary", "scalar_linear")
    assert settings.database_url == "postgresql+asyncpg://pooler:pw@db:5432/mining_pool"
    assert settings.max_clock_skew_s == 60 and settings.dev and settings.port == 9000
    # A relative SQLite path is resolved against the working directory (core.infra.settings).
    assert load_settings({}, database_url="sqlite:///x.db").database_url == f"sqlite+aiosqlite:///{Path('x.db').resolve()}"


@pytest.mark.parametrize("env", [{"POOL_CONSENSUS_K": "2"}, {"POOL_TASK_TYPES": "chess"}, {"POOL_FEE": "lots"}])
def test_bad_settings_are_one_clear_error(env):
    with pytest.raises(SettingsError):
        load_settings(env)


def test_bad_setting_on_the_command_line_exits_2():
    cli = subprocess.run([sys.executable, "-m", "pool", "--task-types", "chess"], capture_output=True, text=True,
                         timeout=60)
    assert cli.returncode == 2 and cli.stderr.startswith("error: POOL_TASK_TYPES")


def test_headless_modules_never_import_textual():
    code = ("import sys, pool.app, pool.cli, miner.pool_worker, miner.pool_driver, miner.pool_coordinator, "
            "pool_monitor.cli, pool_monitor.render_text; assert 'textual' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
