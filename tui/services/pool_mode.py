"""The Pool tab's coordinator block (tui.md §3.2), from the submitter's status file and the sidecar's state."""

from __future__ import annotations

from miner.submitter.pool import pool_problem

__all__ = ["job_counts", "pool_problem", "status_lines"]


def status_lines(pool: dict | None, state: dict) -> list[str]:
    """The coordinator's state as the submitter last wrote it (`pool` block), then the sidecar's job counts."""
    if not pool:
        return ["Coordinator: starting…", job_counts(state)]
    c = pool.get("counters") or {}
    mode = pool.get("mode") or "task"
    counters = (f"enqueued {c.get('enqueued', 0)}  evolve ok {c.get('evolve_ok', 0)}  "
                f"evaluate ok {c.get('evaluate_ok', 0)}  ")
    counters += (f"lease ok {c.get('lease_ok', 0)}  failures {c.get('failures', 0)}" if mode == "lease"
                 else f"failures {c.get('failures', 0)}")
    return [f"Coordinator: {'registered' if pool.get('registered') else 'registering…'}  mode {mode}",
            f"Active job:  {pool.get('active') or '-'}",
            f"Last submit: {pool.get('last_submit') or '-'}",
            f"Counters:    {counters}",
            f"Last error:  {pool.get('last_error') or '-'}",
            job_counts(state)]


def job_counts(state: dict) -> str:
    """The sidecar's job counts from its `/state`."""
    return (f"Sidecar jobs: queued {state.get('queued_jobs', 0)}  leased {state.get('leased_jobs', 0)}  "
            f"completed {state.get('completed_jobs', 0)}")
