"""The event sender (miner.md §4.6): mining never waits on the sidecar.

`send()` only enqueues. Two bounded queues hold the events: droppable ones (progress, log, population),
dropped and counted when their queue is full or their batch fails, and critical ones (start, candidate,
error, done, shutdown), retried until delivered. One background thread posts batches whenever a batch is
full or the flush interval has passed: critical events get the first places in a batch, a batch keeps the
order in which its events were sent, and the bare `done` that ends a run waits until it is the last event
left (after it the sidecar considers the run stopped); while the sidecar is unreachable the
retry delay grows from 0.5 s to 5 s. Critical events still undelivered when the sender closes are written
to stderr as JSON lines, so nothing the user needs is lost silently.
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TextIO

from miner.events import EventIds, is_critical, is_run_end

log = logging.getLogger(__name__)

DROPPABLE_CAPACITY = 5000
CRITICAL_CAPACITY = 1000
RETRY_INITIAL_S = 0.5
RETRY_MAX_S = 5.0

PostBatch = Callable[[list[dict]], Any]  # raises on failure


def next_retry_delay(previous: float, initial: float = RETRY_INITIAL_S, maximum: float = RETRY_MAX_S) -> float:
    """The pause before the next attempt: `initial` after a first failure, then doubling up to `maximum`."""
    return initial if previous <= 0.0 else min(maximum, previous * 2)


class EventSender:
    def __init__(self, post: PostBatch, *, batch_size: int = 50, flush_seconds: float = 0.25,
                 droppable_capacity: int = DROPPABLE_CAPACITY, critical_capacity: int = CRITICAL_CAPACITY,
                 retry_initial_s: float = RETRY_INITIAL_S, retry_max_s: float = RETRY_MAX_S,
                 ids: EventIds | None = None, spill: TextIO | None = None) -> None:
        self._post = post
        self.batch_size = max(1, int(batch_size))
        self.flush_seconds = float(flush_seconds)
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.ids = ids or EventIds()
        self._spill_stream = spill
        # (send order, event) pairs
        self._droppable: deque[tuple[int, dict]] = deque()
        self._critical: deque[tuple[int, dict]] = deque()
        self._run_end: deque[tuple[int, dict]] = deque()  # the bare `done`, sent after everything else
        self._order = itertools.count()
        self._droppable_capacity = droppable_capacity
        self._critical_capacity = critical_capacity
        self._cond = threading.Condition()
        self._in_flight: list[tuple[int, dict]] = []
        self._closing = False
        self._close_deadline = 0.0
        self._thread = threading.Thread(target=self._run, name="miner-event-sender", daemon=True)
        self.dropped = 0  # droppable events discarded (queue full or batch failed)
        self.spilled = 0  # critical events written to stderr instead of being delivered
        self.delivered = 0
        self.failed_posts = 0

    # ------------------------------------------------------------------ producer side

    def start(self) -> EventSender:
        self._thread.start()
        return self

    def send(self, event: dict) -> None:
        """Enqueue `event` (stamped with an event_id); never blocks on the network."""
        self.ids.stamp(event)
        critical = is_critical(event)
        with self._cond:
            if is_run_end(event):
                self._run_end.append((next(self._order), event))
                self._cond.notify()
                return
            queue, capacity = (self._critical, self._critical_capacity) if critical else \
                (self._droppable, self._droppable_capacity)
            if len(queue) < capacity:
                queue.append((next(self._order), event))
                if self._pending() >= self.batch_size:
                    self._cond.notify()
                return
            if not critical:
                self.dropped += 1
                return
        self._spill([event])  # a full critical queue: keep the event on stderr rather than lose it

    def pending(self) -> int:
        with self._cond:
            return self._pending()

    def close(self, timeout: float = 5.0) -> list[dict]:
        """Flush for at most `timeout` seconds, stop the thread, and spill undelivered critical events to
        stderr; returns those events."""
        with self._cond:
            self._closing = True
            self._close_deadline = time.monotonic() + timeout
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout + 1.0)
        with self._cond:
            leftover = [event for _, event in (*self._critical, *self._run_end)]
            if self._thread.is_alive():  # stuck in a post: its critical events may not arrive
                leftover = [e for _, e in self._in_flight if is_critical(e)] + leftover
            self._critical.clear()
            self._run_end.clear()
            self.dropped += len(self._droppable)
            self._droppable.clear()
        self._spill(leftover)
        return leftover

    # ------------------------------------------------------------------ the sending thread

    def _pending(self) -> int:
        return len(self._critical) + len(self._droppable) + len(self._run_end)

    def _run(self) -> None:
        retry_delay = 0.0
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if self._deliver(batch):
                retry_delay = 0.0
                continue
            retry_delay = next_retry_delay(retry_delay, self.retry_initial_s, self.retry_max_s)
            if not self._pause(retry_delay):
                return

    def _next_batch(self) -> list[dict] | None:
        """Wait until a batch is full, the flush interval passed, or closing; None ends the thread."""
        with self._cond:
            flush_at = time.monotonic() + self.flush_seconds
            while not self._closing and self._pending() < self.batch_size:
                remaining = flush_at - time.monotonic()
                if remaining <= 0 and self._pending():
                    break
                self._cond.wait(remaining if remaining > 0 else self.flush_seconds)
            if self._closing and (not self._pending() or time.monotonic() >= self._close_deadline):
                return None
            batch = self._take_batch()
            self._in_flight = batch
            return [event for _, event in batch]

    def _take_batch(self) -> list[tuple[int, dict]]:
        """Critical events first, then droppable ones, in send order; the run's final `done` only once
        nothing else is left."""
        batch: list[tuple[int, dict]] = []
        for queue in (self._critical, self._droppable):
            while queue and len(batch) < self.batch_size:
                batch.append(queue.popleft())
        if not self._critical and not self._droppable:
            while self._run_end and len(batch) < self.batch_size:
                batch.append(self._run_end.popleft())
        batch.sort(key=lambda entry: entry[0])
        return batch

    def _deliver(self, batch: list[dict]) -> bool:
        try:
            self._post(batch)
        except Exception as exc:  # any failure means: not delivered, retry the critical part
            self._requeue()
            self.failed_posts += 1
            log.debug("posting %d events failed: %s", len(batch), exc)
            return False
        with self._cond:
            self._in_flight = []
            self.delivered += len(batch)
        return True

    def _requeue(self) -> None:
        with self._cond:
            critical = [entry for entry in self._in_flight if is_critical(entry[1])]
            self.dropped += len(self._in_flight) - len(critical)
            self._in_flight = []
            self._run_end.extendleft(reversed([entry for entry in critical if is_run_end(entry[1])]))
            self._critical.extendleft(reversed([entry for entry in critical if not is_run_end(entry[1])]))

    def _pause(self, seconds: float) -> bool:
        """Wait before a retry; while closing, never past the close deadline. False ends the thread."""
        with self._cond:
            until = time.monotonic() + seconds
            while True:
                now = time.monotonic()
                if self._closing:
                    until = min(until, self._close_deadline)
                    if now >= self._close_deadline:
                        return False
                if now >= until:
                    return True
                self._cond.wait(until - now)

    def _spill(self, events: list[dict]) -> None:
        if not events:
            return
        stream = self._spill_stream or sys.stderr
        for event in events:
            stream.write(json.dumps(event, separators=(",", ":"), default=str) + "\n")
        stream.flush()
        self.spilled += len(events)


class SidecarPoster:
    """Posts batches to `POST /ingest_batch` on one keep-alive connection."""

    def __init__(self, base_url: str, run_id: str, timeout: float) -> None:
        from sidecar.client import SidecarClient

        self.run_id = run_id
        self._client = SidecarClient(base_url, timeout=timeout)

    def __call__(self, events: list[dict]) -> None:
        self._client.ingest_batch(self.run_id, events)

    def close(self) -> None:
        self._client.close()
