"""Concurrent signed clients against a uvicorn relay: exact rows, one finalization, no 500s or lock errors."""

from __future__ import annotations

import asyncio
import collections

import httpx

from core import signing
from tests.relay.conftest import UvicornRelay

MINERS = [signing.keypair_from_uri(f"//miner{i}") for i in range(50)]
VALIDATORS = [signing.keypair_from_uri(f"//validator{i}") for i in range(10)]


async def _submit(client: httpx.AsyncClient, index: int) -> httpx.Response:
    # Above the SOTA the votes finalize (0.75): every submission is accepted whether it lands before or after.
    body = {"task_id": f"t{index}", "algorithm_result": {"algorithm_dsl": f"s1 = s0 * {index}"}, "score": 0.9}
    return await client.post("/submit_solution", json=body, headers=signing.signed_headers(MINERS[index], "miner"))


async def _vote(client: httpx.AsyncClient, index: int) -> httpx.Response:
    body = {"miner_hotkey": MINERS[0].ss58_address, "score": 0.75, "seen_block": 1000 + index}
    return await client.post("/sota/vote", json=body, headers=signing.signed_headers(VALIDATORS[index], "validator"))


async def _storm(url: str) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        jobs = [_submit(client, i) for i in range(50)] + [_vote(client, i) for i in range(10)]
        return await asyncio.gather(*jobs)


def test_concurrent_submissions_and_votes(make_settings):
    with UvicornRelay(make_settings(alignment_mod=1, consensus_votes=3)) as relay:
        responses = asyncio.run(_storm(relay.url))
        submissions, votes = responses[:50], responses[50:]
        assert [r.status_code for r in submissions] == [200] * 50, [r.text for r in submissions if r.status_code != 200]
        statuses = collections.Counter(r.json().get("status") for r in votes if r.status_code == 200)
        rejected = [r.json()["detail"] for r in votes if r.status_code != 200]
        assert statuses == {"vote_recorded": 2, "finalized": 1}
        assert rejected == ["Score 0.75 is not above current SOTA 0.75"] * 7
        validator = signing.signed_headers(VALIDATORS[0], "validator")
        rows = httpx.get(f"{relay.url}/results", params={"limit": 1000}, headers=validator).json()
        assert sorted(row["miner_hotkey"] for row in rows) == sorted(m.ss58_address for m in MINERS)
        events = httpx.get(f"{relay.url}/sota-events").json()
        assert events["total"] == 1
        report = httpx.get(f"{relay.url}/admin/status", headers={"X-Auth-Token": "dev"}).json()
        assert report["metrics"]["errors_5xx_total"] == 0
