"""A flood of events keeps every store, id memory and run table at its cap (sidecar.md §2.1)."""

from __future__ import annotations

from sidecar.caps import EVENT_ID_MEMORY, RUNS_CAP, STORE_CAPS, WORKERS_CAP

BATCH = 10_000


def flood(sidecar, run_id: str, make_event, total: int) -> None:
    for start in range(0, total, BATCH):
        events = [make_event(index) for index in range(start, min(start + BATCH, total))]
        response = sidecar.http.post("/ingest_batch", json={"run_id": run_id, "events": events})
        assert response.json()["received"] == len(events)


def test_100k_log_events_keep_stores_bounded(sidecar):
    flood(sidecar, "flood", lambda index: {"type": "log", "message": f"line {index}", "event_id": f"e{index}"},
          100_000)
    run = sidecar.state._runs["flood"]
    assert len(run.stores["logs"]) == STORE_CAPS["logs"]
    assert run.stores["logs"].next_seq == 100_000
    assert len(run.seen_event_ids) == EVENT_ID_MEMORY

    page = sidecar.http.get("/logs", params={"cursor": 0, "limit": 500}).json()
    assert page["skipped"] == 95_000 and page["items"][0]["seq"] == 95_000
    assert page["items"][0]["message"] == "line 95000"
    tail = sidecar.http.get("/logs", params={"cursor": 99_999}).json()
    assert [item["seq"] for item in tail["items"]] == [99_999] and tail["cursor"] == 100_000
    assert sidecar.http.get("/state").json()["logs_total"] == 100_000


def test_candidate_population_and_worker_floods_are_capped(sidecar):
    def mixed(index: int) -> dict:
        kind = ("candidate", "population", "progress")[index % 3]
        return {"type": kind, "worker_id": index, "iteration": 1, "validator_score": index / 10,
                "population": [{"format": "dsl", "dsl": "x", "fitness": 0.0}]}

    flood(sidecar, "mixed", mixed, 30_000)
    run = sidecar.state._runs["mixed"]
    assert len(run.stores["candidates"]) == STORE_CAPS["candidates"] and run.stores["candidates"].next_seq == 10_000
    assert len(run.stores["populations"]) == STORE_CAPS["populations"]
    assert run.stores["populations"].next_seq == 10_000
    assert len(run.stores["logs"]) == STORE_CAPS["logs"] and run.stores["logs"].next_seq == 30_000
    assert len(run.workers) == WORKERS_CAP
    state = sidecar.http.get("/state").json()
    assert state["best_candidate_score"] == 29_997 / 10  # the best retained candidate
    assert state["candidates_total"] == 10_000


def test_flood_of_run_ids_keeps_the_run_table_bounded(sidecar):
    sidecar.http.post("/runs/start", json={"run_id": "keep-me"})
    for index in range(RUNS_CAP + 20):
        sidecar.http.post("/ingest_batch", json={"run_id": f"r{index}", "events": [{"message": "x"}]})
    runs = sidecar.http.get("/runs").json()
    ids = {run["run_id"] for run in runs["runs"]}
    assert len(ids) == RUNS_CAP and runs["current_run_id"] == f"r{RUNS_CAP + 19}"
    assert "keep-me" not in ids and "r0" not in ids and f"r{RUNS_CAP + 19}" in ids
