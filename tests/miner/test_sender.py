"""The event sender (miner.md §4.6): bounded queues, critical retries, event ids, never blocking mining."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import threading

from miner.events import EventIds
from miner.sender import EventSender, SidecarPoster, next_retry_delay
from tests.helpers import wait_for


def progress(i: int) -> dict:
    return {"type": "progress", "worker_id": 0, "iteration": i}


def candidate(i: int) -> dict:
    return {"type": "candidate", "worker_id": 0, "iteration": i, "validator_score": 0.5}


class ScriptedPost:
    """Fails the first `failures` posts, then records every delivered batch; optionally blocks until released."""

    def __init__(self, failures: int = 0, blocked: bool = False) -> None:
        self.failures = failures
        self.batches: list[list[dict]] = []
        self.attempts = 0
        self.threads: set[str] = set()
        self.release = threading.Event()
        if not blocked:
            self.release.set()

    def __call__(self, events: list[dict]) -> None:
        self.threads.add(threading.current_thread().name)
        self.release.wait()
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("sidecar down")
        self.batches.append(list(events))

    @property
    def delivered(self) -> list[dict]:
        return [event for batch in self.batches for event in batch]


def test_full_queues_drop_progress_and_spill_critical_events():
    post, spill = ScriptedPost(blocked=True), io.StringIO()
    sender = EventSender(post, batch_size=1000, flush_seconds=60, droppable_capacity=10, critical_capacity=5,
                         spill=spill).start()
    for i in range(15):
        sender.send(progress(i))
    for i in range(7):
        sender.send(candidate(i))
    assert sender.dropped == 5  # progress beyond the queue's 10
    assert sender.pending() == 15
    spilled_now = [json.loads(line)["iteration"] for line in spill.getvalue().splitlines()]
    assert spilled_now == [5, 6]  # critical beyond the queue's 5 are kept on stderr, not dropped
    leftover = sender.close(timeout=0.0)
    post.release.set()
    assert [e["iteration"] for e in leftover] == [0, 1, 2, 3, 4]
    assert sender.dropped == 15 and sender.spilled == 7
    assert len(spill.getvalue().splitlines()) == 7


def test_failed_posts_retry_critical_events_in_order_and_drop_the_rest():
    post = ScriptedPost(failures=2)
    sender = EventSender(post, batch_size=10, flush_seconds=0.01, retry_initial_s=0.01, retry_max_s=0.02)
    for event in (candidate(1), progress(1), candidate(2), progress(2)):
        sender.send(event)
    sender.start()
    wait_for(lambda: post.batches, timeout=10, what="the retried batch")
    sender.send(candidate(3))
    sender.send(progress(3))
    wait_for(lambda: len(post.delivered) == 4, timeout=10, what="the next batch")
    sender.close(timeout=1.0)
    delivered = post.delivered
    assert [(e["type"], e["iteration"]) for e in delivered] == [
        ("candidate", 1), ("candidate", 2), ("candidate", 3), ("progress", 3)]
    assert sender.dropped == 2 and post.attempts == 4 and sender.failed_posts == 2
    assert len({e["event_id"] for e in delivered}) == 4


def test_batches_take_critical_events_first_and_respect_the_batch_size():
    post = ScriptedPost()
    sender = EventSender(post, batch_size=3, flush_seconds=0.01)
    for event in (progress(1), progress(2), candidate(1), progress(3), candidate(2)):
        sender.send(event)
    sender.start()
    sender.close(timeout=5.0)
    assert [len(batch) for batch in post.batches] == [3, 2]
    # both candidates get a place in the first batch, which keeps the send order
    assert [(e["type"], e["iteration"]) for e in post.batches[0]] == [("progress", 1), ("candidate", 1),
                                                                      ("candidate", 2)]


def test_retry_delay_grows_from_half_a_second_to_five():
    delays, delay = [], 0.0
    for _ in range(6):
        delay = next_retry_delay(delay)
        delays.append(delay)
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_event_ids_are_unique_per_process_and_kept_when_present():
    ids = EventIds(pid=42, start_ms=1000)
    assert [ids.next_id() for _ in range(3)] == ["42.1000.0", "42.1000.1", "42.1000.2"]
    assert ids.stamp({"event_id": "given"}) == {"event_id": "given"}
    sender = EventSender(ScriptedPost(blocked=True), batch_size=100, flush_seconds=60)
    events = [progress(i) for i in range(50)]
    for event in events:
        sender.send(event)
    assert all(re.fullmatch(rf"{os.getpid()}\.\d+\.\d+", e["event_id"]) for e in events)
    assert len({e["event_id"] for e in events}) == 50
    sender.close(timeout=0.0)


def test_send_never_waits_for_a_stuck_post():
    post = ScriptedPost(blocked=True)
    sender = EventSender(post, batch_size=5, flush_seconds=0.01, droppable_capacity=100).start()
    wait_for(lambda: sender.pending() == 0, timeout=5, what="an empty queue")
    for i in range(5000):  # would deadlock here if send() waited on the post
        sender.send(progress(i))
    wait_for(lambda: post.threads, timeout=5, what="the sender thread's post")
    assert post.threads == {"miner-event-sender"}  # the mining thread never posts
    assert sender.dropped >= 5000 - 100 - 5
    post.release.set()
    sender.close(timeout=5.0)


def test_an_unanswering_sidecar_neither_blocks_nor_loses_critical_events():
    """A socket that accepts connections but never answers: posts time out in the background."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        poster, spill = SidecarPoster(url, "run", timeout=0.2), io.StringIO()
        sender = EventSender(poster, batch_size=2, flush_seconds=0.01, retry_initial_s=0.05, spill=spill).start()
        for i in range(1000):
            sender.send(progress(i))
        sender.send(candidate(1))
        wait_for(lambda: sender.failed_posts >= 2, timeout=20, what="failed posts")
        leftover = sender.close(timeout=0.5)
        poster.close()
    assert [e["iteration"] for e in leftover] == [1]
    assert json.loads(spill.getvalue().splitlines()[-1])["type"] == "candidate"
    assert sender.delivered == 0


def test_delivery_to_a_real_sidecar_with_a_duplicate_retry(sidecar):
    url, client = sidecar

    class DeliveredButTimedOut(SidecarPoster):
        calls = 0

        def __call__(self, events):
            super().__call__(events)
            DeliveredButTimedOut.calls += 1
            if DeliveredButTimedOut.calls == 1:
                raise TimeoutError("the answer was lost")

    poster = DeliveredButTimedOut(url, "sender-run", timeout=5)
    sender = EventSender(poster, batch_size=50, flush_seconds=0.01, retry_initial_s=0.01)
    sender.send(candidate(1))
    for i in range(120):
        sender.send({"type": "log", "message": f"line {i}"})
    sender.start()
    sender.close(timeout=10.0)
    poster.close()
    candidates = client.candidates(0, run_id="sender-run").items
    assert [c["iteration"] for c in candidates] == [1]  # re-sent once, stored once
    logs = client.logs(0, limit=500, run_id="sender-run").items
    messages = [item["message"] for item in logs]
    assert messages[0] == "[candidate] w0 iter 1: verified_score=0.500000"
    delivered_lines = [m for m in messages if m.startswith("line ")]
    assert delivered_lines == sorted(delivered_lines, key=lambda m: int(m.split()[1]))
    assert len(delivered_lines) == 120  # the "failed" post had in fact arrived...
    assert sender.dropped == 49  # ...but the sender had to count its log lines as lost


def test_the_final_done_goes_out_after_every_other_event():
    post = ScriptedPost()
    sender = EventSender(post, batch_size=3, flush_seconds=0.01)
    for i in range(7):
        sender.send(progress(i))
    sender.send({"type": "shutdown", "dropped": 0, "message": "bye"})
    sender.send({"type": "done"})
    sender.send(progress(7))  # a straggler (a late worker line) still precedes the final done
    sender.start()
    sender.close(timeout=5.0)
    delivered = post.delivered
    assert delivered[-1] == {"type": "done", "event_id": delivered[-1]["event_id"]}
    assert len(delivered) == 10
    assert [e["type"] for e in post.batches[0]] == ["progress", "progress", "shutdown"]  # critical gets a place


def test_the_followed_global_sota_raises_the_threshold(sidecar):
    from miner.sota import SharedSota, SotaFollower

    url, client = sidecar
    sota = SharedSota()
    follower = SotaFollower(client, "sota-run", sota)
    follower.poll_once()  # unknown run: nothing to follow yet
    assert sota.value is None and sota.threshold(0.25) == 0.25
    client.set_global_sota(0.75, run_id="sota-run")
    follower.poll_once()
    assert sota.value == 0.75 and sota.threshold(0.25) == 0.75 and sota.threshold(0.9) == 0.9
