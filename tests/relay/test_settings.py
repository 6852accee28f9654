"""Relay settings (§2.3 to §2.5) and the `python -m relay` command line."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core import chain
from relay import settings as relay_settings
from relay.settings import SettingsError, load_settings, normalize_database_url

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "a-token-of-16-chars"


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "on"])
def test_truthy_test_mode_values(value):
    settings = load_settings({"BITSOTA_TEST_MODE": value, "DATABASE_URL": "sqlite:///./x.db"})
    assert settings.test_mode and settings.admin_token == "dev" and settings.dashboard_password == "dev"


def test_admin_token_required_outside_test_mode():
    with pytest.raises(SettingsError, match=r"^ADMIN_AUTH_TOKEN is required \(or use --test\)$"):
        load_settings({"BITSOTA_TEST_MODE": "0"})


@pytest.mark.parametrize(
    ("name", "value"),
    [("SOTA_CONSENSUS_VOTES", "0"), ("SOTA_ALIGNMENT_MOD", "x"), ("DEFAULT_SOTA_THRESHOLD", "nan"), ("CONCENSUS_BLACKLIST", "0")],
)
def test_invalid_numbers_name_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({"ADMIN_AUTH_TOKEN": TOKEN, name: value})


def test_defaults_and_overrides():
    settings = load_settings({"ADMIN_AUTH_TOKEN": TOKEN, "SOTA_T2_INTERVALS": "", "CONCENSUS_BLACKLIST": "3", "CONSENSUS_BLACKLIST": "1"})
    assert settings.t2_intervals is None and settings.blacklist_consensus == 1
    assert any("CONSENSUS_BLACKLIST" in warning for warning in settings.warnings)
    assert settings.database_url.endswith("/bitsota_relay.db") and settings.database_url.startswith("sqlite+aiosqlite:////")
    assert len(settings.validator_allowlist) == 6 and settings.dashboard_username == "admin"
    assert load_settings({"ADMIN_AUTH_TOKEN": TOKEN, "RELAY_VALIDATOR_ALLOWLIST": ""}).validator_allowlist == ()


def test_database_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert normalize_database_url("sqlite:///./x.db") == f"sqlite+aiosqlite:///{tmp_path}/x.db"
    assert normalize_database_url("sqlite:////abs/y.db") == "sqlite+aiosqlite:////abs/y.db"
    assert normalize_database_url("postgres://u:p@h/db?sslmode=require") == "postgresql+asyncpg://u:p@h/db?ssl=require"
    assert normalize_database_url("postgresql+psycopg2://h/db") == "postgresql+asyncpg://h/db"
    with pytest.raises(SettingsError, match="unsupported DATABASE_URL scheme: mysql"):
        normalize_database_url("mysql://h/db")


def test_user_id_sanitised(monkeypatch):
    monkeypatch.delattr(relay_settings.os, "getuid")
    monkeypatch.setenv("USER", "..a b/c__")
    assert relay_settings.user_id() == "a_b_c"
    monkeypatch.setenv("USER", "///")
    assert relay_settings.user_id() == "user"


def test_default_test_database_falls_back_past_unusable_candidates(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(relay_settings.tempfile, "gettempdir", lambda: str(tmp_path))
    first = relay_settings.default_test_database_url()
    assert first == f"sqlite+aiosqlite:///{tmp_path}/bitsota_relay_test_{relay_settings.user_id()}.db"
    monkeypatch.setattr(relay_settings.tempfile, "gettempdir", lambda: str(blocker / "tmp"))  # not a directory
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    second = relay_settings.default_test_database_url()
    assert second == f"sqlite+aiosqlite:///{tmp_path}/home/.bitsota/relay_test_{relay_settings.user_id()}.db"
    monkeypatch.setenv("HOME", str(blocker / "home"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert relay_settings.default_test_database_url() == f"sqlite+aiosqlite:///{cwd}/bitsota_relay_test.db"


def run_relay(*args, cwd, env=None, timeout=60):
    base_env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "RELAY_LOG_FILE": "", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "relay", *args], cwd=cwd, env={**base_env, **(env or {})},
        capture_output=True, text=True, timeout=timeout,
    )


def test_migrate_only_with_public_relay_url_form(tmp_path):
    done = run_relay("--test", "--database-url", "sqlite:///./bitsota_relay_test.db", "--migrate-only", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "bitsota_relay_test.db").is_file()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {}, "ADMIN_AUTH_TOKEN is required (or use --test)"),
        (("--database-url", "mysql://x/y", "--test"), {}, "unsupported DATABASE_URL scheme: mysql"),
        (("--test",), {"SOTA_ALIGNMENT_MOD": "0"}, "SOTA_ALIGNMENT_MOD"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, args, env, message):
    done = run_relay(*args, "--migrate-only", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(chain.available(), reason="the chain extra is installed")
def test_production_without_chain_extra_says_why(tmp_path):
    done = run_relay("--admin-token", TOKEN, "--database-url", "sqlite:///./p.db", cwd=tmp_path)
    assert done.returncode == 2
    assert "install the `chain` extra" in done.stderr and "RELAY_ALLOWLIST_MODE=static" in done.stderr


def test_newer_schema_refuses_to_start(tmp_path):
    assert run_relay("--test", "--database-url", "sqlite:///./n.db", "--migrate-only", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "n.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    done = run_relay("--test", "--database-url", "sqlite:///./n.db", "--migrate-only", cwd=tmp_path)
    assert done.returncode == 2 and "database schema is newer than this relay" in done.stderr


def test_version_flag(tmp_path):
    done = run_relay("--version", cwd=tmp_path)
    assert done.returncode == 0 and "0.1.0" in done.stdout
