"""The submission rule (tui.md §7.1): which candidate goes to the relay, which waits, which is skipped.

Pure bookkeeping: no HTTP, no clock reads (the caller passes `now`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, NamedTuple

NOT_ABOVE = "not above max(global, local)"
ALREADY_SUBMITTED = "DSL already submitted in this run"
MISSING_FIELDS = "missing algorithm_dsl or input_dim"
BETTER_PENDING = "a better candidate is pending"
REPLACED_PENDING = "replaced by a better pending candidate"
MINER_LARGE_SUITE = "extended"
SCALAR_SMALL_SUITE = 8


class Decision(NamedTuple):
    action: str  # "skip", "verify", "pending" or "submit"
    reason: str = ""


class SuiteSettings(NamedTuple):
    """The validator suite a candidate must be scored on (validator_hyperparams.json plus env)."""

    task_count: int
    task_seed: int
    scalar_large_suite: str


def candidate_hash(candidate: dict) -> str:
    """`program_hash` as sent by the miner, else the hash of the canonical DSL, else of the raw text."""
    if candidate.get("program_hash"):
        return str(candidate["program_hash"])
    dsl = str(candidate.get("algorithm_dsl") or "")
    try:
        from core.dsl import from_dsl, program_hash

        return program_hash(from_dsl(dsl, int(candidate["input_dim"])))
    except Exception:  # a DSL the parser refuses still gets a stable identity
        return hashlib.sha256(dsl.encode("utf-8")).hexdigest()


def suite_matches(candidate: dict, settings: SuiteSettings) -> bool:
    """Whether the miner verified on the validator's suite (unknown suites never match)."""
    count, seed = candidate.get("verify_task_count"), candidate.get("verify_task_seed")
    if count is None or seed is None:
        return False
    if int(count) != settings.task_count or int(seed) != settings.task_seed:
        return False
    large_scalar = candidate.get("task_type") == "scalar_linear" and int(count) > SCALAR_SMALL_SUITE
    return not large_scalar or settings.scalar_large_suite == MINER_LARGE_SUITE


def threshold(global_sota: float | None, local_sota: float | None) -> float | None:
    known = [value for value in (global_sota, local_sota) if value is not None]
    return max(known) if known else None


def verified_score(candidate: dict) -> float | None:
    value = candidate.get("verified", candidate.get("validator_score"))
    return None if value is None else float(value)


@dataclass
class SubmissionBook:
    """What this run submitted, what waits, and the cooldown."""

    cooldown_s: float = 60.0
    verify_before_submit: bool = True
    submitted_hashes: set[str] = field(default_factory=set)
    best_submitted: float | None = None
    last_success_at: float | None = None
    pending: dict | None = None

    def local_sota(self, sidecar_local: float | None) -> float | None:
        return threshold(sidecar_local, self.best_submitted)

    def cooling_down(self, now: float) -> bool:
        return self.last_success_at is not None and now - self.last_success_at < self.cooldown_s

    def cooldown_left(self, now: float) -> float:
        return max(0.0, self.cooldown_s - (now - self.last_success_at)) if self.last_success_at else 0.0

    def decide(self, candidate: dict, global_sota: float | None, sidecar_local: float | None, now: float,
               suite: SuiteSettings | None = None) -> Decision:
        """Steps 1-4 for one candidate; "verify" asks the caller to re-score it and call again."""
        if not candidate.get("algorithm_dsl") or candidate.get("input_dim") in (None, ""):
            return Decision("skip", MISSING_FIELDS)
        if candidate_hash(candidate) in self.submitted_hashes:
            return Decision("skip", ALREADY_SUBMITTED)
        needs_rescore = self.verify_before_submit and "verified" not in candidate
        if needs_rescore and (suite is None or not suite_matches(candidate, suite)):
            return Decision("verify")
        return self._gate(candidate, global_sota, sidecar_local, now)

    def _gate(self, candidate: dict, global_sota: float | None, sidecar_local: float | None,
              now: float) -> Decision:
        score = verified_score(candidate)
        limit = threshold(global_sota, self.local_sota(sidecar_local))
        if score is None or (limit is not None and not score > limit):
            return Decision("skip", NOT_ABOVE)
        if self.cooling_down(now):
            return Decision("pending")
        return Decision("submit")

    def park(self, candidate: dict) -> dict | None:
        """Keep `candidate` as the pending one if it beats the current; returns the candidate that loses."""
        if self.pending is None:
            self.pending = candidate
            return None
        if (verified_score(candidate) or float("-inf")) > (verified_score(self.pending) or float("-inf")):
            loser, self.pending = self.pending, candidate
            return loser
        return candidate

    def release_pending(self, global_sota: float | None, sidecar_local: float | None, now: float
                        ) -> tuple[dict, Decision] | None:
        """When the cooldown is over, the pending candidate re-checked against step 3."""
        if self.pending is None or self.cooling_down(now):
            return None
        candidate, self.pending = self.pending, None
        return candidate, self._gate(candidate, global_sota, sidecar_local, now)

    def record_success(self, candidate: dict, now: float) -> None:
        self.submitted_hashes.add(candidate_hash(candidate))
        score = verified_score(candidate)
        if score is not None:
            self.best_submitted = score if self.best_submitted is None else max(self.best_submitted, score)
        self.last_success_at = now


def submission_body(candidate: dict, run_id: str) -> dict[str, Any]:
    """The `POST /submit_solution` body of §7.2."""
    worker, iteration = candidate.get("worker_id", 0), candidate.get("iteration", 0)
    return {
        "task_id": f"{run_id}:{worker}:{iteration}",
        "score": verified_score(candidate),
        "algorithm_result": {
            "task_type": candidate.get("task_type"),
            "algorithm_dsl": candidate.get("algorithm_dsl"),
            "input_dim": candidate.get("input_dim"),
            "worker_id": worker,
            "iteration": iteration,
        },
    }


def format_threshold(value: float | None) -> str:
    return "none" if value is None else f"{value:.6f}"
