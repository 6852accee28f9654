"""k-of-n median consensus per algorithm (pool.md §3.7), as pure functions over the reported scores."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

AGREE, DISAGREE, NONE = "agree", "disagree", "none"
PENDING, SCORED, INVALID, NO_CONSENSUS = "pending", "scored", "invalid", "no_consensus"


@dataclass(frozen=True)
class Rules:
    k: int
    max_evaluators: int
    tolerance_ratio: float
    tolerance_abs: float

    def tolerance(self, center: float) -> float:
        return self.tolerance_ratio * max(abs(center), self.tolerance_abs)


@dataclass(frozen=True)
class Decision:
    status: str  # pending while undecided
    eval_target: int
    consensus_score: float | None = None
    verdicts: dict[str, str] | None = None  # evaluator hotkey → verdict, when decided


def is_failure(score: float | None) -> bool:
    return score is None or not math.isfinite(score)


def decide(reports: dict[str, float | None], eval_target: int, rules: Rules) -> Decision:
    """The outcome for a pending algorithm with `reports` (evaluator → score, None for a failure)."""
    if len(reports) < rules.k:
        return Decision(PENDING, eval_target)
    failures = {hotkey for hotkey, score in reports.items() if is_failure(score)}
    if len(failures) >= rules.k:
        return Decision(INVALID, eval_target, None, _verdicts(reports, failures))
    finite = {hotkey: score for hotkey, score in reports.items() if score is not None and hotkey not in failures}
    center = median(finite.values())
    tol = rules.tolerance(center)
    agreeing = {hotkey for hotkey, score in finite.items() if abs(score - center) <= tol}
    if len(agreeing) >= rules.k:
        return Decision(SCORED, eval_target, median(finite[h] for h in agreeing), _verdicts(reports, agreeing))
    if eval_target < rules.max_evaluators:
        return Decision(PENDING, max(eval_target, len(reports) + 1))
    return Decision(NO_CONSENSUS, eval_target, None, {hotkey: NONE for hotkey in reports})


def late_verdict(status: str, consensus_score: float | None, score: float | None, rules: Rules) -> str:
    """The verdict for an evaluation that arrives after the algorithm was decided."""
    if status == SCORED:
        agrees = (score is not None and consensus_score is not None and not is_failure(score)
                  and abs(score - consensus_score) <= rules.tolerance(consensus_score))
        return AGREE if agrees else DISAGREE
    if status == INVALID:
        return AGREE if is_failure(score) else DISAGREE
    return NONE


def _verdicts(reports: dict[str, float | None], agreeing: set[str]) -> dict[str, str]:
    return {hotkey: AGREE if hotkey in agreeing else DISAGREE for hotkey in reports}
