"""The one relay client against the real relay under uvicorn: success values and the single error contract."""

from __future__ import annotations

import http.server
import threading

import pytest

from core import signing
from core.errors import BitsotaError
from miner.relay_client import RelayClient, RelayError
from tests.helpers import free_port
from tests.relay.conftest import UvicornRelay, sqlite_settings

DSL = "setup:\nlearn:\npredict:\n  s1 = s0 + s0\n"


@pytest.fixture
def relay_url(tmp_path):
    with UvicornRelay(sqlite_settings(tmp_path / "relay.db")) as relay:
        yield relay.url


def test_public_calls_need_no_key(relay_url):
    with RelayClient(relay_url, None) as client:
        assert client.health()["status"] in {"healthy", "ok"}
        assert client.sota_threshold() is None or isinstance(client.sota_threshold(), float)


def test_signed_call_without_key_is_refused_before_sending(relay_url):
    with RelayClient(relay_url, None) as client, pytest.raises(RelayError, match="needs a hotkey"):
        client.invite_linked()


def test_miner_submission_then_validator_sees_it(relay_url):
    miner_key = signing.keypair_from_uri("//Alice")
    with RelayClient(relay_url, miner_key, "miner") as miner:
        answer = miner.submit_solution("scalar_linear", {"dsl": DSL, "task_type": "scalar_linear"}, 0.5)
        assert answer["status"] == "accepted" and answer["result_id"]
    with RelayClient(relay_url, signing.keypair_from_uri("//Bob"), "validator") as validator:
        rows = validator.results(limit=10)
    assert [row["miner_hotkey"] for row in rows] == [miner_key.ss58_address]


def test_http_error_carries_status_and_detail(relay_url):
    with RelayClient(relay_url, signing.keypair_from_uri("//Alice"), "validator") as client:
        with pytest.raises(RelayError) as caught:
            client.call("GET", "/no-such-route")
    assert caught.value.status == 404 and caught.value.detail == "Not Found"
    assert isinstance(caught.value, BitsotaError) and not caught.value.transport


def test_unreachable_relay_is_a_transport_error():
    with RelayClient(f"http://127.0.0.1:{free_port()}", None, timeout=2) as client:
        with pytest.raises(RelayError) as caught:
            client.sota_threshold()
    assert caught.value.status is None and caught.value.transport


def test_html_answer_is_summarised_not_dumped():
    page = b"<html><body>" + b"x" * 5000 + b"</body></html>"

    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with RelayClient(f"http://127.0.0.1:{server.server_port}", None) as client:
            with pytest.raises(RelayError) as caught:
                client.sota_threshold()
    finally:
        server.shutdown()
    assert caught.value.status is None and not caught.value.transport
    assert "non-JSON answer (text/html)" in str(caught.value) and len(str(caught.value)) < 400
