"""One poll of the local validator: fetch, re-verify, re-score, blacklist and vote (validator.md §5-6)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from validator import submission
from validator.metrics import MetricsLogger
from validator.relay_calls import ValidatorRelay
from validator.stats import Counters, stats_line

logger = logging.getLogger("validator.local_validator")

Verify = Callable[[dict, float], tuple[bool, float]]


@dataclass
class Candidate:
    row: dict
    score: float


@dataclass
class BatchProcessor:
    """Holds the seen-set and the counters for the life of the process."""

    client: ValidatorRelay
    verify: Verify
    seen_block: Callable[[], int]
    limit: int = 256
    task_id: str | None = None
    blacklist_cutoff: float = 0.1
    metrics: MetricsLogger | None = None
    default_threshold: float = 0.0
    submit_votes: bool = True
    on_best: Callable[[str, float], Any] | None = None
    counters: Counters = field(default_factory=Counters)
    seen: set[tuple[str, str]] = field(default_factory=set)
    sota: float | None = None

    def stats_line(self) -> str:
        return stats_line(self.counters, len(self.seen), self.sota)

    def poll_once(self) -> bool:
        """One poll; False when the relay gave nothing usable (a failure or a null body)."""
        rows = self.client.fetch_results(self.limit, self.task_id)
        self.counters.polls += 1
        if rows is None:
            return False
        if not rows:
            return True
        self.counters.fetched += len(rows)
        self.process_batch(rows)
        return True

    def fetch_threshold(self) -> float:
        """Step 1: the relay's SOTA threshold, the default when it cannot be had; kept for the stats line."""
        threshold = self.client.fetch_sota_threshold()
        self.sota = self.default_threshold if threshold is None else threshold
        return self.sota

    def process_batch(self, rows: list) -> None:
        started = time.monotonic()
        threshold = self.fetch_threshold()
        candidates = [c for c in (self._process_row(row, threshold) for row in rows) if c is not None]
        best = _best(candidates)
        if best is not None and self.on_best:
            self.on_best(submission.text_field(best.row, "miner_hotkey"), best.score)
        if best is not None and best.score > threshold and self.submit_votes:
            self._vote(best, threshold)
        if self.metrics:
            self.metrics.evaluation_batch(num_evaluations=len(rows), total_seconds=time.monotonic() - started,
                                          sota_threshold=threshold)

    def _process_row(self, row: Any, threshold: float) -> Candidate | None:
        """Steps 2.1-2.11 for one row; the passed candidate, if any."""
        key = self._admit(row, threshold)
        if key is None:
            return None
        if not submission.miner_signature_ok(row):
            self._remember(key)
            self.counters.sig_fail += 1
            self._record(row, 0.0, threshold, "failed_validation", submission.claim_or_zero(row["score"]))
            return None
        parsed = submission.parse_algorithm_result(row["algorithm_result"])
        if parsed is None:
            self._remember(key)
            self.counters.parse_fail += 1
            self._record(row, 0.0, threshold, "failed_validation", submission.claim_or_zero(row["score"]))
            return None
        try:
            is_valid, score = self.verify(parsed, threshold)
        except Exception:
            logger.exception("Evaluation of %s failed; it will be retried", key[0])
            self.counters.eval_err += 1
            return None
        self._remember(key)
        self.counters.new += 1
        return self._judge(row, is_valid, score, threshold)

    def _admit(self, row: Any, threshold: float) -> tuple[str, str] | None:
        """Steps 2.1-2.3: the row's dedup key when it is complete and not seen before."""
        key = submission.dedup_key(row) if isinstance(row, dict) else None
        if key is None:
            self.counters.invalid += 1
            return None
        if key in self.seen:
            self.counters.dupe += 1
            return None
        if any(row.get(name) is None for name in ("signature", "score", "algorithm_result")):
            self.counters.invalid += 1
            return None
        return key

    def _remember(self, key: tuple[str, str]) -> None:
        self.seen.add(key)

    def _judge(self, row: dict, is_valid: bool, score: float, threshold: float) -> Candidate | None:
        """Steps 2.8-2.11: compare the validator's score with the threshold and with the claim."""
        claim = submission.claimed_score(row["score"])
        if claim is None:
            self.counters.invalid += 1
            return None
        if not is_valid:
            self.counters.failed_sota += 1
            self._record(row, score, threshold, "failed_sota", claim)
            return None
        if submission.exceeds_cutoff(score, claim, self.blacklist_cutoff):
            self.counters.blacklisted += 1
            logger.info("Blacklisting %s: claimed %s, validator score %s", row["miner_hotkey"], claim, score)
            self.client.blacklist(submission.text_field(row, "miner_hotkey"))
            self._record(row, score, threshold, "blacklisted", claim)
            return None
        self.counters.passed += 1
        self._record(row, score, threshold, "passed", claim)
        return Candidate(row, score)

    def _vote(self, best: Candidate, threshold: float) -> bool:
        """Step 5: one signed vote; True when the relay accepted it."""
        hotkey = submission.text_field(best.row, "miner_hotkey")
        seen_block = self.seen_block()
        self.counters.votes_attempted += 1
        answer = self.client.vote_sota(hotkey, best.score, seen_block, best.row.get("id"))
        if answer is None:
            return False
        self.counters.votes_submitted += 1
        status = answer.get("status")
        finalized = bool(answer.get("finalized_event")) or (isinstance(status, str) and status.strip().lower() == "finalized")
        logger.info("SOTA vote for %s score=%s seen_block=%s status=%s", hotkey, best.score, seen_block, status)
        if finalized:
            self.counters.votes_finalized += 1
            self._finalized(hotkey, threshold, best.score)
        return True

    def _finalized(self, hotkey: str, old_sota: float, new_sota: float) -> None:
        if self.metrics:
            self.metrics.sota_update(old_sota=old_sota, new_sota=new_sota, triggering_miner=hotkey)

    def _record(self, row: dict, validator_score: float, threshold: float, status: str, claim: float) -> None:
        if self.metrics:
            self.metrics.miner_result(miner_hotkey=submission.text_field(row, "miner_hotkey"), miner_score=claim,
                                      validator_score=validator_score, sota_threshold=threshold, result_status=status)


def _best(candidates: list[Candidate]) -> Candidate | None:
    """Highest validator score; on a tie the first in relay order (the newest) wins."""
    best = None
    for candidate in candidates:
        if best is None or candidate.score > best.score:
            best = candidate
    return best
