"""Hostile input against a real `python -m sidecar` process: each test here failed on the sidecar before the
hardening (issue 13). Browser-shaped requests (form posts, an Origin, a rebinding Host), lone surrogates, and
stores that grow in bytes rather than in count."""

from __future__ import annotations

import json

import httpx
import pytest

CANDIDATE_STORE_BYTES = 64 * 1024 * 1024

# A loaded machine may take seconds to answer; no keep-alive, so every request is a connection of its own.
HTTP = httpx.Client(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))


def test_a_text_plain_post_is_refused(spawn_sidecar):
    sidecar = spawn_sidecar()
    body = json.dumps({"run_id": "r", "events": [{"type": "candidate", "validator_score": 0.9}]})
    response = HTTP.post(sidecar.url + "/ingest_batch", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["detail"]
    assert HTTP.get(sidecar.url + "/candidates").json()["items"] == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_any_origin_header_is_403(spawn_sidecar, method):
    sidecar = spawn_sidecar()
    response = HTTP.request(method, sidecar.url + "/runs/start", json={"run_id": "r"} if method == "POST" else None,
                             headers={"Origin": "http://127.0.0.1:1"})
    assert response.status_code == 403
    assert response.json()["detail"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "127.0.0.2:{port}"])
def test_a_foreign_host_header_is_403(spawn_sidecar, host):
    sidecar = spawn_sidecar()
    port = sidecar.url.rsplit(":", 1)[1]
    response = HTTP.get(sidecar.url + "/candidates", headers={"Host": host.format(port=port)})
    assert response.status_code == 403
    assert response.json()["detail"]


def test_own_loopback_host_spellings_are_served(spawn_sidecar):
    sidecar = spawn_sidecar()
    port = sidecar.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert HTTP.get(sidecar.url + "/health", headers={"Host": host}).status_code == 200


def test_a_lone_surrogate_is_400_and_the_readers_keep_working(spawn_sidecar, tmp_path):
    sidecar = spawn_sidecar("--journal-dir", str(tmp_path / "journal"))
    body = '{"run_id": "r", "events": [{"type": "candidate", "validator_score": 0.5, "dsl": "\\udc00"}]}'
    response = HTTP.post(sidecar.url + "/ingest_batch", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    for path in ("/candidates", "/logs", "/runs", "/jobs/results"):
        assert HTTP.get(sidecar.url + path).status_code == 200, path
    enqueue = '{"run_id": "r", "kind": "evolve", "payload": {"x": "\\ud800"}}'
    response = HTTP.post(sidecar.url + "/jobs/enqueue", content=enqueue, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert HTTP.get(sidecar.url + "/jobs/next", params={"run_id": "r"}).status_code == 204


def test_a_valid_surrogate_pair_is_kept(spawn_sidecar):
    sidecar = spawn_sidecar()
    body = '{"run_id": "r", "events": [{"type": "candidate", "validator_score": 0.5, "dsl": "\\ud83d\\ude00 \\\\udc00"}]}'
    response = HTTP.post(sidecar.url + "/ingest_batch", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert HTTP.get(sidecar.url + "/candidates").json()["items"][0]["dsl"] == "\U0001F600 \\udc00"


def test_stored_candidates_are_capped_in_bytes(spawn_sidecar):
    sidecar = spawn_sidecar()
    blob = "x" * (10 * 1024 * 1024)
    for index in range(10):
        event = {"type": "candidate", "validator_score": index / 10, "dsl": blob}
        response = HTTP.post(sidecar.url + "/ingest_batch", json={"run_id": "r", "events": [event]}, timeout=60)
        assert response.status_code == 200
    items = HTTP.get(sidecar.url + "/candidates", params={"limit": 500}, timeout=60).json()["items"]
    assert sum(len(json.dumps(item)) for item in items) <= CANDIDATE_STORE_BYTES
    assert items[-1]["validator_score"] == 0.9  # the newest survive


def test_stores_of_many_runs_are_capped_together(spawn_sidecar):
    from sidecar.caps import TOTAL_STORE_BYTES

    sidecar = spawn_sidecar()
    blob = "x" * (12 * 1024 * 1024)
    runs = TOTAL_STORE_BYTES // len(blob) + 8  # together far over the budget, each run under its own caps
    for index in range(runs):
        event = {"type": "candidate", "validator_score": 0.5, "dsl": blob}
        response = HTTP.post(sidecar.url + "/ingest_batch", json={"run_id": f"r{index}", "events": [event]},
                              timeout=60)
        assert response.status_code == 200
    kept = [run["run_id"] for run in HTTP.get(sidecar.url + "/runs").json()["runs"]]
    assert len(kept) * len(blob) <= TOTAL_STORE_BYTES
    assert f"r{runs - 1}" in kept and "r0" not in kept
