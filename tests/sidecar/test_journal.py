"""The on-disk journal (sidecar.md §7): replay equivalence, torn and bad lines, compaction, retention,
and restarts of a real `python -m sidecar` after SIGKILL and SIGTERM."""

from __future__ import annotations

import json
import logging
import signal

import httpx

from sidecar.journal import RUNS_DIR, run_file_name
from sidecar.replay import read_run
from tests.helpers import wait_for

READS = ("/logs", "/candidates", "/populations", "/jobs/results")


def fill_run(http: httpx.Client, run_id: str = "r1") -> None:
    http.post("/runs/start", json={"run_id": run_id, "meta": {"task_type": "scalar_linear", "workers": 2}})
    events: list[dict] = [{"type": "progress", "worker_id": worker, "iteration": step, "engine_best": step / 100, "rate": 2.0}
              for step in range(1, 40) for worker in (0, 1)]
    events += [{"message": f"line {index}"} for index in range(5200)]  # some logs get evicted
    events += [{"type": "candidate", "event_id": f"c{index}", "validator_score": index / 10, "worker_id": 0,
                "algorithm_dsl": f"# {index}"} for index in range(5)]
    events.append({"type": "population", "event_id": "p0", "population": [{"dsl": "x", "fitness": None}]})
    assert http.post("/ingest_batch", json={"run_id": run_id, "events": events}).status_code == 200
    http.post("/set_global_sota", json={"value": 0.25})
    http.post("/submission_result", json={"score": 0.4, "status": "accepted"})
    for job_id in ("done", "leased", "queued"):
        http.post("/jobs/enqueue", json={"job_id": job_id, "kind": "evaluate", "payload": {"n": job_id}})
    http.get("/jobs/next", params={"worker_id": "w"})
    http.post("/jobs/done/result", json={"status": "ok", "result": {"score": 0.5}})
    http.get("/jobs/next", params={"worker_id": "w", "lease_seconds": 600})


def observe(http: httpx.Client) -> dict:
    views = {path: http.get(path, params={"cursor": 0, "limit": 500}).json() for path in READS}
    return {"state": http.get("/state").json(), "runs": http.get("/runs").json(), **views}


def test_replay_restores_runs_with_identical_seq(start_sidecar, tmp_path):
    first = start_sidecar(journal_dir=tmp_path)
    fill_run(first.http)
    before = observe(first.http)
    start_sidecar.stop_all()

    after = observe(start_sidecar(journal_dir=tmp_path).http)
    # The leased job comes back queued, as if its lease had expired; everything else is identical.
    assert (before["state"]["queued_jobs"], before["state"]["leased_jobs"]) == (1, 1)
    assert (after["state"]["queued_jobs"], after["state"]["leased_jobs"]) == (2, 0)
    for view in (before, after):
        for key in ("queued_jobs", "leased_jobs"):
            view["state"].pop(key)
    assert after == before
    assert after["state"]["tasks_completed"] == 78  # the last progress of each worker survived throttling
    assert after["/logs"]["items"][0]["seq"] == before["/logs"]["items"][0]["seq"] > 0


def test_restored_run_keeps_counting_and_deduplicating(start_sidecar, tmp_path):
    first = start_sidecar(journal_dir=tmp_path)
    fill_run(first.http)
    start_sidecar.stop_all()
    http = start_sidecar(journal_dir=tmp_path).http

    assert http.get("/jobs/next", params={"worker_id": "w2"}).json()["job"]["job_id"] == "leased"
    assert http.get("/jobs/next").json()["job"]["job_id"] == "queued"
    retry = [{"type": "candidate", "event_id": "c4", "validator_score": 0.4}]  # delivered before the restart
    http.post("/ingest_batch", json={"run_id": "r1", "events": retry})
    http.post("/ingest_batch", json={"run_id": "r1", "events": [{"message": "after restart"}]})
    state = http.get("/state").json()
    assert state["candidates_total"] == 5
    last = http.get("/logs", params={"cursor": state["logs_total"] - 1}).json()["items"]
    assert [(item["seq"], item["message"]) for item in last] == [(state["logs_total"] - 1, "after restart")]


def test_torn_last_line_and_bad_lines(start_sidecar, tmp_path, caplog):
    first = start_sidecar(journal_dir=tmp_path)
    first.http.post("/runs/start", json={"run_id": "torn"})
    first.http.post("/ingest_batch", json={"run_id": "torn", "events": [
        {"type": "candidate", "validator_score": 0.1}, {"type": "candidate", "validator_score": 0.2}]})
    start_sidecar.stop_all()

    path = tmp_path / RUNS_DIR / run_file_name("torn")
    lines = path.read_text().splitlines()
    item_line = next(index for index, line in enumerate(lines) if '"store":"candidates"' in line)
    lines.insert(item_line + 1, "{garbage")
    lines.insert(item_line + 1, '{"k": "mystery"}')
    torn = json.dumps({"k": "item", "t": 0, "store": "candidates", "item": {"seq": 2, "validator_score": 9.9}})
    path.write_text("\n".join(lines) + "\n" + torn[: len(torn) // 2])

    with caplog.at_level(logging.WARNING, logger="sidecar.journal"):
        run = read_run(path)
    assert [item["validator_score"] for item in run.stores["candidates"]] == [0.1, 0.2]
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 2 and all("skipped" in warning for warning in warnings)  # the torn line is quiet

    http = start_sidecar(journal_dir=tmp_path).http
    assert http.get("/state", params={"run_id": "torn"}).json()["best_candidate_score"] == 0.2


def test_compaction_rewrites_one_snapshot_and_keeps_seq(start_sidecar, tmp_path):
    sidecar = start_sidecar(journal_dir=tmp_path, journal_max_mb=0.05)
    path = tmp_path / RUNS_DIR / run_file_name("big")
    sidecar.http.post("/runs/start", json={"run_id": "big"})
    for batch in range(30):
        events = [{"message": f"b{batch} line {index}"} for index in range(1000)]
        sidecar.http.post("/ingest_batch", json={"run_id": "big", "events": events})
        sidecar.http.post("/set_global_sota", json={"run_id": "big", "value": batch})  # waits for the writer
    wait_for(lambda: path.read_text().startswith('{"k":"snapshot"'), timeout=10, what="a compaction")
    # About 120 bytes per record were written 30,000 times; what is left is the retained window
    # (5,000 logs) plus what came after the last compaction.
    assert path.stat().st_size < 1_500_000
    before = observe(sidecar.http)
    start_sidecar.stop_all()

    after = observe(start_sidecar(journal_dir=tmp_path, journal_max_mb=0.05).http)
    assert after == before and after["state"]["logs_total"] == 30_000 and after["state"]["global_sota"] == 29
    assert after["/logs"]["items"][0]["seq"] == 25_000


def test_replaced_run_truncates_and_old_runs_are_deleted(start_sidecar, tmp_path):
    sidecar = start_sidecar(journal_dir=tmp_path, journal_keep_runs=2)
    for run_id in ("a", "b", "c/with slash"):
        sidecar.http.post("/ingest_batch", json={"run_id": run_id, "events": [{"message": run_id}] * 3})
    sidecar.http.post("/runs/start", json={"run_id": "b"})  # replaced: b starts empty
    sidecar.http.post("/runs/start", json={"run_id": "c/with slash", "replace": False})  # current, newest
    start_sidecar.stop_all()
    files = sorted(path.name for path in (tmp_path / RUNS_DIR).iterdir())
    assert len(files) == 3 and run_file_name("c/with slash") in files and len(run_file_name("c/with slash")) == 46

    http = start_sidecar(journal_dir=tmp_path, journal_keep_runs=2).http
    runs = http.get("/runs").json()
    assert runs["current_run_id"] == "c/with slash"
    assert sorted(run["run_id"] for run in runs["runs"]) == ["b", "c/with slash"]
    assert http.get("/state", params={"run_id": "b"}).json()["logs_total"] == 0
    assert sorted(path.name for path in (tmp_path / RUNS_DIR).iterdir()) == sorted(
        [run_file_name("b"), run_file_name("c/with slash")])
    assert http.get("/version").json()["journal"] is True


def test_restart_after_sigkill_keeps_acknowledged_candidates(spawn_sidecar, tmp_path):
    journal = tmp_path / "journal"
    sidecar = spawn_sidecar("--journal-dir", str(journal))
    assert f"journal={journal}" in sidecar.stderr()
    http = httpx.Client(base_url=sidecar.url, timeout=10)
    http.post("/runs/start", json={"run_id": "kill"})
    http.post("/set_global_sota", json={"value": 0.3})
    http.post("/ingest_batch", json={"run_id": "kill", "events": [
        {"type": "candidate", "event_id": "x.1", "validator_score": 0.7, "algorithm_dsl": "# a"},
        {"message": "written with the candidate"}]})
    sidecar.signal(signal.SIGKILL)  # the replies above came after their fsync
    assert sidecar.wait() == -signal.SIGKILL

    restarted = spawn_sidecar("--journal-dir", str(journal), port=int(sidecar.url.rsplit(":", 1)[1]))
    with httpx.Client(base_url=restarted.url, timeout=10) as http:
        state = http.get("/state").json()
        assert (state["run_id"], state["global_sota"], state["best_candidate_score"]) == ("kill", 0.3, 0.7)
        messages = [item["message"] for item in http.get("/logs").json()["items"]]
        assert messages == ["[candidate] w0 iter 0: verified_score=0.700000", "written with the candidate"]


def test_restart_after_sigterm_keeps_buffered_logs(spawn_sidecar, tmp_path):
    journal = tmp_path / "journal"
    sidecar = spawn_sidecar("--journal-dir", str(journal))
    with httpx.Client(base_url=sidecar.url, timeout=10) as http:
        http.post("/ingest_batch", json={"run_id": "term", "events": [{"message": f"m{index}"} for index in range(50)]})
    sidecar.signal(signal.SIGTERM)  # logs are not fsynced per request: shutdown must flush them
    assert sidecar.wait() == -signal.SIGTERM

    restarted = spawn_sidecar("--journal-dir", str(journal))
    with httpx.Client(base_url=restarted.url, timeout=10) as http:
        page = http.get("/logs", params={"limit": 500}).json()
        assert [item["message"] for item in page["items"]] == [f"m{index}" for index in range(50)]
        assert page["cursor"] == 50
