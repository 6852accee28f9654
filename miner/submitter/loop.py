"""One mining run's courier between the sidecar and the relay (or the pool): `Submitter.tick()` once a second.

Direct mode, each tick: read the run's `/state`; take new candidates; for each apply the rule, re-score it
with the validator's scoring (bounded in time), submit it signed with the run's hotkey, report back to the
sidecar; release a pending candidate when the cooldown is over; refresh the relay SOTA when due. Pool mode
ticks the pool coordinator instead. Every tick ends by posting its log lines to the sidecar and rewriting the
status file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import httpx
from bittensor_wallet import Keypair

from core.config import home_dir
from core.atomic_file import write_json_atomic
from miner.relay_client import RelayClient, RelayError
from miner.submitter.pool import PoolMode, pool_problem, pool_sota
from miner.submitter.rescore import rescore
from miner.submitter.rule import (BETTER_PENDING, REPLACED_PENDING, Decision, Rescore, SubmissionBook,
                                  format_threshold, submission_body, threshold)
from miner.submitter.status import StatusRecord, read_status
from sidecar.client import SidecarClient, SidecarError, StreamCursor

SIDECAR_TIMEOUT_S = 1.0
CANDIDATE_PAGE = 50
ERROR_LOG_EVERY_S = 60.0
SIDECAR_ERRORS = (httpx.HTTPError, SidecarError, ValueError)


def _number(value) -> float | None:
    """A finite number from the status file, else None (the file is read back, so it is checked)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) == float("inf"):
        return None
    return float(value)


@dataclass
class SubmitterOptions:
    sidecar_url: str
    run_id: str
    task_type: str
    relay_url: str | None = None
    pool_url: str | None = None
    pool_mode: str = "task"
    cooldown_s: float = 60.0
    sota_refresh_s: float = 30.0
    verify_timeout_s: float = 60.0

    @property
    def pool(self) -> bool:
        return self.task_type == "pool"


class Submitter:
    def __init__(self, options: SubmitterOptions, keypair: Keypair, status_file: Path, *,
                 clock: Callable[[], float] = time.time, env: Mapping[str, str] | None = None,
                 say: Callable[[str], None] = lambda line: print(line, flush=True),
                 rescorer: Callable[..., Rescore] = rescore) -> None:
        self.options, self.keypair, self.status_file = options, keypair, status_file
        self.clock, self.env, self._print, self._rescore = clock, env, say, rescorer
        self.sidecar = SidecarClient(options.sidecar_url, timeout=SIDECAR_TIMEOUT_S)
        self.relay = None if options.pool else RelayClient(options.relay_url or "", keypair, "miner")
        self.book = SubmissionBook(options.cooldown_s)
        self.cursor = StreamCursor()
        self.record = StatusRecord(options.run_id, os.getpid(), keypair.ss58_address, options.task_type,
                                   "pool" if options.pool else "direct", options.relay_url, options.pool_url,
                                   clock())
        self.pool = (PoolMode(keypair, options.pool_url or "", options.sidecar_url, options.run_id,
                              options.pool_mode, self.say, clock) if options.pool else None)
        self.state: dict | None = None
        self.finished = False
        self._outbox: list[dict] = []
        self._last_sota_refresh = float("-inf")
        self._last_error_logged: dict[str, float] = {}
        self._restore()

    # ------------------------------------------------------------------ output
    def say(self, line: str, error: bool = False) -> None:
        self._print(line)
        self._outbox.append({"type": "log", "message": line, "level": "error" if error else "info"})

    def fail(self, key: str, message: str) -> None:
        """Record an error; log it at most once a minute per kind, so a dead relay does not flood the log."""
        now = self.clock()
        self.record.error(now, message)
        if now - self._last_error_logged.get(key, float("-inf")) >= ERROR_LOG_EVERY_S:
            self._last_error_logged[key] = now
            self.say(f"[submitter] {message}", error=True)

    # ------------------------------------------------------------------ resume
    def _restore(self) -> None:
        saved = read_status(self.status_file)
        if not saved or saved.get("run_id") != self.options.run_id:
            return
        self.record.restore(saved)
        resume = self.record.resume
        cursor = _number(resume.get("cursor"))
        self.cursor.position = int(cursor) if cursor is not None and cursor >= 0 else 0
        hashes = resume.get("submitted_hashes")
        self.book.submitted_hashes = {str(h) for h in hashes} if isinstance(hashes, list) else set()
        self.book.best_submitted = _number(resume.get("best_submitted"))
        self.book.last_success_at = _number(resume.get("last_success_at"))
        pending = resume.get("pending")
        valid = isinstance(pending, dict) and _number(pending.get("rescored")) is not None
        self.book.pending = pending if valid else None
        self.say(f"[submitter] resumed run {self.options.run_id} at candidate {self.cursor.position}")

    # ------------------------------------------------------------------ one tick
    def tick(self) -> None:
        self.record.state = "running"
        self.state = self._read_state()
        if self.pool is not None:
            self.pool.tick()
            self.record.pool = self.pool.status()
            self._refresh_sota()
        else:
            self._refresh_sota()
            if self.state is not None:
                self._take_candidates()
            self._release_pending()
        self.finished = self._run_over()
        self.flush()

    def _read_state(self) -> dict | None:
        try:
            state = self.sidecar.state(run_id=self.options.run_id)
        except SIDECAR_ERRORS as exc:
            self.fail("sidecar", f"sidecar unreachable at {self.options.sidecar_url}: {exc}")
            return None
        self.record.local_sota = self.book.local_sota(state.get("local_sota"))
        return state

    def _run_over(self) -> bool:
        """The run was stopped (Stop Mining, or the miner's last `done`) and nothing is left to decide."""
        if self.state is None or self.state.get("status") != "stopped" or self.book.pending is not None:
            return False
        if self.pool is not None:
            return True
        try:
            return not self.sidecar.candidates(self.cursor.position, 1, run_id=self.options.run_id).items
        except SIDECAR_ERRORS:
            return False

    # ------------------------------------------------------------------ SOTA
    def _refresh_sota(self) -> None:
        now = self.clock()
        if now - self._last_sota_refresh < self.options.sota_refresh_s:
            return
        self._last_sota_refresh = now
        if self.pool is not None:
            try:
                self.record.global_sota = pool_sota(self.options.pool_url or "", pool_problem(self.options.task_type))
            except (httpx.HTTPError, ValueError) as exc:
                self.fail("pool-sota", f"pool SOTA refresh failed: {exc}")
            self.record.sota_seen(now, self.record.global_sota)
            return
        try:
            value = self.relay.sota_threshold()
        except RelayError as exc:
            self._relay_seen(False, str(exc))
            return
        self._relay_seen(True)
        if value != self.record.global_sota and value is not None:
            self.say(f"[sota] global SOTA {format_threshold(value)}")
        self.record.global_sota = value
        self.record.sota_seen(now, value)
        if value is not None:
            try:
                self.sidecar.set_global_sota(value, run_id=self.options.run_id)
            except SIDECAR_ERRORS as exc:
                self.fail("sidecar", f"could not pass the global SOTA to the sidecar: {exc}")

    def _relay_seen(self, reachable: bool, error: str = "") -> None:
        """Log when the relay goes away or comes back; candidates wait either way."""
        if reachable and self.record.relay_reachable is False:
            self.say(f"[submitter] relay reachable again at {self.options.relay_url}")
        elif not reachable:
            self.record.error(self.clock(), error)
            if self.record.relay_reachable is not False:
                self.say(f"[submitter] relay unreachable at {self.options.relay_url} ({error or 'no answer'})",
                         error=True)
        self.record.relay_reachable = reachable

    # ------------------------------------------------------------------ candidates (§7)
    def _local(self) -> float | None:
        return (self.state or {}).get("local_sota")

    def _take_candidates(self) -> None:
        try:
            page = self.sidecar.candidates(self.cursor.position, CANDIDATE_PAGE, run_id=self.options.run_id)
        except SIDECAR_ERRORS as exc:
            self.fail("sidecar", f"reading candidates failed: {exc}")
            return
        for candidate in sorted(self.cursor.take(page), key=lambda c: int(c.get("seq") or 0)):
            self.record.counters["seen"] += 1
            self._handle(candidate)
            self.record.resume["cursor"] = int(candidate.get("seq") or 0) + 1
        self.record.resume["cursor"] = self.cursor.position

    def _handle(self, candidate: dict) -> None:
        seq = int(candidate.get("seq") or 0)
        decision = self.book.decide(candidate, self.record.global_sota, self._local(), self.clock())
        rescored = None
        if decision.action == "verify":
            self.record.decide(seq, "verifying")
            self.flush()  # the table shows `verifying` while the scorer runs
            rescored = self._rescore(candidate, self.options.verify_timeout_s, self.env)
            self.record.counters["verified"] += 1
            shown = f"{rescored.score:.6f}" if rescored.finite else f"-inf ({rescored.reason})"
            self.say(f"[verify] candidate {seq} re-scored: {shown} (claimed {candidate.get('validator_score')})")
            decision = self.book.decide(candidate, self.record.global_sota, self._local(), self.clock(), rescored)
        self._apply(candidate, seq, decision, rescored)

    def _apply(self, candidate: dict, seq: int, decision: Decision, rescored: Rescore | None) -> None:
        score = rescored.score if rescored is not None and rescored.finite else None
        if decision.action in ("pending", "submit"):
            limit = threshold(self.record.global_sota, self.book.local_sota(self._local()))
            self.say(f"[submit] Candidate verified_score={score:.6f} threshold={format_threshold(limit)}")
        if decision.action == "skip":
            self.record.counters["skipped"] += 1
            self.record.decide(seq, "skipped", decision.reason, score)
        elif decision.action == "pending":
            self._park({**candidate, "rescored": score})
        elif decision.action == "submit":
            self._submit(candidate, seq, score)

    def _park(self, candidate: dict) -> None:
        seq = int(candidate.get("seq") or 0)
        self.record.decide(seq, "pending", "submission cooldown", candidate["rescored"])
        loser = self.book.park(candidate)
        if loser is not None:
            reason = BETTER_PENDING if loser is candidate else REPLACED_PENDING
            self.record.counters["skipped"] += 1
            self.record.decide(int(loser.get("seq") or 0), "skipped", reason, loser["rescored"])

    def _release_pending(self) -> None:
        released = self.book.release_pending(self.record.global_sota, self._local(), self.clock())
        if released is None:
            return
        candidate, decision = released
        seq = int(candidate.get("seq") or 0)
        if decision.action == "submit":
            self._submit(candidate, seq, candidate["rescored"])
        else:
            self.record.counters["skipped"] += 1
            self.record.decide(seq, "skipped", decision.reason, candidate["rescored"])

    def _submit(self, candidate: dict, seq: int, score: float) -> None:
        body = submission_body(candidate, self.options.run_id, score)
        result_id, detail = None, None
        try:
            answer = self.relay.submit_solution(body["task_id"], body["algorithm_result"], score)
            status, result_id = "submitted", answer.get("result_id")
            self._relay_seen(True)
        except RelayError as exc:
            status, detail = ("failed", str(exc)) if exc.status is None else ("rejected", str(exc.detail))
            self._relay_seen(exc.status is not None, str(exc))
            self.record.error(self.clock(), f"submission of candidate {seq} {status}: {detail}")
        now = self.clock()
        if status == "submitted":
            self.book.record_success(candidate, score, now)
        self.record.counters[status] += 1
        self.record.decide(seq, status, detail or "", score)
        self.record.add_submission({"seq": seq, "ts": now, "worker_id": candidate.get("worker_id"),
                                    "iteration": candidate.get("iteration"), "task_type": candidate.get("task_type"),
                                    "score": score, "status": status, "result_id": result_id, "detail": detail})
        extra = (f" result_id={result_id}" if result_id else "") + (f" detail={detail}" if detail else "")
        self.say(f"[submit] status={status} score={score:.6f}{extra}", error=status != "submitted")
        try:
            self.sidecar.submission_result(score, status, run_id=self.options.run_id)
        except SIDECAR_ERRORS as exc:
            self.fail("sidecar", f"could not report the submission to the sidecar: {exc}")
        self._write_mining_stats()

    def _write_mining_stats(self) -> None:
        """`~/.bitsota/mining_stats.json` (tui.md §11.3), as the original GUI kept it."""
        state = self.state or {}
        write_json_atomic(home_dir() / "mining_stats.json", {
            "tasks_completed": state.get("tasks_completed", 0),
            "successful_submissions": self.record.counters["submitted"],
            "best_score": self.book.best_submitted})

    # ------------------------------------------------------------------ status
    def flush(self, state: str | None = None) -> None:
        """Post this tick's log lines to the sidecar and rewrite the status file."""
        if self._outbox:
            try:
                self.sidecar.ingest_batch(self.options.run_id, self._outbox)
                self._outbox = []
            except SIDECAR_ERRORS:
                del self._outbox[:-500]  # kept for the next tick; the log file has them all
        self.write_status(state)

    def write_status(self, state: str | None = None) -> None:
        if state is not None:
            self.record.state = state
        now = self.clock()
        book = self.book
        self.record.local_sota = book.local_sota(self._local())
        self.record.cooldown_until_s = (book.last_success_at + book.cooldown_s
                                        if book.last_success_at is not None and book.cooling_down(now) else None)
        self.record.pending = ({"seq": book.pending.get("seq"), "score": book.pending.get("rescored")}
                               if book.pending else None)
        self.record.resume.update({"cursor": self.cursor.position, "submitted_hashes": sorted(book.submitted_hashes),
                                   "best_submitted": book.best_submitted, "last_success_at": book.last_success_at,
                                   "pending": book.pending})
        self.record.write(self.status_file, now)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self.relay is not None:
            self.relay.close()
        self.sidecar.close()
