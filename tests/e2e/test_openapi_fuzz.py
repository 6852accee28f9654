"""Every HTTP operation of the relay, the sidecar and the pool API, fuzzed from its own OpenAPI schema
(schemathesis, hypothesis underneath) against the real server process: no input gets a 5xx.

Signed routes get fresh valid signatures for most cases, so the generated bodies, queries and paths reach the
handlers instead of stopping at 401; the rest keep the generated (garbage) auth headers.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from core import signing
from miner.pool_client import pool_headers
from tests.e2e.services import Stack

FUZZ = settings(max_examples=10, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
MINER = signing.keypair_from_uri("//fuzz-miner")
VALIDATOR = signing.keypair_from_uri("//fuzz-validator")
MINER_PATHS = ("/submit_solution", "/invitation_code/link", "/coldkey_address/update")
CASES = itertools.count()


def well_signed() -> bool:
    """Four cases in five carry valid auth; the fifth keeps what the fuzzer generated."""
    return next(CASES) % 5 != 0


def relay_auth(path: str) -> dict[str, str]:
    """What a well-behaved client of this route sends: miner or validator signatures, the admin token."""
    if path.startswith(MINER_PATHS):
        return signing.signed_headers(MINER, "miner")
    if path.startswith(("/invitation_code/generate", "/invitation_code/list", "/admin")):
        return {"X-Auth-Token": "dev"}
    if path in ("/health", "/version.json", "/sota_threshold", "/sota-events") or path.startswith("/openapi"):
        return {}
    return signing.signed_headers(VALIDATOR, "validator")


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("fuzz"))
    try:
        yield {"relay": stack.relay().start(), "sidecar": stack.sidecar().start(), "pool": stack.pool().start()}
    finally:
        stack.close()


def schema_of(name: str):
    @pytest.fixture(scope="module")
    def load(services):
        service = services[name]
        return schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    return load


relay_schema = schema_of("relay")
sidecar_schema = schema_of("sidecar")
pool_schema = schema_of("pool")
relay_api = schemathesis.pytest.from_fixture("relay_schema")
sidecar_api = schemathesis.pytest.from_fixture("sidecar_schema")
pool_api = schemathesis.pytest.from_fixture("pool_schema")


def no_server_error(case, **call) -> None:
    response = case.call(timeout=30, **call)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"


@relay_api.parametrize()
@FUZZ
def test_relay(case):
    no_server_error(case, headers=relay_auth(case.path) if well_signed() else None)


@sidecar_api.parametrize()
@FUZZ
def test_sidecar(case):
    no_server_error(case)


@pool_api.parametrize()
@FUZZ
def test_pool(case):
    no_server_error(case, headers=pool_headers(MINER) if well_signed() else None)
