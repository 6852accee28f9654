"""`sidecar.client` against a real sidecar: the blocking and the asyncio client share every endpoint."""

from __future__ import annotations

import httpx
import pytest

from sidecar.client import AsyncSidecarClient, SidecarClient, SidecarError, StreamCursor, sidecar_url


def test_url_from_the_environment():
    assert sidecar_url({}) == "http://127.0.0.1:8123"
    assert sidecar_url({"BITSOTA_SIDECAR_HOST": "127.0.0.9", "BITSOTA_SIDECAR_PORT": "9"}) == "http://127.0.0.9:9"
    assert sidecar_url({"BITSOTA_SIDECAR_URL": "http://h:1/", "BITSOTA_SIDECAR_PORT": "9"}) == "http://h:1"


def test_blocking_client_round_trip(sidecar):
    client = sidecar.client
    assert client.health()["status"] == "ok" and client.version()["journal"] is False
    run_id = client.start_run(meta={"task_type": "scalar_linear"})
    assert client.ingest_batch(run_id, [{"message": f"m{index}"} for index in range(5)]) == 5
    client.ingest_batch(run_id, [{"type": "candidate", "validator_score": 0.5}])
    client.set_global_sota(0.4)
    client.submission_result(0.5, "submitted", kind="pool")

    logs = StreamCursor()
    assert [item["message"] for item in logs.take(client.logs(logs.position, limit=3))] == ["m0", "m1", "m2"]
    rest = logs.take(client.logs(logs.position, run_id=run_id))
    assert [item["seq"] for item in rest] == [3, 4, 5, 6] and logs.position == 7
    assert logs.take(client.logs(logs.position)) == [] and logs.position == 7
    candidates = StreamCursor()
    assert candidates.take(client.candidates(candidates.position))[0]["validator_score"] == 0.5
    assert client.populations().items == []

    state = client.state()
    assert (state["global_sota"], state["successful_submissions"], state["local_sota"]) == (0.4, 1, None)
    assert client.runs()["current_run_id"] == run_id

    job = client.enqueue_job("evolve", {"batch_id": "b"}, job_id="j1")
    assert job == {"run_id": run_id, "job_id": "j1", "status": "queued"}
    leased = client.next_job(run_id=run_id, worker_id="0", lease_seconds=30)
    assert leased["job_id"] == "j1" and leased["attempt"] == 1
    assert client.next_job() is None
    assert client.post_job_result("j1", "ok", {"fitness": 1.0}) == {"status": "ok"}
    assert client.post_job_result("j1", "error", error="late")["duplicate"] is True
    results = StreamCursor()
    assert [event["status"] for event in results.take(client.job_results(results.position))] == ["completed"]
    client.stop_run()
    assert client.state()["status"] == "stopped"

    with pytest.raises(SidecarError) as failure:
        client.post_job_result("missing", "ok")
    assert failure.value.status_code == 404 and failure.value.detail == "job not found"


def test_stream_cursor_counts_skipped_items(sidecar):
    client = sidecar.client
    client.ingest_batch("r", [{"message": str(index)} for index in range(5100)])
    logs = StreamCursor()
    first = logs.take(client.logs(logs.position, limit=1))
    assert first[0]["seq"] == 100 and logs.skipped == 100 and logs.position == 101
    logs.reset()
    assert (logs.position, logs.skipped) == (0, 0)


def test_version_is_none_on_a_sidecar_without_extensions():
    def reference_sidecar(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    with SidecarClient("http://reference", transport=httpx.MockTransport(reference_sidecar)) as client:
        assert client.version() is None
        with pytest.raises(SidecarError):
            client.runs()


async def test_async_client(sidecar):
    async with AsyncSidecarClient(sidecar.url) as client:
        run_id = await client.start_run("async-run")
        assert await client.ingest_batch(run_id, [{"type": "progress", "worker_id": 0, "iteration": 9}]) == 1
        assert (await client.state(run_id))["tasks_completed"] == 9
        page = await client.logs()
        assert page.cursor == 1 and page.items[0]["message"] == "[w0] Iter 0009:"
        await client.enqueue_job("evaluate")
        assert (await client.next_job(worker_id="a"))["kind"] == "evaluate"
        with pytest.raises(SidecarError) as failure:
            await client.start_run("  ")
        assert failure.value.detail == "run_id must be non-empty"
