"""Every endpoint's success and error paths against a real uvicorn sidecar (sidecar.md §3, §5)."""

from __future__ import annotations

import json
import math

import pytest

from sidecar.caps import MAX_BODY_BYTES


def post(sidecar, path, body=None, **kwargs):
    return sidecar.http.post(path, json=body, **kwargs)


def detail(response) -> str:
    return response.json()["detail"]


def test_health_and_version(sidecar):
    health = sidecar.http.get("/health").json()
    assert health["status"] == "ok" and health["service"] == "bitsota-sidecar"
    assert isinstance(health["ts"], float) and health["version"]
    version = sidecar.http.get("/version").json()
    assert version["journal"] is False
    assert version["caps"]["logs"] == 5000 and version["caps"]["populations"] == 200
    assert sidecar.http.get("/openapi.json").json()["info"]["title"] == "BitSota Local Sidecar"


def test_state_stub_without_runs(sidecar):
    for params in ({}, {"run_id": "ghost"}):
        state = sidecar.http.get("/state", params=params).json()
        assert state["run_id"] == params.get("run_id")
        assert state["status"] == "idle" and state["workers"] == {}
        assert state["successful_submissions"] == 0 and state["tasks_completed"] == 0
        assert state["global_sota"] is None and state["best_candidate_score"] is None
        assert "queued_jobs" not in state


def test_runs_start_defaults_trims_and_replaces(sidecar):
    generated = post(sidecar, "/runs/start", {}).json()["run_id"]
    assert len(generated) == 36
    assert post(sidecar, "/runs/start").json()["run_id"] != generated  # no body at all is fine too
    assert post(sidecar, "/runs/start", {"run_id": "  r1 ", "meta": {"task_type": "scalar_linear"}}).json() == {
        "run_id": "r1"}
    post(sidecar, "/ingest_batch", {"run_id": "r1", "events": [{"message": "kept?"}]})

    post(sidecar, "/runs/start", {"run_id": "other"})
    assert post(sidecar, "/runs/start", {"run_id": "r1", "replace": False}).status_code == 200
    state = sidecar.http.get("/state").json()
    assert state["run_id"] == "r1" and state["logs_total"] == 1 and state["meta"] == {"task_type": "scalar_linear"}

    post(sidecar, "/runs/start", {"run_id": "r1"})
    state = sidecar.http.get("/state", params={"run_id": "r1"}).json()
    assert state["logs_total"] == 0 and state["meta"] == {} and state["status"] == "running"

    response = post(sidecar, "/runs/start", {"run_id": "   "})
    assert response.status_code == 400 and detail(response) == "run_id must be non-empty"
    assert post(sidecar, "/runs/start", {"run_id": 5}).status_code == 422


def test_runs_list_and_stop(sidecar):
    post(sidecar, "/runs/start", {"run_id": "a", "meta": {"engine": "baseline"}})
    post(sidecar, "/runs/start", {"run_id": "b"})
    listing = sidecar.http.get("/runs").json()
    assert listing["current_run_id"] == "b"
    assert [(run["run_id"], run["status"]) for run in listing["runs"]] == [("a", "running"), ("b", "running")]
    assert listing["runs"][0]["meta"] == {"engine": "baseline"}

    assert post(sidecar, "/runs/stop", {"run_id": "a"}).json() == {"status": "ok"}
    assert post(sidecar, "/runs/stop").json() == {"status": "ok"}  # the current run, b
    assert {run["status"] for run in sidecar.http.get("/runs").json()["runs"]} == {"stopped"}
    response = post(sidecar, "/runs/stop", {"run_id": "nope"})
    assert response.status_code == 404 and detail(response) == "run not found"


def test_set_global_sota(sidecar):
    assert post(sidecar, "/set_global_sota", {"value": 0.5}).json() == {"status": "ok"}
    created = sidecar.http.get("/state").json()
    assert created["global_sota"] == 0.5 and len(created["run_id"]) == 36  # no run: a random one is made

    post(sidecar, "/set_global_sota", {"run_id": "named", "value": 0.75})
    state = sidecar.http.get("/state").json()  # an unknown name is created with that id and made current
    assert (state["run_id"], state["global_sota"], state["status"]) == ("named", 0.75, "running")

    post(sidecar, "/set_global_sota", {"value": 0.8})
    assert sidecar.http.get("/state", params={"run_id": "named"}).json()["global_sota"] == 0.8
    for bad in ({"value": "high"}, {}, {"run_id": "named"}):
        assert post(sidecar, "/set_global_sota", bad).status_code == 422
    non_finite = sidecar.http.post("/set_global_sota", content=b'{"value": Infinity}',
                                   headers={"content-type": "application/json"})
    assert non_finite.status_code == 422


def test_submission_result(sidecar):
    response = post(sidecar, "/submission_result", {"score": 0.7, "status": "submitted"})
    assert response.status_code == 400 and detail(response) == "No active run (provide run_id or start a run)"
    post(sidecar, "/runs/start", {"run_id": "r"})
    response = post(sidecar, "/submission_result", {"run_id": "ghost", "score": 0.7, "status": "submitted"})
    assert response.status_code == 400

    for score, status, kind in ((0.6, "submitted", None), (0.9, "failed", None), (0.7, "accepted", None),
                                (0.99, "submitted", "pool"), (0.65, "success", None)):
        body = {"score": score, "status": status} | ({"kind": kind} if kind else {})
        assert post(sidecar, "/submission_result", body).json() == {"status": "ok"}
    state = sidecar.http.get("/state").json()
    assert state["successful_submissions"] == 4  # every success-like status, the pool one included
    assert state["local_sota"] == 0.7  # max over non-pool successes only
    logs = sidecar.http.get("/logs").json()["items"]
    assert [(item["type"], item["score"], item["status"]) for item in logs][:2] == [
        ("submission_result", 0.6, "submitted"), ("submission_result", 0.9, "failed")]
    assert all("message" not in item for item in logs)
    assert post(sidecar, "/submission_result", {"score": 0.5}).status_code == 422


@pytest.mark.parametrize("body, text", [
    (b"{not json", "Invalid JSON"),
    (b"", "Invalid JSON"),
    (b"\xff\xfe", "Invalid JSON"),
    (b"[1, 2]", "Payload must be a JSON object"),
    (b'{"events": []}', "run_id must be provided"),
    (b'{"run_id": "  ", "events": []}', "run_id must be provided"),
    (b'{"run_id": 7, "events": []}', "run_id must be provided"),
    (b'{"run_id": "r"}', "events must be a list"),
    (b'{"run_id": "r", "events": {"type": "log"}}', "events must be a list"),
    (b'{"run_id": "r", "events": [' + b"[" * 200 + b"]" * 200 + b"]}", "Payload nested too deeply"),
])
def test_ingest_batch_rejects_malformed_bodies(sidecar, body, text):
    response = sidecar.http.post("/ingest_batch", content=body)
    assert response.status_code == 400 and detail(response) == text
    assert sidecar.http.get("/runs").json()["runs"] == []


def test_ingest_batch_effects_and_log_lines(sidecar):
    events = [
        {"type": "start", "run_id": "m", "task_type": "scalar_linear", "message": "[coord] start task=scalar_linear"},
        {"type": "start", "task_type": "x"},
        {"type": "progress", "worker_id": 1, "iteration": 12, "engine_best": 0.123456, "pop_best": None,
         "rate": 4.5, "fec_hit_rate": 0.25},
        {"type": "progress", "worker_id": 1, "iteration": 7, "engine_best": 0.2},
        {"type": "progress", "worker_id": "seven", "iteration": "x"},
        {"type": "candidate", "worker_id": 0, "iteration": 3, "eval_score": 0.5, "validator_score": 0.8123456,
         "algorithm_dsl": "s1 = s0 + s0", "input_dim": 4, "task_type": "scalar_linear"},
        {"type": "population", "worker_id": 1, "iteration": 5, "population": [
            {"format": "dsl", "dsl": "a", "fitness": float("-inf")}, {"format": "dsl", "dsl": "b", "fitness": 0.1}]},
        {"type": "error", "traceback": "Traceback: boom"},
        {"type": "error", "worker_id": 2},
        {"type": "log", "message": "plain", "level": "error"},
        {"message": "untyped"},
        {"type": "shutdown", "dropped": 3},
        {"type": "mystery", "value": 1},
        {"type": "done", "worker_id": 1, "iteration": 12},
        "not an object",
        None,
    ]
    body = json.dumps({"run_id": " m ", "events": events}, allow_nan=True)
    response = sidecar.http.post("/ingest_batch", content=body)
    assert response.json() == {"status": "ok", "received": len(events)}

    lines = [(item["message"], item["level"]) for item in sidecar.http.get("/logs").json()["items"]]
    assert lines == [
        ("[coord] start task=scalar_linear", "info"),
        ('{"type":"start","task_type":"x"}', "info"),
        ("[w1] Iter 0012: engine_best=0.1235 rate=4.50", "info"),
        ("[w1] Iter 0007: engine_best=0.2000", "info"),
        ("[w0] Iter 0000:", "info"),
        ("[candidate] w0 iter 3: verified_score=0.812346", "info"),
        ("[population] w1 iter 5: pop_size=2", "info"),
        ("[error] Traceback: boom", "error"),
        ('[error] {"type":"error","worker_id":2}', "error"),
        ("plain", "error"),
        ("untyped", "info"),
        ('{"type":"shutdown","dropped":3}', "info"),
        ('{"type":"mystery","value":1}', "info"),
        ("[w1] done", "info"),
    ]
    state = sidecar.http.get("/state").json()
    assert state["run_id"] == "m" and state["status"] == "running"  # only a bare done stops the run
    assert state["tasks_completed"] == 12  # worker 1 keeps its max; "seven" counts as worker 0 at 0
    assert state["workers"]["1"]["engine_best"] == 0.2 and state["workers"]["1"]["fec_hit_rate"] == 0.25
    assert state["best_candidate_score"] == 0.8123456

    candidate = sidecar.http.get("/candidates").json()["items"][0]
    assert candidate["algorithm_dsl"] == "s1 = s0 + s0" and candidate["seq"] == 0 and candidate["ts"] > 0
    population = sidecar.http.get("/populations").json()["items"][0]
    assert [member["fitness"] for member in population["population"]] == [None, 0.1]  # -inf became null

    post(sidecar, "/ingest_batch", {"run_id": "m", "events": [{"type": "done"}]})
    assert sidecar.http.get("/state").json()["status"] == "stopped"


def test_ingest_makes_run_current_and_dedups_event_ids(sidecar):
    post(sidecar, "/runs/start", {"run_id": "first"})
    batch = {"run_id": "second", "events": [
        {"type": "candidate", "event_id": "1.2.1", "validator_score": 0.4},
        {"type": "candidate", "event_id": "1.2.1", "validator_score": 0.4},
        {"type": "log", "event_id": "1.2.2", "message": "x"},
    ]}
    assert post(sidecar, "/ingest_batch", batch).json()["received"] == 3
    post(sidecar, "/ingest_batch", {"run_id": "second", "events": [{"type": "done"}]})
    assert post(sidecar, "/ingest_batch", batch).json()["received"] == 3  # a retried, delivered batch
    state = sidecar.http.get("/state").json()
    assert state["run_id"] == "second"
    assert state["candidates_total"] == 1 and state["logs_total"] == 3
    assert state["status"] == "stopped"  # a duplicate-only batch changes nothing


def test_cursor_endpoints_clamp_and_validate(sidecar):
    events = [{"message": f"line {index}"} for index in range(600)]
    post(sidecar, "/ingest_batch", {"run_id": "r", "events": events})
    assert len(sidecar.http.get("/logs").json()["items"]) == 200
    page = sidecar.http.get("/logs", params={"limit": 10_000}).json()
    assert len(page["items"]) == 500 and page["cursor"] == 500
    page = sidecar.http.get("/logs", params={"limit": 0, "cursor": -5}).json()
    assert [item["seq"] for item in page["items"]] == [0] and page["cursor"] == 1
    page = sidecar.http.get("/logs", params={"cursor": 598, "run_id": "r"}).json()
    assert [item["message"] for item in page["items"]] == ["line 598", "line 599"] and page["cursor"] == 600
    assert sidecar.http.get("/logs", params={"cursor": 600}).json() == {"cursor": 600, "items": [], "skipped": 0}
    assert sidecar.http.get("/logs", params={"cursor": 9999}).json()["cursor"] == 600  # parks at the end
    assert sidecar.http.get("/logs", params={"cursor": 7, "run_id": "ghost"}).json() == {
        "cursor": 7, "items": [], "skipped": 0}
    assert sidecar.http.get("/candidates", params={"cursor": 3}).json() == {"cursor": 3, "items": [], "skipped": 0}
    for path in ("/logs", "/candidates", "/populations", "/jobs/results"):
        assert sidecar.http.get(path, params={"cursor": "abc"}).status_code == 422
        assert sidecar.http.get(path, params={"limit": "1.5"}).status_code == 422

    post(sidecar, "/ingest_batch", {"run_id": "r", "events": [{"type": "population", "population": []}] * 60})
    assert len(sidecar.http.get("/populations", params={"limit": 500}).json()["items"]) == 50


def test_request_limits_give_413(sidecar):
    too_many = {"run_id": "r", "events": [{}] * 10_001}
    response = post(sidecar, "/ingest_batch", too_many)
    assert response.status_code == 413 and detail(response) == "Payload too large"
    assert post(sidecar, "/ingest_batch", {"run_id": "r", "events": [{}] * 10_000}).json()["received"] == 10_000

    huge = b'{"run_id": "r", "events": [{"message": "' + b"x" * MAX_BODY_BYTES + b'"}]}'
    response = sidecar.http.post("/ingest_batch", content=huge)
    assert response.status_code == 413 and detail(response) == "Payload too large"

    def chunked():  # no Content-Length: the limit still applies while streaming
        for _ in range(17):
            yield b"x" * (1024 * 1024)

    response = sidecar.http.post("/jobs/enqueue", content=chunked())
    assert response.status_code == 413
    assert sidecar.http.get("/health").status_code == 200


def test_responses_are_valid_json_for_non_finite_input(sidecar):
    body = b'{"run_id": "r", "events": [{"type": "candidate", "validator_score": NaN, "eval_score": -Infinity}]}'
    assert sidecar.http.post("/ingest_batch", content=body).status_code == 200
    candidate = sidecar.http.get("/candidates").json()["items"][0]
    assert candidate["validator_score"] is None and candidate["eval_score"] is None
    assert sidecar.http.get("/state").json()["best_candidate_score"] is None
    text = sidecar.http.get("/candidates").text
    assert "NaN" not in text and "Infinity" not in text
    assert not any(isinstance(value, float) and not math.isfinite(value) for value in candidate.values())
