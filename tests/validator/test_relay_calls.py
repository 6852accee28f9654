"""The validator's "log and go on" wrapper of the one relay client: values on success, None and a log line
(on the `validator.relay_client` logger) on failure, never an exception."""

from __future__ import annotations

import http.server
import json
import logging
import threading

import pytest

from core import signing
from tests.helpers import free_port
from tests.relay.conftest import UvicornRelay, sqlite_settings
from validator.relay_calls import ValidatorRelay

VALIDATOR = signing.keypair_from_uri("//Bob")


@pytest.fixture
def relay_url(tmp_path):
    with UvicornRelay(sqlite_settings(tmp_path / "relay.db")) as relay:
        yield relay.url


@pytest.fixture
def dict_server():
    """A stand-in that answers every GET with a JSON object, as a broken or foreign relay might."""
    body = json.dumps({"rows": []}).encode()

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_real_relay_answers_values(relay_url):
    relay = ValidatorRelay(relay_url, VALIDATOR)
    try:
        assert relay.fetch_results(10) == []
        assert relay.fetch_sota_events(5) == []
        assert relay.fetch_sota_threshold() is None or isinstance(relay.fetch_sota_threshold(), float)
    finally:
        relay.close()


def test_non_list_results_is_logged_and_none(dict_server, caplog):
    relay = ValidatorRelay(dict_server, VALIDATOR)
    with caplog.at_level(logging.ERROR, logger="validator.relay_client"):
        assert relay.fetch_results(10) is None
    relay.close()
    assert "Relay request GET /results failed" in caplog.text and "expected a JSON list, got dict" in caplog.text


def test_unreachable_relay_gives_none_everywhere(caplog):
    relay = ValidatorRelay(f"http://127.0.0.1:{free_port()}", VALIDATOR)
    with caplog.at_level(logging.WARNING, logger="validator.relay_client"):
        assert relay.fetch_results(10) is None
        assert relay.fetch_sota_threshold() is None
        assert relay.vote_sota(VALIDATOR.ss58_address, 0.5, 1, None) is None
        assert relay.blacklist(VALIDATOR.ss58_address) is False
    relay.close()
    assert "Could not fetch SOTA threshold" in caplog.text and "Failed to submit SOTA vote" in caplog.text
