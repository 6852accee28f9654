"""Counters of the local validator and its stats line (validator.md §7)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counters:
    polls: int = 0
    fetched: int = 0
    new: int = 0
    dupe: int = 0
    invalid: int = 0
    sig_fail: int = 0
    parse_fail: int = 0
    eval_err: int = 0
    failed_sota: int = 0
    blacklisted: int = 0
    passed: int = 0
    votes_submitted: int = 0
    votes_attempted: int = 0
    votes_finalized: int = 0


def stats_line(counters: Counters, unique_seen: int, sota: float | None) -> str:
    c = counters
    line = (
        f"polls={c.polls} fetched={c.fetched} new={c.new} dupe={c.dupe} invalid={c.invalid} "
        f"sig_fail={c.sig_fail} parse_fail={c.parse_fail} eval_err={c.eval_err} failed_sota={c.failed_sota} "
        f"blacklisted={c.blacklisted} passed={c.passed} votes={c.votes_submitted}/{c.votes_attempted} "
        f"finalized={c.votes_finalized} unique_seen={unique_seen}"
    )
    if sota is not None:
        line += f" sota={sota:.6f}"
    return line
