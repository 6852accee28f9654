"""No request body, header or query value makes the relay answer 500 (hypothesis, hand-written generators)."""

from __future__ import annotations

import json
import string

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import signing
from relay.app import create_app
from tests.relay.conftest import KEYS, clean_postgres, relay_settings, sqlite_settings

ENDPOINTS = [
    ("POST", "/submit_solution"), ("GET", "/invitation_code/linked"), ("POST", "/invitation_code/link"),
    ("POST", "/coldkey_address/update"), ("GET", "/results"), ("GET", "/results/{segment}"), ("POST", "/sota/vote"),
    ("GET", "/sota/events"), ("POST", "/blacklist/{segment}"), ("POST", "/test/submit_solution"),
    ("GET", "/test/submissions"), ("POST", "/invitation_code/generate/{segment}"),
    ("GET", "/invitation_code/list/{segment}/{segment}"), ("DELETE", "/admin/blacklist/{segment}"),
    ("GET", "/admin/status"), ("GET", "/admin/dashboard"), ("GET", "/health"), ("GET", "/version.json"),
    ("GET", "/sota_threshold"), ("GET", "/sota-events"),
]
FIELDS = ["task_id", "algorithm_result", "score", "code", "coldkey_address", "miner_hotkey", "seen_block", "result_id"]
NASTY_STRINGS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-0", "0x10", "", " ", "null", "9" * 40, "é", "x" * 70, "\x00"]

header_text = st.text(alphabet=string.printable.strip() + " ", max_size=80)
values = st.recursive(
    st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(NASTY_STRINGS), st.text(max_size=60),
        st.just(KEYS["Alice"].ss58_address),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
json_bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)).map(
    lambda body: json.dumps(body, allow_nan=True).encode()
)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"{", b"[]", b"null", b"1", b'"x"', b'{"score": NaN}', b'{"score": 1e999}', b"\xff\xfe"]),
)
segments = st.one_of(st.sampled_from(NASTY_STRINGS[:-1] + ["-1", "0", "99999999999999999999999", "%00"]),
                     st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=60))
queries = st.dictionaries(
    st.sampled_from(["limit", "page", "page_size", "task_id"]),
    st.one_of(st.sampled_from(NASTY_STRINGS), st.integers(min_value=-(2**70), max_value=2**70).map(str)),
    max_size=3,
)


@st.composite
def auth_headers(draw) -> dict:
    kind = draw(st.sampled_from(["miner", "validator", "garbage", "none", "admin"]))
    if kind in ("miner", "validator"):
        return signing.signed_headers(KEYS[draw(st.sampled_from(sorted(KEYS)))], kind)
    if kind == "admin":
        return {"X-Auth-Token": draw(st.sampled_from(["dev", "nope"])), "Authorization": "Basic " + draw(header_text)}
    if kind == "garbage":
        return {name: draw(header_text) for name in ("X-Key", "X-Timestamp", "X-Signature", "X-Request-ID")}
    return {}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_client(request, tmp_path_factory):
    if request.param == "sqlite":
        settings_ = sqlite_settings(tmp_path_factory.mktemp("fuzz") / "relay.db", max_body_bytes=4096)
    else:
        database = request.getfixturevalue("postgres_database")
        clean_postgres(database)
        settings_ = relay_settings(database, max_body_bytes=4096)
    with TestClient(create_app(settings_), raise_server_exceptions=False) as client:
        yield client


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    segment=segments,
    body=st.one_of(json_bodies, raw_bodies, st.none()),
    query=queries,
    extra_headers=auth_headers(),
)
def test_no_input_causes_a_server_error(fuzz_client, endpoint, segment, body, query, extra_headers):
    method, template = endpoint
    path = template.replace("{segment}", segment)
    headers = {"Content-Type": "application/json", **extra_headers}
    response = fuzz_client.request(method, path, content=body, params=query, headers=headers)
    assert response.status_code < 500, (method, path, body, query, response.text)
    if response.status_code >= 400:
        assert "detail" in response.json()
