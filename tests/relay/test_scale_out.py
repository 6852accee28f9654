"""`python -m relay --workers 2` on PostgreSQL: the replay ledger and the vote order live in the database, so a
signature replayed on another worker or after a restart is refused, and concurrent votes finalise one event."""

from __future__ import annotations

import asyncio
import collections
import uuid
from pathlib import Path

import httpx
import pytest

from core import signing
from tests.relay.conftest import admin_execute, with_database
from tests.relay.processes import RelayProcess

VALIDATORS = [signing.keypair_from_uri(f"//scale-validator-{i}") for i in range(50)]
MINER = signing.keypair_from_uri("//scale-miner")

# A loaded machine may take seconds to answer; no keep-alive, so every request is a connection of its own.
HTTP = httpx.Client(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))


@pytest.fixture
def postgres_relay_url(postgres_url):
    name = f"bitsota_scale_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(postgres_url, f'CREATE DATABASE "{name}"'))
    yield with_database(postgres_url, name)
    asyncio.run(admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def worker_pids(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def _same_headers_many_times(url: str, headers: dict, times: int) -> list[int]:
    """The same headers, each time on a new connection, one after the other, so both workers get some."""
    statuses = []
    for _ in range(times):
        with httpx.Client(base_url=url, timeout=30) as client:
            statuses.append(client.get("/invitation_code/linked", headers=headers).status_code)
    return statuses


async def _votes(url: str) -> list[httpx.Response]:
    body = {"miner_hotkey": MINER.ss58_address, "score": 0.75, "seen_block": 1000}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=60)) as client:
        return list(await asyncio.gather(*(
            client.post("/sota/vote", json=body, headers=signing.signed_headers(key, "validator"))
            for key in VALIDATORS)))


def test_two_workers_refuse_replays_across_workers_and_restarts(tmp_path, postgres_relay_url):
    with RelayProcess(tmp_path, postgres_relay_url, "--workers", "2") as relay:
        assert len(worker_pids(relay.process.pid)) >= 2
        headers = signing.signed_headers(MINER, "miner")
        statuses = _same_headers_many_times(relay.url, headers, 20)
        assert statuses == [200] + [401] * 19
        relay.restart()
        again = HTTP.get(f"{relay.url}/invitation_code/linked", headers=headers)
        assert (again.status_code, again.headers.get("X-Auth-Error")) == (401, "replayed")


def test_fifty_concurrent_votes_on_two_workers_finalise_one_event(tmp_path, postgres_relay_url):
    with RelayProcess(tmp_path, postgres_relay_url, "--workers", "2", env={"SOTA_CONSENSUS_VOTES": "2"}) as relay:
        responses = asyncio.run(_votes(relay.url))
        statuses = collections.Counter(response.status_code for response in responses)
        assert not [code for code in statuses if code >= 500], statuses
        outcomes = collections.Counter(response.json().get("status") for response in responses
                                       if response.status_code == 200)
        assert outcomes["finalized"] == 1
        events = HTTP.get(f"{relay.url}/sota-events").json()
        assert events["total"] == 1
        assert HTTP.get(f"{relay.url}/sota_threshold").json()["sota_threshold"] == 0.75


def _same_solution_from_many_miners(url: str, miners: int) -> list[int]:
    """One submission per miner, each on a connection of its own, one after the other: the workers take turns
    accepting connections, so both see the solution (all at once, one worker may accept every connection)."""
    body = {"task_id": "same", "algorithm_result": {"algorithm_dsl": "s1 = s0 * 3"}, "score": 0.5}
    statuses = []
    for index in range(miners):
        key = signing.keypair_from_uri(f"//duplicate-miner-{index}")
        with httpx.Client(base_url=url, timeout=30) as client:
            statuses.append(client.post("/submit_solution", json=body, headers=signing.signed_headers(key, "miner"))
                            .status_code)
    return statuses


def test_two_workers_share_the_duplicate_memory(tmp_path, postgres_relay_url):
    with RelayProcess(tmp_path, postgres_relay_url, "--workers", "2") as relay:
        statuses = _same_solution_from_many_miners(relay.url, 30)
    assert statuses == [200] + [400] * 29
