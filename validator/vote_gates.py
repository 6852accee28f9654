"""The validator node's optional vote gates (validator.md §9), from `validator_config.yaml`.

`submission_schedule.mode`:
- `immediate` (default): the batch's best above the threshold is voted at once, as in §6.
- `interval`: at most one accepted vote per `interval_seconds`; the first vote is not held back.
- `utc_times`: at most one accepted vote per scheduled "HH:MM" UTC time of day: a vote is allowed once a
  scheduled time has passed since the node started and since its last accepted vote.
A vote the schedule holds back is kept (a higher score replaces it) and retried at each relay poll. When it is
retried it is dropped if it no longer beats the relay threshold; a sent vote with a score at least as high
drops it too.

`submission_threshold.mode: local_best`: the node remembers the highest of its batch bests above the threshold
(voted or held) and does not vote for a candidate below it; an equal score passes. `sota_only` (the
default) adds no gate.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from validator.batch import Candidate
from validator.node_config import SubmissionConfig

logger = logging.getLogger("validator.node")

Vote = Callable[[Candidate, float], bool]


def next_utc_slot(times: tuple[tuple[int, int], ...], after: float) -> float:
    """The first scheduled (hour, minute) UTC time strictly after the Unix time `after`."""
    midnight = datetime.fromtimestamp(after, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for day in (0, 1):
        for hour, minute in times:
            slot = (midnight + timedelta(days=day, hours=hour, minutes=minute)).timestamp()
            if slot > after:
                return slot
    raise ValueError("no scheduled UTC times")


def utc_text(unix_time: float) -> str:
    return datetime.fromtimestamp(unix_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SubmissionSchedule:
    """When the next vote may be sent, from the mode and the time of the last accepted vote."""

    def __init__(self, config: SubmissionConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.started = clock()
        self.last_vote: float | None = None

    def next_allowed(self) -> float:
        mode = self.config.schedule
        if mode == "immediate":
            return -math.inf
        if mode == "interval":
            return -math.inf if self.last_vote is None else self.last_vote + self.config.interval_s
        return next_utc_slot(self.config.utc_times, self.started if self.last_vote is None else self.last_vote)

    def allows(self) -> bool:
        return self.next_allowed() <= self.clock()

    def record_vote(self) -> None:
        self.last_vote = self.clock()


class VoteGates:
    """Decides, for each candidate the node would vote for, whether to vote now, hold it or skip it."""

    def __init__(self, config: SubmissionConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.schedule = SubmissionSchedule(config, clock)
        self.local_best: float | None = None
        self.held: Candidate | None = None

    def offer(self, candidate: Candidate, threshold: float, vote: Vote) -> bool:
        """A batch's best above the threshold; True when a vote for it was sent and accepted."""
        self._note(candidate.score)
        if self._below_local_best(candidate):
            return False
        if not self.schedule.allows():
            self._hold(candidate)
            return False
        return self._send(candidate, threshold, vote)

    def retry_held(self, fetch_threshold: Callable[[], float], vote: Vote) -> None:
        """Send the held vote once the schedule allows it, or drop it when it no longer qualifies."""
        held = self.held
        if held is None or not self.schedule.allows():
            return
        threshold = fetch_threshold()
        if held.score <= threshold:
            logger.info("Dropping the held vote (score %s): not above the SOTA threshold %s", held.score, threshold)
            self.held = None
        else:
            self._send(held, threshold, vote)

    def _send(self, candidate: Candidate, threshold: float, vote: Vote) -> bool:
        if not vote(candidate, threshold):
            return False
        self.schedule.record_vote()
        if self.held is not None and self.held.score <= candidate.score:
            self.held = None
        return True

    def _hold(self, candidate: Candidate) -> None:
        if self.held is None or candidate.score > self.held.score:
            self.held = candidate
            logger.info("Holding the SOTA vote (score %s) until %s by the submission schedule", candidate.score,
                        utc_text(self.schedule.next_allowed()))

    def _note(self, score: float) -> None:
        if self.config.local_best and (self.local_best is None or score > self.local_best):
            self.local_best = score

    def _below_local_best(self, candidate: Candidate) -> bool:
        if self.local_best is None or not candidate.score < self.local_best:
            return False
        logger.info("Not voting for score %s: below the local best %s", candidate.score, self.local_best)
        return True
