"""One run's state and every change to it (sidecar.md §2, §3, §5, §6).

Each mutating method returns the journal records that describe its change (§7); `apply_record`
is the inverse used when a journal is replayed.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sidecar.caps import EVENT_ID_MEMORY, STORE_BYTE_CAPS, STORE_CAPS, WORKERS_CAP
from sidecar.events import as_int, as_number, event_type, log_line
from sidecar.jobs import JobTable
from sidecar.store import ItemStore

SUCCESSFUL_SUBMISSION = frozenset({"submitted", "accepted", "success"})
WORKER_FIELDS = ("rate", "engine_best", "pop_best", "fec_hit_rate")
WORKER_JOURNAL_INTERVAL_S = 1.0
_STATE_FIELDS = ("status", "global_sota", "local_sota", "successful_submissions")


class RecentIds:
    """The most recent `cap` event ids of a run, oldest forgotten first."""

    def __init__(self, cap: int):
        self.cap = cap
        self._ids: dict[Any, None] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: Any) -> bool:
        """Remember `event_id`; False when it was already known. Ids other than str/int are ignored."""
        if not isinstance(event_id, (str, int)) or isinstance(event_id, bool):
            return True
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.cap:
            del self._ids[next(iter(self._ids))]
        return True


class Run:
    def __init__(self, run_id: str, now: float, meta: dict | None = None):
        self.run_id = run_id
        self.created_at_s = now
        self.updated_at_s = now
        self.meta = meta or {}
        self.status = "running"
        self.global_sota: float | None = None
        self.local_sota: float | None = None
        self.successful_submissions = 0
        self.stores = {name: ItemStore(cap, STORE_BYTE_CAPS[name]) for name, cap in STORE_CAPS.items()}
        self.workers: dict[str, dict] = {}
        self.jobs = JobTable()
        self.seen_event_ids = RecentIds(EVENT_ID_MEMORY)
        self._worker_journaled_at: dict[str, float] = {}
        self._workers_not_journaled: set[str] = set()

    # ---- changes -------------------------------------------------------------------------------

    def ingest(self, events: list, now: float) -> list[dict]:
        fresh, duplicates = [], 0
        for event in events:
            if not isinstance(event, dict):
                continue
            if self.seen_event_ids.add(event.get("event_id")):
                fresh.append(event)
            else:
                duplicates += 1
        if duplicates and not fresh:
            return []  # a retried batch that was already stored: acknowledge, change nothing
        self.updated_at_s = now
        records = self._set_status("running")
        for event in fresh:
            records += self._apply_event(event, now)
        return records

    def set_status(self, status: str, now: float) -> list[dict]:
        self.updated_at_s = now
        return self._set_status(status)

    def set_global_sota(self, value: float, now: float) -> list[dict]:
        self.updated_at_s = now
        self.global_sota = value
        return [self.state_record()]

    def record_submission(self, score: float, status: str, kind: str | None, now: float) -> list[dict]:
        self.updated_at_s = now
        records = []
        if status in SUCCESSFUL_SUBMISSION:
            self.successful_submissions += 1
            if kind != "pool":
                self.local_sota = score if self.local_sota is None else max(self.local_sota, score)
            records.append(self.state_record())
        item = {"type": "submission_result", "ts": now, "score": score, "status": status}
        records.append(self._store("logs", item))
        return records

    def enqueue_job(self, job_id: str, kind: str, payload: dict, now: float) -> tuple[dict, list[dict]]:
        self.updated_at_s = now
        job = self.jobs.enqueue(job_id, self.run_id, kind, payload, now)
        return dict(job), [self._job_record(job)]

    def sweep_jobs(self, now: float) -> list[dict]:
        return [self._job_record(job) for job in self.jobs.sweep(now)]

    def lease_job(self, worker_id: str, lease_seconds: int, now: float) -> tuple[dict | None, list[dict]]:
        records = self.sweep_jobs(now)
        job = self.jobs.lease(worker_id, lease_seconds, now)
        if job is None:
            return None, records
        self.updated_at_s = now
        return dict(job), records + [self._job_record(job)]

    def finish_job(self, job_id: str, ok: bool, result: dict, error: str | None,
                   now: float) -> tuple[bool, list[dict]]:
        """Record a job's result; (False, []) when the job had already finished."""
        job = self.jobs.finish(job_id, ok, now)
        if job is None:
            return False, []
        self.updated_at_s = now
        event = {key: job[key] for key in ("job_id", "run_id", "kind", "status", "attempt", "worker_id", "payload")}
        event.update(result=result, error=error, ts=now)
        line = {"type": "log", "ts": now, "message": f"[job] {job['kind']} {job_id} -> {job['status']}",
                "level": "info" if ok else "error"}
        return True, [self._job_record(job), self._store("job_results", event), self._store("logs", line)]

    def _set_status(self, status: str) -> list[dict]:
        if self.status == status:
            return []
        self.status = status
        return [self.state_record()]

    def _apply_event(self, event: dict, now: float) -> list[dict]:
        message, level = log_line(event)
        event["ts"] = now
        kind = event_type(event)
        records = []
        if kind == "progress":
            records += self._track_progress(event, now)
        elif kind == "candidate":
            records.append(self._store("candidates", event))
        elif kind == "population":
            records.append(self._store("populations", event))
        elif kind == "done" and event.get("worker_id") is None:
            records += self._set_status("stopped")
        records.append(self._store("logs", {"type": "log", "ts": now, "message": message, "level": level}))
        return records

    def _track_progress(self, event: dict, now: float) -> list[dict]:
        worker_id = str(as_int(event.get("worker_id")))
        worker = self.workers.get(worker_id)
        if worker is None:
            if len(self.workers) >= WORKERS_CAP:
                return []
            worker = self.workers[worker_id] = {"iteration": 0, **dict.fromkeys(WORKER_FIELDS)}
        worker["iteration"] = max(worker["iteration"], as_int(event.get("iteration")))
        for name in WORKER_FIELDS:
            if name in event:
                worker[name] = as_number(event[name])
        worker["updated_at_s"] = now
        moment = time.monotonic()
        if moment - self._worker_journaled_at.get(worker_id, -math.inf) < WORKER_JOURNAL_INTERVAL_S:
            self._workers_not_journaled.add(worker_id)
            return []
        self._worker_journaled_at[worker_id] = moment
        self._workers_not_journaled.discard(worker_id)
        return [self._worker_record(worker_id)]

    def unjournaled_worker_records(self) -> list[dict]:
        """Records for the progress that throttling kept out of the journal (written at shutdown)."""
        records = [self._worker_record(worker_id) for worker_id in sorted(self._workers_not_journaled)]
        self._workers_not_journaled.clear()
        return records

    def stored_bytes(self) -> int:
        return sum(store.bytes for store in self.stores.values())

    def _store(self, store: str, item: dict) -> dict:
        return self._record("item", store=store, item=self.stores[store].append(item))

    # ---- views ---------------------------------------------------------------------------------

    def state_view(self) -> dict:
        """The `/state` snapshot (the caller sweeps expired leases first)."""
        numbers = [as_number(item.get("validator_score")) for item in self.stores["candidates"]]
        scores = [score for score in numbers if score is not None]
        return {
            "run_id": self.run_id,
            "status": self.status,
            "global_sota": self.global_sota,
            "local_sota": self.local_sota,
            "successful_submissions": self.successful_submissions,
            "tasks_completed": sum(worker["iteration"] for worker in self.workers.values()),
            "best_candidate_score": max(scores) if scores else None,
            **self.jobs.counts(),
            "updated_at_s": self.updated_at_s,
            "created_at_s": self.created_at_s,
            "meta": self.meta,
            "workers": {worker_id: dict(worker) for worker_id, worker in self.workers.items()},
            "candidates_total": self.stores["candidates"].next_seq,
            "logs_total": self.stores["logs"].next_seq,
        }

    def summary(self) -> dict:
        return {"run_id": self.run_id, "status": self.status, "created_at_s": self.created_at_s,
                "updated_at_s": self.updated_at_s, "meta": self.meta}

    # ---- journal records -----------------------------------------------------------------------

    def _record(self, kind: str, **content: Any) -> dict:
        return {"k": kind, "t": self.updated_at_s, **content}

    def run_record(self) -> dict:
        return self._record("run", run_id=self.run_id, created_at_s=self.created_at_s, meta=self.meta)

    def state_record(self) -> dict:
        return self._record("state", **{name: getattr(self, name) for name in _STATE_FIELDS})

    def _worker_record(self, worker_id: str) -> dict:
        return self._record("worker", worker_id=worker_id, **self.workers[worker_id])

    def _job_record(self, job: dict) -> dict:
        return self._record("job", job=dict(job))

    def snapshot_record(self) -> dict:
        """The complete retained state, for compaction; items are shared (never mutated once stored)."""
        return self._record(
            "snapshot",
            run={**self.run_record(), **self.state_record()},
            stores={name: list(store) for name, store in self.stores.items()},
            workers={worker_id: dict(worker) for worker_id, worker in self.workers.items()},
            jobs=[dict(job) for job in self.jobs.jobs.values()],
        )

    @classmethod
    def from_record(cls, record: dict) -> Run:
        """A run from its journal's first record (`run` or `snapshot`)."""
        header = record["run"] if record["k"] == "snapshot" else record
        run = cls(str(header["run_id"]), float(header["created_at_s"]), header.get("meta") or {})
        run.apply_record(record)
        return run

    def apply_record(self, record: dict) -> None:
        kind = record["k"]
        if kind == "snapshot":
            self._apply_state(record["run"])
            for store, items in record["stores"].items():
                for item in items:
                    self.stores[store].restore(item)
            self.workers.update(record["workers"])
            for job in record["jobs"]:
                self.jobs.jobs[job["job_id"]] = job
        elif kind == "state":
            self._apply_state(record)
        elif kind == "item":
            self.stores[record["store"]].restore(record["item"])
        elif kind == "worker":
            worker = {name: record.get(name) for name in (*WORKER_FIELDS, "updated_at_s")}
            self.workers[str(record["worker_id"])] = {"iteration": as_int(record.get("iteration")), **worker}
        elif kind == "job":
            self.jobs.jobs[record["job"]["job_id"]] = record["job"]
        elif kind != "run":
            raise ValueError(f"unknown journal record kind {kind!r}")
        self.updated_at_s = max(self.updated_at_s, float(record.get("t", 0.0)))

    def finish_restore(self) -> None:
        """After replay: requeue leased jobs and remember the event ids of the restored items."""
        self.jobs.requeue_after_restart()
        for store in ("candidates", "populations"):
            for item in self.stores[store]:
                self.seen_event_ids.add(item.get("event_id"))

    def _apply_state(self, record: dict) -> None:
        for name in _STATE_FIELDS:
            if name in record:
                setattr(self, name, record[name])
