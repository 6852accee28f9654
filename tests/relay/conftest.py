"""Relay fixtures: real sr25519 keys, relay settings on SQLite or PostgreSQL, in-process and uvicorn relays."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from core import signing
from relay.app import create_app
from relay.settings import Settings, normalize_database_url
from tests.helpers import free_port, wait_for

KEYS = {name: signing.keypair_from_uri(f"//{name}") for name in ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")}
TABLES = (
    "mining_results", "test_submissions", "blacklist_votes", "invitation_codes", "sota_cache", "sota_votes", "sota_events",
    "replay_ledger", "recent_claims", "submission_times",
)


def headers(name: str, role: signing.Role = "miner", now: float | None = None) -> dict[str, str]:
    return signing.signed_headers(KEYS[name], role, now=now)


def hotkey(name: str) -> str:
    return KEYS[name].ss58_address


def relay_settings(database_url: str, **overrides) -> Settings:
    """Test-mode settings like `python -m relay --test`, without a log file."""
    base = Settings(
        database_url=database_url,
        admin_token="dev",
        dashboard_password="dev",
        test_mode=True,
        log_file="",
    )
    return dataclasses.replace(base, **overrides)


def sqlite_settings(path, **overrides) -> Settings:
    return relay_settings(normalize_database_url(f"sqlite:///{path}"), **overrides)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def admin_execute(url: str, *statements: str) -> None:
    import asyncpg

    parts = urlsplit(url.replace("postgresql+asyncpg", "postgresql"))
    connection = await asyncpg.connect(urlunsplit(parts))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A database of its own for this test session on the shared server, dropped at the end."""
    name = f"bitsota_relay_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_execute(postgres_url, f'CREATE DATABASE "{name}"'))
    yield normalize_database_url(with_database(postgres_url, name))
    asyncio.run(admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def clean_postgres(url: str) -> None:
    """Empty the relay tables (if they exist yet) so each test starts from a fresh relay state."""
    statement = (
        "DO $$ BEGIN IF to_regclass('public.sota_cache') IS NOT NULL THEN "
        f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY; END IF; END $$"
    )
    asyncio.run(admin_execute(url, statement))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path) -> str:
    """Database URL of a fresh relay store; every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return normalize_database_url(f"sqlite:///{tmp_path / 'relay.db'}")
    url = request.getfixturevalue("postgres_database")
    clean_postgres(url)
    return url


@pytest.fixture
def make_settings(backend):
    def build(**overrides) -> Settings:
        return relay_settings(backend, **overrides)

    return build


@pytest.fixture
def relay(make_settings) -> Iterator[TestClient]:
    """A test-mode relay (consensus 2, M=1) behind TestClient, lifespan included."""
    with TestClient(create_app(make_settings(alignment_mod=1))) as client:
        yield client


@pytest.fixture
def relay_factory(make_settings):
    """Start relays with chosen settings; all are closed at the end of the test."""
    clients: list[TestClient] = []

    def start(**overrides) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


class UvicornRelay:
    """The relay app under a real uvicorn server in a thread, on a free loopback port."""

    def __init__(self, settings: Settings):
        self.url = f"http://127.0.0.1:{free_port()}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=int(self.url.rsplit(":", 1)[1]), log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> UvicornRelay:
        self.thread.start()
        wait_for(lambda: httpx.get(f"{self.url}/health", timeout=1).status_code == 200, what="relay /health")
        return self

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        assert not self.thread.is_alive(), "uvicorn relay did not stop"


@pytest.fixture
def sqlite_relay_factory(tmp_path):
    """Like relay_factory, on SQLite only (for behaviour that does not touch storage differences)."""
    clients: list[TestClient] = []

    def start(**overrides) -> TestClient:
        client = TestClient(create_app(sqlite_settings(tmp_path / "relay.db", **overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)
