"""The submission rule (tui.md §7.1 with CHANGES.md item 1): which candidate goes to the relay, which waits,
which is skipped.

A score posted to the sidecar is a claim, never a fact: anyone on this machine can post a candidate with any
`validator_score` or `verified` field. The claim is used only to skip a candidate cheaply (claiming too little);
a candidate is submitted only on a score the submitter computed itself (`rescored`).

Pure bookkeeping: no HTTP, no clock reads (the caller passes `now`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

NOT_ABOVE = "not above max(global, local)"
ALREADY_SUBMITTED = "DSL already submitted in this run"
MISSING_FIELDS = "missing algorithm_dsl or input_dim"
BETTER_PENDING = "a better candidate is pending"
REPLACED_PENDING = "replaced by a better pending candidate"


class Decision(NamedTuple):
    action: str  # "skip", "verify", "pending" or "submit"
    reason: str = ""


class Rescore(NamedTuple):
    """The submitter's own score of a candidate; `reason` says why it is −inf (None: a finite score)."""

    score: float
    reason: str | None = None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.score)


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


def threshold(global_sota: float | None, local_sota: float | None) -> float | None:
    known = [value for value in (global_sota, local_sota) if value is not None]
    return max(known) if known else None


def claimed_score(candidate: dict) -> float | None:
    """What the candidate says about itself (miner's `validator_score`); only ever used to skip it."""
    value = candidate.get("validator_score")
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


@dataclass
class SubmissionBook:
    """What this run submitted, what waits, and the cooldown."""

    cooldown_s: float = 60.0
    submitted_hashes: set[str] = field(default_factory=set)
    best_submitted: float | None = None
    last_success_at: float | None = None
    pending: dict | None = None  # the candidate, with its own score under "rescored"

    def local_sota(self, sidecar_local: float | None) -> float | None:
        return threshold(sidecar_local, self.best_submitted)

    def cooling_down(self, now: float) -> bool:
        return self.last_success_at is not None and now - self.last_success_at < self.cooldown_s

    def cooldown_left(self, now: float) -> float:
        return max(0.0, self.cooldown_s - (now - self.last_success_at)) if self.last_success_at else 0.0

    def decide(self, candidate: dict, global_sota: float | None, sidecar_local: float | None, now: float,
               rescored: Rescore | None = None) -> Decision:
        """Steps 1-4 for one candidate; "verify" asks the caller to re-score it and call again with `rescored`."""
        if not candidate.get("algorithm_dsl") or candidate.get("input_dim") in (None, ""):
            return Decision("skip", MISSING_FIELDS)
        if candidate_hash(candidate) in self.submitted_hashes:
            return Decision("skip", ALREADY_SUBMITTED)
        if rescored is None:
            claim, limit = claimed_score(candidate), threshold(global_sota, self.local_sota(sidecar_local))
            if claim is not None and limit is not None and not claim > limit:
                return Decision("skip", NOT_ABOVE)
            return Decision("verify")
        return self.gate(rescored, global_sota, sidecar_local, now)

    def gate(self, rescored: Rescore, global_sota: float | None, sidecar_local: float | None,
             now: float) -> Decision:
        if not rescored.finite:
            return Decision("skip", f"scores -inf: {rescored.reason or 'the program fails on the suite'}")
        limit = threshold(global_sota, self.local_sota(sidecar_local))
        if limit is not None and not rescored.score > limit:
            return Decision("skip", NOT_ABOVE)
        if self.cooling_down(now):
            return Decision("pending")
        return Decision("submit")

    def park(self, candidate: dict) -> dict | None:
        """Keep `candidate` (carrying "rescored") as the pending one if it beats the current; returns the loser."""
        if self.pending is None:
            self.pending = candidate
            return None
        if candidate["rescored"] > self.pending["rescored"]:
            loser, self.pending = self.pending, candidate
            return loser
        return candidate

    def release_pending(self, global_sota: float | None, sidecar_local: float | None, now: float
                        ) -> tuple[dict, Decision] | None:
        """When the cooldown is over, the pending candidate re-checked against step 3."""
        if self.pending is None or self.cooling_down(now):
            return None
        candidate, self.pending = self.pending, None
        return candidate, self.gate(Rescore(candidate["rescored"]), global_sota, sidecar_local, now)

    def record_success(self, candidate: dict, score: float, now: float) -> None:
        self.submitted_hashes.add(candidate_hash(candidate))
        self.best_submitted = score if self.best_submitted is None else max(self.best_submitted, score)
        self.last_success_at = now


def submission_body(candidate: dict, run_id: str, score: float) -> dict[str, Any]:
    """The `POST /submit_solution` body of §7.2, carrying the submitter's own score."""
    worker, iteration = candidate.get("worker_id", 0), candidate.get("iteration", 0)
    return {
        "task_id": f"{run_id}:{worker}:{iteration}",
        "score": score,
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
