"""§3.3-§3.6, §1.4 and acceptance check 2: one active assignment per miner, 404s, release, malformed input."""

from __future__ import annotations

from core.genesis import genesis_dsls


async def test_second_request_is_refused_until_release(pool):
    first = await pool.request("Alice", "evolve")
    assert first.status_code == 200
    batch = first.json()
    assert batch["task_type"] == "evolve" and batch["generations"] == 5 and len(batch["algorithms"]) == 2
    for kind in ("evolve", "evaluate", None):
        again = await pool.request("Alice", kind)
        assert (again.status_code, again.json()["detail"]) == (400, "Miner already has active task")
    lease = await pool.call("Alice", "POST", "/api/v1/tasks/lease", json={})
    assert (lease.status_code, lease.json()["detail"]) == (400, "Miner already has active task")
    released = await pool.call("Alice", "POST", "/api/v1/tasks/release", json={})
    assert released.json() == {"status": "released", "released": [batch["batch_id"]]}
    assert (await pool.request("Alice", "evolve")).status_code == 200


async def test_evaluate_without_candidates_is_404(pool):
    # Alice evaluates every genesis program, then nothing is left for her.
    batch = (await pool.request("Alice", "evaluate")).json()
    assert batch["task_type"] == "evaluate" and [a["id"] for a in batch["algorithms"]] == [1, 2, 3, 4]
    reply = await pool.evaluate("Alice", batch["batch_id"], {a["id"]: 0.5 for a in batch["algorithms"]})
    assert reply.json()["accepted"] == 4
    empty = await pool.request("Alice", "evaluate")
    assert (empty.status_code, empty.json()["detail"]) == (404, "No tasks available")
    fallback = await pool.request("Alice")  # no kind: evaluate when possible, else evolve
    assert fallback.json()["task_type"] == "evolve"


async def test_expired_lease_submit_is_404(pool):
    lease = (await pool.call("Alice", "POST", "/api/v1/tasks/lease", json={"eval_batch_size": 2})).json()
    assert lease["evolve_budget"] == 1 and len(lease["evaluate_algorithms"]) == 2
    pool.clock.advance(901)
    body = {"evaluations": [], "evolutions": [], "iterations": 3}
    reply = await pool.call("Alice", "POST", f"/api/v1/tasks/{lease['lease_id']}/submit_lease", json=body)
    assert (reply.status_code, reply.json()["detail"]) == (404, "Active lease assignment not found")


async def test_lease_roundtrip_counts_evolutions(pool):
    lease = (await pool.call("Bob", "POST", "/api/v1/tasks/lease", json={"gossip_limit": 5})).json()
    assert lease["gossip"]["algorithm_ids"] == [] and lease["gossip"]["sota_score"] is None
    child = genesis_dsls()[0] + "\n# lease child"
    body = {"evaluations": [{"algorithm_id": a["id"], "score": 0.4} for a in lease["evaluate_algorithms"]],
            "evolutions": [{"parent_algorithm_ids": [1], "algorithm_dsl": child},
                           {"parent_algorithm_ids": [1], "algorithm_dsl": child + "2"}],
            "iterations": 12}
    reply = await pool.call("Bob", "POST", f"/api/v1/tasks/{lease['lease_id']}/submit_lease", json=body)
    assert reply.status_code == 200
    assert reply.json()["evolutions_accepted"] == 1 and reply.json()["evolutions_rejected"] == 1
    assert reply.json()["evaluations_accepted"] == len(lease["evaluate_algorithms"])


async def test_submit_kind_mismatch_and_foreign_assignment(pool):
    batch = (await pool.request("Alice", "evolve")).json()
    wrong = await pool.evaluate("Alice", batch["batch_id"], {1: 0.5})
    assert (wrong.status_code, wrong.json()["detail"]) == (400, "Assignment is not an evaluate task")
    foreign = await pool.evolve("Bob", batch["batch_id"], genesis_dsls()[0] + "\n# x")
    assert (foreign.status_code, foreign.json()["detail"]) == (404, "Active assignment not found")


async def test_invalid_dsl_is_422_and_frees_the_miner(pool):
    batch = (await pool.request("Alice", "evolve")).json()
    bad = await pool.evolve("Alice", batch["batch_id"], "# only a comment")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("Invalid algorithm DSL: ")
    assert (await pool.request("Alice", "evolve")).status_code == 200


async def test_duplicate_evolution_returns_existing_id(pool):
    batch = (await pool.request("Alice", "evolve")).json()
    reply = await pool.evolve("Alice", batch["batch_id"], genesis_dsls()[0] + "\r\n\n")
    assert reply.json() == {"status": "accepted", "algorithm_id": 1, "duplicate": True}


async def test_malformed_bodies_get_4xx_with_detail(pool):
    batch = (await pool.request("Alice", "evaluate")).json()
    path = f"/api/v1/tasks/{batch['batch_id']}/submit_evaluation"
    for body in ({"evaluations": "nope"}, {"evaluations": [{"algorithm_id": "x"}]}, {},
                 {"evaluations": [{"algorithm_id": 1, "score": "high"}]}):
        reply = await pool.call("Alice", "POST", path, json=body)
        assert reply.status_code == 422 and reply.json()["detail"]
    raw = await pool.call("Alice", "POST", path, content=b"{not json", headers={"content-type": "application/json"})
    assert raw.status_code == 422 and raw.json()["detail"]
    lease = await pool.call("Bob", "POST", "/api/v1/tasks/lease", json={"eval_batch_size": 1})
    assert lease.status_code == 422
    unsupported = await pool.call("Bob", "POST", "/api/v1/tasks/lease", json={"task_type": "mnist_binary"})
    assert (unsupported.status_code, unsupported.json()["detail"]) == (400, "Unsupported task_type")


async def test_non_finite_tokens_count_as_failures(pool):
    batch = (await pool.request("Alice", "evaluate")).json()
    raw = (b'{"evaluations": [{"algorithm_id": 1, "score": -Infinity}, {"algorithm_id": 2, "score": "NaN"},'
           b' {"algorithm_id": 3, "score": null}, {"algorithm_id": 3, "score": 0.2}, {"algorithm_id": 99, "score": 1}]}')
    reply = await pool.call("Alice", "POST", f"/api/v1/tasks/{batch['batch_id']}/submit_evaluation", content=raw,
                            headers={"content-type": "application/json"})
    assert reply.status_code == 200
    assert reply.json() == {"status": "accepted", "accepted": 3, "ignored": 2, "consensus_reached": []}
    stats = (await pool.call("Alice", "GET", "/api/v1/miners/stats")).json()
    assert stats["miner"]["evaluations_submitted"] == 3 and stats["miner"]["active_assignment"] is None
