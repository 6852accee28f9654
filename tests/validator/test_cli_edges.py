"""`python -m validator.local_validator` at the edges, in real subprocesses against a real relay:
`--relay-client-log-level` also sets httpx's per-request lines; a bad URL or evaluator is one line, exit 2."""

from __future__ import annotations

import pytest

from tests.validator.e2e import Validator
from tests.validator.relay_server import RelayServer
from tests.validator.test_cli import run_cli

HTTPX_LINE = "httpx - INFO - HTTP Request: GET "


@pytest.fixture
def relay(tmp_path):
    server = RelayServer(tmp_path / "relay.db").start()
    yield server
    server.stop()


@pytest.mark.parametrize(("level", "shown"), [("WARNING", False), ("INFO", True)])
def test_relay_client_log_level_covers_the_http_library(tmp_path, relay, level, shown):
    validator = Validator(tmp_path, "val", relay.url, "--relay-client-log-level", level)  # the last flag wins
    done = validator.run_once()
    assert done.returncode == 0, done.stderr
    assert "- validator.local_validator - INFO - polls=1 " in done.stderr  # the root level stays INFO
    assert (HTTPX_LINE in done.stderr) is shown


def test_a_relay_url_that_is_not_a_url_is_a_usage_error():
    done = run_cli("--wallet-name", "w", "--wallet-hotkey", "h", "--relay-url", "127.0.0.1:8002")
    assert done.returncode == 2
    assert done.stderr == ("python -m validator.local_validator: error: argument --relay-url: "
                           "not an http(s) URL: '127.0.0.1:8002'\n")


def test_an_unknown_evaluator_is_one_line(tmp_path, relay):
    validator = Validator(tmp_path, "val", relay.url, env={"BITSOTA_EVALUATOR": "quick"})
    done = validator.run_once()
    assert done.returncode == 2
    assert done.stderr == "error: BITSOTA_EVALUATOR must be one of auto, fast, canonical, not 'quick'\n"
