"""Sizes that bound the sidecar's memory (sidecar.md §2.1); `GET /version` reports them."""

STORE_CAPS = {"logs": 5000, "candidates": 2000, "populations": 200, "job_results": 2000}
# The same stores capped in bytes of item JSON, so that a few huge items cannot grow a run without bound.
STORE_BYTE_CAPS = {"logs": 16 << 20, "candidates": 64 << 20, "populations": 32 << 20, "job_results": 64 << 20}
JOBS_CAP = 2000
# Queued plus leased jobs are never dropped, so this refuses new ones instead (not in the reference).
OPEN_JOBS_CAP = 10_000
EVENT_ID_MEMORY = 10_000
WORKERS_CAP = 1024  # per run; progress from further worker ids is not tracked
# Runs kept in memory; beyond this the least recently updated run other than the current one is dropped.
RUNS_CAP = 100
# The stores of all runs together; beyond this the stalest runs other than the current one are dropped.
TOTAL_STORE_BYTES = 512 << 20
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_EVENTS_PER_BATCH = 10_000


def caps_summary() -> dict:
    return {
        **STORE_CAPS,
        "store_bytes": STORE_BYTE_CAPS,
        "jobs": JOBS_CAP,
        "open_jobs": OPEN_JOBS_CAP,
        "event_ids": EVENT_ID_MEMORY,
        "workers": WORKERS_CAP,
        "runs": RUNS_CAP,
        "total_store_bytes": TOTAL_STORE_BYTES,
        "max_body_bytes": MAX_BODY_BYTES,
        "max_events_per_batch": MAX_EVENTS_PER_BATCH,
    }
